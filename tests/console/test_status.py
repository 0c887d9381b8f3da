"""The console's status page on a real ``airflow api-server``: built from what Airflow's metadata
database and the loader's record hold (``airflow dags reserialize`` plays the dag-processor), never
by importing an automation file; per-DAG access control applied; every problem said as content."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from frogml_airflow_provider.dags.ledger import LEDGER_NAME
from tests.support.airflow import PASSWORDS, ApiServer, start_api_server
from tests.support.auth import CLASS_PATH, LIMITED
from tests.support.jfrog import HEADER_LINE, build

ROOT = Path(__file__).resolve().parents[2]
BROKEN = HEADER_LINE + "x = Automation(name='broken', model_id='m', trigger=ScheduledTrigger(cron='61 * * * *'))\n"
# An automation file with side effects at import: it leaves a marker file, and prints to stdout.
MARKED = (
    "import pathlib\n"
    "pathlib.Path({marker!r}).write_text('imported by pid ' + str(__import__('os').getpid()))\n"
    "print('hello from an automation file')\n" + HEADER_LINE + build("marked_retrain")
)


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiServer, Path, Path]]:
    """(a real API server, its automations folder, the marker file); ``limited`` reads churn_retrain only."""
    home = tmp_path_factory.mktemp("status-home")
    dags = home / "dags"
    automations = dags / "automations"
    marker = home / "imported.marker"
    subprocess.run([sys.executable, "-m", "frogml_airflow_provider.cli", "init", str(dags)], check=True)
    (automations / "churn.py").write_text(HEADER_LINE + build("churn_retrain"))
    (automations / "broken.py").write_text(BROKEN)
    (automations / "marked.py").write_text(MARKED.format(marker=str(marker)))
    env = {
        "AIRFLOW__CORE__AUTH_MANAGER": CLASS_PATH,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"admin:admin,{LIMITED}:viewer",
        "FROGML_TEST_LIMITED_DAGS": "churn_retrain",
        "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))),
        "AIRFLOW__FROGML__CONSOLE_CACHE_SECONDS": "0",  # each view reads what reserialize wrote
    }
    for variable in ("AIRFLOW_CONN_FROGML_DEFAULT", "JF_URL", "JF_ACCESS_TOKEN"):
        env[variable] = ""
    server = start_api_server(home, dags, extra_env=env)
    try:
        assert marker.exists()  # the dag-processor's part (reserialize) imported it
        yield server, automations, marker
    finally:
        server.stop()


def token(server: ApiServer, user: str) -> str:
    password = json.loads((server.home / PASSWORDS).read_text())[user]
    answer = requests.post(f"{server.url}/auth/token", json={"username": user, "password": password}, timeout=30)
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def view(server: ApiServer, user: str = "admin") -> requests.Response:
    headers = {"Authorization": f"Bearer {token(server, user)}", "Accept": "text/html"}
    return requests.get(f"{server.url}/frogml/status", headers=headers, timeout=60)


def row(html: str, name: str) -> str:
    return html[html.index(f"<td>{name}</td>") :].split("</tr>")[0]


def test_the_page_shows_each_automation_from_what_airflow_knows(airflow: tuple[ApiServer, Path, Path]) -> None:
    server, automations, _ = airflow
    assert requests.get(f"{server.url}/frogml/status", timeout=30).status_code == 401
    page = view(server)
    assert page.status_code == 200, page.text
    churn = row(page.text, "churn_retrain")
    assert "<td>churn.py</td>" in churn and "<td>airflow</td>" in churn  # the loader's record: file, ledger
    assert "<td>active</td>" in churn  # the DAG, from the metadata database
    assert "<td>unknown</td>" in churn  # JFrog ML is not set up here
    assert "<td>marked.py</td>" in row(page.text, "marked_retrain")
    assert "broken.py" in page.text and "minute field" in page.text  # the loader's import error, from the database
    assert "SLACK-SECRET" not in page.text
    assert str(automations) in page.text


def test_the_api_server_imports_no_automation_file(airflow: tuple[ApiServer, Path, Path]) -> None:
    server, _, marker = airflow
    marker.unlink()
    for _ in range(3):
        assert view(server).status_code == 200
    assert not marker.exists(), marker.read_text()


def test_rows_follow_airflows_per_dag_access_control(airflow: tuple[ApiServer, Path, Path]) -> None:
    server, _, _ = airflow
    page = view(server, LIMITED)
    assert page.status_code == 200, page.text
    assert "<td>churn_retrain</td>" in page.text
    assert "marked_retrain" not in page.text  # a DAG this user may not read
    assert "minute field" not in page.text and "may not see import errors" in page.text
    assert "automations" not in page.text.split("<h1>")[1].split("<table>")[0]  # no folder path either


def test_an_invalid_ledger_is_said_on_the_page_and_the_rows_stay(airflow: tuple[ApiServer, Path, Path]) -> None:
    server, automations, _ = airflow
    ledger = automations / LEDGER_NAME
    ledger.write_text('{"automations": {"churn_retrain": ')  # not JSON
    try:
        server.reserialize()
        page = view(server)
        assert page.status_code == 200, page.text
        assert LEDGER_NAME in page.text and "until then no automation is scheduled here" in page.text
        assert "<td>unknown</td>" in row(page.text, "churn_retrain")  # what the ledger says: unknown
    finally:
        ledger.unlink()
        server.reserialize()


def test_an_undecodable_ledger_is_a_page_not_a_500(airflow: tuple[ApiServer, Path, Path]) -> None:
    """A ledger saved as UTF-16 (PowerShell's ``>``): however the loader reports it, the page says it
    and every DAG still has its row."""
    server, automations, _ = airflow
    ledger = automations / LEDGER_NAME
    ledger.write_bytes('{"version": 1, "automations": {}}'.encode("utf-16"))
    try:
        server.reserialize()
        page = view(server)
        assert page.status_code == 200, page.text
        assert "<td>churn_retrain</td>" in page.text and "<td>marked_retrain</td>" in page.text
        problems = page.text.split("<h2>Files with problems</h2>")[1]
        assert LEDGER_NAME in problems or "decode" in problems
    finally:
        ledger.unlink()
        server.reserialize()


def test_the_jfrog_ml_tabs_follow_per_dag_access_and_import_nothing(airflow: tuple[ApiServer, Path, Path]) -> None:
    server, _, marker = airflow
    marker.unlink(missing_ok=True)

    def tab(user: str, dag_id: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {token(server, user)}", "Accept": "text/html"}
        return requests.get(f"{server.url}/frogml/dags/{dag_id}", headers=headers, timeout=60)

    admin = tab("admin", "marked_retrain")
    assert admin.status_code == 200 and "JFrog ML: marked_retrain" in admin.text, admin.text
    assert "No build by this DAG yet" in admin.text
    assert tab(LIMITED, "churn_retrain").status_code == 200
    refused = tab(LIMITED, "marked_retrain")  # a DAG this user may not read: as if it did not exist
    assert refused.status_code == 404 and "marked_retrain" in refused.text
    assert not marker.exists(), marker.read_text()
