"""The contract between the planner, the renderer, the operators and the notifiers: task ids, XCom
keys, and the form of the spec a task's arguments carry. A generated DAG's tasks carry these ids; an
operator finds its upstream's results under these keys; the planner writes a spec with ``to_plain``
and the operator reads it back whole with ``complete``. Pure."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any

# Task ids of a generated DAG.
BUILD = "build"
CHECK_BUILD_METRIC = "check_build_metric"
DEPLOY = "deploy"
SKIP_DEPLOY = "skip_deploy"
APPROVE_DEPLOY = "approve_deploy"  # only where [frogml] approval_required names the automation
RUN_BATCH = "run_batch"

# XCom keys.
BUILD_ID = "build_id"  # pushed by the build task: the platform's build id
METRICS = "metrics"  # pushed by the build task: {metric name: value} the build logged
GATE = "gate"  # pushed by the metric branch: the comparison it made and its outcome
EVALUATION = "evaluation"  # pushed by the first task of a run a metric crossing started: value, threshold, why
ENDPOINT = "endpoint"  # pushed by the deploy task: where the model serves
BATCH_JOB_ID = "batch_job_id"  # pushed by run_batch: the platform's batch job id
APPROVAL = "approval"  # pushed by approve_deploy: the decision, who made it and when

# Beyond JFrog ML (the approval step exists only on the Airflow side, ``dags.approval``): the statuses
# of the notifications approve_deploy sends (with ``approval_url`` and ``responded_by``), and the
# callback-context key it puts its news under for the notifiers.
AWAITING_APPROVAL = "AWAITING_APPROVAL"
DEPLOY_REJECTED = "DEPLOY_REJECTED"
APPROVAL_TIMED_OUT = "APPROVAL_TIMED_OUT"
APPROVAL_CONTEXT = "frogml_approval"

# The asset a metric-based automation's DAG is scheduled on: ``frogml-metric://<dag_id>``, watched by
# ``triggers.metric.FrogMLMetricTrigger``; its state store keeps the trigger's state and history.
METRIC_ASSET_SCHEME = "frogml-metric"


def metric_asset_name(dag_id: str) -> str:
    return f"{METRIC_ASSET_SCHEME}/{dag_id}"


def metric_asset_uri(dag_id: str) -> str:
    return f"{METRIC_ASSET_SCHEME}://{dag_id}"


def to_plain(value: Any, *, defaults: bool = False) -> Any:
    """A spec object as JSON-able data: dataclasses -> dicts with ``kind`` (the class name), enums -> names.

    Only the fields that differ from the class's defaults, unless ``defaults``: a task argument
    carries what the automation says, and ``complete`` adds the rest where the value is used.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        plain: dict[str, Any] = {"kind": type(value).__name__}
        standard = {} if defaults else _defaults(type(value))
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.name in standard and _same(to_plain(item, defaults=True), standard[f.name]):
                continue  # as the default: ``complete`` puts it back
            plain[f.name] = to_plain(item, defaults=defaults)
        return plain
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, dict):
        return {str(k): to_plain(v, defaults=defaults) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v, defaults=defaults) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def complete(plain: Mapping[str, Any], kind: str = "") -> dict[str, Any]:
    """``to_plain``'s sparse form with every default filled in, nested specs too: what the platform gets.

    ``kind`` names the spec class when ``plain`` has none (a hand-written operator argument);
    keys that are not fields of the class are kept as given, and an unknown kind leaves ``plain`` as is.
    """
    name = str(plain.get("kind") or kind)
    cls = _spec_classes().get(name)
    given = {key: _complete_value(value) for key, value in plain.items() if key != "kind"}
    if cls is None:
        return {"kind": name, **given} if "kind" in plain else given
    return {"kind": name, **copy.deepcopy(_defaults(cls)), **given}


def _complete_value(value: Any) -> Any:
    if isinstance(value, Mapping) and "kind" in value:
        return complete(value)
    if isinstance(value, list):
        return [_complete_value(item) for item in value]
    return value


def _same(value: Any, default: Any) -> bool:
    """Equal and of the same type: ``2.0`` given where the default is ``2`` is kept, as written."""
    return type(value) is type(default) and value == default


@cache
def _defaults(cls: type) -> dict[str, Any]:
    """The plain form of each field's default (fields without one are always written)."""
    found: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            found[f.name] = to_plain(f.default, defaults=True)
        elif f.default_factory is not dataclasses.MISSING:
            found[f.name] = to_plain(f.default_factory(), defaults=True)
    return found


@cache
def _spec_classes() -> dict[str, type]:
    from frogml_airflow_provider import automations  # the layer below: the spec classes

    return {
        name: value
        for name, value in vars(automations).items()
        if isinstance(value, type) and dataclasses.is_dataclass(value)
    }
