"""Export works without the frogml SDK: ``native`` and ``export`` import no frogml, protobuf or
Airflow, and a whole export (both formats, through the CLI) runs in a fresh interpreter where
importing any of them fails, as on a machine without the SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.export.corpus import CORPUS, NAMES

SCRIPT = """
import importlib.abc, json, sys

HEAVY = ("frogml", "google", "grpc", "airflow")


def heavy():
    return sorted(n for n in sys.modules if n.split(".")[0] in HEAVY)


class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in HEAVY:
            raise ModuleNotFoundError(f"No module named {fullname!r} (blocked by the test)", name=fullname)
        return None


sys.meta_path.insert(0, NotInstalled())
import frogml_airflow_provider.export.native, frogml_airflow_provider.export.files
after_import = heavy()
from frogml_airflow_provider.cli import main

codes = [main(["export", sys.argv[1], "--format", fmt, "--out", f"{sys.argv[2]}/{fmt}"]) for fmt in ("json", "python")]
print(json.dumps({"after_import": after_import, "after_export": heavy(), "codes": codes}))
"""


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    work = tmp_path_factory.mktemp("pure")
    home = work / "home"
    home.mkdir()
    (work / "automations").mkdir()
    (work / "automations" / "corpus.py").write_text(CORPUS)
    env = {**os.environ, "HOME": str(home), "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT), str(work / "automations"), str(work / "out")],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["out"] = str(work / "out")
    result["home_entries"] = sorted(p.name for p in home.iterdir())
    return result


def test_native_and_export_import_no_sdk_protobuf_or_airflow(fresh: dict[str, object]) -> None:
    assert fresh["after_import"] == []


def test_a_whole_export_runs_where_the_sdk_cannot_be_imported(fresh: dict[str, object]) -> None:
    assert fresh["codes"] == [0, 0]
    assert fresh["after_export"] == []
    assert fresh["home_entries"] == []  # the SDK would have created ~/.frogml
    out = Path(str(fresh["out"]))
    assert sorted(p.stem for p in (out / "json").iterdir()) == sorted(NAMES)
    assert sorted(p.stem for p in (out / "python").iterdir()) == sorted(NAMES)
