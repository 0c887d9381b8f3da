"""One exception hierarchy, findable in one place: every exception class of the package is defined
in errors.py, or named there (the one that must also be Airflow's, and the one no user meets)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import frogml_airflow_provider
from frogml_airflow_provider import errors
from frogml_airflow_provider.errors import FrogMLProviderError

PACKAGE = Path(frogml_airflow_provider.__file__).parent


ERROR_BASES = ("Error", "Exception", "Failed", "Timeout", "TimedOut", "QueryFailed", "BadRequest")


def exception_classes() -> dict[str, str]:
    """``module.Class`` (dotted, from the package) -> its bases, for every class deriving from an
    exception by name (an ``...Error``, ``...Exception``, ``...Failed``...)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(base) for base in node.bases]
                if any(base.split(".")[-1].endswith(ERROR_BASES) for base in bases):
                    found[f"{module}.{node.name}"] = ", ".join(bases)
    return found


def test_every_exception_class_lives_in_errors_py_or_is_named_there() -> None:
    classes = exception_classes()
    assert len(classes) > 20
    elsewhere = sorted(name for name in classes if not name.startswith("errors."))
    missing = [name for name in elsewhere if name not in " ".join((errors.__doc__ or "").split())]
    assert missing == [], f"define these in errors.py, or name them (module.Class) in its docstring: {missing}"


def test_every_error_of_errors_py_derives_from_the_one_base() -> None:
    defined = [cls for _, cls in inspect.getmembers(errors, inspect.isclass) if cls.__module__ == errors.__name__]
    exceptions = [cls for cls in defined if issubclass(cls, BaseException)]
    assert len(exceptions) >= 18
    assert all(issubclass(cls, FrogMLProviderError) for cls in exceptions)
    assert all(cls.__name__ in (errors.__doc__ or "") for cls in exceptions)  # the tree in the docstring


def test_the_airflow_skip_is_both() -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    from frogml_airflow_provider.operators._crossing import FrogMLCrossingTaken

    assert issubclass(FrogMLCrossingTaken, FrogMLProviderError)
    assert issubclass(FrogMLCrossingTaken, AirflowSkipException)


def test_the_old_import_paths_still_work() -> None:
    """Classes users may have imported from where they were defined before errors.py held them."""
    from frogml_airflow_provider.operators.build import FrogMLBuildFailed
    from frogml_airflow_provider.operators.deploy import FrogMLDeployFailed
    from frogml_airflow_provider.platform.base import PlatformError, QueryShapeError

    assert (FrogMLBuildFailed, FrogMLDeployFailed) == (errors.FrogMLBuildFailed, errors.FrogMLDeployFailed)
    assert (PlatformError, QueryShapeError) == (errors.PlatformError, errors.QueryShapeError)
