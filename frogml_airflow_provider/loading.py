"""Find automation files, import each once, collect their automations and every error.

Like ``frogml automations register -p DIR`` (recursive ``*.py``, ``setup.py`` skipped, top-level
``Automation`` objects), minus its quirks: sorted order, hidden folders and virtualenvs skipped,
each file executed once, one object under two names counted once, and duplicate names reported
with both files. A broken file is reported with its line and never hides the other files.
Pure: no Airflow, network or frogml SDK import.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from frogml_airflow_provider._locate import describe_failure
from frogml_airflow_provider.automations import Automation
from frogml_airflow_provider.automations.common import whole_automation_validation
from frogml_airflow_provider.errors import AutomationLoadError, DuplicateAutomationError
from frogml_airflow_provider.frogml_shim import frogml_namespace

_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "venv", "env", "virtualenv"})


@dataclass(frozen=True)
class LoadedAutomation:
    automation: Automation
    file: Path


@dataclass(frozen=True)
class LoadReport:
    """What one pass over a folder found: valid automations, and every error, each with its file."""

    root: Path
    files: tuple[Path, ...]
    automations: tuple[LoadedAutomation, ...]
    errors: tuple[AutomationLoadError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def discover(root: Path) -> list[Path]:
    """Automation candidates under ``root`` (a folder or one file), sorted."""
    if root.is_file():
        return [root]
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skip_dir(Path(folder, d)))
        found.extend(
            Path(folder, f) for f in sorted(files) if f.endswith(".py") and f != "setup.py" and not f.startswith(".")
        )
    return found


def _skip_dir(path: Path) -> bool:
    return path.name.startswith(".") or path.name in _SKIPPED_DIRS or (path / "pyvenv.cfg").exists()


def load_automations(root: str | os.PathLike[str]) -> LoadReport:
    """Import every automation file under ``root`` once and collect what they define."""
    base = Path(root).resolve()
    files = discover(base)
    found: list[tuple[Automation, Path]] = []
    errors: list[AutomationLoadError] = []
    with frogml_namespace(), whole_automation_validation(), _import_scope(base, files) as load:
        for path in files:
            try:
                module = load(path)
            except (Exception, SystemExit) as error:  # noqa: BLE001 - user code's failures are reported
                errors.append(describe_failure(path, base, error))
                continue
            found.extend((value, path) for value in vars(module).values() if isinstance(value, Automation))
    automations, clashes = _unique(found, set(files), base)
    return LoadReport(base, tuple(files), tuple(automations), tuple(errors + clashes))


def _unique(
    found: list[tuple[Automation, Path]],
    files: set[Path],
    base: Path,
) -> tuple[list[LoadedAutomation], list[AutomationLoadError]]:
    """One entry per object (attributed to the file that built it); duplicate names refused."""
    by_object: dict[int, LoadedAutomation] = {}
    for automation, path in found:
        if id(automation) in by_object:
            continue
        origin = Path(automation.defined_in) if automation.defined_in else path
        by_object[id(automation)] = LoadedAutomation(automation, origin if origin in files else path)
    ordered = sorted(by_object.values(), key=lambda item: str(item.file))
    kept: dict[str, LoadedAutomation] = {}
    clashes: list[AutomationLoadError] = []
    for item in ordered:
        first = kept.get(item.automation.name)
        if first is None:
            kept[item.automation.name] = item
            continue
        here, there = _relative(item.file, base), _relative(first.file, base)
        where = "twice in this file" if item.file == first.file else f"also in {there}"
        clashes.append(
            DuplicateAutomationError(
                here,
                f"automation name {item.automation.name!r} is defined {where}; names must be unique "
                "(JFrog ML would let the last one registered silently replace the other). "
                f"Rename one of them; the one in {there} is kept.",
            )
        )
    return list(kept.values()), clashes


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base if base.is_dir() else base.parent))
    except ValueError:
        return str(path)


@contextmanager
def _import_scope(base: Path, files: list[Path]) -> Iterator[_Loader]:
    """Folders on ``sys.path`` as the native CLI does; everything imported from them removed after."""
    folders = sorted({str(path.parent) for path in files})
    added = [folder for folder in folders if folder not in sys.path]
    sys.path.extend(added)
    before = set(sys.modules)
    try:
        yield _Loader()
    finally:
        for folder in added:
            sys.path.remove(folder)
        root = str(base if base.is_dir() else base.parent)
        for name in set(sys.modules) - before:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if module_file.startswith(root) or name.startswith(_PRIVATE_PREFIX):
                del sys.modules[name]


_PRIVATE_PREFIX = "_frogml_automation_"


class _Loader:
    """Executes each file once; a sibling's ``import helper`` and the walk share one module."""

    def __init__(self) -> None:
        self._count = 0

    def __call__(self, path: Path) -> types.ModuleType:
        stem = path.stem
        existing = sys.modules.get(stem)
        if existing is not None and _same_file(getattr(existing, "__file__", None), path):
            return existing
        shareable = existing is None and stem.isidentifier() and stem not in sys.stdlib_module_names
        self._count += 1
        name = stem if shareable else f"{_PRIVATE_PREFIX}{self._count}_{stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:  # pragma: no cover - a .py path always has a loader
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        return module


def _same_file(module_file: str | None, path: Path) -> bool:
    return module_file is not None and Path(module_file).resolve() == path
