"""The console's status page: the table of ``frogml-airflow status``, inside Airflow's API app,
behind its login; the automation files load in a process of their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.jfrog import HEADER_LINE, build

BROKEN = HEADER_LINE + "x = Automation(name='broken', model_id='m', trigger=ScheduledTrigger(cron='61 * * * *'))\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    automations = tmp_path / "automations"
    automations.mkdir()
    (automations / "churn.py").write_text(HEADER_LINE + build("churn_retrain"))
    (automations / "broken.py").write_text(BROKEN)
    monkeypatch.setenv("AIRFLOW__FROGML__AUTOMATIONS_FOLDER", str(automations))
    for variable in ("AIRFLOW_CONN_FROGML_DEFAULT", "JF_URL", "JF_ACCESS_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    return automations


def test_the_status_page_shows_where_each_automation_runs(airflow_api: tuple[Any, str], folder: Path) -> None:
    client, token = airflow_api
    client.cookies.clear()
    assert client.get("/frogml/status").status_code == 401
    page = client.get("/frogml/status", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 200, page.text
    html = page.text
    row = html[html.index("<td>churn_retrain</td>") :].split("</tr>")[0]
    assert "<td>absent</td>" in row  # no DAG in this Airflow's database
    assert "<td>unknown</td>" in row  # JFrog ML is not set up here
    assert "JFrog ML is not set up here" in html
    assert "broken.py" in html and "minute field" in html  # a file with problems is listed, the others shown
    assert "SLACK-SECRET" not in html
