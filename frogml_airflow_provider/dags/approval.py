"""Approval before protected deploys: which automations wait for a human between gate and deploy.

Said on the Airflow side, never in the automation files (their export stays equal to the SDK's):
``[frogml] approval_required`` lists entries separated by commas or new lines, each one of

- ``automation:NAME``      the automation named NAME;
- ``model:MODEL_ID``       every automation that deploys model MODEL_ID;
- ``variation:MODEL_ID/VARIATION``  every automation that deploys MODEL_ID into VARIATION
  (an automation whose ``DeploymentSpecifications`` names no variation deploys into ``default``).

A named automation's DAG gets the task ``approve_deploy`` between ``check_build_metric`` and
``deploy``: the gate's "deploy" branch leads to it, and only an approval lets ``deploy`` run.
``[frogml] approval_timeout`` (seconds, 24 h by default) bounds the wait; past it the answer is
Reject. Only automations that deploy (``FrogmlBuildDeploy``) can need approval; the others, and
every automation no entry names, get exactly the DAG they had.

Pure: no Airflow. ``dags.approval_config`` reads the two options; the loader applies them per parse.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Literal

from frogml_airflow_provider.dags.plan import DagPlan, TaskPlan
from frogml_airflow_provider.errors import ApprovalSettingError
from frogml_airflow_provider.tasks import APPROVE_DEPLOY, CHECK_BUILD_METRIC, DEPLOY

OPTION = "[frogml] approval_required"
TIMEOUT_OPTION = "[frogml] approval_timeout"
DEFAULT_TIMEOUT = 24 * 3600.0
KINDS = ("automation", "model", "variation")
FORM = "automation:NAME, model:MODEL_ID or variation:MODEL_ID/VARIATION"
_SEPARATORS = re.compile(r"[,\n]")

Kind = Literal["automation", "model", "variation"]


@dataclass(frozen=True)
class ApprovalRule:
    kind: Kind
    name: str  # the automation name, the model id, or MODEL_ID/VARIATION

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"

    def names(self, automation: str, model_id: str, variation: str) -> bool:
        if self.kind == "automation":
            return self.name == automation
        if self.kind == "model":
            return self.name == model_id
        return self.name == f"{model_id}/{variation}"


@dataclass(frozen=True)
class ApprovalSetting:
    rules: tuple[ApprovalRule, ...] = ()
    timeout: float = DEFAULT_TIMEOUT  # seconds a request waits before it counts as Reject

    def entries_for(self, plan: DagPlan) -> tuple[str, ...]:
        """The entries that name ``plan``'s automation (none: it needs no approval, or has no deploy)."""
        deploy = _task(plan, DEPLOY)
        if deploy is None:
            return ()
        variation = deploy_variation(deploy)
        return tuple(str(rule) for rule in self.rules if rule.names(plan.automation_name, plan.model_id, variation))


def deploy_variation(deploy: TaskPlan) -> str:
    """The variation a deploy task deploys into (``to_plain`` leaves the default ``default`` out)."""
    return str(deploy.arguments.get("deployment_spec", {}).get("variation_name") or "default")


def parse_setting(required: str, timeout: str = "") -> ApprovalSetting:
    """The two options as written; ApprovalSettingError naming every bad entry (and the timeout)."""
    rules: list[ApprovalRule] = []
    problems: list[str] = []
    for number, raw in enumerate((part.strip() for part in _SEPARATORS.split(required or "")), start=1):
        if not raw:
            continue
        rule = _rule(raw)
        if isinstance(rule, str):
            problems.append(f"entry {number} {raw!r} {rule}")
        elif rule not in rules:
            rules.append(rule)
    seconds = DEFAULT_TIMEOUT
    if (timeout or "").strip():
        try:
            seconds = float(timeout)
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds) or seconds <= 0:
            problems.append(
                f"{TIMEOUT_OPTION} = {timeout.strip()!r} must be a positive number of seconds "
                f"(default {DEFAULT_TIMEOUT:g}, 24 hours)"
            )
    if problems:
        listed = "; ".join(problems)
        raise ApprovalSettingError(
            f"{OPTION}: {listed}. Write entries as {FORM}, separated by commas, e.g. "
            "'model:churn-model, variation:fraud/prod'. No DAG of an automation is made until this is fixed, "
            "so that none deploys without the approval it may need."
        )
    return ApprovalSetting(tuple(rules), seconds)


def _rule(raw: str) -> ApprovalRule | str:
    """The rule ``raw`` says, or why it says none."""
    kind, colon, name = raw.partition(":")
    kind, name = kind.strip().lower(), name.strip()
    if not colon:
        return "has no kind"
    if kind not in KINDS:
        return f"has the unknown kind {kind!r}"
    if not name:
        return f"names no {kind}"
    if kind == "variation":
        model, slash, variation = name.partition("/")
        if not slash or not model.strip() or not variation.strip() or "/" in variation:
            return "must be variation:MODEL_ID/VARIATION (one '/')"
        name = f"{model.strip()}/{variation.strip()}"
    return ApprovalRule(kind, name)  # type: ignore[arg-type]


def with_approval(plan: DagPlan, setting: ApprovalSetting) -> DagPlan:
    """``plan`` with an approval step before its deploy if ``setting`` names it, else ``plan`` itself."""
    entries = setting.entries_for(plan)
    if not entries:
        return plan
    deploy = _task(plan, DEPLOY)
    assert deploy is not None  # entries_for found it
    approve = TaskPlan(
        APPROVE_DEPLOY,
        (CHECK_BUILD_METRIC,),
        {
            "model_id": plan.model_id,
            "automation_name": plan.automation_name,
            "variation": deploy_variation(deploy),
            "timeout_seconds": setting.timeout,
            "required_by": list(entries),
        },
    )
    tasks: list[TaskPlan] = []
    for task in plan.tasks:
        if task.task_id == CHECK_BUILD_METRIC:
            tasks += [replace(task, arguments={**task.arguments, "deploy_task_id": APPROVE_DEPLOY}), approve]
        elif task.task_id == DEPLOY:
            tasks.append(replace(task, upstream=(APPROVE_DEPLOY,)))
        else:
            tasks.append(task)
    hours = setting.timeout / 3600
    doc = (
        f"\n- **Needs approval before each deploy** ({OPTION}: {', '.join(f'`{e}`' for e in entries)}): "
        f"the task `{APPROVE_DEPLOY}` waits for a human in Airflow's Required Actions; Reject, or no answer "
        f"within {hours:g} h ({TIMEOUT_OPTION}), skips the deploy."
    )
    return replace(plan, tasks=tuple(tasks), doc_md=_insert_doc(plan.doc_md, doc), approval=entries)


def _insert_doc(doc: str, line: str) -> str:
    """After the bullet list of the automation's docs (before "Defined in ..."), else at the end."""
    head, sep, tail = doc.rpartition("\n\nDefined in ")
    return f"{head}{line}{sep}{tail}" if sep else doc + line


def _task(plan: DagPlan, task_id: str) -> TaskPlan | None:
    return next((task for task in plan.tasks if task.task_id == task_id), None)
