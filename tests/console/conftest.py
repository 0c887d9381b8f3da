"""Airflow's own API app (plugins mounted as the API server mounts them) and a real token from its
simple auth manager's ``POST /auth/token``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.jfrog_fixtures import cli, folder, mock, mock_server, sdk  # noqa: F401 - the JFrog ML mock

PASSWORD = "console-test-pw"


@pytest.fixture(scope="session")
def airflow_api(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """(a TestClient on Airflow's API app, an admin's access token)."""
    from fastapi.testclient import TestClient

    passwords = tmp_path_factory.mktemp("auth") / "passwords.json"
    passwords.write_text(json.dumps({"admin": PASSWORD}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin")
        patch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(passwords))
        from airflow.api_fastapi.app import create_app

        client = TestClient(create_app())
        answer = client.post("/auth/token", json={"username": "admin", "password": PASSWORD})
        assert answer.status_code == 201, answer.text
        yield client, answer.json()["access_token"]
