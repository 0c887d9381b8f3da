"""The entry point of the loader DAG files: automations folder in, one DAG per automation out.

``frogml-airflow init`` writes ``SHARES`` loader files, each calling ``load_share`` for its share
of the folder (``dags.shares``): they parse in parallel, each far inside Airflow's timeouts, and a
share that fails costs only its own automations. ``load_dags`` (one loader file for the whole
folder) is what earlier ``init`` wrote; it keeps working. Either way a broken automation file
costs only its own DAGs, and is reported as an import error of that file. Each file has its own
time budget (``[frogml] automation_file_timeout``) inside the loader's ``dagbag_import_timeout``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from frogml_airflow_provider.dags.budget import DEFAULT_FILE_TIMEOUT
from frogml_airflow_provider.dags.catalog import Catalog, catalog
from frogml_airflow_provider.dags.ledger import LEDGER_NAME, read_ledger
from frogml_airflow_provider.dags.plan import METRIC_TRIGGER_DEFAULT_CRON, DagPlan
from frogml_airflow_provider.dags.shares import Loaded, NameIndex, Record, field_digests, share_of
from frogml_airflow_provider.errors import (
    ApprovalSettingError,
    AutomationLoadError,
    DuplicateAutomationError,
    LedgerError,
)

log = logging.getLogger(__name__)


def load_dags(loader_file: str, folder: str = "automations") -> dict[str, Any]:
    """DAGs for every automation under ``folder`` (relative to ``loader_file``'s folder).

    Returns ``{dag_id: DAG}``: the loader file puts them into its globals for the DagBag.
    """
    started = time.perf_counter()
    root = _root(loader_file, folder)
    found = _catalog(root, folder)
    real_root = Path(os.path.realpath(root))
    index = NameIndex(NameIndex.folder_for(_index_home(), real_root), real_root, 0, 1)
    index.write((), _records(found, found.plans, real_root))
    return _render(loader_file, root, found, list(found.errors), started, "")


def load_share(loader_file: str, folder: str = "automations", *, share: int, shares: int) -> dict[str, Any]:
    """DAGs for the automation files of share ``share`` of ``shares`` under ``folder``.

    Cross-share duplicate names are found through the other shares' name index (``dags.shares``).
    """
    if not 0 <= share < shares:
        raise ValueError(f"{loader_file}: share={share} is not in 0..{shares - 1}; run `frogml-airflow init` again")
    started = time.perf_counter()
    root = _root(loader_file, folder)
    real_root = os.path.realpath(root)  # discovery yields resolved paths: a symlinked folder shares alike
    stats: dict[str, os.stat_result] = {}

    prefix = real_root.rstrip(os.sep) + os.sep

    def mine(path: Path) -> bool:
        text = str(path)  # discovered under the resolved root: slicing is relpath, without its cost
        relative = text[len(prefix) :] if text.startswith(prefix) else os.path.relpath(text, real_root)
        if share_of(relative, shares) != share:
            return False
        try:
            stats[relative] = path.stat()  # before the import: an edit during it voids the claim
        except OSError:
            pass
        return True

    found = _catalog(root, folder, only=mine)
    index = NameIndex(NameIndex.folder_for(_index_home(), Path(real_root)), Path(real_root), share, shares)
    claims = index.claims(plan.dag_id for _, plan in found.plans)
    # Every share reads the hand-over ledger; one of them reports it when it is broken.
    errors = [error for error in found.errors if share == 0 or error.file != LEDGER_NAME]
    kept = []
    for source, plan in found.plans:
        other = claims.get(plan.dag_id)
        if other is not None and other.file < source:
            errors.append(_clash(source, plan.automation_name, other.file, other.name, plan.dag_id))
        else:
            kept.append((source, plan))
    names: dict[str, list[str]] = {}
    for source, plan in found.plans:
        names.setdefault(source, []).append(plan.automation_name)
    index.write(
        (
            Loaded(file, stats[file].st_mtime_ns, stats[file].st_size, tuple(names[file]))
            for file in sorted(names)
            if file in stats
        ),
        _records(found, kept, Path(real_root)),
    )
    mine_only = Catalog(found.report, tuple(kept), found.errors)
    return _render(loader_file, root, mine_only, errors, started, f" (share {share} of {shares})")


def _records(found: Catalog, plans: Iterable[tuple[str, DagPlan]], root: Path) -> list[Record]:
    """The console's view of each DAG made (``dags.shares.Record``). Never costs a DAG: a record that
    cannot be made is left out, and the console shows that DAG without the loader's details."""
    from frogml_airflow_provider.export.native import automation_spec

    try:
        ledger = read_ledger(root)
    except LedgerError:
        ledger = None  # reported as the ledger file's import error by the catalog
    automations = {item.automation.name: item.automation for item in found.report.automations}
    records = []
    for source, plan in plans:
        try:
            handover = ledger.handovers.get(plan.automation_name) if ledger is not None else None
            spec = field_digests(automation_spec(automations[plan.automation_name]))
        except Exception:  # the record is a nicety; the DAG is what counts
            log.warning("frogml: no console record for %s (%s)", plan.automation_name, source, exc_info=True)
            continue
        runs_on = "unknown" if ledger is None else ("jfrog" if handover else "airflow")
        records.append(
            Record(plan.dag_id, plan.automation_name, source, runs_on, handover.since if handover else "", spec)
        )
    return records


def _root(loader_file: str, folder: str) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(loader_file)), folder)


