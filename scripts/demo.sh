#!/usr/bin/env bash
# The main job: Airflow standalone on this machine with the example automations as DAGs.
# Usage: bash scripts/demo.sh [--port 8080]    (Ctrl-C stops it)
set -euo pipefail
source "$(dirname "$0")/_env.sh" test
PORT=8080
[ "${1:-}" = "--port" ] && PORT="$2"
DEMO="$ROOT/.demo"
mkdir -p "$DEMO"
export AIRFLOW_HOME="$DEMO/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags_examples"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__PARALLELISM=4
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=10
export AIRFLOW__API__PORT="$PORT"
export PYTHONWARNINGS=ignore

frogml-airflow validate "$AIRFLOW__CORE__DAGS_FOLDER/automations"
airflow db migrate >/dev/null
(
  # Tell the user where to go once the API server answers.
  for _ in $(seq 1 120); do
    if python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "http://127.0.0.1:$PORT/api/v2/version" >/dev/null 2>&1; then
      password=$(python -c 'import json,sys; print(next(iter(json.load(open(sys.argv[1])).values())))' \
        "$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated" 2>/dev/null || echo "see $AIRFLOW_HOME")
      printf '\n==> Airflow is up: http://127.0.0.1:%s  (login: admin / %s)\n\n' "$PORT" "$password"
      exit 0
    fi
    sleep 1
  done
) &
exec airflow standalone
