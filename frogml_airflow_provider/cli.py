"""``frogml-airflow``: set up a DAGs folder for automations, check automation files, export them,
and manage them on JFrog ML.

    frogml-airflow init DAGS_FOLDER     the loader DAG files + an automations/ folder beside them
    frogml-airflow validate PATH        every problem of every automation file, in one pass
    frogml-airflow export PATH --format json|python --out DIR
                                        each automation in JFrog ML's own form, secrets left out
    frogml-airflow register PATH [--dry-run] [--yes]
                                        create or update each automation on JFrog ML, all or nothing
    frogml-airflow upgrade PATH [--write]
                                        Qwak-era files to the frogml names: a diff, --write applies it
    frogml-airflow list [--json] | pause NAME... | resume NAME... | run NAME... | executions NAME
                                        the automations on JFrog ML (the frogml connection)
    frogml-airflow status PATH [--json] where each automation runs: Airflow, JFrog ML, both, neither
    frogml-airflow migrate NAME... --path PATH [--back] [--dry-run] [--yes] [--wait]
                                        hand automations over to JFrog ML (or back), one at a time
    frogml-airflow pull [NAME...] --out DIR
                                        registered automations as automation files

Fast on purpose: init, validate, export and upgrade import neither Airflow nor the frogml SDK; the JFrog
ML commands import them when they run (the SDK is the ``[frogml]`` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from frogml_airflow_provider.get_provider_info import DEFAULT_CONN_ID
from frogml_airflow_provider.term import Progress, printable, tag

AUTOMATIONS_DIR = "automations"
# What ``init`` wrote before shares (one loader file for the whole folder): replaced when unchanged.
LEGACY_LOADER_FILE = "frogml_automations.py"
LEGACY_LOADER_SOURCE = '''"""JFrog ML automations as Airflow DAGs (written by `frogml-airflow init`).

Every automation file in ./{folder}/ becomes one DAG, named after the automation.
Check the files with `frogml-airflow validate {folder}`.
"""

from frogml_airflow_provider.dags.loader import load_dags

globals().update(load_dags(__file__, "{folder}"))
'''
LOADER_SOURCE = '''"""JFrog ML automations as Airflow DAGs, share {share} of {shares} (from `frogml-airflow init`).

