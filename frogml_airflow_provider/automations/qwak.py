"""The Qwak-era names of the automations package, and what each one is called now.

Before the rename, automation files said ``from qwak.automations import ...`` (qwak-core, up to
0.7.160). The package kept its submodules, its keywords and its defaults; the rename touched the
import path and one class: ``QwakBuildDeploy`` became ``FrogmlBuildDeploy``. The keywords are the
same, but one class gained a field in the middle: frogml's ``BatchJobDataSpecifications`` has
``session_token_secret_name`` third, so a Qwak file that passed its buckets by position means other
fields under frogml. The Qwak-era name of that class keeps the Qwak order.

Pure: no Airflow, network or SDK import. The loader's shim and ``frogml-airflow upgrade`` read this.
"""

from __future__ import annotations

from typing import Any

from frogml_airflow_provider import automations
from frogml_airflow_provider.automations import __all__ as FROGML_ALL

QWAK_PACKAGE = "qwak.automations"
FROGML_PACKAGE = "frogml.core.automations"

SUBMODULES = ("automations", "batch_execution_action", "build_and_deploy_action", "common")
"""The submodules that hold automation definitions, under both names."""

RUN_RECORDS_SUBMODULE = "automation_executions"
"""A real submodule under both names, but it holds the records of runs (read from the platform),
never part of a definition; the loader refuses it with a reason."""

RENAMED = {"QwakBuildDeploy": "FrogmlBuildDeploy"}
"""Qwak-era class name -> the frogml name of the same class."""

QWAK_ALL = tuple({v: k for k, v in RENAMED.items()}.get(name, name) for name in FROGML_ALL)
"""``qwak.automations.__all__``: the frogml one with the Qwak class names."""


def frogml_module(qwak_module: str) -> str | None:
    """``qwak.automations[.sub]`` -> ``frogml.core.automations[.sub]``; None for other modules."""
    if qwak_module == QWAK_PACKAGE:
        return FROGML_PACKAGE
    if qwak_module.startswith(QWAK_PACKAGE + "."):
        return FROGML_PACKAGE + qwak_module[len(QWAK_PACKAGE) :]
    return None


def frogml_name(name: str) -> str:
    """A class name as frogml calls it (unchanged unless it is a Qwak-era name)."""
    return RENAMED.get(name, name)


QWAK_FIELD_ORDER = {
    "BatchJobDataSpecifications": (
        "access_token_secret_name",
        "access_secret_secret_name",
        "source_bucket",
        "source_folder",
        "input_file_type",
        "destination_bucket",
        "destination_folder",
        "output_file_type",
    ),
}
"""The classes whose positional parameters came in another order under Qwak (qwak-core 0.7.160)."""


def qwak_keywords(cls_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """A Qwak-era call's arguments as keywords, placed by the Qwak parameter order."""
    order = QWAK_FIELD_ORDER[cls_name]
    if len(args) > len(order):
        raise TypeError(f"{cls_name}() takes at most {len(order)} positional arguments ({len(args)} given)")
    keywords = dict(kwargs)
    for name, value in zip(order, args, strict=False):
        if name in keywords:
            raise TypeError(f"{cls_name}() got multiple values for argument {name!r}")
        keywords[name] = value
    return keywords


class QwakBatchJobDataSpecifications(automations.BatchJobDataSpecifications):
    """``qwak.automations.BatchJobDataSpecifications``: positional arguments in the Qwak order;
    what it builds is the frogml class itself, so everything downstream sees one class."""

    def __new__(cls, *args: Any, **kwargs: Any) -> automations.BatchJobDataSpecifications:  # type: ignore[misc]
        return automations.BatchJobDataSpecifications(**qwak_keywords("BatchJobDataSpecifications", args, kwargs))


def qwak_era_names() -> dict[str, object]:
    """The names served as ``qwak.automations`` that are not the frogml object of the same name."""
    names: dict[str, object] = {old: getattr(automations, new) for old, new in RENAMED.items()}
    names["BatchJobDataSpecifications"] = QwakBatchJobDataSpecifications
    return names
