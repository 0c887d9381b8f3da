"""Loader shares (pure): which file goes to which share, and the name index between shares."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from frogml_airflow_provider.cli import LEGACY_LOADER_SOURCE, LOADER_SOURCE
from frogml_airflow_provider.dags.shares import Loaded, NameIndex, loader_folder, loader_name, share_of


def test_a_file_keeps_its_share_whatever_else_the_folder_holds() -> None:
    names = [f"team_{i}/retrain_{i:04d}.py" for i in range(2000)]
    before = {name: share_of(name, 8) for name in names}
    assert share_of("retrain_my_model.py", 8) == share_of(str(Path("retrain_my_model.py")), 8)
    # Adding, removing and renaming files moves no other file: the hash is of the path alone.
    after = {name: share_of(name, 8) for name in [*names[1:], "renamed.py", "new.py"]}
    assert all(after[name] == before[name] for name in names[1:])
    # Spread: every share gets a fair part (2,000 files, 8 shares: 250 each on average).
    counts = [list(before.values()).count(share) for share in range(8)]
    assert min(counts) > 200 and max(counts) < 300, counts


def test_share_of_is_pinned_across_processes() -> None:
    """A changed hash would move every automation to another loader file on upgrade."""
    assert [share_of(f"retrain_{i:04d}.py", 8) for i in range(1, 9)] == PINNED


PINNED = [6, 7, 7, 0, 0, 0, 1, 0]  # blake2b-64 of the POSIX relative path, modulo the share count


def test_loader_names_sort_in_share_order() -> None:
    assert [loader_name(share, 8) for share in (0, 7)] == ["frogml_automations_00.py", "frogml_automations_07.py"]
    assert loader_name(3, 120) == "frogml_automations_003.py"


def _loaded(root: Path, file: str, *names: str) -> Loaded:
    stat = (root / file).stat()
    return Loaded(file, stat.st_mtime_ns, stat.st_size, names)


def test_the_index_gives_the_first_claim_of_the_other_shares(tmp_path: Path) -> None:
    root, home = tmp_path / "automations", tmp_path / "index"
    root.mkdir()
    for name in ("a.py", "m.py", "z.py"):
        (root / name).write_text(f"# {name}\n")
    NameIndex(home, root, 0, 3).write([_loaded(root, "m.py", "same", "only-m")])
    NameIndex(home, root, 1, 3).write([_loaded(root, "a.py", "same")])
    NameIndex(home, root, 2, 3).write([_loaded(root, "z.py", "same")])
    claims = NameIndex(home, root, 2, 3).claims(["same", "only-m", "unknown"])
    assert {dag_id: claim.file for dag_id, claim in claims.items()} == {"same": "a.py", "only-m": "m.py"}
    # Its own share's claims are not "others".
    assert NameIndex(home, root, 1, 3).claims(["same"])["same"].file == "m.py"


def test_an_edited_or_removed_file_claims_nothing(tmp_path: Path) -> None:
    root, home = tmp_path / "automations", tmp_path / "index"
    root.mkdir()
    (root / "a.py").write_text("# a\n")
    (root / "b.py").write_text("# b\n")
    NameIndex(home, root, 0, 2).write([_loaded(root, "a.py", "x"), _loaded(root, "b.py", "y")])
    (root / "a.py").write_text("# a, renamed its automation\n")
    (root / "b.py").unlink()
    assert NameIndex(home, root, 1, 2).claims(["x", "y"]) == {}


def test_a_broken_or_foreign_index_claims_nothing(tmp_path: Path) -> None:
    root, home = tmp_path / "automations", tmp_path / "index"
    root.mkdir()
    (root / "a.py").write_text("# a\n")
    NameIndex(home, root, 0, 2).write([_loaded(root, "a.py", "x")])
    (index_file,) = home.iterdir()
    index_file.write_text("{not json")
    assert NameIndex(home, root, 1, 2).claims(["x"]) == {}
    other_root = tmp_path / "elsewhere"
    other_root.mkdir()
    NameIndex(home, root, 0, 2).write([_loaded(root, "a.py", "x")])
    assert NameIndex(home, other_root, 1, 2).claims(["x"]) == {}


def test_an_unwritable_index_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    NameIndex(blocker / "index", tmp_path, 0, 2).write([])  # its folder cannot be created: no raise
    assert not (blocker / "index").exists()
    assert os.listdir(tmp_path) == ["file"]


@pytest.mark.parametrize(
    ("text", "folder"),
    [
        (LOADER_SOURCE.format(folder="automations", share=3, shares=8), "automations"),
        (LOADER_SOURCE.format(folder="automations", share=0, shares=1), "automations"),
        (LEGACY_LOADER_SOURCE.format(folder="automations"), "automations"),
        # edited by hand, still a loader file
        (
            "from frogml_airflow_provider.dags.loader import load_share\n"
            "globals().update(load_share(__file__, 'team_a', share=1, shares=2))\n",
            "team_a",
        ),
        (
            "from frogml_airflow_provider.dag_loader import load_dags\nglobals().update(load_dags(__file__))\n",
            "automations",
        ),
        # not loader files
        ("from frogml.core.automations import *\n", None),
        ("import frogml_airflow_provider.dags.loader\n", None),
        ("# from frogml_airflow_provider.dags.loader import load_share\n", None),
        ("from frogml_airflow_provider.dags.loader import load_share\n", None),  # imported, never called
        ("", None),
    ],
)
def test_loader_folder_recognises_loader_files_and_nothing_else(text: str, folder: str | None) -> None:
    assert loader_folder(text) == folder
