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
                                        the automations on JFrog ML (the frogml_default connection)
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from frogml_airflow_provider.get_provider_info import DEFAULT_CONN_ID
from frogml_airflow_provider.term import Progress, printable, tag

if TYPE_CHECKING:
    from frogml_airflow_provider.dags.approval import ApprovalSetting
    from frogml_airflow_provider.dags.loading import LoadReport

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
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):
        parser.print_help()  # what there is to do, rather than "the following arguments are required"
        return 2
    args = parser.parse_args(argv)
    if args.command == "init":
        return _init(args.dags_folder, force=args.force, shares=args.shares)
    if args.command == "upgrade":
        from frogml_airflow_provider.upgrade import upgrade as _upgrade

        return _upgrade(args.path, write=args.write)
    with _quiet_libraries():  # the JFrog ML commands import the SDK and Airflow; an automation file may too
        if args.command == "evaluations":
            from frogml_airflow_provider.evaluations import evaluations

            return evaluations(args.name, limit=args.limit, as_json=args.json)
        if args.command in _MANAGEMENT_COMMANDS:
            return _manage(args)
        if args.command == "export":
            return _export(
                args.path, fmt=args.format, out=args.out, include_secrets=args.include_secrets, strict=args.strict
            )
        return _validate(args.path, as_json=args.json, file_timeout=_file_timeout(args.file_timeout))


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; its texts are in ``cli_help``."""
    from frogml_airflow_provider import cli_help

    parser = argparse.ArgumentParser(
        prog=cli_help.PROG,
        description=cli_help.wrapped(cli_help.DESCRIPTION),
        epilog=cli_help.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version, help="print the versions of this provider, Airflow and frogml")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    init = _command(commands, "init")
    init.add_argument(
        "dags_folder", type=Path, metavar="DAGS_FOLDER", help="the Airflow DAGs folder (created if missing)"
    )
    init.add_argument("--force", action="store_true", help="overwrite or remove loader files that were changed")
    init.add_argument(
        "--shares",
        type=int,
        default=None,
        metavar="N",
        help="loader files to spread the automations over; they parse in parallel (default: as many as "
        "an earlier init wrote, else 8; one per ~600 automations keeps each far inside Airflow's parse timeouts)",
    )
    validate = _command(commands, "validate")
    validate.add_argument("path", type=Path, metavar="PATH", help="an automations folder, or one automation file")
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    validate.add_argument(
        "--file-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how long one file may take to import, as [frogml] automation_file_timeout in the loader "
        f"(default: $AIRFLOW__FROGML__AUTOMATION_FILE_TIMEOUT, else {_DEFAULT_FILE_TIMEOUT:g}; 0: no limit)",
    )
    export = _command(commands, "export")
    export.add_argument("path", type=Path, metavar="PATH", help="an automations folder, or one automation file")
    export.add_argument(
        "--format",
        choices=("json", "python"),
        default="json",
        help="json: the spec as protobuf JSON; python: a frogml SDK automation file. Default: json",
    )
    export.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="the folder to write into (created if missing)"
    )
    export.add_argument(
        "--include-secrets",
        action="store_true",
        help="write webhook URLs and header values as given, instead of FROGML_SECRET_* references",
    )
    export.add_argument(
        "--strict",
        action="store_true",
        help="refuse (exit 1, nothing written) specs that name paths only this machine has, instead of warning",
    )
    upgrade = _command(commands, "upgrade")
    upgrade.add_argument("path", type=Path, metavar="PATH", help="a folder of automation files, or one file")
    upgrade.add_argument("--write", action="store_true", help="rewrite the files (default: only show the diff)")
    _add_management_commands(commands)
    watched = _command(commands, "evaluations")
    watched.add_argument("name", nargs="?", metavar="NAME", help="an automation (or its DAG id); default: all")
    watched.add_argument(
        "--limit", type=int, default=20, metavar="N", help="show the last N evaluations (0: all). Default: 20"
    )
    watched.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    parents: Sequence[argparse.ArgumentParser] = (),
) -> argparse.ArgumentParser:
    from frogml_airflow_provider.cli_help import COMMANDS

    text = COMMANDS[name]
    return commands.add_parser(
        name,
        parents=list(parents),
        help=text.summary,
        description=text.description,
        epilog=text.epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


class _Version(argparse.Action):
    """``--version``: this provider's version and the Airflow and frogml it would run with, read from
    the installed packages' metadata (neither is imported: it stays instant)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        from frogml_airflow_provider import __version__

        found = [f"airflow-provider-frogml {__version__}"]
        airflow = _installed_version("apache-airflow-core") or _installed_version("apache-airflow")
        found.append(f"Apache Airflow {airflow or 'not installed'}")
        found.append(f"frogml SDK {_installed_version('frogml') or 'not installed (the [frogml] extra)'}")
        print(", ".join(found))
        parser.exit()


