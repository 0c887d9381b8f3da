"""``frogml-airflow export``, run as a user runs it (the installed console script): what it writes,
what it says, its exit codes, and that no secret reaches the terminal or, by default, a file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.export.corpus import CORPUS, NAMES, SECRETS

BROKEN = """
from frogml.core.automations import *
a = Automation(name="broken", model_id="m", trigger=ScheduledTrigger(cron="0 0 * *"),
    action=FrogmlBuildDeploy(BuildSpecifications(git_uri="https://g/r.git"),
        BuildMetric("f1", ThresholdDirection.ABOVE, "0.5"), DeploymentSpecifications()),
    on_error=SlackNotification(webhook="hooks.slack.com/SECRET-in-a-broken-file"))
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("frogml-airflow")
    assert exe.exists(), "the console script is installed with the package"
    return subprocess.run([str(exe), "export", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "automations"
    folder.mkdir()
    (folder / "corpus.py").write_text(CORPUS)
    return folder


def everything_written(folder: Path) -> str:
    return "".join(path.read_text() for path in sorted(folder.rglob("*")) if path.is_file())


def assert_no_secret(text: str) -> None:
    assert [secret for secret in SECRETS if secret in text] == []


@pytest.mark.parametrize("fmt", ["json", "python"])
def test_default_export_writes_one_file_per_automation_and_leaves_every_secret_out(
    corpus: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "out"
    done = run(str(corpus), "--format", fmt, "--out", str(out))
    assert done.returncode == 0, done.stderr
    suffix = "json" if fmt == "json" else "py"
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.{suffix}" for name in NAMES)
    assert_no_secret(everything_written(out) + done.stdout + done.stderr)
    assert f"ok     corpus.py: cron_default_cpu -> {out / f'cron_default_cpu.{suffix}'}" in done.stdout
    left_out = "       secret on_error.webhook left out: set FROGML_SECRET_CRON_DEFAULT_CPU_ON_ERROR_WEBHOOK before"
    assert left_out + " registering" in done.stdout
    assert (
        "secret on_error.headers['X-Api-Key'] left out: set FROGML_SECRET_METRIC_INSTANCE_ON_ERROR_HEADERS_X_API_KEY"
        in (done.stdout)
    )
    assert f"{len(NAMES)} automation(s) exported as {fmt} to {out}" in done.stdout
    if fmt == "json":
        spec = json.loads((out / "cron_default_cpu.json").read_text())
        webhook = spec["onError"]["postSlackNotification"]["webhook"]
        assert webhook == "${FROGML_SECRET_CRON_DEFAULT_CPU_ON_ERROR_WEBHOOK}"
        assert "envsubst '$FROGML_SECRET_CRON_DEFAULT_CPU_ON_ERROR_WEBHOOK " in done.stdout
    else:
        assert (
            'os.environ["FROGML_SECRET_CRON_DEFAULT_CPU_ON_ERROR_WEBHOOK"]' in (out / "cron_default_cpu.py").read_text()
        )


def test_include_secrets_writes_them_but_never_prints_them(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run(str(corpus), "--out", str(out), "--include-secrets")
    assert done.returncode == 0, done.stderr
    assert all(secret in everything_written(out) for secret in SECRETS)
    assert_no_secret(done.stdout + done.stderr)
    assert "       secret on_error.webhook written as given (--include-secrets)" in done.stdout
    assert "holds secrets in clear text" in done.stderr


def test_any_invalid_automation_means_every_error_printed_and_nothing_written(corpus: Path, tmp_path: Path) -> None:
    (corpus / "broken.py").write_text(BROKEN)
    (corpus / "crash.py").write_text("raise RuntimeError('boom')\n")
    out = tmp_path / "out"
    done = run(str(corpus), "--out", str(out))
    assert done.returncode == 1
    assert not out.exists()
    assert "broken.py:3: invalid automation 'broken' (2 problems)" in done.stderr
    assert "on_error.webhook = <hidden>" in done.stderr
    assert "crash.py:1: RuntimeError: boom" in done.stderr
    assert f"nothing written to {out}" in done.stderr
    assert done.stdout == ""
    assert_no_secret(done.stderr)
    assert "SECRET-in-a-broken-file" not in done.stderr


def test_duplicate_names_are_refused(corpus: Path, tmp_path: Path) -> None:
    (corpus / "again.py").write_text(CORPUS.replace('name="batch_gpu"', 'name="batch_gpu_again"'))
    done = run(str(corpus), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "is defined also in" in done.stderr
    assert not (tmp_path / "out").exists()


def test_two_automations_wanting_one_file_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "automations"
    folder.mkdir()
    (folder / "corpus.py").write_text(CORPUS.replace('name="batch_gpu"', 'name="BATCH_DEFAULT"'))
    done = run(str(folder), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "would both be written to BATCH_DEFAULT.json" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing path", "no such file or folder"),
        ("out is a file", "exists and is not a folder"),
        ("python into the automations folder", "would define every automation a second time"),
    ],
)
def test_usage_errors_exit_2_and_write_nothing(corpus: Path, tmp_path: Path, case: str, message: str) -> None:
    args = {
        "missing path": [str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")],
        "out is a file": [str(corpus), "--out", str(corpus / "corpus.py")],
        "python into the automations folder": [str(corpus), "--format", "python", "--out", str(corpus / "exported")],
    }[case]
    done = run(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert sorted(p.name for p in corpus.iterdir()) == ["corpus.py"]
    assert not (tmp_path / "out").exists()


def test_a_single_file_and_an_existing_folder(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    done = run(str(corpus / "corpus.py"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert len(list(out.glob("*.json"))) == len(NAMES)
    assert (out / "keep.txt").read_text() == "mine"


def test_format_and_out_are_checked_by_the_parser(corpus: Path) -> None:
    assert run(str(corpus), "--format", "yaml", "--out", "x").returncode == 2
    assert run(str(corpus)).returncode == 2  # --out is required


MACHINE_LOCAL = """
from frogml.core.automations import *

def build(name, uri):
    return Automation(name=name, model_id="m", trigger=ScheduledTrigger(interval="Daily"),
        action=FrogmlBuildDeploy(BuildSpecifications(git_uri=uri),
            BuildMetric("f1", ThresholdDirection.ABOVE, "0.5"), DeploymentSpecifications()))

on_disk = build("on_disk", "/srv/git/churn.git")
file_url = build("file_url", "file:///srv/git/churn.git#models/churn")
reachable = build("reachable", "git@github.com:org/churn.git")
batch = Automation(name="batch", model_id="m", trigger=ScheduledTrigger(interval="Daily"),
    action=BatchExecution(data_specifications=BatchJobDataSpecifications(
        source_bucket="file://reader:pa55w0rd@nas/in", source_folder="in", input_file_type="csv",
        destination_bucket="/data/scores", output_file_type="csv")))
"""


def test_export_warns_about_paths_only_this_machine_has_and_strict_refuses_them(tmp_path: Path) -> None:
    folder = tmp_path / "automations"
    folder.mkdir()
    (folder / "local.py").write_text(MACHINE_LOCAL)
    out = tmp_path / "out"
    done = run(str(folder), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in out.iterdir()) == [
        "batch.json",
        "file_url.json",
        "on_disk.json",
        "reachable.json",
    ]
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning")]
    assert warnings == [
        "warning local.py:9: automation 'on_disk': action.build_spec.git_uri = '/srv/git/churn.git' is a "
        "repository on this machine; JFrog ML clones git_uri on its own machines: give a URL it can reach "
        "(https://host/org/repo.git)",
        "warning local.py:10: automation 'file_url': action.build_spec.git_uri = "
        "'file:///srv/git/churn.git#models/churn' is a repository on this machine; JFrog ML clones git_uri on "
        "its own machines: give a URL it can reach (https://host/org/repo.git)",
        "warning local.py:12: automation 'batch': action.data_specifications.source_bucket = "
        "'file://<credentials>@nas/in' is a folder on this machine; JFrog ML reads and writes buckets of object "
        "storage: give a bucket name",
        "warning local.py:12: automation 'batch': action.data_specifications.destination_bucket = '/data/scores' "
        "is a folder on this machine; JFrog ML reads and writes buckets of object storage: give a bucket name",
    ]
    assert "pa55w0rd" not in done.stdout + done.stderr
    assert "(--strict refuses them)" in done.stderr and "warning" not in done.stdout
    strict_out = tmp_path / "strict"
    refused = run(str(folder), "--out", str(strict_out), "--strict")
    assert refused.returncode == 1
    assert not strict_out.exists()
    assert refused.stderr.count("error  local.py") == 4 and "nothing written" in refused.stderr
    assert "pa55w0rd" not in refused.stdout + refused.stderr
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "ok.py").write_text(MACHINE_LOCAL.split("on_disk =")[0] + 'ok = build("ok", "https://g.example/r.git")\n')
    fine = run(str(clean), "--out", str(tmp_path / "clean_out"), "--strict")
    assert fine.returncode == 0 and fine.stderr == "", fine.stderr
