#!/usr/bin/env bash
# The main job: Airflow on this machine with the example automations as DAGs, and a walkthrough.
# Usage: bash scripts/demo.sh [--port 8080]
# Ports: Airflow PORT, the notification receiver PORT+1, Airflow's log servers PORT+2 and PORT+3,
# all on 127.0.0.1. Airflow's logs: .demo/logs/. One Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "$0")/_env.sh" local
PORT=8080
[ "${1:-}" = "--port" ] && PORT="$2"
DEMO="$ROOT/.demo"
mkdir -p "$DEMO"
export AIRFLOW_HOME="$DEMO/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags_examples"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__PARALLELISM=4
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=10
export PYTHONWARNINGS=ignore

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

# The launcher validates the automations, migrates the database, resets the walkthrough's trigger
# state, starts Airflow's components (logs to .demo/logs/), the receiver and the walkthrough
# (FROGML_DEMO_WALKTHROUGH=0 skips it), and owns stopping: frogml_airflow_provider/demo/run.py.
walkthrough=(--walkthrough "$ROOT/scripts/demo_walkthrough.py")
[ "${FROGML_DEMO_WALKTHROUGH:-1}" = 1 ] || walkthrough=()
exec python -m frogml_airflow_provider.demo.run --port "$PORT" --logs "$DEMO/logs" \
  --automations "$AIRFLOW__CORE__DAGS_FOLDER/automations" "${walkthrough[@]}"
