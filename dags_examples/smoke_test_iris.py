"""Smoke-test the iris classifier after each deployment: an ordinary Airflow DAG, not an automation.

It is scheduled on the model's deployment asset, ``frogml://models/iris-classifier/default``, which
the deploy task of ``retrain_iris_classifier`` emits each time a build starts serving (a run whose
gate fails deploys nothing and so starts nothing here). The asset event's extra says what was
deployed: build id, metrics, the gate's comparison, the endpoint, the platform. The task posts two
flowers to that endpoint once and logs the answer. The local platform's endpoints need no token; a
deployment on JFrog ML is left to your own client (the task says so and skips).
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowSkipException

from frogml_airflow_provider.assets import frogml_model

IRIS = frogml_model("iris-classifier", variation="default")
FLOWERS = [
    {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
    {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3},
]
log = logging.getLogger(__name__)


@dag(schedule=[IRIS], catchup=False, is_paused_upon_creation=False, tags=["frogml", "example"])
def smoke_test_iris_classifier() -> None:
    @task
    def call_endpoint(triggering_asset_events: Any = None) -> dict[str, Any]:  # Airflow passes the context value
        events = list((triggering_asset_events or {}).get(IRIS, []))
        if not events:
            raise AirflowSkipException("no deployment started this run (a manual run): nothing to smoke-test")
        deployed = events[-1].extra  # the newest deployment, if several were merged into this run
        log.info("Build %s of %s serves at %s", deployed["build_id"], deployed["model_id"], deployed["endpoint"])
        if deployed.get("platform") != "local":
            raise AirflowSkipException(f"{deployed['endpoint']} is on JFrog ML: call it with your own token")
        request = urllib.request.Request(
            deployed["endpoint"],
            data=json.dumps(FLOWERS).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        if len(answer) != len(FLOWERS):
            raise ValueError(f"{len(FLOWERS)} flowers sent, {len(answer)} answers: {answer}")
        log.info("Smoke test of build %s passed; the endpoint answered %s", deployed["build_id"], answer)
        return {"build_id": deployed["build_id"], "endpoint": deployed["endpoint"], "answer": answer}

    call_endpoint()


smoke_test_iris_classifier()
