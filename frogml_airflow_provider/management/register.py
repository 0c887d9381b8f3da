"""``frogml-airflow register PATH``: every automation of PATH on JFrog ML, all or nothing.

Unlike ``frogml automations register``, which writes as it goes:

1. everything is checked before the first write: the files load and validate (duplicate names
   refused), every automation converts to its ``AutomationSpec``, and the names are looked up
   on the platform (one ``ListAutomations``; a name held by two platform automations is refused);
2. the plan is printed: ``create``, ``update`` (with the fields that change) or ``unchanged``
   (the platform's spec equals the new one, ``is_sdk_v1`` aside);
3. ``--dry-run`` stops there; otherwise the plan is confirmed once (``--yes``, or an answer on a
   terminal: without a terminal and without ``--yes`` nothing is written);
4. the writes run in order. If one fails, the run's own writes are undone in reverse order:
   what it created is deleted (a create whose reply was lost too, found by listing again), what
   it updated gets its previous spec back. Then the failure is reported (exit 1), with anything
   that could not be undone named.

Automations on the platform that PATH does not define are left alone. Nothing printed holds a
secret: specs are never printed, only names, models, files and changed field names.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from frogml_airflow_provider.errors import FrogMLProviderError, ManagementError
from frogml_airflow_provider.management.commands import session
from frogml_airflow_provider.management.specs import changed_fields, wire_spec
from frogml_airflow_provider.platform.jfrog.automations import AutomationsService, secret_values
from frogml_airflow_provider.platform.jfrog.session import load_sdk
from frogml_airflow_provider.term import Progress, tag

Kind = Literal["create", "update", "unchanged"]
Confirm = Callable[[str], bool]


@dataclass(frozen=True)
class Step:
    name: str
    source: str  # the automation file, relative to PATH
    kind: Kind
    spec: Any  # the new AutomationSpec
    existing: Any = None  # the platform's Automation, for an update or unchanged
    changed: tuple[str, ...] = ()


@dataclass
class Plan:
    steps: list[Step]
    existing: list[Any]  # every automation on the platform before the run
    writes: list[Step] = field(init=False)

    def __post_init__(self) -> None:
        self.writes = [step for step in self.steps if step.kind != "unchanged"]

    def count(self, kind: Kind) -> int:
        return sum(1 for step in self.steps if step.kind == kind)

    @property
    def untouched(self) -> int:
        names = {step.name for step in self.steps}
        return sum(1 for automation in self.existing if automation.automation_spec.automation_name not in names)


def build_plan(wanted: list[tuple[str, str, Any]], existing: list[Any], where: str) -> Plan:
    """``wanted``: (name, source file, new spec) in order; ``existing``: the platform's automations."""
    by_name: dict[str, list[Any]] = {}
    for automation in existing:
        by_name.setdefault(automation.automation_spec.automation_name, []).append(automation)
    steps, ambiguous = [], []
    for name, source, spec in wanted:
        found = by_name.get(name, [])
        if len(found) > 1:
            ids = ", ".join(sorted(a.automation_id for a in found))
            ambiguous.append(f"{len(found)} automations on {where} are named {name!r} (ids {ids})")
        elif not found:
            steps.append(Step(name, source, "create", spec))
        else:
            changed = tuple(changed_fields(found[0].automation_spec, spec))
            steps.append(Step(name, source, "update" if changed else "unchanged", spec, found[0], changed))
    if ambiguous:
        raise ManagementError(
            "; ".join(ambiguous) + ": register cannot tell which one to update. Delete the extra ones on JFrog ML "
            "(frogml automations delete --automation-id ID), then register again; nothing was written"
        )
    return Plan(steps, existing)


def register(path: Path, *, conn_id: str, dry_run: bool, yes: bool, confirm: Confirm | None = None) -> int:
    """The command: returns its exit code (0 done or nothing to do, 1 failed, 2 cannot start)."""
    if not path.exists():
        print(f"{path}: no such file or folder", file=sys.stderr)
        return 2
    try:
        wanted = _load(path)
        if wanted is None:
            return 1
        with session(conn_id) as client:
            return _register(client.automations, wanted, dry_run=dry_run, yes=yes, confirm=confirm or ask)
    except FrogMLProviderError as error:
        from frogml_airflow_provider.term import printable

        print(f"error  {printable(str(error))}", file=sys.stderr)
        return error.exit_code


def _load(path: Path) -> list[tuple[str, str, Any]] | None:
    """(name, source, spec) of every automation under ``path``; None (errors printed) if any is bad."""
    from frogml_airflow_provider.dags.loading import load_automations

    sdk = load_sdk()  # before loading: a missing SDK is said first (exit 2)
    with Progress("loading") as progress:
        report = load_automations(path, progress=progress)
    base = report.root if report.root.is_dir() else report.root.parent
    problems = [str(error) for error in report.errors]
    wanted = []
    for item in report.automations if not problems else ():
        source = os.path.relpath(item.file, base)
        try:
            wanted.append((item.automation.name, source, wire_spec(sdk, item.automation)))
        except Exception as error:  # noqa: BLE001 - any conversion failure is reported, with its automation
            problems.append(f"{source}: automation {item.automation.name!r} cannot be converted: {error}")
    if not wanted and not problems:
        problems.append(f"{path}: no automation found (an automation is a top-level Automation(...) of a .py file)")
    if problems:
        for problem in problems:
            print(f"error  {problem}", file=sys.stderr)
        print(
            "nothing registered: a registration is all or nothing; fix the above and register again",
            file=sys.stderr,
        )
        return None
    return wanted


