"""Qwak-era files against the real frogml SDK: a file written for the Qwak SDK loads unchanged and
exports what the SDK makes of the same file once ``frogml-airflow upgrade`` has rewritten it.

Every action kind (build-deploy, batch) and trigger kind (cron, interval, metric-based, none,
on-boarding) is covered, in each way a Qwak file imported the package. All SDK work runs in one
subprocess (``sdk_dump.py``) with its own HOME.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from frogml_airflow_provider.cli import main
from frogml_airflow_provider.dags.loading import load_automations
from frogml_airflow_provider.export.native import automation_spec

if importlib.util.find_spec("frogml") is None:  # importorskip without importing (and running) the SDK
    pytest.skip("the frogml SDK is not installed (pip install .[test])", allow_module_level=True)

pytestmark = pytest.mark.sdk

HELPER = Path(__file__).with_name("sdk_dump.py")
GIT = "https://github.com/org/models.git#churn"

QWAK_FILES = {
    # from-import, cron, BuildMetric, CPU build, Slack + POST webhook
    "weekly.py": f"""
from qwak.automations import Automation, ScheduledTrigger, QwakBuildDeploy, BuildSpecifications, \\
    BuildMetric, ThresholdDirection, DeploymentSpecifications, CpuResources, SlackNotification, CustomWebhook

weekly = Automation(
    name="weekly",
    model_id="churn",
    trigger=ScheduledTrigger(cron="0 0 * * 0"),
    action=QwakBuildDeploy(
        build_spec=BuildSpecifications(git_uri="{GIT}", resources=CpuResources(cpu_fraction=3, memory="6Gi")),
        deployment_condition=BuildMetric(metric_name="f1", direction=ThresholdDirection.ABOVE, threshold="0.65"),
        deployment_spec=DeploymentSpecifications(number_of_pods=3),
    ),
    on_error=SlackNotification(webhook="https://hooks.slack.com/services/T0/B0/x"),
    on_success=CustomWebhook(url="https://hooks.example.com/done", http_method="POST", data={{"a": "1"}}),
)
""",
    # module alias, interval, positional QwakBuildDeploy, GPU build and deployment
    "daily.py": f"""
import qwak.automations as qa

daily = qa.Automation(
    name="daily",
    model_id="churn",
    trigger=qa.ScheduledTrigger(interval="Daily"),
    action=qa.QwakBuildDeploy(
        qa.BuildSpecifications(git_uri="{GIT}", resources=qa.GpuResources(gpu_type="NVIDIA_T4", gpu_amount=1)),
        qa.BuildMetric(metric_name="auc", direction=qa.ThresholdDirection.BELOW, threshold="0.9"),
        qa.DeploymentSpecifications(gpu_resources=qa.GpuResources(gpu_type="NVIDIA_A10G", gpu_amount=2)),
    ),
)
""",
    # submodules, metric-based, DeployedBuildMetric, client-pod instance
    "drift.py": f"""
from qwak.automations.automations import Automation, MetricBasedTrigger, SqlMetric
from qwak.automations.build_and_deploy_action import (
    QwakBuildDeploy,
    BuildSpecifications,
    ClientResources,
    DeployedBuildMetric,
    DeploymentSpecifications,
)
from qwak.automations.common import ThresholdDirection

drift = Automation(
    name="drift",
    model_id="fraud",
    trigger=MetricBasedTrigger(
        name="drift",
        metric=SqlMetric(sql_query="SELECT avg(drift) FROM predictions"),
        direction=ThresholdDirection.ABOVE_OR_EQUALS,
        threshold="0.3",
        override_cron="*/30 * * * *",
    ),
    action=QwakBuildDeploy(
        BuildSpecifications(git_uri="{GIT}", resources=ClientResources(instance="medium")),
        DeployedBuildMetric(metric_name="precision", direction=ThresholdDirection.EQUALS, variation="shadow"),
        DeploymentSpecifications(instance="gpu.a10.8xl", variation_name="shadow"),
    ),
)
""",
    # dotted, none trigger, batch with Qwak's positional data specification
    "scores.py": """
import qwak.automations

