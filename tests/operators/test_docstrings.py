"""Every operator documents every argument of its constructor with ``:param name:`` in its class
docstring, as the official Airflow providers do (the docs and IDEs show it)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from airflow.sdk import BaseOperator

import frogml_airflow_provider.operators as operators


def operator_classes() -> list[type]:
    found = {}
    for info in pkgutil.iter_modules(operators.__path__):
        module = importlib.import_module(f"{operators.__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseOperator) and cls.__module__.startswith(operators.__name__):
                found[cls.__qualname__] = cls
    return list(found.values())


def arguments(cls: type) -> set[str]:
    """The constructor's own arguments, and those of the FrogML classes it passes ``**kwargs`` to."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith(operators.__name__) or "__init__" not in vars(klass):
            continue
        parameters = inspect.signature(klass.__init__).parameters  # type: ignore[misc]
        names |= {name for name in parameters if name != "self"}
    return names


def test_there_are_operators() -> None:
    assert len(operator_classes()) >= 5


@pytest.mark.parametrize("cls", operator_classes(), ids=lambda cls: cls.__name__)
def test_every_argument_is_documented(cls: type) -> None:
    doc = inspect.getdoc(cls) or ""
    missing = sorted(name for name in arguments(cls) if f":param {name}:" not in doc)
    assert missing == [], f"{cls.__name__} does not document {missing}"
