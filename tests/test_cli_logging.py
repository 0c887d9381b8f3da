"""No library log line reaches ``frogml-airflow``'s output: the frogml SDK turns on INFO logging
when imported and Airflow logs its configuration at import; the CLI's own messages stay."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

# "INFO:airflow.configuration:Reading the config from ..." (logging's basic format) or a structlog
# line ("2026-12-05T18:58:53.016768Z [info     ] ... loc=loader.py:140").
LOG_LINE = re.compile(r"^(DEBUG|INFO|WARNING):[\w.]+:|\[(debug|info|warning)\s*\]|Reading the config from", re.M)


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW__", "JF_", "FROGML_AIRFLOW_", "AIRFLOW_CONN_"))
    }
    env["AIRFLOW_HOME"] = str(home / "airflow")
    env["HOME"] = str(home)  # the SDK's ~/.frogml
    exe = Path(sys.executable).with_name("frogml-airflow")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120, env=env, cwd=home)


def test_list_shows_its_own_error_and_no_log_line(tmp_path: Path) -> None:
    done = run(tmp_path, "list")
    assert done.returncode != 0
    assert "no JFrog access token" in done.stderr  # the command's own error is still there
    assert not LOG_LINE.search(done.stdout + done.stderr), done.stdout + done.stderr


def test_status_shows_its_own_notes_and_no_log_line(tmp_path: Path) -> None:
    (tmp_path / "automations").mkdir()
    done = run(tmp_path, "status", str(tmp_path / "automations"))
    assert "JFrog ML is not set up here" in done.stdout + done.stderr
    assert not LOG_LINE.search(done.stdout + done.stderr), done.stdout + done.stderr


def test_validate_of_a_file_that_imports_airflow_prints_no_airflow_log_line(tmp_path: Path) -> None:
    """An automation file may import Airflow (a shared helper, say): Airflow then configures its logging
    in the CLI's process, and its INFO lines must not reach the output."""
    folder = tmp_path / "automations"
    folder.mkdir()
    (folder / "uses_airflow.py").write_text(
        "import logging\n"
        "import airflow.settings\n"
        "logging.getLogger('airflow.example').info('a line for the log, not for the terminal')\n"
        "from frogml.core.automations import *\n"
        "a = Automation(name='ok', model_id='m', trigger=ScheduledTrigger(interval='Weekly'),\n"
        "    action=FrogmlBuildDeploy(BuildSpecifications(git_uri='https://git.example/r.git'),\n"
        "        BuildMetric('f1', ThresholdDirection.ABOVE, '0.5'), DeploymentSpecifications()))\n"
    )
    done = run(tmp_path, "validate", str(folder), "--file-timeout", "0")  # importing Airflow is slow under load
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok     uses_airflow.py: ok -> DAG ok" in done.stdout
    assert "a line for the log" not in done.stdout + done.stderr
    assert not LOG_LINE.search(done.stdout + done.stderr), done.stdout + done.stderr


def test_the_quieting_ends_with_the_command(tmp_path: Path, monkeypatch) -> None:
    """``main`` runs in-process too (tests, a caller's script): it leaves the environment as it found it."""
    from frogml_airflow_provider.cli import main

    monkeypatch.delenv("AIRFLOW__LOGGING__LOGGING_LEVEL", raising=False)
    (tmp_path / "automations").mkdir()
    assert main(["validate", str(tmp_path / "automations")]) == 0
    assert "AIRFLOW__LOGGING__LOGGING_LEVEL" not in os.environ
    monkeypatch.setenv("AIRFLOW__LOGGING__LOGGING_LEVEL", "DEBUG")  # the user's choice is kept
    assert main(["validate", str(tmp_path / "automations")]) == 0
    assert os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] == "DEBUG"
