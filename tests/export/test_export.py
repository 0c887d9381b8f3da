"""``export``: file names, secret references, and Python files that load back (here through our own
loader, pure; through the real SDK in ``test_sdk_equality``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from frogml_airflow_provider.dags.loading import LoadReport, load_automations
from frogml_airflow_provider.errors import ExportError
from frogml_airflow_provider.export.files import export_files, file_stem, python_source
from frogml_airflow_provider.export.files import write_files as write_exported
from frogml_airflow_provider.export.native import automation_spec, secret_fields
from tests.export.corpus import CORPUS, NAMES, SECRETS

SLACK = """
from frogml.core.automations import *
{var} = Automation(name={name!r}, model_id="m", trigger=NoneTrigger(),
    action=FrogmlBuildDeploy(BuildSpecifications(git_uri="https://g/r.git"),
        BuildMetric("f1", ThresholdDirection.ABOVE, "0.5"), DeploymentSpecifications()),
    on_error=SlackNotification(webhook="https://hooks.slack.com/SECRET-{var}"))
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> LoadReport:
    folder = tmp_path_factory.mktemp("automations")
    (folder / "corpus.py").write_text(CORPUS)
    report = load_automations(folder)
    assert report.errors == ()
    return report


def specs(report: LoadReport) -> dict[str, Any]:
    return {item.automation.name: automation_spec(item.automation) for item in report.automations}


def automations(write_files: Any, names: list[str]) -> LoadReport:
    sources = {f"f{i}.py": SLACK.format(var=f"a{i}", name=name) for i, name in enumerate(names)}
    report = load_automations(write_files(sources))
    assert report.errors == ()
    return report


@pytest.mark.parametrize(
    ("name", "fmt", "stem"),
    [
        ("churn_retrain", "json", "churn_retrain"),
        ("every build field", "python", "every build field"),
        ("team/churn", "json", "team_churn"),
        ("a\\b:c*d?", "json", "a_b_c_d_"),
        (".hidden", "python", "_.hidden"),  # a dot file would be skipped when loading a folder
        ("setup", "python", "setup_automation"),  # `frogml automations register` skips setup.py
        ("setup", "json", "setup"),
    ],
)
def test_file_names(name: str, fmt: Any, stem: str) -> None:
    assert file_stem(name, fmt) == stem


def test_two_automations_wanting_one_file_are_refused(write_files: Any) -> None:
    report = automations(write_files, ["Churn", "churn"])
    with pytest.raises(
        ExportError, match=r"'Churn' \(f0.py\) and 'churn' \(f1.py\) would both be written to churn.json"
    ):
        export_files(report, "json")


def test_unknown_format_is_refused(corpus: LoadReport) -> None:
    with pytest.raises(ExportError, match="unknown format 'yaml'"):
        export_files(corpus, "yaml")  # type: ignore[arg-type]


def test_secret_variables_are_named_after_automation_slot_and_field_and_never_clash(write_files: Any) -> None:
    report = automations(write_files, ["churn-a", "churn_a"])
    [first, second] = export_files(report, "json")
    assert [s.variable for s in first.secrets] == ["FROGML_SECRET_CHURN_A_ON_ERROR_WEBHOOK"]
    assert [s.variable for s in second.secrets] == ["FROGML_SECRET_CHURN_A_ON_ERROR_WEBHOOK_2"]
    assert '"webhook": "${FROGML_SECRET_CHURN_A_ON_ERROR_WEBHOOK}"' in first.text


def test_every_secret_of_the_corpus_is_referenced_by_default(corpus: LoadReport) -> None:
    for fmt in ("json", "python"):
        files = export_files(corpus, fmt)
        assert len(files) == len(NAMES)
        text = "".join(file.text for file in files)
        assert not [secret for secret in SECRETS if secret in text], fmt
        for file, item in zip(files, corpus.automations, strict=True):
            assert [s.path for s in file.secrets] == [field.path for field, _ in secret_fields(item.automation)]
            assert all(s.variable and s.variable.startswith("FROGML_SECRET_") for s in file.secrets)
            for secret in file.secrets:
                reference = f"${{{secret.variable}}}" if fmt == "json" else f'os.environ["{secret.variable}"]'
                assert reference in file.text


def test_include_secrets_writes_them_as_given(corpus: LoadReport) -> None:
    files = export_files(corpus, "python", include_secrets=True)
    text = "".join(file.text for file in files)
    assert all(secret in text for secret in SECRETS)
    assert "os.environ" not in text and "import os" not in text
    assert all(s.variable is None for file in files for s in file.secrets)