def _catalog(root: str, folder: str, only: Callable[[Path], bool] | None = None) -> Catalog:
    from airflow.configuration import conf

    cron = conf.get("frogml", "metric_trigger_default_cron", fallback=METRIC_TRIGGER_DEFAULT_CRON)
    budget = conf.getfloat("frogml", "automation_file_timeout", fallback=DEFAULT_FILE_TIMEOUT)
    return catalog(root, label=folder, metric_default_cron=cron, file_timeout=budget, only=only)


def _index_home() -> Path:
    from airflow.configuration import AIRFLOW_HOME

    return Path(AIRFLOW_HOME) / "frogml" / "names"


def _clash(here: str, name: str, there: str, other_name: str, dag_id: str) -> AutomationLoadError:
    if name == other_name:
        return DuplicateAutomationError(
            here,
            f"automation name {name!r} is defined also in {there}; names must be unique "
            "(JFrog ML would let the last one registered silently replace the other). "
            f"Rename one of them; the one in {there} is kept.",
        )
    return AutomationLoadError(
        here,
        f"automation {name!r} becomes DAG id {dag_id!r}, like the automation in {there}; rename one of them",
    )


def _render(
    loader_file: str, root: str, found: Catalog, errors: list[AutomationLoadError], started: float, what: str
) -> dict[str, Any]:
    from frogml_airflow_provider.dags.import_errors import report_import_errors

    dags: dict[str, Any] = {}
    if found.plans:
        from frogml_airflow_provider.dags.approval import with_approval
        from frogml_airflow_provider.dags.approval_config import configured_approvals
        from frogml_airflow_provider.dags.render import render  # operators: only when there is a DAG

        try:
            approvals = configured_approvals()  # once per parse: a lookup in Airflow's configuration
        except ApprovalSettingError as error:
            # Fail closed: without the setting no DAG knows whether its deploy needs a human.
            errors += [
                AutomationLoadError(source, f"automation {plan.automation_name!r}: {error}")
                for source, plan in found.plans
            ]
            found = Catalog(found.report, (), found.errors)
        for source, plan in found.plans:
            try:
                dags[plan.dag_id] = render(with_approval(plan, approvals))
            except Exception as error:  # noqa: BLE001 - one automation never hides the others
                errors.append(
                    AutomationLoadError(source, f"automation {plan.automation_name!r}: {type(error).__name__}: {error}")
                )
    if errors:
        report_import_errors(loader_file, root, errors)
    log.info(
        "frogml: %d DAG(s) from %d file(s) in %s%s, %d error(s), %.0f ms",
        len(dags),
        len(found.report.files),
        root,
        what,
        len(errors),
        (time.perf_counter() - started) * 1000,
    )
    return dags
