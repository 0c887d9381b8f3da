"""``frogml-airflow upgrade``: Qwak-era files rewritten to the frogml names, by the syntax tree.

Each rewrite is checked three ways: the exact text expected (comments, layout and line endings
kept), idempotence (upgrading the result changes nothing), and meaning (the upgraded file loads to
the same spec as the Qwak file did).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from frogml_airflow_provider.cli import main
from frogml_airflow_provider.dags.loading import load_automations
from frogml_airflow_provider.export.native import automation_spec
from frogml_airflow_provider.upgrade import upgrade_source

BUILD = (
    "BuildSpecifications(git_uri='https://github.com/o/r.git'), BuildMetric(metric_name='f1', threshold='1'), "
    "DeploymentSpecifications()"
)
REWRITES = {
    "from-import": (
        "from qwak.automations import Automation, QwakBuildDeploy  # the names\nx = QwakBuildDeploy\n",
        "from frogml.core.automations import Automation, FrogmlBuildDeploy  # the names\nx = FrogmlBuildDeploy\n",
    ),
    "parenthesised, one name a line, comments kept": (
        "from qwak.automations import (  # all of them\n    Automation,\n    QwakBuildDeploy,  # build, deploy\n)\n",
        "from frogml.core.automations import (  # all of them\n"
        "    Automation,\n    FrogmlBuildDeploy,  # build, deploy\n)\n",
    ),
    "aliased class keeps its alias": (
        "from qwak.automations import QwakBuildDeploy as BD\nx = BD\n",
        "from frogml.core.automations import FrogmlBuildDeploy as BD\nx = BD\n",
    ),
    "submodule": (
        "from qwak.automations.build_and_deploy_action import QwakBuildDeploy\n",
        "from frogml.core.automations.build_and_deploy_action import FrogmlBuildDeploy\n",
    ),
    "odd spacing and a continuation": (
        "from qwak . automations.common \\\n    import ThresholdDirection\n",
        "from frogml.core.automations.common \\\n    import ThresholdDirection\n",
    ),
    "module alias": (
        "import qwak.automations as qa\nx = qa.QwakBuildDeploy\ny = qa.Automation\n",
        "import frogml.core.automations as qa\nx = qa.FrogmlBuildDeploy\ny = qa.Automation\n",
    ),
    "dotted": (
        "import qwak.automations\nx = qwak.automations.QwakBuildDeploy\n"
        "y = qwak.automations.common.ThresholdDirection\n",
        "import frogml.core.automations\nx = frogml.core.automations.FrogmlBuildDeploy\n"
        "y = frogml.core.automations.common.ThresholdDirection\n",
    ),
    "the package from qwak": (
        "from qwak import automations as a\nx = a.QwakBuildDeploy\n",
        "from frogml.core import automations as a\nx = a.FrogmlBuildDeploy\n",
    ),
    "bare import qwak used for the automations only": (
        "import qwak\nx = qwak.automations.QwakBuildDeploy\n",
        "import frogml.core.automations\nx = frogml.core.automations.FrogmlBuildDeploy\n",
    ),
    "star import": (
        "from qwak.automations import *\nx = QwakBuildDeploy(" + BUILD + ")\n",
        "from frogml.core.automations import *\nx = FrogmlBuildDeploy(" + BUILD + ")\n",
    ),
    "half-migrated": (
        "from frogml.core.automations import Automation, QwakBuildDeploy\nx = QwakBuildDeploy\n",
        "from frogml.core.automations import Automation, FrogmlBuildDeploy\nx = FrogmlBuildDeploy\n",
    ),
    "non-ASCII before the name on its line": (
        "from qwak.automations import *\nx = {'é': QwakBuildDeploy, 'ü': qwak_other}\n",
        "from frogml.core.automations import *\nx = {'é': FrogmlBuildDeploy, 'ü': qwak_other}\n",
    ),
    "strings and comments stay": (
        "# QwakBuildDeploy from qwak.automations\nfrom qwak.automations import QwakBuildDeploy\n"
        "doc = 'QwakBuildDeploy'\n",
        "# QwakBuildDeploy from qwak.automations\nfrom frogml.core.automations import FrogmlBuildDeploy\n"
        "doc = 'QwakBuildDeploy'\n",
    ),
    "a Qwak class of the same name defined by the file is its own": (
        "from qwak.automations import *\nclass QwakBuildDeploy: ...\nx = QwakBuildDeploy\n",
        "from frogml.core.automations import *\nclass QwakBuildDeploy: ...\nx = QwakBuildDeploy\n",
    ),
    "batch buckets by position: Qwak's order as keywords": (
        "from qwak.automations import BatchJobDataSpecifications as D\n"
        "d = D('tok', 'sec',\n      ('in'),  # input\n      'in/', 'csv', 'out', 'out/', output_file_type='csv')\n",
        "from frogml.core.automations import BatchJobDataSpecifications as D\n"
        "d = D('tok', 'sec',\n      source_bucket=('in'),  # input\n      source_folder='in/', input_file_type='csv', "
        "destination_bucket='out', destination_folder='out/', output_file_type='csv')\n",
    ),
    "batch through a module alias": (
        "import qwak.automations as qa\nd = qa.BatchJobDataSpecifications('t', 's', 'in')\n",
        "import frogml.core.automations as qa\nd = qa.BatchJobDataSpecifications('t', 's', source_bucket='in')\n",
    ),
    "frogml's batch positional order is frogml's": (
        "from frogml.core.automations import BatchJobDataSpecifications\n"
        "d = BatchJobDataSpecifications('t', 's', 'x')\n",
        "from frogml.core.automations import BatchJobDataSpecifications\n"
        "d = BatchJobDataSpecifications('t', 's', 'x')\n",
    ),
}


@pytest.mark.parametrize(("before", "after"), REWRITES.values(), ids=REWRITES.keys())
def test_rewrites(before: str, after: str) -> None:
    assert upgrade_source(before).source == after
    assert upgrade_source(after).source == after  # idempotent


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_line_endings_are_kept(newline: str) -> None:
    before, after = REWRITES["parenthesised, one name a line, comments kept"]
    assert upgrade_source(before.replace("\n", newline)).source == after.replace("\n", newline)


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("from qwak.automations import *\nimport qwak.clients\n", 2, "the import of 'qwak.clients' is left"),
        ("from qwak import automations, QwakClient\n", 1, "'from qwak import automations, QwakClient' is left"),
        ("import qwak\nqwak.api()\n", 1, "the import of 'qwak' is left"),
        (
            "from qwak.automations import BatchJobDataSpecifications as D\nD(*args)\n",
            2,
            "BatchJobDataSpecifications(...) is left as it is: its positional arguments cannot be placed",
        ),
    ],
)
def test_what_upgrade_leaves_is_said(source: str, line: int, words: str) -> None:
    [note] = upgrade_source(source).notes
    assert note.line == line
    assert words in note.message


QWAK_FILE = """\
# Churn: retrain weekly, deploy when better (written for the Qwak SDK)
from qwak.automations import (
    Automation, ScheduledTrigger, QwakBuildDeploy, BuildSpecifications,
    BuildMetric, ThresholdDirection, DeploymentSpecifications,
)
import qwak.automations as qa

