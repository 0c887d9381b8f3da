"""``frogml-airflow``: set up a DAGs folder for automations, and check automation files.

    frogml-airflow init DAGS_FOLDER     the loader DAG file + an automations/ folder beside it
    frogml-airflow validate PATH        every problem of every automation file, in one pass

Fast on purpose: neither command imports Airflow or the frogml SDK.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

LOADER_FILE = "frogml_automations.py"
AUTOMATIONS_DIR = "automations"
LOADER_SOURCE = '''"""JFrog ML automations as Airflow DAGs (written by `frogml-airflow init`).

Every automation file in ./{folder}/ becomes one DAG, named after the automation.
Check the files with `frogml-airflow validate {folder}`.
"""

from frogml_airflow_provider.dag_loader import load_dags

globals().update(load_dags(__file__, "{folder}"))
'''


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="frogml-airflow", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="write the loader DAG file and an automations/ folder")
    init.add_argument("dags_folder", type=Path)
    init.add_argument("--force", action="store_true", help="overwrite a loader file that was changed")
    validate = commands.add_parser("validate", help="check automation files; exit 1 on any problem")
    validate.add_argument("path", type=Path)
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    if args.command == "init":
        return _init(args.dags_folder, force=args.force)
    return _validate(args.path, as_json=args.json)


def _init(dags_folder: Path, *, force: bool) -> int:
    dags_folder.mkdir(parents=True, exist_ok=True)
    automations = dags_folder / AUTOMATIONS_DIR
    automations.mkdir(exist_ok=True)
    loader = dags_folder / LOADER_FILE
    source = LOADER_SOURCE.format(folder=AUTOMATIONS_DIR)
    if loader.exists() and loader.read_text() != source and not force:
        print(f"{loader} exists and differs from what init writes; keep it, or run again with --force", file=sys.stderr)
        return 1
    state = "unchanged" if loader.exists() and loader.read_text() == source else "written"
    loader.write_text(source)
    _ensure_ignored(dags_folder / ".airflowignore", f"{AUTOMATIONS_DIR}/")
    print(f"{loader}: {state}")
    print(f"{automations}/: drop automation files here; each becomes a DAG")
    print(f"check them with: frogml-airflow validate {automations}")
    return 0


def _ensure_ignored(ignore_file: Path, pattern: str) -> None:
    """Automation files are not DAG files: the dag-processor must not import them on its own."""
    lines = ignore_file.read_text().splitlines() if ignore_file.exists() else []
    if pattern not in lines:
        ignore_file.write_text("\n".join([*lines, pattern]) + "\n")


def _validate(path: Path, *, as_json: bool) -> int:
    from frogml_airflow_provider.catalog import catalog

    if not path.exists():
        print(f"{path}: no such file or folder", file=sys.stderr)
        return 2
    found = catalog(path)
    if as_json:
        print(
            json.dumps(
                {
                    "files": len(found.report.files),
                    "automations": [
                        {
                            "name": plan.automation_name,
                            "dag_id": plan.dag_id,
                            "file": source,
                            "schedule": plan.schedule.summary,
                        }
                        for source, plan in found.plans
                    ],
                    "errors": [{"file": e.file, "line": e.line, "message": e.message} for e in found.errors],
                },
                indent=2,
            )
        )
    else:
        for source, plan in found.plans:
            print(f"ok     {source}: {plan.automation_name} -> DAG {plan.dag_id}, {plan.schedule.summary}")
        for error in found.errors:
            print(f"error  {error}")
        print(
            f"{len(found.plans)} automation(s) valid, {len(found.errors)} error(s), "
            f"{len(found.report.files)} file(s) read"
        )
    return 1 if found.errors else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