Every automation file in ./{folder}/ becomes one DAG, named after the automation. The files are
spread over {shares} loader files like this one by a stable hash of their path, so that they parse
in parallel and a failure costs only one share. Check them with `frogml-airflow validate {folder}`.
"""

from frogml_airflow_provider.dags.loader import load_share

globals().update(load_share(__file__, "{folder}", share={share}, shares={shares}))
'''


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="frogml-airflow", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="write the loader DAG file and an automations/ folder")
    init.add_argument("dags_folder", type=Path)
    init.add_argument("--force", action="store_true", help="overwrite or remove loader files that were changed")
    init.add_argument(
        "--shares",
        type=int,
        default=None,
        metavar="N",
        help="loader files to spread the automations over; they parse in parallel (default: as many as "
        "an earlier init wrote, else 8; one per ~600 automations keeps each far inside Airflow's parse timeouts)",
    )
    validate = commands.add_parser("validate", help="check automation files; exit 1 on any problem")
    validate.add_argument("path", type=Path)
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    validate.add_argument(
        "--file-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how long one file may take to import, as [frogml] automation_file_timeout in the loader "
        f"(default: $AIRFLOW__FROGML__AUTOMATION_FILE_TIMEOUT, else {_DEFAULT_FILE_TIMEOUT:g}; 0: no limit)",
    )
    export = commands.add_parser(
        "export", help="write each automation as protobuf-JSON or as a frogml SDK file; exit 1 on any problem"
    )
    export.add_argument("path", type=Path)
    export.add_argument("--format", choices=("json", "python"), default="json", help="default: json")
    export.add_argument("--out", type=Path, required=True, help="the folder to write into (created if missing)")
    export.add_argument(
        "--include-secrets",
        action="store_true",
        help="write webhook URLs and header values as given, instead of FROGML_SECRET_* references",
    )
    upgrade = commands.add_parser(
        "upgrade", help="rewrite Qwak-era automation files to the frogml names; prints the diff, --write applies it"
    )
    upgrade.add_argument("path", type=Path)
    upgrade.add_argument("--write", action="store_true", help="rewrite the files (default: only show the diff)")
    _add_management_commands(commands)
    args = parser.parse_args(argv)
    if args.command in _MANAGEMENT_COMMANDS:
        return _manage(args)
    if args.command == "init":
        return _init(args.dags_folder, force=args.force, shares=args.shares)
    if args.command == "upgrade":
        from frogml_airflow_provider.upgrade import upgrade as _upgrade

        return _upgrade(args.path, write=args.write)
    if args.command == "export":
        return _export(args.path, fmt=args.format, out=args.out, include_secrets=args.include_secrets)
    return _validate(args.path, as_json=args.json, file_timeout=_file_timeout(args.file_timeout))


_MANAGEMENT_COMMANDS = ("register", "list", "pause", "resume", "run", "executions", "status", "migrate", "pull")


def _add_management_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument(
        "--conn-id",
        default=DEFAULT_CONN_ID,
        help="the Airflow connection (type frogml): host = JFrog URL, password = access token; "
        f"without it, JF_URL and JF_ACCESS_TOKEN. Default: {DEFAULT_CONN_ID}",
    )
    register = commands.add_parser(
        "register",
        parents=[connection],
        help="create or update each automation on JFrog ML; all or nothing, nothing written if any is invalid",
    )
    register.add_argument("path", type=Path)
    register.add_argument("--dry-run", action="store_true", help="print the plan; write nothing")
    register.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)")
    listing = commands.add_parser("list", parents=[connection], help="the automations on JFrog ML, secrets never shown")
    listing.add_argument("--json", action="store_true", help="machine-readable output, specs with secrets hidden")
    for name, help_text in (
        ("pause", "stop an automation's trigger (ToggleAutomationActivity)"),
        ("resume", "turn an automation's trigger back on"),
        ("run", "run an automation now, whatever its trigger"),
    ):
        command = commands.add_parser(name, parents=[connection], help=help_text)
        command.add_argument("names", nargs="+", metavar="NAME")
    history = commands.add_parser("executions", parents=[connection], help="an automation's executions, newest first")
    history.add_argument("name", metavar="NAME")
    history.add_argument("--limit", type=int, default=20, help="show at most this many (0: all). Default: 20")
    history.add_argument("--json", action="store_true", help="machine-readable output")
    airflow = argparse.ArgumentParser(add_help=False)
    airflow.add_argument(
        "--airflow-url",
        help="Airflow's API server; default: FROGML_AIRFLOW_URL, else [api] base_url. Credentials: "
        "FROGML_AIRFLOW_TOKEN, or FROGML_AIRFLOW_USERNAME and FROGML_AIRFLOW_PASSWORD",
    )
    where = commands.add_parser(
        "status",
        parents=[connection, airflow],
        help="where each automation runs (Airflow, JFrog ML, both, neither) and what differs; exit 1 if any "
        "is scheduled on both",
    )
    where.add_argument("path", type=Path, help="the automations folder")
    where.add_argument("--json", action="store_true", help="machine-readable output")
    migrate = commands.add_parser(
        "migrate",
        parents=[connection, airflow],
        help="hand automations over to JFrog ML (or back with --back), never scheduled on both sides",
    )
    migrate.add_argument("names", nargs="+", metavar="NAME")
    bring = commands.add_parser(
        "pull",
        parents=[connection],
        help="write registered automations as frogml automation files (secrets as environment references)",
    )
    bring.add_argument("names", nargs="*", metavar="NAME", help="the automations to pull (default: all)")
    bring.add_argument("--out", type=Path, required=True, help="the folder to write into (created if missing)")
    bring.add_argument("--overwrite", action="store_true", help="replace files that exist already")
    migrate.add_argument(
        "--path", type=Path, required=True, help="the automations folder (the ledger is written there)"
    )
    migrate.add_argument("--back", action="store_true", help="hand them back to Airflow")
    migrate.add_argument("--dry-run", action="store_true", help="print the steps; change nothing")
    migrate.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)")
    migrate.add_argument("--wait", action="store_true", help="wait for a DAG run in progress instead of refusing")
    migrate.add_argument(
        "--wait-timeout", type=float, default=3600.0, help="give up waiting after this many seconds. Default: 3600"
    )


def _manage(args: argparse.Namespace) -> int:
    """The JFrog ML commands (frogml_airflow_provider.management), imported only when one runs."""
    if args.command == "register":
        from frogml_airflow_provider.management.register import register

        return register(args.path, conn_id=args.conn_id, dry_run=args.dry_run, yes=args.yes)
    if args.command == "pull":
        from frogml_airflow_provider.management.pull import pull

        return pull(args.conn_id, args.names, args.out, overwrite=args.overwrite)
    if args.command in ("status", "migrate"):
        from frogml_airflow_provider.migration import commands as migration

        if args.command == "status":
            return migration.status(args.path, conn_id=args.conn_id, airflow_url=args.airflow_url, as_json=args.json)
        return migration.migrate(
            args.path,
            args.names,
            conn_id=args.conn_id,
            airflow_url=args.airflow_url,
            back=args.back,
            dry_run=args.dry_run,
            yes=args.yes,
            wait=args.wait,
            wait_timeout=args.wait_timeout,
        )
    from frogml_airflow_provider.management import commands

    if args.command == "list":
        return commands.run_command(lambda: commands.list_automations(args.conn_id, as_json=args.json))
    if args.command in ("pause", "resume"):
        active = args.command == "resume"
        return commands.run_command(lambda: commands.set_active(args.conn_id, args.names, active=active))
    if args.command == "run":
        return commands.run_command(lambda: commands.run_now(args.conn_id, args.names))
    return commands.run_command(
        lambda: commands.executions(args.conn_id, args.name, limit=args.limit, as_json=args.json)
    )


def _init(dags_folder: Path, *, force: bool, shares: int | None) -> int:
    """Loader files for ``shares`` shares (unless given: the count an earlier init wrote, else the default);
    loader files of an earlier init are replaced when unchanged."""
    from frogml_airflow_provider.dags.shares import LOADER_PREFIX, SHARES, loader_name

    loader_files = sorted(dags_folder.glob(f"{LOADER_PREFIX}*.py"))
    count = shares if shares is not None else _written_share_count(loader_files) or SHARES
    if not 1 <= count <= 1000:
        print(f"--shares {count}: give a number from 1 to 1000", file=sys.stderr)
        return 2
    dags_folder.mkdir(parents=True, exist_ok=True)
    automations = dags_folder / AUTOMATIONS_DIR
    automations.mkdir(exist_ok=True)
    wanted = {
        dags_folder / loader_name(share, count): LOADER_SOURCE.format(folder=AUTOMATIONS_DIR, share=share, shares=count)
        for share in range(count)
    }
    folders = [path for path in loader_files if path.is_dir()]
    for path in folders:
        print(f"{path} is a folder with a loader file's name: move it away and run again", file=sys.stderr)
    if folders:
        return 1
    stale = [path for path in loader_files if path not in wanted]
    stale += [dags_folder / LEGACY_LOADER_FILE] if (dags_folder / LEGACY_LOADER_FILE).exists() else []
    changed = [path for path in [*wanted, *stale] if path.exists() and not _written_by_init(path)]
    if changed and not force:
        for path in changed:
            print(f"{path} exists and differs from what init writes", file=sys.stderr)
        print("keep them, or run again with --force to replace them", file=sys.stderr)
        return 1
    for path in stale:
        path.unlink()
        print(f"{path}: removed (its automations are in the {count} loader files now)")
    for path, source in wanted.items():
        state = "unchanged" if path.exists() and path.read_text() == source else "written"
        path.write_text(source)
        print(f"{path}: {state}")
    _ensure_ignored(dags_folder / ".airflowignore", f"{AUTOMATIONS_DIR}/")
    print(f"{automations}/: drop automation files here; each becomes a DAG")
    print(f"check them with: frogml-airflow validate {automations}")
    return 0


def _written_by_init(path: Path) -> bool:
    """Is ``path`` a loader file exactly as some ``init`` wrote it (any share count, or the legacy one)?"""
    text = _source(path)
    return text is not None and (
        text == LEGACY_LOADER_SOURCE.format(folder=AUTOMATIONS_DIR) or _share_written(text) is not None
    )


def _source(path: Path) -> str | None:
    """The text of a file with a loader's name; None for a folder or a binary file (not ours)."""
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return None