churn = Automation(
    name="churn",
    model_id="churn",
    trigger=ScheduledTrigger(cron="0 0 * * 0"),
    action=QwakBuildDeploy(
        BuildSpecifications(git_uri="https://github.com/o/r.git#churn"),
        BuildMetric(metric_name="f1", direction=ThresholdDirection.ABOVE, threshold="0.6"),
        DeploymentSpecifications(number_of_pods=2),
    ),
)
scores = Automation(
    name="scores", model_id="churn", trigger=qa.NoneTrigger(),
    action=qa.BatchExecution(data_specifications=qa.BatchJobDataSpecifications(
        None, None, "in-bucket", "in/", "CSV", "out-bucket", "out/", "PARQUET")),
)
"""
FROGML_FILE = (
    "from frogml.core.automations import Automation, NoneTrigger, FrogmlBuildDeploy, BuildSpecifications, "
    "BuildMetric, DeploymentSpecifications\n"
    f"already = Automation(name='already', model_id='m', trigger=NoneTrigger(), action=FrogmlBuildDeploy({BUILD}))\n"
)


def specs(folder: Path) -> dict[str, dict]:
    report = load_automations(folder)
    assert report.ok, [str(e) for e in report.errors]
    return {item.automation.name: automation_spec(item.automation) for item in report.automations}


def test_the_upgraded_file_means_what_the_qwak_file_meant(write_files: Callable) -> None:
    folder = write_files({"churn.py": QWAK_FILE})
    before = specs(folder)
    assert main(["upgrade", str(folder), "--write"]) == 0
    assert specs(folder) == before
    assert before["scores"]["action"]["batchExecution"]["executeBatchJob"]["dataDetails"]["sourcePath"] == {
        "sourceBucket": "in-bucket",
        "sourceFolder": "in/",
        "inputFileType": "CSV_INPUT_FILE_TYPE",
    }


def test_upgrade_shows_a_diff_and_writes_only_with_write(
    write_files: Callable, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_files({"churn.py": QWAK_FILE, "already.py": FROGML_FILE})
    monkeypatch.chdir(tmp_path)
    assert main(["upgrade", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("--- a/automations/churn.py\n+++ b/automations/churn.py\n@@ ")
    assert "-    action=QwakBuildDeploy(\n+    action=FrogmlBuildDeploy(\n" in out
    assert "already.py" not in out
    assert "1 file(s) to upgrade, 1 already on the frogml names; run again with --write" in err
    assert (folder / "churn.py").read_text() == QWAK_FILE  # nothing written yet

    untouched = (folder / "already.py").stat().st_mtime_ns
    assert main(["upgrade", str(folder), "--write"]) == 0
    assert capsys.readouterr().out == out  # the same diff, now applied
    assert (folder / "churn.py").read_text() == upgrade_source(QWAK_FILE).source
    assert (folder / "already.py").stat().st_mtime_ns == untouched

    assert main(["upgrade", str(folder), "--write"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "nothing to upgrade: 2 file(s) already on the frogml names" in err


def test_the_diff_applies_as_a_patch(write_files: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    folder = write_files({"churn.py": QWAK_FILE})
    monkeypatch.chdir(tmp_path)
    command = [sys.executable, "-m", "frogml_airflow_provider.cli", "upgrade", "automations"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    subprocess.run(["git", "apply", "-"], input=done.stdout, text=True, check=True, capture_output=True, timeout=60)
    assert (folder / "churn.py").read_text() == upgrade_source(QWAK_FILE).source


def test_encoding_and_byte_order_mark_are_kept(write_files: Callable) -> None:
    folder = write_files({})
    folder.mkdir(parents=True, exist_ok=True)
    latin = "# -*- coding: latin-1 -*-\n# Qwak-Ära\nfrom qwak.automations import QwakBuildDeploy\n"
    (folder / "latin.py").write_bytes(latin.encode("latin-1"))
    (folder / "bom.py").write_bytes(b"\xef\xbb\xbf" + b"from qwak.automations import QwakBuildDeploy\n")
    assert main(["upgrade", str(folder), "--write"]) == 0
    assert (folder / "latin.py").read_bytes() == latin.replace(
        "qwak.automations import QwakBuildDeploy", "frogml.core.automations import FrogmlBuildDeploy"
    ).encode("latin-1")
    assert (folder / "bom.py").read_bytes() == b"\xef\xbb\xbffrom frogml.core.automations import FrogmlBuildDeploy\n"


def test_a_file_that_does_not_parse_stops_every_write(
    write_files: Callable, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_files({"a.py": QWAK_FILE, "b.py": "from qwak.automations import *\nx = (\n"})
    assert main(["upgrade", str(folder), "--write"]) == 1
    err = capsys.readouterr().err
    assert f"{folder / 'b.py'}:2: syntax error: " in err
    assert "nothing written" in err
    assert (folder / "a.py").read_text() == QWAK_FILE


def test_a_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upgrade", str(tmp_path / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_one_file(write_files: Callable, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_files({"churn.py": QWAK_FILE})
    assert main(["upgrade", str(folder / "churn.py"), "--write"]) == 0
    assert "1 file(s) upgraded, 0 already on the frogml names" in capsys.readouterr().err
    assert "QwakBuildDeploy" not in (folder / "churn.py").read_text().split("\n", 1)[1]


def test_upgrade_is_pure(write_files: Callable, tmp_path: Path) -> None:
    """No Airflow, SDK or network stack: it runs where only the files are."""
    import json

    from tests.support import run_python

    folder = write_files({"churn.py": QWAK_FILE})
    script = """
        import json, sys
        from frogml_airflow_provider.cli import main
        code = main(["upgrade", sys.argv[1]])
        roots = {"airflow", "grpc", "google", "requests", "frogml", "qwak"}
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in roots)
        print(json.dumps({"code": code, "heavy": heavy}))
    """
    result = json.loads(run_python(script, str(folder), home=tmp_path, cwd=tmp_path).strip().splitlines()[-1])
    assert result == {"code": 0, "heavy": []}


QWAK_LINE = "from qwak.automations import QwakBuildDeploy\n"
ODD_FILES = {
    "bom.py": b"\xef\xbb\xbf# first line\n" + QWAK_LINE.encode() + b"x = QwakBuildDeploy\n",
    "latin.py": "# -*- coding: latin-1 -*-\n# Qwak-Ära, déjà\n".encode("latin-1")
    + QWAK_LINE.encode()
    + "s = 'é'\n".encode("latin-1"),
    "cr_only.py": ("# one\r" + QWAK_LINE.rstrip("\n") + "\rx = QwakBuildDeploy\r").encode(),
    "separator.py": ("s = 'a\u2028b'  # a line separator inside a line\n" + QWAK_LINE + "x = 1\n").encode(),
}


@pytest.mark.parametrize("name", sorted(ODD_FILES))
@pytest.mark.parametrize("tool", ["git apply", "patch -p1"])
def test_the_diff_applies_to_odd_encodings_and_line_endings(
    name: str, tool: str, write_files: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The diff is the files' bytes: what git apply and patch read, whatever the encoding and newlines."""
    import subprocess
    import sys

    folder = write_files({})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(ODD_FILES[name])
    monkeypatch.chdir(tmp_path)
    command = [sys.executable, "-m", "frogml_airflow_provider.cli", "upgrade", "automations"]
    diff = subprocess.run(command, capture_output=True, timeout=60, check=True).stdout
    assert diff.startswith(f"--- a/automations/{name}".encode())
    copy = tmp_path / "copy"
    (copy / "automations").mkdir(parents=True)
    (copy / "automations" / name).write_bytes(ODD_FILES[name])
    subprocess.run([*tool.split(), "-"] if tool == "git apply" else tool.split(), input=diff, cwd=copy,
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    assert main(["upgrade", str(folder), "--write"]) == 0  # what --write makes, byte for byte
    assert (copy / "automations" / name).read_bytes() == (folder / name).read_bytes()
    assert b"FrogmlBuildDeploy" in (folder / name).read_bytes()


def test_write_refuses_a_symlink_out_of_the_folder(
    write_files: Callable, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "elsewhere" / "theirs.py"
    outside.parent.mkdir()
    outside.write_text(QWAK_FILE)
    folder = write_files({"mine.py": QWAK_FILE})
    (folder / "link.py").symlink_to(outside)
    assert main(["upgrade", str(folder), "--write"]) == 1
    err = capsys.readouterr().err
    assert "link.py" in err and str(outside) in err and "symlink" in err
    assert outside.read_text() == QWAK_FILE and (folder / "mine.py").read_text() == QWAK_FILE  # nothing written


def test_a_symlink_inside_the_folder_is_left_to_its_target(
    write_files: Callable, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_files({"real.py": QWAK_FILE})
    (folder / "alias.py").symlink_to(folder / "real.py")
    assert main(["upgrade", str(folder), "--write"]) == 0
    assert (folder / "alias.py").is_symlink() and (folder / "real.py").read_text() == upgrade_source(QWAK_FILE).source
