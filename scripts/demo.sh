#!/usr/bin/env bash
# The main job: Airflow standalone on this machine with the example automations as DAGs.
# Usage: bash scripts/demo.sh [--port 8080]    (Ctrl-C stops it)
set -euo pipefail
source "$(dirname "$0")/_env.sh" local
PORT=8080
[ "${1:-}" = "--port" ] && PORT="$2"
RECEIVER_PORT="${RECEIVER_PORT:-$((PORT + 1))}"
DEMO="$ROOT/.demo"
mkdir -p "$DEMO"
export AIRFLOW_HOME="$DEMO/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags_examples"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__PARALLELISM=4
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=10
export AIRFLOW__API__PORT="$PORT"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$PORT/execution/"
export PYTHONWARNINGS=ignore
# Notifications of the demo's automations go to a local receiver that prints them.
export FROGML_DEMO_WEBHOOK_URL="http://127.0.0.1:$RECEIVER_PORT/notify"

frogml-airflow validate "$AIRFLOW__CORE__DAGS_FOLDER/automations"
airflow db migrate >/dev/null

# The example automation retrain_iris_classifier builds dags_examples/sample_model from git.
# nightly_batch then scores dags_examples/batch_input/iris with it, into the local bucket
# iris-scores ($AIRFLOW_HOME/frogml-local/buckets/iris-scores/nightly/<date>/); the walkthrough runs both.
SAMPLE="$AIRFLOW_HOME/sample-model.git"
if [ ! -d "$SAMPLE" ]; then
  work=$(mktemp -d)
  cp -r "$ROOT/dags_examples/sample_model/." "$work"
  git -C "$work" init -q -b main
  git -C "$work" add -A
  git -C "$work" -c user.email=demo@localhost -c user.name=demo commit -qm "sample model"
  git clone -q --bare "$work" "$SAMPLE"
  rm -rf "$work"
fi
(
  # Tell the user where to go once the API server answers.
  for _ in $(seq 1 120); do
    if python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "http://127.0.0.1:$PORT/api/v2/version" >/dev/null 2>&1; then
      password=$(python -c 'import json,sys; print(next(iter(json.load(open(sys.argv[1])).values())))' \
        "$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated" 2>/dev/null || echo "see $AIRFLOW_HOME")
      printf '\n==> Airflow is up: http://127.0.0.1:%s  (login: admin / %s)\n\n' "$PORT" "$password"
      [ "${FROGML_DEMO_WALKTHROUGH:-1}" = 1 ] && \
        python "$ROOT/scripts/demo_walkthrough.py" "http://127.0.0.1:$PORT" "$password" "$AIRFLOW_HOME/frogml-local"
      exit 0
    fi
    sleep 1
  done
) &
python -m frogml_airflow_provider.demo.receiver --port "$RECEIVER_PORT" &
receiver_pid=$!

stop_model_servers() {
  kill "$receiver_pid" 2>/dev/null || true
  # The local platform's model servers outlive Airflow's processes on purpose; not the demo's.
  python -c 'import sys; from frogml_airflow_provider.platform.local.platform import LocalPlatform as P; P(sys.argv[1]).shutdown()' \
    "$AIRFLOW_HOME/frogml-local" || true
}
trap stop_model_servers EXIT
airflow standalone  # in the foreground, so that Ctrl-C reaches it
