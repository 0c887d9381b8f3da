"""Every console page says what is wrong as its content, never a bare 500: a state folder that is
missing, a file, a registry that is not a database or a folder, a connection that cannot be read,
an unknown build or job, a loader record that is garbage. Served by Airflow's own API app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.airflow_db

PAGES = ("/frogml/", "/frogml/builds/b-1", "/frogml/models/m", "/frogml/batch", "/frogml/batch/job-1", "/frogml/status")


def state_at(monkeypatch: pytest.MonkeyPatch, state: Path) -> None:
    conn = {"conn_type": "frogml", "extra": {"state_dir": str(state)}}
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_DEFAULT", json.dumps(conn))


def views(airflow_api: tuple[Any, str]) -> dict[str, Any]:
    client, token = airflow_api
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/html"}
    return {path: client.get(path, headers=headers) for path in PAGES}


def assert_content(answers: dict[str, Any], *, says: str = "", where: tuple[str, ...] = PAGES) -> None:
    for path, answer in answers.items():
        assert answer.status_code != 500, (path, answer.text)
        assert answer.headers["content-type"].startswith("text/html"), (path, answer.text)
        assert "<h1>" in answer.text, (path, answer.text)
        if says and path in where:
            assert says in answer.text, (path, answer.text)


def test_a_missing_state_folder(airflow_api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state_at(monkeypatch, tmp_path / "never-used")
    answers = views(airflow_api)
    assert_content(answers)
    assert answers["/frogml/"].status_code == 200 and answers["/frogml/batch"].status_code == 200
    assert answers["/frogml/builds/b-1"].status_code == 404 and "b-1" in answers["/frogml/builds/b-1"].text
    assert answers["/frogml/batch/job-1"].status_code == 404
    assert not (tmp_path / "never-used").exists()


def test_a_state_folder_that_is_a_file(airflow_api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "state").write_text("not a folder")
    state_at(monkeypatch, tmp_path / "state")
    assert_content(views(airflow_api), says=str(tmp_path / "state"), where=PAGES[:5])


@pytest.mark.parametrize("registry", ["garbage", "folder"])
def test_a_registry_that_cannot_be_read(
    airflow_api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry: str
) -> None:
    db = tmp_path / "state" / "platform.db"
    db.parent.mkdir()
    if registry == "garbage":
        db.write_bytes(b"not a database" * 100)
    else:
        db.mkdir()
    state_at(monkeypatch, tmp_path / "state")
    answers = views(airflow_api)
    assert_content(answers, says=str(db), where=PAGES[:5])
    assert answers["/frogml/"].status_code == 503


def test_a_connection_that_cannot_be_read(airflow_api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_DEFAULT", "{not json")
    answers = views(airflow_api)
    assert_content(answers)
    assert answers["/frogml/status"].status_code == 200


def test_a_loader_record_that_is_garbage(airflow_api, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.configuration import AIRFLOW_HOME

    from frogml_airflow_provider.console import status

    broken = Path(AIRFLOW_HOME) / "frogml" / "names" / "0123456789abcdef" / "share-000-of-001.json"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"\xff\xfe{[")
    status.SNAPSHOT.clear()
    try:
        answers = views(airflow_api)
        assert_content(answers)
        page = answers["/frogml/status"]
        assert page.status_code == 200 and f"{broken}: not a loader record this version can read" in page.text
    finally:
        broken.unlink()
        status.SNAPSHOT.clear()


@pytest.mark.parametrize("odd", ["..%2F..%2Fetc%2Fpasswd", "%00", "x" * 5000, "%E2%80%AE<script>", "%F0%9F%90%B8"])
def test_odd_ids_are_a_page_saying_not_found(airflow_api, local_conn, odd: str) -> None:
    client, token = airflow_api
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/html"}
    for page in ("builds", "models", "batch"):
        answer = client.get(f"/frogml/{page}/{odd}", headers=headers)
        assert answer.status_code in (200, 404), (page, odd, answer.status_code, answer.text[:300])
        assert answer.headers["content-type"].startswith("text/html") and "<script>" not in answer.text
