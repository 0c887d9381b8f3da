"""The asset events a FrogML task emits when it succeeds (see ``assets.py``).

The renderer declares each task's outlet; here the operator gives the event its ``extra``. An
operator built by hand without that outlet emits nothing. What goes in an extra is secret-free by
construction: ids, numbers, names, URLs without user info or query, the platform's kind.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Asset, AssetAlias, Context

from frogml_airflow_provider.assets import SCHEME, find_outlet, json_safe, output_uri
from frogml_airflow_provider.tasks import EVALUATION

# What of a metric crossing's evaluation an extra carries (the payload is the trigger's own, all public).
_EVALUATION_KEYS = ("trigger", "crossing", "value", "threshold", "direction", "evaluated_at", "reason")


def platform_kind(hook: Any) -> str:
    """``local`` or ``jfrog``: the platform, never its URL (a connection's host may carry a login)."""
    return str(hook.locator.get("kind") or "")


def run_facts(operator: Any, context: Context, first_task_id: str) -> dict[str, Any]:
    """What every extra carries: the model, the automation, the platform's kind, the DAG run, and the
    metric crossing that started it (pushed by the run's first task, ``first_task_id``)."""
    ti = context["ti"]
    return {
        "model_id": operator.model_id,
        "automation": operator.automation_name,
        "platform": platform_kind(operator.hook),
        "dag_id": ti.dag_id,
        "run_id": ti.run_id,
        "evaluation": evaluation(context, first_task_id),
    }


def evaluation(context: Context, task_id: str) -> dict[str, Any] | None:
    """The metric crossing this run was started by (pushed by its first task), or None."""
    found = context["ti"].xcom_pull(task_ids=task_id, key=EVALUATION)
    if not isinstance(found, dict):
        return None
    return {key: found.get(key) for key in _EVALUATION_KEYS}


def emit(context: Context, outlets: list[Any], kind: str, extra: dict[str, Any], log: Any) -> dict[str, Any] | None:
    """Set ``extra`` on this task's ``frogml://<kind>/...`` outlet's event; the extra, or None without one."""
    asset = find_outlet(outlets, uri_prefix=f"{SCHEME}://{kind}/")
    if asset is None:
        return None
    safe = json_safe(extra)
    context["outlet_events"][asset].extra = safe
    log.info("Asset event for %s: %s", asset.uri, safe)
    return safe


def emit_batch_output(
    context: Context, outlets: list[Any], destination: str, extra: dict[str, Any], log: Any
) -> str | None:
    """Attach the folder a batch job wrote to this task's batch-output alias, with ``extra``; its URI."""
    alias = find_outlet(outlets, alias_prefix=f"{SCHEME}-batch-output/")
    uri = output_uri(destination)
    if not isinstance(alias, AssetAlias) or uri is None:
        return None
    safe = json_safe(extra)
    context["outlet_events"][alias].add(Asset(uri=uri), extra=safe)
    log.info("Asset event for %s (alias %s): %s", uri, alias.name, safe)
    return uri