def _share_written(text: str) -> tuple[int, int] | None:
    """(share, shares) of a share's loader source exactly as ``init`` writes it, else None."""
    import re

    found = re.search(r"share=(\d+), shares=(\d+)\)\)", text)
    if found is None:
        return None
    share, shares = int(found.group(1)), int(found.group(2))
    return (share, shares) if text == LOADER_SOURCE.format(folder=AUTOMATIONS_DIR, share=share, shares=shares) else None


def _written_share_count(loader_files: list[Path]) -> int | None:
    """The share count of the loader files an earlier ``init`` wrote, when they agree on one: re-running
    ``init`` (after an upgrade, say) keeps the folder's layout instead of moving DAGs between files."""
    counts = {
        found[1]
        for path in loader_files
        if (text := _source(path)) is not None and (found := _share_written(text)) is not None
    }
    return counts.pop() if len(counts) == 1 else None


def _ensure_ignored(ignore_file: Path, pattern: str) -> None:
    """Automation files are not DAG files: the dag-processor must not import them on its own."""
    lines = ignore_file.read_text().splitlines() if ignore_file.exists() else []
    if pattern not in lines:
        ignore_file.write_text("\n".join([*lines, pattern]) + "\n")


_DEFAULT_FILE_TIMEOUT = 5.0  # dags.budget.DEFAULT_FILE_TIMEOUT, without importing it for --help
_TIMEOUT_VARIABLE = "AIRFLOW__FROGML__AUTOMATION_FILE_TIMEOUT"