def _installed_version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


@contextmanager
def _quiet_libraries() -> Iterator[None]:
    """No library log lines in a command's output: the frogml SDK calls ``logging.basicConfig`` at
    INFO when imported (Airflow's "Reading the config from ..." then reaches the terminal), and
    Airflow configures its own logging at import, at ``[logging] logging_level`` (INFO). Both are
    set to warnings before either is imported; the commands report through their own output, not
    through logging. An ``AIRFLOW__LOGGING__LOGGING_LEVEL`` the user set is kept, and the
    environment is put back after the command (``main`` also runs in-process, in tests)."""
    import logging

    variable = "AIRFLOW__LOGGING__LOGGING_LEVEL"
    given = os.environ.get(variable)
    os.environ.setdefault(variable, "WARNING")
    if not logging.getLogger().handlers:  # the SDK's basicConfig is then a no-op
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        yield
    finally:
        if given is None:
            os.environ.pop(variable, None)


_MANAGEMENT_COMMANDS = ("register", "list", "pause", "resume", "run", "executions", "status", "migrate", "pull")


def _add_management_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument(
        "--conn-id",
        default=DEFAULT_CONN_ID,
        metavar="CONN_ID",
        help="the Airflow connection to JFrog ML (type frogml: host = your JFrog URL, password = an access "
        f"token). Default: {DEFAULT_CONN_ID}; when there is no such connection, JF_URL and JF_ACCESS_TOKEN",
    )
    register = _command(commands, "register", [connection])
    register.add_argument("path", type=Path, metavar="PATH", help="an automations folder, or one automation file")
    register.add_argument("--dry-run", action="store_true", help="print the plan; write nothing")
    register.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)")
    listing = _command(commands, "list", [connection])
    listing.add_argument("--json", action="store_true", help="machine-readable output, specs with secrets hidden")
    for name in ("pause", "resume", "run"):
        command = _command(commands, name, [connection])
        command.add_argument("names", nargs="+", metavar="NAME", help="automation names, as in Automation(name=...)")
    history = _command(commands, "executions", [connection])
    history.add_argument("name", metavar="NAME", help="the automation's name, as in Automation(name=...)")
    history.add_argument(
        "--limit", type=int, default=20, metavar="N", help="show at most this many (0: all). Default: 20"
    )
    history.add_argument("--json", action="store_true", help="machine-readable output")
    airflow = argparse.ArgumentParser(add_help=False)
    airflow.add_argument(
        "--airflow-url",
        metavar="URL",
        help="Airflow's API server; default: FROGML_AIRFLOW_URL, else [api] base_url. Credentials: "
        "FROGML_AIRFLOW_TOKEN, or FROGML_AIRFLOW_USERNAME and FROGML_AIRFLOW_PASSWORD",
    )
    where = _command(commands, "status", [connection, airflow])
    where.add_argument("path", type=Path, metavar="PATH", help="the automations folder")
    where.add_argument("--json", action="store_true", help="machine-readable output")
    migrate = _command(commands, "migrate", [connection, airflow])
    migrate.add_argument("names", nargs="+", metavar="NAME", help="automation names, as in Automation(name=...)")
    bring = _command(commands, "pull", [connection])
    bring.add_argument("names", nargs="*", metavar="NAME", help="the automations to pull (default: all)")
    bring.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="the folder to write into (created if missing)"
    )
    bring.add_argument("--overwrite", action="store_true", help="replace files that exist already")
    migrate.add_argument(
        "--path", type=Path, required=True, metavar="PATH", help="the automations folder (the ledger is written there)"
    )
    migrate.add_argument("--back", action="store_true", help="hand them back to Airflow")
    migrate.add_argument("--dry-run", action="store_true", help="print the steps; change nothing")
    migrate.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)")
    migrate.add_argument("--wait", action="store_true", help="wait for a DAG run in progress instead of refusing")
    migrate.add_argument(
        "--wait-timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="give up waiting after this many seconds. Default: 3600",
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
    from frogml_airflow_provider.dags.shares import LOADER_PREFIX, SHARES

    loader_files = sorted(dags_folder.glob(f"{LOADER_PREFIX}*.py"))
    count = shares if shares is not None else _written_share_count(loader_files) or SHARES
    if not 1 <= count <= 1000:
        print(f"--shares {count}: give a number from 1 to 1000", file=sys.stderr)
        return 2
    if dags_folder.exists() and not dags_folder.is_dir():
        print(f"{dags_folder}: is a file, not a folder; give init the Airflow DAGs folder", file=sys.stderr)
        return 2
    try:
        return _write_loaders(dags_folder, loader_files, count, force=force)
    except OSError as error:
        print(f"{error.filename or dags_folder}: cannot write there: {error.strerror}", file=sys.stderr)
        return 1


def _write_loaders(dags_folder: Path, loader_files: list[Path], count: int, *, force: bool) -> int:
    from frogml_airflow_provider.dags.shares import loader_name

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
    automations = _automation_files(path, "validate")
    if automations is None:
        return 2
    with Progress("loading") as progress:
        found = catalog(automations, progress=progress, file_timeout=file_timeout)
    warnings = found.report.warnings
    approvals, approval_error = _approvals()
    needs = {plan.automation_name: approvals.entries_for(plan) for _, plan in found.plans}
    unused = [str(rule) for rule in approvals.rules if not any(str(rule) in entries for entries in needs.values())]
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
                            "approval": list(needs[plan.automation_name]),
                        }
                        for source, plan in found.plans
                    ],
                    "errors": [{"file": e.file, "line": e.line, "message": e.message} for e in found.errors]
                    + ([{"file": "", "line": None, "message": approval_error}] if approval_error else []),
                    "approval_unmatched": unused,
                    "warnings": [{"file": w.file, "line": w.line, "message": w.message} for w in warnings],
                },
                indent=2,
            )
        )
    else:
        # File by file (a file's automations, then its problems by line), as the files are read.
        entries = [
            (
                source,
                0,
                0,
                "ok",
                f"{source}: {plan.automation_name} -> DAG {plan.dag_id}, {plan.schedule.summary}"
                + _needs_approval(needs[plan.automation_name]),
            )
            for source, plan in found.plans
        ]
        entries += [(error.file, 1, error.line or 0, "error", str(error)) for error in found.errors]
        entries += [(warning.file, 1, warning.line or 0, "warning", str(warning)) for warning in warnings]
        for _, _, _, kind, text in sorted(entries, key=lambda entry: (Path(entry[0]).parts, *entry[1:3])):
            print(f"{tag(kind)} {printable(text)}")
        if not found.report.files:
            print(f"{tag('note')} no automation file (*.py) under {path}: put automation files there")
        if approval_error:
            print(f"{tag('error')} {printable(approval_error)}")
        for entry in unused:
            print(f"{tag('note')} [frogml] approval_required entry {printable(entry)!r} names no automation here")
        noted = f", {len(warnings)} warning(s)" if warnings else ""
        approving = sum(1 for entries in needs.values() if entries)
        approved = f", {approving} need approval before deploying" if approving else ""
        print(
            f"{len(found.plans)} automation(s) valid{approved}, {len(found.errors) + bool(approval_error)} error(s)"
            f"{noted}, {len(found.report.files)} file(s) read"
        )
    return 1 if found.errors or approval_error else 0


