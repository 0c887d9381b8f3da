"""What the JFrog ML commands print of what JFrog ML holds: a token inside a git URI masked as ``pull``
masks it, control characters escaped as ``validate`` escapes them; and a bad
``CONTROL_PLANE_GRPC_ADDRESS`` named with what is wrong with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.support.jfrog import build

Cli = Callable[..., SimpleNamespace]
GIT_TOKEN = "ghp_" + "x" * 36
ESCAPE = "\x1b[2J\x1b]0;owned\x07\x9b31m"


def planted(mock: Any, cli: Cli, folder: Callable[..., Path]) -> Any:
    """A registered automation whose git URI carries a token and whose name clears the terminal,
    as another tool (or the UI) could have registered it."""
    assert cli("register", folder(churn=build("churn")), "--yes").code == 0
    (automation,) = mock.automations.values()
    spec = automation.automation_spec
    spec.action.build_deploy.build_spec.git_model_source.git_uri = f"https://{GIT_TOKEN}@github.com/acme/models.git"
    spec.automation_name = f"churn{ESCAPE}"
    return automation


def test_list_json_masks_a_token_in_git_uri_and_escapes_control_characters(
    mock: Any, cli: Cli, folder: Callable[..., Path]
) -> None:
    planted(mock, cli, folder)
    done = cli("list", "--json")
    assert done.code == 0, done.err
    assert GIT_TOKEN not in done.out and "\x1b" not in done.out and "\x9b" not in done.out
    (row,) = json.loads(done.out)
    git = row["spec"]["action"]["buildDeploy"]["buildSpec"]["gitModelSource"]["gitUri"]
    assert git == "https://<hidden>@github.com/acme/models.git"
    assert row["name"] == f"churn{ESCAPE}"  # escaped on the terminal, the same string for a program


def test_pull_and_list_mask_a_git_token_the_same_way(
    mock: Any, cli: Cli, folder: Callable[..., Path], tmp_path: Path
) -> None:
    automation = planted(mock, cli, folder)
    automation.automation_spec.automation_name = "churn"
    pulled = cli("pull", "--out", tmp_path / "pulled")
    listed = cli("list", "--json")
    assert GIT_TOKEN not in pulled.out + pulled.err + listed.out
    masked = "https://<hidden>@github.com/acme/models.git"
    assert masked in pulled.err and masked in listed.out, pulled.err
    assert not list((tmp_path / "pulled").glob("*.py"))  # refused, as the loader refuses it


def test_tables_and_messages_escape_names_from_jfrog_ml(mock: Any, cli: Cli, folder: Callable[..., Path]) -> None:
    planted(mock, cli, folder)
    for args in (("list",), ("pause", f"churn{ESCAPE}"), ("executions", "nope")):
        done = cli(*args)
        assert "\x1b" not in done.out + done.err and "\x9b" not in done.out + done.err, args
        assert GIT_TOKEN not in done.out + done.err
    assert "churn\\x1b[2J" in cli("list").out


def test_a_bad_control_plane_grpc_address_is_named_with_what_is_wrong(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "JF_ACCESS_TOKEN": "tok-not-shown-1234", "AIRFLOW_HOME": str(tmp_path)}
    env.pop("AIRFLOW_CONN_FROGML_DEFAULT", None)
    for value, says in (
        ("grpc://127.0.0.1:5000", "URL scheme"),
        ("host.example:5000", "a port"),
        ("a b", "not a host"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "frogml_airflow_provider.cli", "list"],
            env={**env, "CONTROL_PLANE_GRPC_ADDRESS": value},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert f"CONTROL_PLANE_GRPC_ADDRESS={value!r}" in done.stderr and says in done.stderr, done.stderr
        assert "reinstall" not in done.stderr and "tok-not-shown" not in done.stderr
