"""``frogml-airflow validate`` says which automations need approval before deploying
(``[frogml] approval_required``), names the entries that name nothing, and fails on a bad setting;
read from the environment without importing Airflow, or from airflow.cfg through Airflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import EXAMPLES

FOLDER = str(EXAMPLES / "automations")


def validate(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__FROGML__APPROVAL_")}
    return subprocess.run(
        [sys.executable, "-m", "frogml_airflow_provider.cli", "validate", FOLDER, *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=120,
    )


def test_validate_names_the_automations_that_need_approval_and_the_entries_that_name_none() -> None:
    done = validate(env={"AIRFLOW__FROGML__APPROVAL_REQUIRED": "variation:my-model-id/B, model:nope"})
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(line for line in done.stdout.splitlines() if "retrain_my_model ->" in line)
    assert line.endswith("needs approval before deploying (variation:my-model-id/B)")
    assert sum("needs approval" in line for line in done.stdout.splitlines()) == 1
    assert "entry 'model:nope' names no automation here" in done.stdout
    assert "1 need approval before deploying" in done.stdout.splitlines()[-1]


def test_validate_json_lists_each_automations_entries() -> None:
    done = validate("--json", env={"AIRFLOW__FROGML__APPROVAL_REQUIRED": "model:iris-classifier"})
    found = json.loads(done.stdout)
    approval = {item["name"]: item["approval"] for item in found["automations"]}
    assert approval["retrain_iris_classifier"] == ["model:iris-classifier"]
    assert approval["nightly_batch"] == []  # a batch job deploys nothing
    assert approval["retrain_my_model"] == [] and found["approval_unmatched"] == []


def test_a_bad_setting_fails_validate_naming_the_entry() -> None:
    done = validate(
        env={"AIRFLOW__FROGML__APPROVAL_REQUIRED": "model:ok, modle:churn", "AIRFLOW__FROGML__APPROVAL_TIMEOUT": "0"}
    )
    assert done.returncode == 1
    assert "entry 2 'modle:churn' has the unknown kind 'modle'" in done.stdout
    assert "approval_timeout = '0' must be a positive number of seconds" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_a_setting_in_airflow_cfg_is_read_through_airflow(tmp_path: Path) -> None:
    (tmp_path / "airflow.cfg").write_text("[frogml]\napproval_required = automation:retrain_iris_classifier\n")
    done = validate(env={"AIRFLOW_HOME": str(tmp_path), "AIRFLOW_CONFIG": str(tmp_path / "airflow.cfg")})
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if "retrain_iris_classifier ->" in line)
    assert "needs approval before deploying (automation:retrain_iris_classifier)" in line