def _approvals() -> tuple[ApprovalSetting, str]:
    """``[frogml] approval_required`` as this machine's Airflow configuration says (the DAGs' loader reads
    the same options), and the error that says why it cannot be read ("" if it can)."""
    from frogml_airflow_provider.dags.approval import ApprovalSetting
    from frogml_airflow_provider.dags.approval_config import approvals_outside_airflow
    from frogml_airflow_provider.errors import ApprovalSettingError

    try:
        return approvals_outside_airflow(), ""
    except ApprovalSettingError as error:
        return ApprovalSetting(), str(error)


def _needs_approval(entries: tuple[str, ...]) -> str:
    return f", needs approval before deploying ({', '.join(entries)})" if entries else ""


def _automation_files(path: Path, command: str) -> Path | None:
    """What to load for ``path``: itself, or, when it is a DAGs folder set up by ``init`` (or one of its
    loader files), the automations folder its loader files read. Loader files are DAG files, not
    automation files: importing them would start Airflow and report each as defining no automation.
    None (the reason printed) when that folder is missing or the loader files disagree on it."""
    from frogml_airflow_provider.dags.shares import loader_folder

    candidates = [path] if path.is_file() else sorted(path.glob("*.py"))
    loaders = {
        candidate: folder
        for candidate in candidates
        if (text := _source(candidate)) is not None and (folder := loader_folder(text)) is not None
    }
    if not loaders:
        return path
    dags = path if path.is_dir() else path.parent
    names = sorted(candidate.name for candidate in loaders)
    if path.is_dir():
        shown = names[0] if len(names) == 1 else f"{names[0]} ... {names[-1]}"
        subject = f"{path} holds the provider's loader files ({shown}), DAG files that load"
    else:
        subject = f"{path} is one of the provider's loader files, a DAG file that loads"
    folders = sorted(set(loaders.values()))
    if len(folders) > 1:
        print(
            f"{tag('error', sys.stderr)} {subject} the automation files of several folders ({', '.join(folders)}): "
            f"give one of them, e.g. frogml-airflow {command} {dags / folders[0]}",
            file=sys.stderr,
        )
        return None
    automations = dags / folders[0]
    if not automations.is_dir():
        print(
            f"{tag('error', sys.stderr)} {subject} the automation files in {automations}/, which does not exist: "
            f"run frogml-airflow init {dags}, then put automation files in {automations}/",
            file=sys.stderr,
        )
        return None
    print(
        f"{tag('note', sys.stderr)} {subject} the automation files in {automations}/: {command} reads that "
        f"folder (next time: frogml-airflow {command} {automations})",
        file=sys.stderr,
    )
    return automations


def _machine_local(report: LoadReport) -> list[str]:
    """A line per spec value only this machine can reach (a local git_uri, a file:// bucket)."""
    from frogml_airflow_provider.export.reach import machine_local_paths

    base = report.root if report.root.is_dir() else report.root.parent
    return [
        printable(f"{os.path.relpath(item.file, base)}{f':{item.line}' if item.line else ''}: {found}")
        for item in report.automations
        for found in machine_local_paths(item.automation)
    ]


def _export(
    path: Path, *, fmt: Literal["json", "python"], out: Path, include_secrets: bool, strict: bool = False
) -> int:
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
    automations = _automation_files(path, "export")
    if automations is None:
        return 2
    path = automations
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
    local = [] if problems else _machine_local(report)
    if strict:
        problems += local
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
    for warning in local:
        print(f"{tag('warning', sys.stderr)} {warning}", file=sys.stderr)
    if local:
        print(
            f"{len(local)} value(s) name places on this machine: exported as they are; JFrog ML cannot reach them "
            "(--strict refuses them)",
            file=sys.stderr,
        )
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
