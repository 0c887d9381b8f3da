"""Without the ``[frogml]`` extra: the JFrog ML commands say what to install (exit 2), while the
commands that never need the SDK keep working. Run in a fresh interpreter where every import of
``frogml`` fails, as it does when the SDK is not installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.jfrog import HEADER_LINE, build

# A -c wrapper: a meta-path finder that refuses frogml (and the SDK's test double) before anything runs.
WRAPPER = """
import sys

class NoFrogml:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("frogml", "frogml_services_mock"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoFrogml())
from frogml_airflow_provider.cli import main

sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def automations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("automations")
    (folder / "churn.py").write_text(HEADER_LINE + build("churn_retrain"))
    return folder


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONWARNINGS": "ignore"}
    if os.environ.get("PYTHONPATH"):  # a checkout's code first, as in this process (not the installed one)
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run(
        [sys.executable, "-c", WRAPPER, *args], capture_output=True, text=True, timeout=120, env=env, cwd=home
    )


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["register", "{path}", "--yes"], id="register"),
        pytest.param(["register", "{path}", "--dry-run"], id="register-dry-run"),
        pytest.param(["list"], id="list"),
        pytest.param(["pause", "churn_retrain"], id="pause"),
        pytest.param(["run", "churn_retrain"], id="run"),
        pytest.param(["executions", "churn_retrain"], id="executions"),
    ],
)
def test_the_jfrog_ml_commands_say_what_to_install(automations: Path, tmp_path: Path, args: list[str]) -> None:
    done = run(*(arg.format(path=automations) for arg in args), home=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "the frogml SDK, which is not installed" in done.stderr
    assert "pip install 'airflow-provider-frogml[frogml]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / ".frogml").exists()  # the SDK was never imported


def test_validate_still_works_there(automations: Path, tmp_path: Path) -> None:
    """The finder really blocks only the SDK: the automation files still load (the provider's shim)."""
    done = run("validate", str(automations), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 automation(s) valid" in done.stdout