def _file_timeout(given: float | None) -> float:
    """The per-file budget: the option, else the loader's setting from the environment, else the default."""
    if given is not None:
        return given
    try:
        return float(os.environ.get(_TIMEOUT_VARIABLE, _DEFAULT_FILE_TIMEOUT))
    except ValueError:
        return _DEFAULT_FILE_TIMEOUT


def _validate(path: Path, *, as_json: bool, file_timeout: float = _DEFAULT_FILE_TIMEOUT) -> int:
    from frogml_airflow_provider.dags.catalog import catalog

    if not path.exists():
        print(f"{path}: no such file or folder", file=sys.stderr)
        return 2
    with Progress("loading") as progress:
        found = catalog(path, progress=progress, file_timeout=file_timeout)
    warnings = found.report.warnings
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
                    "warnings": [{"file": w.file, "line": w.line, "message": w.message} for w in warnings],
                },
                indent=2,
            )
        )
    else:
        for source, plan in found.plans:
            line = f"{source}: {plan.automation_name} -> DAG {plan.dag_id}, {plan.schedule.summary}"
            print(f"{tag('ok')} {printable(line)}")
        for error in found.errors:
            print(f"{tag('error')} {printable(str(error))}")
        for warning in warnings:
            print(f"{tag('warning')} {printable(str(warning))}")
        noted = f", {len(warnings)} warning(s)" if warnings else ""
        print(
            f"{len(found.plans)} automation(s) valid, {len(found.errors)} error(s){noted}, "
            f"{len(found.report.files)} file(s) read"
        )
    return 1 if found.errors else 0


def _export(path: Path, *, fmt: Literal["json", "python"], out: Path, include_secrets: bool) -> int:
    """All or nothing: any load error, or two automations wanting one file, and nothing is written."""
    from frogml_airflow_provider.dags.loading import load_automations
    from frogml_airflow_provider.errors import ExportError
    from frogml_airflow_provider.export.files import export_files, write_files

    if not path.exists():
        print(f"{path}: no such file or folder", file=sys.stderr)
        return 2
    if out.exists() and not out.is_dir():
        print(f"{out}: exists and is not a folder; give --out a folder", file=sys.stderr)
        return 2
    folder = path.resolve() if path.is_dir() else path.resolve().parent
    if fmt == "python" and out.resolve().is_relative_to(folder):
        print(
            f"{out}: is inside {path}; the exported files would define every automation a second time there. "
            "Give --out a folder outside it",
            file=sys.stderr,
        )
        return 2
    with Progress("loading") as progress:
        report = load_automations(path, progress=progress)
    problems = [str(error) for error in report.errors]
    files = []
    if not problems:
        try:
            files = export_files(report, fmt, include_secrets=include_secrets)
        except ExportError as error:
            problems.append(str(error))
    if problems:
        for problem in problems:
            print(f"{tag('error', sys.stderr)} {problem}", file=sys.stderr)
        print(
            f"nothing written to {out}: an export is all or nothing, so that a partial set is never registered "
            "by mistake; fix the above and export again",
            file=sys.stderr,
        )
        return 1
    write_files(files, out)
    left_out = []
    for file in files:
        print(f"{tag('ok')} {file.source}: {file.automation} -> {out / file.name}")
        for secret in file.secrets:
            if secret.variable:
                left_out.append(secret.variable)
                print(f"       secret {secret.path} left out: set {secret.variable} before registering")
            else:
                print(f"       secret {secret.path} written as given (--include-secrets)")
    print(f"{len(files)} automation(s) exported as {fmt} to {out}")
    if left_out and fmt == "json":
        variables = " ".join(f"${name}" for name in left_out)
        print(f"secrets: substitute the ${{...}} references before registering, e.g. envsubst '{variables}' < FILE")
    elif left_out:
        print("secrets: the files read them with os.environ[...] when loaded; export the variables first")
    if include_secrets and any(file.secrets for file in files):
        print(f"warning: {out} holds secrets in clear text; keep it private", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
