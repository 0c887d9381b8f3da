"""Everything that depends on Airflow internals (3.3) lives here, and nowhere else.

Reporting a broken automation file as an import error *of that file*: a DAG file can only raise
for itself, and an error under the loader's own path would mark every DAG it generates stale.
So while the loader runs inside the dag-processor (or any ``DagBag``), it adds one
``DagImportError`` per broken automation file to the importer's result, keyed by that file's
path. Airflow then shows it in the UI's import errors and in ``airflow dags list-import-errors``
next to the file's name. The row is cleared by the dag-processor's sweep of import errors of
files it does not parse (every ``[dag_processor] refresh_interval``) and re-added by the next
parse while the file is still broken.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from typing import Any

from frogml_airflow_provider.errors import AutomationLoadError

log = logging.getLogger(__name__)


def report_import_errors(loader_file: str, automations_root: str, errors: Iterable[AutomationLoadError]) -> bool:
    """Attach ``errors`` to the DagBag import in progress. False when no import is in progress."""
    result = _current_import_result()
    errors = list(errors)
    if result is None:
        for error in errors:
            log.error("%s", error)
        return False
    from airflow.dag_processing.importers.base import DagImportError

    bundle_root = _bundle_root(os.path.abspath(loader_file), str(result.file_path))
    # One import error per file, every problem of it in the message: Airflow keeps one per path (the
    # last one given), and a file can have several (each unknown keyword, an invalid automation and
    # a duplicate name...).
    by_file: dict[str, list[AutomationLoadError]] = {}
    for error in errors:
        by_file.setdefault(error.file, []).append(error)
    for file, found in by_file.items():
        path = os.path.join(automations_root, file)
        key = os.path.relpath(path, bundle_root) if bundle_root else path
        result.errors.append(
            DagImportError(
                file_path=key,
                message="\n".join(f"{key}{_line(error)}: {error.message}" for error in found),
                error_type="frogml-automation",
                line_number=found[0].line,
            )
        )
    return True


def _line(error: AutomationLoadError) -> str:
    return f":{error.line}" if error.line else ""


def _bundle_root(loader_abs: str, loader_key: str) -> str | None:
    """The folder the import keys paths against: the loader's path minus its key."""
    if os.path.isabs(loader_key):
        return None
    suffix = os.sep + os.path.normpath(loader_key)
    return loader_abs[: -len(suffix)] if loader_abs.endswith(suffix) else None


def _current_import_result() -> Any:
    """The ``DagImportResult`` of the Python importer currently executing this file, if any."""
    frame = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("result")
        if type(candidate).__name__ == "DagImportResult" and hasattr(candidate, "errors"):
            return candidate
        frame = frame.f_back  # type: ignore[assignment]
    return None
