"""The entry point of the loader DAG file: automations folder in, one DAG per automation out.

``frogml-airflow init`` writes a DAG file that calls ``load_dags``. A broken automation file
costs only its own DAGs, and is reported as an import error of that file. Each file has its own
time budget (``[frogml] automation_file_timeout``) inside the loader's ``dagbag_import_timeout``.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from frogml_airflow_provider.dags.budget import DEFAULT_FILE_TIMEOUT
from frogml_airflow_provider.dags.catalog import catalog
from frogml_airflow_provider.dags.plan import METRIC_TRIGGER_DEFAULT_CRON
from frogml_airflow_provider.errors import AutomationLoadError

log = logging.getLogger(__name__)


def load_dags(loader_file: str, folder: str = "automations") -> dict[str, Any]:
    """DAGs for every automation under ``folder`` (relative to ``loader_file``'s folder).

    Returns ``{dag_id: DAG}``: the loader file puts them into its globals for the DagBag.
    """
    from airflow.configuration import conf

    from frogml_airflow_provider.dags.import_errors import report_import_errors
    from frogml_airflow_provider.dags.render import render

    started = time.perf_counter()
    root = os.path.join(os.path.dirname(os.path.abspath(loader_file)), folder)
    found = catalog(
        root,
        label=folder,
        metric_default_cron=conf.get("frogml", "metric_trigger_default_cron", fallback=METRIC_TRIGGER_DEFAULT_CRON),
        file_timeout=conf.getfloat("frogml", "automation_file_timeout", fallback=DEFAULT_FILE_TIMEOUT),
    )
    errors = list(found.errors)
    dags: dict[str, Any] = {}
    for source, plan in found.plans:
        try:
            dags[plan.dag_id] = render(plan)
        except Exception as error:  # noqa: BLE001 - one automation never hides the others
            errors.append(
                AutomationLoadError(source, f"automation {plan.automation_name!r}: {type(error).__name__}: {error}")
            )
    if errors:
        report_import_errors(loader_file, root, errors)
    log.info(
        "frogml: %d DAG(s) from %d file(s) in %s, %d error(s), %.0f ms",
        len(dags),
        len(found.report.files),
        root,
        len(errors),
        (time.perf_counter() - started) * 1000,
    )
    return dags
