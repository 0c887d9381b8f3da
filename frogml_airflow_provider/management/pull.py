"""``frogml-airflow pull [NAME...] --out DIR``: registered automations -> automation files.

The files are in the frogml format (``export``'s own Python writer, through ``export.pull``): they
load unchanged here and with ``frogml automations register -p``, and exporting them gives back the
spec JFrog ML holds. Secrets become ``os.environ[...]`` references; the command names the variables
to set, never their values.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from frogml_airflow_provider.errors import FrogMLProviderError
from frogml_airflow_provider.term import printable


def pull(conn_id: str, names: list[str], out: Path, *, overwrite: bool) -> int:
    from frogml_airflow_provider.export.pull import pull_files
    from frogml_airflow_provider.management.commands import session

    try:
        with session(conn_id) as client:
            chosen = client.automations.all_named(names) if names else client.automations.all()
            natives: list[dict[str, Any]] = [client.sdk.json_format.MessageToDict(item) for item in chosen]
            where = client.where
        if not natives:
            print(f"no automations on JFrog ML at {where}: nothing to pull")
            return 0
        report = pull_files(natives, out, overwrite=overwrite)
    except FrogMLProviderError as error:
        print(f"error  {printable(str(error))}", file=sys.stderr)
        return error.exit_code
    for item in report.pulled:  # names and notes come from JFrog ML: escaped
        print(printable(f"pulled  {item.automation} -> {report.out / item.file.name}"))
        for note in item.notes:
            print(printable(f"  note  {note}"))
    for problem in report.errors:
        print(f"error  {printable(str(problem))}", file=sys.stderr)
    if report.variables:
        print("the files read these secrets from the environment (set them where the files load):")
        for variable in report.variables:
            print(printable(f"  {variable}"))
    return 0 if report.ok else 1
