"""Serve ``frogml.core.automations`` (and its Qwak-era name ``qwak.automations``) from this
provider's spec while automation files load.

Automation files stay unchanged (``from frogml.core.automations import ...``, or from before the
rename ``from qwak.automations import ... QwakBuildDeploy``) and load whether or not an SDK is
installed, without importing one: the real frogml SDK costs ~0.5 s and writes to ``~/.frogml`` at
import. Inside ``frogml_namespace()`` the names ``frogml``, ``frogml.core``,
``frogml.core.automations``, ``qwak``, ``qwak.automations`` (and their submodules) resolve to
modules made here; on exit ``sys.modules`` is put back exactly as it was, so an SDK used later at
run time is untouched.

The served modules name themselves (never this package's module or path) in their errors, and a
name that is not there gets the closest real one, or its new name when it is a Qwak-era one.
"""

from __future__ import annotations

import difflib
import sys
import types
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec

from frogml_airflow_provider import automations
from frogml_airflow_provider.automations import qwak

SPEC_SUBMODULES = qwak.SUBMODULES
_ROOTS = ("frogml", "qwak")
_HINT = (
    "automation files are loaded by airflow-provider-frogml at DAG parse time without the frogml SDK; "
    "only 'frogml.core.automations' can be imported there. Move other frogml code into the model's "
    "own repository."
)
_QWAK_HINT = (
    "automation files are loaded by airflow-provider-frogml at DAG parse time without the Qwak or frogml "
    "SDK; of the Qwak SDK (now frogml) only 'qwak.automations' can be imported there, served as "
    "'frogml.core.automations'. Move other qwak code into the model's own repository."
)


def _hint(module: str) -> str:
    return _QWAK_HINT if module.split(".")[0] == "qwak" else _HINT


class _Package(types.ModuleType):
    """``frogml``, ``frogml.core``, ``qwak``: only the way down to the automations."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(f"cannot use '{self.__name__}.{name}': {_hint(self.__name__)}", name=self.__name__)


class _Served(types.ModuleType):
    """The automations package under one of its names: the spec's classes, that package's
    ``__all__``, and an error for any other name that says what to write instead."""

    def __init__(self, name: str, public: dict[str, object], all_names: Sequence[str]) -> None:
        super().__init__(name, automations.__doc__)
        self.__dict__.update(public)
        self.__all__ = list(all_names)
        self.__path__: list[str] = []  # a package: its submodules are looked up (and refused) by name
        for sub in SPEC_SUBMODULES:
            setattr(self, sub, self)

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(missing_name_message(self.__name__, name), name=self.__name__)


def missing_name_message(module: str, name: str) -> str:
    """Why ``from <module> import <name>`` fails, and what to write instead."""
    if name in qwak.RENAMED and module.split(".")[0] == "frogml":
        new = qwak.RENAMED[name]
        return (
            f"cannot import name {name!r} from {module!r}: {name} is the Qwak-era name, frogml calls it "
            f"{new}. Import {new} and use it in its place (`frogml-airflow upgrade FILE` rewrites the file)"
        )
    if name == qwak.RUN_RECORDS_SUBMODULE:
        return f"cannot use '{module}.{name}' (the records of runs, not definitions): {_hint(module)}"
    known = sorted(_public_names(module.split(".")[0] == "qwak"))
    close = closest_name(name, known)
    suggestion = f"did you mean {close!r}?" if close else f"its names are: {', '.join(known)}"
    return f"cannot import name {name!r} from {module!r}: {suggestion}"


def closest_name(name: str, known: Iterable[str]) -> str | None:
    """The name in ``known`` closest to ``name``, case aside (``nonetrigger`` -> ``NoneTrigger``), if
    one is close enough to be what was meant."""
    by_lower = {candidate.lower(): candidate for candidate in sorted(known)}
    close = difflib.get_close_matches(name.lower(), by_lower, n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def _public_names(qwak_era: bool) -> dict[str, object]:
    names = {name: getattr(automations, name) for name in (*automations.__all__, *automations.EXTRA_NAMES)}
    if qwak_era:
        names.update(qwak.qwak_era_names())
    return names


def _shim_modules() -> dict[str, types.ModuleType]:
    frogml = _Package("frogml")
    core = _Package("frogml.core")
    served = _Served(qwak.FROGML_PACKAGE, _public_names(qwak_era=False), automations.__all__)
    qwak_root = _Package("qwak")
    qwak_served = _Served(qwak.QWAK_PACKAGE, _public_names(qwak_era=True), qwak.QWAK_ALL)
    for package in (frogml, core, qwak_root):
        package.__path__ = []
    frogml.core = core  # type: ignore[attr-defined]
    core.automations = served  # type: ignore[attr-defined]
    qwak_root.automations = qwak_served  # type: ignore[attr-defined]
    modules: dict[str, types.ModuleType] = {
        "frogml": frogml,
        "frogml.core": core,
        "qwak": qwak_root,
    }
    for module in (served, qwak_served):
        modules[module.__name__] = module
        for sub in SPEC_SUBMODULES:
            modules[f"{module.__name__}.{sub}"] = module
    return modules


class _RefuseOther(MetaPathFinder):
    """Turns ``import frogml.<anything else>`` (or ``qwak.<...>``) into an error that says why."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> ModuleSpec | None:
        if _is_served(fullname):
            raise ModuleNotFoundError(f"No module named {fullname!r}: {_hint(fullname)}", name=fullname)
        return None


def _is_served(name: str) -> bool:
    return name.split(".")[0] in _ROOTS


@contextmanager
def frogml_namespace() -> Iterator[None]:
    saved = {name: module for name, module in sys.modules.items() if _is_served(name)}
    for name in saved:
        del sys.modules[name]
    sys.modules.update(_shim_modules())
    finder = _RefuseOther()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if _is_served(n)]:
            del sys.modules[name]
        sys.modules.update(saved)
