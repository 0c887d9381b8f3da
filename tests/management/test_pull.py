"""``pull`` against the SDK's own mock: registered automations come back as files that load, and
export to the spec JFrog ML holds; secrets stay environment references."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.jfrog import HEADER, HOOK_URL, WEBHOOK, batch, build

Cli = Callable[..., SimpleNamespace]


def exported(cli: Cli, path: Path, out: Path) -> dict[str, Any]:
    done = cli("export", path, "--format", "json", "--out", out)
    assert done.code == 0, done.err
    specs = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    for spec in specs.values():
        spec.pop("isSdkV1", None)  # set by the platform on every write, not by the file
    return specs


def test_pulled_automations_load_and_export_to_the_registered_spec(
    mock: Any, folder: Callable[..., Path], cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = folder(churn=build("churn_retrain"), scoring=batch("nightly_scoring"))
    assert cli("register", original, "--yes").code == 0
    done = cli("pull", "--out", tmp_path / "pulled")
    assert done.code == 0, done.err
    files = sorted(p.name for p in (tmp_path / "pulled").glob("*.py"))
    assert files == ["churn_retrain.py", "nightly_scoring.py"]
    text = "".join(p.read_text() for p in (tmp_path / "pulled").glob("*.py"))
    assert WEBHOOK not in text and HOOK_URL not in text and "os.environ[" in text
    variables = [line.strip() for line in done.out.splitlines() if line.strip().startswith("FROGML_SECRET_")]
    assert sorted(variables) == [  # the variables to set are named
        "FROGML_SECRET_CHURN_RETRAIN_ON_ERROR_WEBHOOK",
        "FROGML_SECRET_NIGHTLY_SCORING_ON_SUCCESS_HEADERS_AUTHORIZATION",
        "FROGML_SECRET_NIGHTLY_SCORING_ON_SUCCESS_URL",
    ]
    for variable, value in zip(sorted(variables), [WEBHOOK, HEADER, HOOK_URL], strict=True):
        monkeypatch.setenv(variable, value)
    assert cli("validate", tmp_path / "pulled").code == 0
    assert exported(cli, tmp_path / "pulled", tmp_path / "a") == exported(cli, original, tmp_path / "b")


def test_pull_by_name_writes_only_those_and_names_a_missing_one(
    mock: Any, folder: Callable[..., Path], cli: Cli, tmp_path: Path
) -> None:
    assert cli("register", folder(churn=build("churn_retrain"), scoring=batch("nightly_scoring")), "--yes").code == 0
    done = cli("pull", "nightly_scoring", "--out", tmp_path / "one")
    assert done.code == 0, done.err
    assert [p.name for p in (tmp_path / "one").glob("*.py")] == ["nightly_scoring.py"]
    missing = cli("pull", "no_such", "--out", tmp_path / "two")
    assert missing.code == 1 and "no_such" in missing.err
    assert not (tmp_path / "two").exists() or not list((tmp_path / "two").iterdir())


def test_pull_refuses_to_overwrite_a_file_without_overwrite(
    mock: Any, folder: Callable[..., Path], cli: Cli, tmp_path: Path
) -> None:
    assert cli("register", folder(churn=build("churn_retrain")), "--yes").code == 0
    out = tmp_path / "pulled"
    assert cli("pull", "--out", out).code == 0
    (out / "churn_retrain.py").write_text("# mine\n")
    again = cli("pull", "--out", out)
    assert again.code != 0 and "churn_retrain.py" in again.err
    assert (out / "churn_retrain.py").read_text() == "# mine\n"
    assert cli("pull", "--out", out, "--overwrite").code == 0
    assert "Automation(" in (out / "churn_retrain.py").read_text()


METRIC = """
retrain_on_drift = Automation(
    name="retrain_on_drift",
    model_id="churn",
    trigger=MetricBasedTrigger(
        name="drift",
        metric=SqlMetric(sql_query="SELECT avg(drift) FROM churn"),
        direction=ThresholdDirection.BELOW_OR_EQUALS,
        threshold="SELECT 0.3",
        override_cron="*/5 * * * *",
    ),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="https://github.com/acme/models.git#churn"),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.7"),
        DeploymentSpecifications(number_of_pods=1),
    ),
)
"""


def test_a_metric_automation_is_pulled_into_a_file_that_exports_to_its_spec(
    mock: Any, folder: Callable[..., Path], cli: Cli, tmp_path: Path
) -> None:
    original = folder(drift=METRIC)
    assert cli("register", original, "--yes").code == 0
    done = cli("pull", "--out", tmp_path / "pulled")
    assert done.code == 0, done.err
    text = (tmp_path / "pulled" / "retrain_on_drift.py").read_text()
    assert "MetricBasedTrigger(" in text and "*/5 * * * *" in text and "SELECT avg(drift) FROM churn" in text
    assert cli("validate", tmp_path / "pulled").code == 0
    assert exported(cli, tmp_path / "pulled", tmp_path / "a") == exported(cli, original, tmp_path / "b")