def _register(
    api: AutomationsService, wanted: list[tuple[str, str, Any]], *, dry_run: bool, yes: bool, confirm: Confirm
) -> int:
    for _, _, spec in wanted:  # scrubbed from every message from now on (the listed ones are already)
        api.session.secrets.update(secret_values(spec))
    existing = api.all()
    plan = build_plan(wanted, existing, api.where)
    _print_plan(plan, api.where)
    if dry_run:
        print("dry run: nothing written")
        return 0
    if not plan.writes:
        print("nothing to register: JFrog ML already has every automation as defined")
        return 0
    if not yes:
        if sys.stdin is None or not sys.stdin.isatty():
            print(
                "error  not registering without confirmation: stdin is not a terminal. Pass --yes to register "
                "without asking, or --dry-run to only see the plan",
                file=sys.stderr,
            )
            return 2
        question = f"apply {len(plan.writes)} change(s) to JFrog ML at {api.where}? [y/N] "
        if not confirm(question):
            print("nothing registered")
            return 1
    apply(api, plan)
    print(
        f"registered: {plan.count('create')} created, {plan.count('update')} updated, "
        f"{plan.count('unchanged')} unchanged"
    )
    return 0


def ask(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _print_plan(plan: Plan, where: str) -> None:
    print(f"JFrog ML at {where}:")
    width = max(len(step.name) for step in plan.steps)
    model_width = max(len(step.spec.model_id or "-") for step in plan.steps)
    for step in plan.steps:
        model = step.spec.model_id or "-"
        line = f"  {tag(step.kind, width=10)} {step.name:<{width}}  model {model:<{model_width}}  ({step.source})"
        if step.changed:
            line += f"  changes: {', '.join(step.changed)}"
        print(line)
    print(
        f"plan: {plan.count('create')} to create, {plan.count('update')} to update, {plan.count('unchanged')} "
        f"unchanged; {plan.untouched} other automation(s) on the platform left as they are"
    )


# -- applying, and undoing ------------------------------------------------------------------------------
def apply(api: AutomationsService, plan: Plan) -> None:
    """Every write of ``plan``; on a failure, the run's writes undone and ``ManagementError`` raised."""
    done: list[tuple[Step, str]] = []  # (step, automation id), in the order written
    for step in plan.writes:
        try:
            if step.kind == "create":
                automation_id = api.create(step.spec)
                done.append((step, automation_id))
                print(f"created    {step.name} (id {automation_id})")
            else:
                automation_id = step.existing.automation_id
                done.append((step, automation_id))  # before the call: a failed update may still have landed
                api.update(automation_id, step.spec)
                print(f"updated    {step.name} (id {automation_id})")
        except FrogMLProviderError as error:
            print(f"failed     {step.name}: rolling back this run's changes", file=sys.stderr)
            undone, left = _roll_back(api, plan, done)
            head = f"registration stopped at {step.kind} of {step.name!r}: {error}"
            if left:
                raise ManagementError(
                    f"{head}\nROLLBACK INCOMPLETE: these could not be undone; fix them on JFrog ML by hand:\n  "
                    + "\n  ".join(left)
                ) from None
            raise ManagementError(
                f"{head}\nrolled back: JFrog ML is as it was before this run ({undone} undo step(s))"
            ) from None


def _roll_back(api: AutomationsService, plan: Plan, done: list[tuple[Step, str]]) -> tuple[int, list[str]]:
    """Undo ``done`` in reverse order: (undo steps that worked, a line for each that failed)."""
    undo = list(reversed(done)) + [(step, automation_id) for step, automation_id in _lost_creates(api, plan, done)]
    left: list[str] = []
    for step, automation_id in undo:
        try:
            if step.kind == "create":
                api.delete(automation_id, step.name)
                print(f"rolled back: deleted {step.name} (id {automation_id})", file=sys.stderr)
            else:
                api.update(automation_id, step.existing.automation_spec)  # the previous spec, as it was
                print(f"rolled back: restored {step.name} (id {automation_id})", file=sys.stderr)
        except FrogMLProviderError as error:
            what = "created, not deleted" if step.kind == "create" else "updated, previous spec not restored"
            left.append(f"{step.name} (id {automation_id}): {what}: {error}")
    return len(undo) - len(left), left


def _lost_creates(api: AutomationsService, plan: Plan, done: list[tuple[Step, str]]) -> list[tuple[Step, str]]:
    """Automations this run created although their create failed (the reply lost, a deadline)."""
    before = {automation.automation_id for automation in plan.existing}
    known = {automation_id for _, automation_id in done}
    creating = {step.name: step for step in plan.writes if step.kind == "create"}
    try:
        now = api.all()
    except FrogMLProviderError as error:
        names = ", ".join(name for name in creating if name not in {step.name for step, _ in done}) or "none"
        print(
            f"warning: cannot list the automations again ({error}); if a failed create reached JFrog ML anyway, "
            f"it remains: check {names}",
            file=sys.stderr,
        )
        return []
    return [
        (creating[automation.automation_spec.automation_name], automation.automation_id)
        for automation in now
        if automation.automation_spec.automation_name in creating and automation.automation_id not in before | known
    ]
