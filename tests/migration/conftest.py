"""A real Airflow (API server over a DAGs folder with the provider's loader file) and the SDK's own
automation service mock, for hand-overs between the two."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.airflow import CHURN, SCORING, ApiServer, start_api_server
from tests.support.jfrog import HEADER_LINE, batch, build
from tests.support.jfrog_fixtures import cli, mock, mock_server, sdk  # noqa: F401 - the JFrog ML mock
from tests.support.jfrog_fixtures import folder as folder  # the fixture ("folder" is a local name below too)

LOADER = "\n".join(
    [
        "from frogml_airflow_provider.dags.loader import load_dags",
        'globals().update(load_dags(__file__, "automations"))',
        "",
    ]
)


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """Airflow with two automation DAGs: churn_retrain (scheduled build) and nightly_scoring (manual batch)."""
    home = tmp_path_factory.mktemp("airflow")
    dags = home / "dags"
    (dags / "automations").mkdir(parents=True)
    (dags / "frogml_automations.py").write_text(LOADER)
    (dags / ".airflowignore").write_text("automations/\n")
    (dags / "automations" / "churn.py").write_text(HEADER_LINE + build(CHURN))
    (dags / "automations" / "scoring.py").write_text(HEADER_LINE + batch(SCORING))
    server = start_api_server(home, dags)
    yield server
    server.stop()


@pytest.fixture
def automations(airflow: ApiServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The automations folder of ``airflow``, every test starting from: no ledger, churn_retrain
    active, no run in progress; the CLI pointed at the server."""
    folder = Path(airflow.env["AIRFLOW__CORE__DAGS_FOLDER"]) / "automations"
    monkeypatch.setenv("FROGML_AIRFLOW_URL", airflow.url)
    monkeypatch.setenv("FROGML_AIRFLOW_USERNAME", "admin")
    monkeypatch.setenv("FROGML_AIRFLOW_PASSWORD", airflow.password)
    airflow.api("PATCH", f"/dags/{CHURN}", {"is_paused": False})
    yield folder
    (folder / "frogml-ledger.json").unlink(missing_ok=True)
    for run in airflow.api("GET", f"/dags/{CHURN}/dagRuns", state=["queued", "running"])["dag_runs"]:
        airflow.api("PATCH", f"/dags/{CHURN}/dagRuns/{run['dag_run_id']}", {"state": "failed"})
    airflow.api("PATCH", f"/dags/{CHURN}", {"is_paused": False})
