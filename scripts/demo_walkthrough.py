"""The demo's guided run, once Airflow answers: train and deploy the sample model, call it, score
the shipped flowers with a batch job (nightly_batch), then make its error rate cross the threshold
so that the metric watcher in the triggerer starts one retrain (and show its evaluations); then
show where each automation runs (``status``).

    python scripts/demo_walkthrough.py http://127.0.0.1:8080 PASSWORD STATE_DIR
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from frogml_airflow_provider.demo.traffic import IRIS_ROW, send_traffic
from frogml_airflow_provider.platform.local.platform import LocalPlatform


def main(url: str, password: str, state_dir: str) -> int:
    def call(method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{url}{path}", data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    token = call("POST", "/auth/token", {"username": "admin", "password": password})["access_token"]

    def run_dag(dag_id: str) -> str:
        """Trigger ``dag_id`` and wait for the run's end: its state, or "missing"."""
        for _ in range(60):  # the DAG may still be on its way from the dag-processor
            try:
                run = call("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None}, token)
                break
            except OSError:
                time.sleep(5)
        else:
            return "missing"
        run_path = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.request.quote(run['dag_run_id'])}"
        state = "queued"
        for _ in range(120):
            state = call("GET", run_path, token=token)["state"]
            if state in ("success", "failed"):
                break
            time.sleep(3)
        return str(state)

    say("1/4 triggering retrain_iris_classifier: build from git, gate on f1_score, deploy")
    since = datetime.now(UTC).isoformat()  # runs after this are this demo's (earlier demos' stay)
    state = run_dag("retrain_iris_classifier")
    if state == "missing":
        say("the DAG did not appear; trigger it in the UI")
        return 1
    deployment = LocalPlatform(state_dir).get_deployment("iris-classifier", "default")
    if state != "success" or deployment is None:
        say(f"the run ended {state}; see its logs in the UI")
        return 1
    say(
        f"2/4 the model serves: curl -X POST {deployment.endpoint} -d '{json.dumps([IRIS_ROW])}'\n"
        "    (the URL stays when the model is redeployed, as a JFrog ML variation's does)"
    )
    # Scheduled on the model's deployment asset: this demo's deploy event starts a run of it.
    smoke = "/api/v2/dags/smoke_test_iris_classifier/dagRuns?order_by=-run_after&limit=1&run_after_gte="
    for _ in range(20):
        found = call("GET", smoke + urllib.request.quote(since, safe=""), token=token)["dag_runs"]
        if found and found[0]["state"] in ("success", "failed", "skipped"):
            say(
                "    the deploy emitted an asset event for frogml://models/iris-classifier/default; the ordinary "
                f"DAG smoke_test_iris_classifier, scheduled on it, ran ({found[0]['state']}): see its log"
            )
            break
        time.sleep(3)
    else:
        say("    smoke_test_iris_classifier, scheduled on the model's asset, has not run yet: see it in the UI")
    say("3/4 triggering nightly_batch: the deployed model scores dags_examples/batch_input/iris, file by file")
    batch = run_dag("nightly_batch")
    days = sorted((Path(state_dir) / "buckets" / "iris-scores" / "nightly").glob("*"))  # one folder per run date
    scores = sorted(days[-1].glob("*.csv")) if days else []
    if batch == "success" and scores:
        rows = sum(len(path.read_text().splitlines()) - 1 for path in scores)
        say(f"    {len(scores)} file(s), {rows} scored rows in {scores[0].parent} (see {url}/frogml/batch)")
    else:
        say(f"    nightly_batch ended {batch}; see its log in the UI")
    runs_path = "/api/v2/dags/retrain_iris_on_errors/dagRuns?order_by=-run_after&limit=20"
    earlier = {run["dag_run_id"] for run in call("GET", runs_path, token=token)["dag_runs"]}  # an earlier demo's
    call("PATCH", "/api/v2/dags/retrain_iris_on_errors", {"is_paused": False}, token)
    statuses = send_traffic(deployment.endpoint, IRIS_ROW, requests=20, bad=0.6, rate=10)
    say(
        f"4/4 sent 20 predictions, {statuses[400]} of them failing, and unpaused retrain_iris_on_errors: the "
        "triggerer evaluates its error rate every minute and starts a DAG run only when it crosses 0.25 "
        "(no run for the evaluations that do not)..."
    )
    runs: list[dict[str, Any]] = []
    for _ in range(60):  # the DAG's next parse starts its watcher; then the next minute's evaluation
        runs = [run for run in call("GET", runs_path, token=token)["dag_runs"] if run["dag_run_id"] not in earlier]
        if runs:
            break
        time.sleep(5)
    if not runs:
        say("    no run yet: see frogml-airflow evaluations retrain_iris_on_errors for what the watcher saw")
    else:
        run = runs[0]
        say(f"    the error rate crossed: one DAG run, {run['dag_run_id']} ({run['run_type']}), retraining now")
        run_path = f"/api/v2/dags/retrain_iris_on_errors/dagRuns/{urllib.request.quote(run['dag_run_id'])}"
        for _ in range(80):
            state = call("GET", run_path, token=token)["state"]
            if state in ("success", "failed"):
                break
            time.sleep(3)
        new = [run for run in call("GET", runs_path, token=token)["dag_runs"] if run["dag_run_id"] not in earlier]
        say(
            f"    the retrain ended {state}; {len(new)} run(s) of retrain_iris_on_errors this time, none while the "
            f"rate stays high. Every evaluation: frogml-airflow evaluations retrain_iris_on_errors, and the chart at "
            f"{url}/frogml/models/iris-classifier; the curl of step 2 still answers the redeployed model"
        )
    subprocess.run(
        ["frogml-airflow", "evaluations", "retrain_iris_on_errors", "--limit", "5"],
        env={**os.environ, "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"},
        timeout=120,
        check=False,
    )
    say("where each automation runs: frogml-airflow status dags_examples/automations (JFrog ML: not set up here)")
    automations = Path(__file__).resolve().parent.parent / "dags_examples" / "automations"
    env = {
        **os.environ,
        "FROGML_AIRFLOW_URL": url,
        "FROGML_AIRFLOW_USERNAME": "admin",
        "FROGML_AIRFLOW_PASSWORD": password,
    }
    subprocess.run(["frogml-airflow", "status", str(automations)], env=env, timeout=120, check=False)
    return 0


def say(text: str) -> None:
    print(f"\n==> {text}\n", flush=True)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
