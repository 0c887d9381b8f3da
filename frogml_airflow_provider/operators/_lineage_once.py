"""One OpenLineage START per task run, deferral included.

The OpenLineage provider (2.20) sends START from Airflow's ``on_task_instance_running`` listener hook,
which the task runner calls each time a task's process starts: before a deferral and again on resuming.
It drops the repeat only for reschedule-mode sensors, so a deferred build, deploy or batch job would
report two STARTs for one run id. A resuming task therefore switches its own task events off through
the provider's per-task emission policy (a task param the provider reads as it builds each event) while
it starts, and restores them as soon as it resumes, before COMPLETE or FAIL are built.

Nothing of OpenLineage is imported: without the provider the param is an inert entry on the running
task's own copy. A conf rule that locks ``emit`` wins (the provider then sends both STARTs).
This is where the provider's version-specific behaviour lives; nowhere else.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param

# The param the provider's authoring API (``extend_global_openlineage_emission_policy``) stores its
# per-task flags in (``airflow.providers.openlineage.utils.emission_policy.OL_EMISSION_POLICY_PARAM``).
POLICY_PARAM = "_openlineage_emission_policy"


def resuming(context: Any) -> bool:
    """Whether this process resumes the task after a deferral: the server's context names the method."""
    ti_context = getattr(context.get("ti"), "_ti_context_from_server", None)
    return bool(getattr(ti_context, "next_method", None))


def quiet_task_events(params: Any) -> Param | None:
    """Turn the task's OpenLineage task events off; returns the param it replaced (``None``: there was none)."""
    previous = params.get_param(POLICY_PARAM) if POLICY_PARAM in params else None
    flags = dict(previous.value) if previous is not None and isinstance(previous.value, dict) else {}
    params[POLICY_PARAM] = Param({**flags, "emit_task_events": False})
    return previous


def restore_task_events(params: Any, previous: Param | None) -> None:
    """Put back what ``quiet_task_events`` replaced."""
    if previous is not None:
        params[POLICY_PARAM] = previous
    elif POLICY_PARAM in params:
        del params[POLICY_PARAM]


class OneStartPerRun:
    """Mixed into an operator that defers: its resumed process sends no second OpenLineage START."""

    params: Any

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        # The task runner renders just before it tells the listeners the task runs: a resumed task's
        # START would be its second; it is quiet until it resumes.
        super().render_template_fields(context, jinja_env)  # type: ignore[misc]
        if resuming(context):
            self._lineage_policy = quiet_task_events(self.params)

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Any) -> Any:
        if hasattr(self, "_lineage_policy"):
            restore_task_events(self.params, self.__dict__.pop("_lineage_policy"))
        return super().resume_execution(next_method, next_kwargs, context)  # type: ignore[misc]
