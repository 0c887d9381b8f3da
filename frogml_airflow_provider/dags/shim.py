"""Serve ``frogml.core.automations`` from this provider's spec while automation files load.

Automation files stay unchanged (``from frogml.core.automations import ...``) and load whether
or not the frogml SDK is installed, without importing it: the real SDK costs ~0.5 s and writes to
``~/.frogml`` at import. Inside ``frogml_namespace()`` the names ``frogml``, ``frogml.core`` and
``frogml.core.automations`` (and the SDK's submodules of it) resolve to this package; on exit
``sys.modules`` is put back exactly as it was, so a real SDK used later at run time is untouched.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec

from frogml_airflow_provider import automations

SPEC_SUBMODULES = ("automations", "build_and_deploy_action", "batch_execution_action", "common")
_HINT = (
    "automation files are loaded by airflow-provider-frogml at DAG parse time without the frogml SDK; "
    "only 'frogml.core.automations' can be imported there. Move other frogml code into the model's "
    "own repository."
)


class _Package(types.ModuleType):
    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(f"cannot use '{self.__name__}.{name}': {_HINT}", name=self.__name__)


def _shim_modules() -> dict[str, types.ModuleType]:
    frogml = _Package("frogml")
    core = _Package("frogml.core")
    frogml.__path__ = []
    core.__path__ = []
    frogml.core = core  # type: ignore[attr-defined]
    core.automations = automations  # type: ignore[attr-defined]
    modules: dict[str, types.ModuleType] = {
        "frogml": frogml,
        "frogml.core": core,
        "frogml.core.automations": automations,
    }
    for sub in SPEC_SUBMODULES:
        modules[f"frogml.core.automations.{sub}"] = automations
    return modules


class _RefuseOtherFrogml(MetaPathFinder):
    """Turns ``import frogml.<anything else>`` into an error that says why."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname == "frogml" or fullname.startswith("frogml."):
            raise ModuleNotFoundError(f"No module named {fullname!r}: {_HINT}", name=fullname)
        return None


def _is_frogml(name: str) -> bool:
    return name == "frogml" or name.startswith("frogml.")


@contextmanager
def frogml_namespace() -> Iterator[None]:
    saved = {name: module for name, module in sys.modules.items() if _is_frogml(name)}
    for name in saved:
        del sys.modules[name]
    sys.modules.update(_shim_modules())
    finder = _RefuseOtherFrogml()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if _is_frogml(n)]:
            del sys.modules[name]
        sys.modules.update(saved)