scores = qwak.automations.Automation(
    name="scores",
    model_id="churn",
    trigger=qwak.automations.NoneTrigger(),
    action=qwak.automations.BatchExecution(
        data_specifications=qwak.automations.BatchJobDataSpecifications(
            "token-secret", "key-secret", "in-bucket", "in/", "CSV", "out-bucket", "out/", "PARQUET"
        ),
        execution_specifications=qwak.automations.BatchJobExecutionSpecifications(
            executors=4, cpu=2, memory="4Gi", params={"day": "today"}
        ),
    ),
)
""",
    # star, on-boarding, batch on GPU
    "onboard.py": """
from qwak.automations import *
from qwak.automations.automations import OnBoardingTrigger

onboard = Automation(
    name="onboard",
    model_id="churn",
    trigger=OnBoardingTrigger(),
    action=BatchExecution(
        data_specifications=BatchJobDataSpecifications(
            source_bucket="in", input_file_type="CSV", destination_bucket="out", output_file_type="CSV"
        ),
        execution_specifications=BatchJobExecutionSpecifications(executors=1, gpu_type="NVIDIA_T4", gpu_amount=1),
    ),
)
""",
}
NAMES = sorted(path[:-3] for path in QWAK_FILES)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("qwak")
    qwak_folder, upgraded = root / "qwak", root / "upgraded"
    qwak_folder.mkdir()
    for name, source in QWAK_FILES.items():
        (qwak_folder / name).write_text(source)
    shutil.copytree(qwak_folder, upgraded)
    assert main(["upgrade", str(upgraded), "--write"]) == 0
    for label, folder in (("qwak", qwak_folder), ("upgraded", upgraded)):
        assert main(["export", str(folder), "--format", "json", "--out", str(root / f"json_{label}")]) == 0
    return {"root": root, "qwak": qwak_folder, "upgraded": upgraded}


@pytest.fixture(scope="module")
def sdk(folders: dict[str, Path]) -> dict[str, Any]:
    home = folders["root"] / "home"
    home.mkdir()
    done = subprocess.run(
        [sys.executable, str(HELPER)],
        input=json.dumps({"folders": {"upgraded": str(folders["upgraded"])}}),
        env={**os.environ, "HOME": str(home), "PYTHONWARNINGS": "ignore"},
        cwd=home,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)["folders"]["upgraded"]


@pytest.fixture(scope="module")
def ours(folders: dict[str, Path]) -> dict[str, dict[str, Any]]:
    report = load_automations(folders["qwak"])
    assert report.ok, [str(error) for error in report.errors]
    return {item.automation.name: automation_spec(item.automation) for item in report.automations}


def test_the_upgraded_files_use_no_qwak_name(folders: dict[str, Path]) -> None:
    for path in folders["upgraded"].glob("*.py"):
        assert "qwak" not in path.read_text().lower(), path.name


def test_every_qwak_file_loads_and_the_sdk_loads_every_upgraded_one(ours: dict, sdk: dict) -> None:
    assert sorted(ours) == NAMES
    assert sorted(sdk) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_a_qwak_file_gives_the_sdks_spec_of_the_upgraded_file(name: str, ours: dict, sdk: dict) -> None:
    assert ours[name] == sdk[name]["dict"]


@pytest.mark.parametrize("name", NAMES)
def test_export_of_a_qwak_file_equals_export_of_the_upgraded_file(name: str, folders: dict[str, Path]) -> None:
    root = folders["root"]
    assert (root / "json_qwak" / f"{name}.json").read_text() == (root / "json_upgraded" / f"{name}.json").read_text()


def test_every_action_and_trigger_kind_is_covered(sdk: dict) -> None:
    specs = json.dumps([entry["dict"] for entry in sdk.values()])
    for needle in ['"cron"', '"interval"', '"metricBasedTrigger"', '"noneTrigger"', '"onBoardingTrigger"']:
        assert needle in specs, needle
    for needle in ['"buildDeploy"', '"batchExecution"', '"buildMetric"', '"deployedBuildMetric"']:
        assert needle in specs, needle
    assert '"sourceBucket": "in-bucket"' in specs  # Qwak's positional order, as the SDK reads the upgraded file
