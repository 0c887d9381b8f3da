"""``python -m frogml_airflow_provider.migration.snapshot FOLDER``: the automations of a folder as
JSON on stdout (name, DAG id, file, AutomationSpec protobuf-JSON, secrets left out), and the errors.

For the console: the API server never runs automation files itself. They run here, in a process
of their own, with the loader's time budget per file (signals need a main thread), and the
console reads the result.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def snapshot(folder: str, file_timeout: float) -> dict[str, Any]:
    from frogml_airflow_provider.dags.loading import load_automations
    from frogml_airflow_provider.dags.plan import dag_id_for
    from frogml_airflow_provider.export.native import automation_spec

    report = load_automations(folder, file_timeout=file_timeout)
    return {
        "automations": [
            {
                "name": item.automation.name,
                "dag_id": dag_id_for(item.automation.name),
                "source": os.path.relpath(item.file, report.root),
                "spec": automation_spec(item.automation),
            }
            for item in report.automations
        ],
        "errors": [str(error) for error in report.errors],
    }


def main(argv: list[str]) -> int:
    from frogml_airflow_provider.dags.budget import DEFAULT_FILE_TIMEOUT

    timeout = float(os.environ.get("AIRFLOW__FROGML__AUTOMATION_FILE_TIMEOUT") or DEFAULT_FILE_TIMEOUT)
    print(json.dumps(snapshot(argv[0], timeout)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
