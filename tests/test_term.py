"""Colour and progress only on a terminal: what a program reads never changes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from frogml_airflow_provider.term import Progress, tag


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_tags_are_coloured_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert tag("ok", io.StringIO()) == "ok    "
    assert tag("error", Terminal()) == "\033[31merror \033[0m"
    assert tag("create", Terminal(), width=10) == "\033[32mcreate    \033[0m"
    monkeypatch.setenv("NO_COLOR", "1")
    assert tag("error", Terminal()) == "error "


def test_progress_shows_on_a_terminal_for_many_files_and_clears(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress("loading", stream)
        for done in range(1, 26):
            progress(done, 25, Path(f"a_{done}.py"))
        progress.close()
    assert "loading [25/25] a_25.py" in terminal.getvalue() and terminal.getvalue().endswith("\r\033[K")
    assert pipe.getvalue() == ""
    few = Terminal()
    Progress("loading", few)(1, 3, Path("x.py"))
    assert few.getvalue() == ""  # a handful of files needs no progress line


def test_validate_reports_progress_through_the_loader(tmp_path: Path) -> None:
    from frogml_airflow_provider.dags.loading import load_automations

    for i in range(3):
        (tmp_path / f"f{i}.py").write_text("x = 1\n")
    seen: list[tuple[int, int, str]] = []
    load_automations(tmp_path, progress=lambda done, total, path: seen.append((done, total, path.name)))
    assert seen == [(1, 3, "f0.py"), (2, 3, "f1.py"), (3, 3, "f2.py")]
