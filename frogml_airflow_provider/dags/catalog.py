"""A folder of automation files -> one DagPlan per valid automation, plus every error. Pure.

Shared by the loader DAG file and ``frogml-airflow validate``, so both report the same problems.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from frogml_airflow_provider.dags.budget import DEFAULT_FILE_TIMEOUT
from frogml_airflow_provider.dags.ledger import LEDGER_NAME, read_ledger
from frogml_airflow_provider.dags.loading import LoadReport, load_automations
from frogml_airflow_provider.dags.plan import METRIC_TRIGGER_DEFAULT_CRON, DagPlan, dag_id_for, plan_dag
from frogml_airflow_provider.errors import AutomationLoadError, LedgerError


@dataclass(frozen=True)
class Catalog:
    report: LoadReport
    plans: tuple[tuple[str, DagPlan], ...]  # (file relative to the folder, plan)
    errors: tuple[AutomationLoadError, ...]


def catalog(
    root: str | os.PathLike[str],
    *,
    label: str = "",
    metric_default_cron: str = METRIC_TRIGGER_DEFAULT_CRON,
    progress: Callable[[int, int, Path], None] | None = None,
    file_timeout: float = DEFAULT_FILE_TIMEOUT,
    only: Callable[[Path], bool] | None = None,
) -> Catalog:
    """Plans for every automation under ``root``; ``label`` prefixes source paths in DAG docs.

    ``only(path)`` limits it to the files of one loader share (``loading.load_automations``).
    """
    report = load_automations(root, progress=progress, file_timeout=file_timeout, only=only)
    base = report.root if report.root.is_dir() else report.root.parent
    errors = list(report.errors)
    elsewhere = _handed_over(base, errors)
    plans: list[tuple[str, DagPlan]] = []
    owners: dict[str, str] = {}
    for item in report.automations:
        source = os.path.relpath(item.file, base)
        dag_id = dag_id_for(item.automation.name)
        if dag_id in owners:
            errors.append(
                AutomationLoadError(
                    source,
                    f"automation {item.automation.name!r} becomes DAG id {dag_id!r}, like the automation in "
                    f"{owners[dag_id]}; rename one of them",
                )
            )
            continue
        owners[dag_id] = source
        plans.append(
            (
                source,
                plan_dag(
                    item.automation,
                    source=os.path.join(label, source) if label else source,
                    metric_default_cron=metric_default_cron,
                    runs_elsewhere=elsewhere(item.automation.name),
                ),
            )
        )
    return Catalog(report, tuple(plans), tuple(errors))


def _handed_over(folder: Path, errors: list[AutomationLoadError]) -> Callable[[str], str | None]:
    """Where each automation runs instead of Airflow, from the hand-over ledger of ``folder``.

    A ledger that cannot be read is an error of its own, and no automation is scheduled in Airflow
    until it is fixed: scheduling one that JFrog ML also runs would start every build twice.
    """
    try:
        ledger = read_ledger(folder)
    except LedgerError as error:
        errors.append(AutomationLoadError(LEDGER_NAME, f"{error.reason}; until then no automation is scheduled here"))
        return lambda name: "an unknown side (the hand-over ledger is unreadable)"

    def runs_elsewhere(name: str) -> str | None:
        handover = ledger.handovers.get(name)
        return f"JFrog ML since {handover.since}" if handover else None

    return runs_elsewhere
