"""Find automation files, import each once, collect their automations and every error.

Like ``frogml automations register -p DIR`` (recursive ``*.py``, ``setup.py`` skipped, top-level
``Automation`` objects), minus its quirks: sorted order, hidden folders and virtualenvs skipped,
each file executed once, one object under two names counted once, and duplicate names reported
with both files. A broken file is reported with its line and never hides the other files: any
exception it raises, ``SystemExit`` and ``KeyboardInterrupt`` included, is its own error, and each
file has its own time budget (``budget``), so one stuck file costs only its own automations.
Pure: no Airflow, network or frogml SDK import.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from frogml_airflow_provider.automations import Automation
from frogml_airflow_provider.automations.common import validation_after_loading
from frogml_airflow_provider.dags.budget import DEFAULT_FILE_TIMEOUT, Budgets
from frogml_airflow_provider.dags.locate import describe_empty, describe_failures
from frogml_airflow_provider.dags.shim import frogml_namespace
from frogml_airflow_provider.errors import AutomationLoadError, AutomationSpecError, DuplicateAutomationError

_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})


@dataclass(frozen=True)
class LoadedAutomation:
    automation: Automation
    file: Path

    @property
    def line(self) -> int | None:
        """The line that built the automation, when it was built in ``file``."""
        site = self.automation.defined_at
        return site[1] if site and Path(site[0]) == self.file else None


@dataclass(frozen=True)
class LoadReport:
    """What one pass over a folder found: valid automations, and every error, each with its file."""

    root: Path
    files: tuple[Path, ...]
    automations: tuple[LoadedAutomation, ...]
    errors: tuple[AutomationLoadError, ...]
    warnings: tuple[AutomationLoadError, ...] = ()  # e.g. a file that defines no automation

    @property
    def ok(self) -> bool:
        return not self.errors


def discover(root: Path) -> list[Path]:
    """Automation candidates under ``root`` (a folder or one file), sorted."""
    if root.is_file():
        return [root]
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skip_dir(Path(folder, d)))
        found.extend(
            os.path.join(folder, f) for f in files if f.endswith(".py") and f != "setup.py" and not f.startswith(".")
        )
    # Sorted as Paths sort (component by component), on strings: every loader share walks the folder.
    return [Path(path) for path in sorted(found, key=lambda path: path.split(os.sep))]


def _skip_dir(path: Path) -> bool:
    return path.name.startswith(".") or path.name in _SKIPPED_DIRS or (path / "pyvenv.cfg").exists()


def load_automations(
    root: str | os.PathLike[str],
    *,
    progress: Callable[[int, int, Path], None] | None = None,
    file_timeout: float = DEFAULT_FILE_TIMEOUT,
    only: Callable[[Path], bool] | None = None,
) -> LoadReport:
    """Import every automation file under ``root`` once and collect what they define.

    ``progress(done, total, path)`` is called before each file (the CLI's progress line).
    ``file_timeout``: seconds one file may take to import (0: no limit of its own).
    ``only(path)``: import just the files it accepts (a loader share); an automation built in a
    file it refuses belongs to that file's share, even when an accepted file imports it.
    """
    base = Path(root).resolve()
    everything = discover(base)
    files = everything if only is None else [path for path in everything if only(path)]
    found: list[tuple[Automation, Path]] = []
    errors: list[AutomationLoadError] = []
    candidates: list[tuple[Path, types.ModuleType]] = []  # files that define no automation
    modules: list[types.ModuleType] = []
    budgets = Budgets(file_timeout)
    with (
        frogml_namespace(),
        validation_after_loading(),
        _import_scope(base, files) as load,
        budgets.watching_interrupts(),
    ):
        for number, path in enumerate(files, start=1):
            if progress is not None:
                progress(number, len(files), path)
            try:
                with budgets.file():
                    module = load(path)
            except BaseException as error:  # user code's failures, whatever their class, are its own
                if budgets.must_propagate(error):
                    raise  # Airflow's import timeout for the whole loader, or a real Ctrl+C
                errors.extend(describe_failures(path, _relative(path, base), error))
                continue
            own = [value for value in vars(module).values() if isinstance(value, Automation)]
            found.extend((value, path) for value in own)
            modules.append(module)
            if not own and not load.shared(path) and _looks_like_a_snippet(module):
                candidates.append((path, module))
    warnings = [
        describe_empty(path, _relative(path, base))
        for path, module in candidates
        if not any(module is value for other in modules for value in vars(other).values())  # an imported helper
    ]
    attributed = _attributed(found, set(everything))
    if only is not None:  # what other files' shares own is theirs to report
        mine = set(files)
        attributed = [item for item in attributed if item.file in mine]
    valid: list[LoadedAutomation] = []
    for item in attributed:
        try:
            item.automation.validate()  # once, whole, after the file ran: later changes to parts count
        except AutomationSpecError as error:
            errors.append(AutomationLoadError(_relative(item.file, base), str(error), line=item.line))
            continue
        valid.append(item)
    # Only valid automations compete for a name: an invalid one never costs a valid one its DAG.
    kept, clashes = _unique(valid, base)
    return LoadReport(base, tuple(files), tuple(kept), tuple(errors + clashes), tuple(warnings))


def _looks_like_a_snippet(module: types.ModuleType) -> bool:
    """No automation, and no function or class of its own: not a helper other files import."""
    if module.__name__.endswith("__init__") or Path(module.__file__ or "").name == "__init__.py":
        return False
    return not any(
        isinstance(value, (type, types.FunctionType)) and getattr(value, "__module__", None) == module.__name__
        for value in vars(module).values()
    )


def _attributed(found: list[tuple[Automation, Path]], files: set[Path]) -> list[LoadedAutomation]:
    """One entry per object, attributed to the file that built it, in file order."""
    by_object: dict[int, LoadedAutomation] = {}
    for automation, path in found:
        if id(automation) in by_object:
            continue
        origin = Path(automation.defined_at[0]) if automation.defined_at else path
        by_object[id(automation)] = LoadedAutomation(automation, origin if origin in files else path)
    return sorted(by_object.values(), key=lambda item: str(item.file))


def _unique(ordered: list[LoadedAutomation], base: Path) -> tuple[list[LoadedAutomation], list[AutomationLoadError]]:
    """The first automation of each name (in file order); the others refused, naming both files."""
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
                line=item.line,
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
    root = str(base if base.is_dir() else base.parent)
    try:
        yield _Loader(root)
    finally:
        for folder in added:
            sys.path.remove(folder)
        for name in set(sys.modules) - before:
            module = sys.modules.get(name)
            if module is not None and (name.startswith(_PRIVATE_PREFIX) or _comes_from(module, root)):
                del sys.modules[name]


def _comes_from(module: types.ModuleType, root: str) -> bool:
    """Was ``module`` loaded from under ``root``? Read from the module's own namespace: ``getattr``
    would run a module's ``__getattr__`` (Airflow's deprecated modules import on access), and a
    namespace package recomputes its path from a parent that may be gone already."""
    own = vars(module)
    places = [own.get("__file__") or ""]
    try:
        places += [str(place) for place in own.get("__path__") or ()]
    except Exception:  # noqa: BLE001 - a namespace path without its parent: not ours to judge, keep it
        pass
    return any(str(place).startswith(root) for place in places)


_PRIVATE_PREFIX = "_frogml_automation_"


class _Loader:
    """Executes each file once: a file that another one imported (``import helper``,
    ``from pkg.mod import x``) is not executed again when the walk reaches it."""

    def __init__(self, root: str) -> None:
        self._root = root
        self._count = 0
        self._seen = set(sys.modules)
        self._by_file: dict[Path, types.ModuleType] = {}
        self._shared: set[Path] = set()  # files another file imported before their turn

    def shared(self, path: Path) -> bool:
        return path in self._shared

    def _imported(self, path: Path) -> types.ModuleType | None:
        if len(self._seen) != len(sys.modules):
            for name in sys.modules.keys() - self._seen:
                module = sys.modules[name]
                module_file = getattr(module, "__file__", None)
                if module_file and module_file.startswith(self._root):
                    self._by_file.setdefault(Path(module_file).resolve(), module)
            self._seen = set(sys.modules)
        return self._by_file.get(path)

    def __call__(self, path: Path) -> types.ModuleType:
        imported = self._imported(path)
        if imported is not None:
            self._shared.add(path)
            return imported
        stem = path.stem
        existing = sys.modules.get(stem)
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
        self._by_file[path] = module
        self._seen.add(name)  # keeps the next look for new imports to what the file itself imported
        return module
