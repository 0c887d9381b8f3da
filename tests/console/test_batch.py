"""The console's batch job pages, over a real platform state, and the task's link to them."""

from __future__ import annotations

import json
from typing import Any

from frogml_airflow_provider.platform.base import BatchJobState
from frogml_airflow_provider.platform.local.platform import LocalPlatform


class Client:
    """Requests under the console's prefix, with the caller's credentials."""

    def __init__(self, client: Any, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def get(self, path: str) -> Any:
        return self.client.get(f"/frogml{path}", headers=self.headers)


def test_the_batch_pages_list_jobs_with_state_files_and_rows(airflow_api, local_conn: LocalPlatform) -> None:
    local_platform = local_conn
    jobs = local_platform.batch_store
    done = jobs.new_job("iris", "iris-b1", "dag/run/run_batch", "/data/in", "/data/<out>", 3)
    jobs.set(done, files_done=3, rows_done=12_345)
    jobs.finish_if_running(done, BatchJobState.SUCCESSFUL, "")
    log = local_platform.state_dir / "batch" / done / "batch.log"
    log.parent.mkdir(parents=True)
    log.write_text("3/3 files, 12345 rows: c.csv (5 rows)\nBATCH JOB SUCCESSFUL\n")
    failed = jobs.new_job("iris", "iris-b1", "dag/run2/run_batch", "/data/in", "/data/out", 2)
    jobs.finish_if_running(failed, BatchJobState.FAILED, "b.csv: the model failed on row 7: <ValueError>")
    airflow, token = airflow_api  # the console inside Airflow's API app, signed in
    client = Client(airflow, {"Authorization": f"Bearer {token}"})

    listing = client.get("/batch").text
    assert listing.index(failed) < listing.index(done)  # newest first
    assert "<td class='SUCCESSFUL'>SUCCESSFUL</td><td>3 / 3</td><td>12,345</td>" in listing
    assert "<td class='FAILED'>FAILED</td><td>0 / 2</td><td>0</td>" in listing
    one = client.get(f"/batch/{done}").text
    assert "BATCH JOB SUCCESSFUL" in one and "/data/&lt;out&gt;" in one  # the log's tail, escaped paths
    assert "&lt;ValueError&gt;" in client.get(f"/batch/{failed}").text
    assert client.get("/batch/nope").status_code == 404
    assert "/batch'>batch jobs</a>" in client.get("/").text
    assert Client(airflow, {}).get("/batch").status_code == 401  # behind Airflow's login, like every page


def test_the_task_links_to_its_batch_job(monkeypatch) -> None:
    from frogml_airflow_provider.operators import links
    from frogml_airflow_provider.operators.batch import FrogMLBatchOperator

    monkeypatch.setattr(
        links.XCom, "get_value", staticmethod(lambda *, ti_key, key: "batch-7" if key == "batch_job_id" else None)
    )
    operator = FrogMLBatchOperator(
        task_id="run_batch", model_id="churn", data_specifications={}, execution_specifications={}
    )
    monkeypatch.delenv("AIRFLOW_CONN_FROGML_DEFAULT", raising=False)
    assert links.FrogMLBatchJobLink().get_link(operator, ti_key=None) == "/frogml/batch/batch-7"
    assert links.FrogMLBatchJobLink in {type(link) for link in FrogMLBatchOperator.operator_extra_links}
    jfrog = FrogMLBatchOperator(
        task_id="run_batch", model_id="churn", data_specifications={}, execution_specifications={}
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_FROGML_DEFAULT",
        json.dumps({"conn_type": "frogml", "host": "https://acme.jfrog.io/", "password": "t0k3n"}),
    )
    assert links.FrogMLBatchJobLink().get_link(jfrog, ti_key=None) == "https://acme.jfrog.io/ui/ml/models/churn"
