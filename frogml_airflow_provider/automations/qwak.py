"""The Qwak-era names of the automations package, and what each one is called now.

Before the rename, automation files said ``from qwak.automations import ...`` (qwak-core, up to
0.7.160). The package kept its submodules, its keywords and its defaults; the rename touched the
import path and one class: ``QwakBuildDeploy`` became ``FrogmlBuildDeploy``. Newer frogml fields
(``session_token_secret_name``) were never in a Qwak file, so nothing else differs.

Pure: no Airflow, network or SDK import. The loader's shim and ``frogml-airflow upgrade`` read this.
"""

from __future__ import annotations

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
