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


def exception_classes() -> dict[str, str]:
    """name -> module path, for every class whose base names an error or exception."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(base) for base in node.bases]
                if any(base.endswith(("Error", "Exception", "Failed")) for base in bases):
                    found[node.name] = str(path.relative_to(PACKAGE))
    return found


def test_every_exception_class_lives_in_errors_py_or_is_named_there() -> None:
    classes = exception_classes()
    assert len(classes) > 15
    elsewhere = {name: where for name, where in classes.items() if where != "errors.py"}
    assert set(elsewhere) == {"FrogMLNoRetrain", "BuildError"}  # documented in errors.py's docstring
    for name, where in elsewhere.items():
        assert f"{where[:-3].replace('/', '.')}.{name}" in (errors.__doc__ or ""), name


def test_every_error_of_errors_py_derives_from_the_one_base() -> None:
    defined = [cls for _, cls in inspect.getmembers(errors, inspect.isclass) if cls.__module__ == errors.__name__]
    exceptions = [cls for cls in defined if issubclass(cls, BaseException)]
    assert len(exceptions) >= 18
    assert all(issubclass(cls, FrogMLProviderError) for cls in exceptions)
    assert all(cls.__name__ in (errors.__doc__ or "") for cls in exceptions)  # the tree in the docstring


def test_the_airflow_skip_is_both() -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    from frogml_airflow_provider.operators.trigger_metric import FrogMLNoRetrain

    assert issubclass(FrogMLNoRetrain, FrogMLProviderError) and issubclass(FrogMLNoRetrain, AirflowSkipException)


def test_the_old_import_paths_still_work() -> None:
    """Classes users may have imported from where they were defined before errors.py held them."""
    from frogml_airflow_provider.operators.build import FrogMLBuildFailed
    from frogml_airflow_provider.operators.deploy import FrogMLDeployFailed
    from frogml_airflow_provider.platform.base import PlatformError, QueryShapeError

    assert (FrogMLBuildFailed, FrogMLDeployFailed) == (errors.FrogMLBuildFailed, errors.FrogMLDeployFailed)
    assert (PlatformError, QueryShapeError) == (errors.PlatformError, errors.QueryShapeError)