@pytest.mark.parametrize("include_secrets", [True, False])
def test_python_files_load_back_to_the_same_spec(
    corpus: LoadReport, include_secrets: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = export_files(corpus, "python", include_secrets=include_secrets)
    for file, item in zip(files, corpus.automations, strict=True):
        values = {field.path: value for field, value in secret_fields(item.automation)}
        for secret in file.secrets:
            if secret.variable:
                monkeypatch.setenv(secret.variable, values[secret.path])
    write_exported(files, tmp_path / "out")
    reloaded = load_automations(tmp_path / "out")
    assert reloaded.errors == ()
    assert specs(reloaded) == specs(corpus)
    descriptions = {item.automation.name: item.automation.description for item in reloaded.automations}
    assert descriptions["interval_gpu"] == "the SDK drops this"  # kept in Python, although never sent


def test_a_missing_secret_variable_stops_the_load_naming_it(write_files: Any, tmp_path: Path) -> None:
    write_exported(export_files(automations(write_files, ["churn"]), "python"), tmp_path / "out")
    reloaded = load_automations(tmp_path / "out")
    assert [item.automation.name for item in reloaded.automations] == []
    [error] = reloaded.errors
    assert "FROGML_SECRET_CHURN_ON_ERROR_WEBHOOK" in str(error)


def test_python_writes_only_what_differs_from_the_sdks_defaults(write_files: Any) -> None:
    [loaded] = automations(write_files, ["churn"]).automations
    assert python_source(loaded.automation, {}, source="f0.py") == (
        "# JFrog ML automation 'churn', exported by `frogml-airflow export` from f0.py\n"
        "# Register it with `frogml automations register -p <this folder>`.\n"
        "\n"
        "from frogml.core.automations import (\n"
        "    Automation,\n"
        "    BuildMetric,\n"
        "    BuildSpecifications,\n"
        "    DeploymentSpecifications,\n"
        "    FrogmlBuildDeploy,\n"
        "    NoneTrigger,\n"
        "    SlackNotification,\n"
        ")\n"
        "\n"
        "automation = Automation(\n"
        '    name="churn",\n'
        '    model_id="m",\n'
        "    trigger=NoneTrigger(),\n"
        "    action=FrogmlBuildDeploy(\n"
        '        build_spec=BuildSpecifications(git_uri="https://g/r.git"),\n'
        '        deployment_condition=BuildMetric(metric_name="f1", threshold="0.5"),\n'  # ABOVE: the default
        "        deployment_spec=DeploymentSpecifications(),\n"
        "    ),\n"
        '    on_error=SlackNotification(webhook="https://hooks.slack.com/SECRET-a0"),\n'
        ")\n"
    )


def test_python_imports_the_classes_the_sdk_does_not_export_from_where_they_live(corpus: LoadReport) -> None:
    text = {file.automation: file.text for file in export_files(corpus, "python")}
    assert "from frogml.core.automations.automations import OnBoardingTrigger\n" in text["onboarding_client_cpu"]
    assert (
        "from frogml.core.automations.build_and_deploy_action import DeployedBuildMetric\n" in text["metric_instance"]
    )
    assert "    ClientResources,\n" in text["metric_instance"]  # from the package, as the SDK allows


HEADERS = """
from frogml.core.automations import *
automation = Automation(name="hooked", model_id="m", trigger=NoneTrigger(),
    action=FrogmlBuildDeploy(BuildSpecifications(git_uri="https://g/r.git"),
        BuildMetric("f1", ThresholdDirection.ABOVE, "0.5"), DeploymentSpecifications()),
    on_success=CustomWebhook(url="https://h/S3CR3T-url", http_method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer S3CR3T-token"}))
"""


@pytest.mark.parametrize("fmt", ["json", "python"])
def test_only_credential_headers_become_secret_variables(write_files: Any, fmt: Any) -> None:
    [exported] = export_files(load_automations(write_files({"hooked.py": HEADERS})), fmt)
    assert [s.path for s in exported.secrets] == ["on_success.url", "on_success.headers['Authorization']"]
    assert "S3CR3T" not in exported.text
    assert '"Content-Type": "application/json"' in exported.text  # JSON and Python write it alike
    assert "FROGML_SECRET_HOOKED_ON_SUCCESS_HEADERS_AUTHORIZATION" in exported.text
    assert "CONTENT_TYPE" not in exported.text


LONG_NAMES = ["模型再训练" * 25 + "ünï", "模型再训练" * 25 + "üñï", "🐸" * 128]  # 128 characters each


def test_a_long_non_ascii_name_gets_a_bounded_readable_unique_stable_file_name(
    write_files: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert all(len(name) == 128 for name in LONG_NAMES)
    report = automations(write_files, LONG_NAMES)  # validate accepts them: the loader does
    for fmt, suffix in (("json", ".json"), ("python", ".py")):
        files = export_files(report, fmt)
        names = [file.name for file in files]
        assert all(len(name.encode("utf-8")) <= 255 for name in names), names
        assert len(set(names)) == 3 and names[0].startswith("模型再训练模型再训练")  # unique, readable
        assert names == [file.name for file in export_files(report, fmt)]  # stable
        written = write_exported(files, tmp_path / fmt)  # no "File name too long"
        for secret in (secret for file in files for secret in file.secrets if secret.variable):
            monkeypatch.setenv(str(secret.variable), "https://hooks.slack.com/SECRET")
        assert sorted(path.name for path in written) == sorted(names) and all(n.endswith(suffix) for n in names)
    reloaded = load_automations(tmp_path / "python")
    assert reloaded.errors == () and sorted(a.automation.name for a in reloaded.automations) == sorted(LONG_NAMES)
