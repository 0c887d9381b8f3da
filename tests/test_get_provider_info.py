"""A bad provider-info dict makes every ``airflow`` command fail: validate it as Airflow does."""

from __future__ import annotations

import importlib
import json
from importlib.metadata import distribution, entry_points
from pathlib import Path

import airflow
import jsonschema

from frogml_airflow_provider.get_provider_info import PACKAGE_NAME


def _provider_info() -> dict:
    (entry,) = [e for e in entry_points(group="apache_airflow_provider") if e.value.startswith("frogml_airflow")]
    return entry.load()()


def test_entry_point_dict_matches_airflows_schema() -> None:
    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    info = _provider_info()
    jsonschema.validate(info, schema)
    assert info["package-name"] == PACKAGE_NAME == distribution(PACKAGE_NAME).metadata["Name"]


def test_every_class_and_module_it_names_imports() -> None:
    info = _provider_info()
    modules = [m for group in info["operators"] + info["hooks"] + info["triggers"] for m in group["python-modules"]]
    classes = [c["hook-class-name"] for c in info["connection-types"]] + info["notifications"]
    for module in modules:
        importlib.import_module(module)
    for path in classes:
        module, _, name = path.rpartition(".")
        assert hasattr(importlib.import_module(module), name), path


def test_connection_type_is_declared_by_the_hook() -> None:
    from frogml_airflow_provider.hooks.frogml import FrogMLHook

    (conn,) = _provider_info()["connection-types"]
    assert conn["connection-type"] == FrogMLHook.conn_type == "frogml"
    assert FrogMLHook.default_conn_name == "frogml_default"
