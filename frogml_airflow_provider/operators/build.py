"""``FrogMLBuildOperator``: build the model from git on the platform (task ``build``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import Context

from frogml_airflow_provider.assets import public_url
from frogml_airflow_provider.errors import FrogMLBuildFailed, PlatformError
from frogml_airflow_provider.operators._base import (
    FrogMLBaseOperator,
    run_key,
)
from frogml_airflow_provider.operators._crossing import take_crossing
from frogml_airflow_provider.operators._outputs import emit, platform_kind, run_facts
from frogml_airflow_provider.operators.links import FrogMLBuildLink, FrogMLModelLink
from frogml_airflow_provider.platform.base import BuildRequest, BuildState
from frogml_airflow_provider.tasks import BUILD_ID, METRICS, complete
from frogml_airflow_provider.triggers.build import FrogMLBuildTrigger

__all__ = ["FrogMLBuildFailed", "FrogMLBuildOperator"]  # FrogMLBuildFailed: defined in errors.py

_RESTARTABLE = (BuildState.FAILED, BuildState.CANCELLED, BuildState.TIMED_OUT)


class FrogMLBuildOperator(FrogMLBaseOperator):
    """Builds ``model_id`` from ``build_spec`` (a ``BuildSpecifications`` as data) and waits for
    it deferred, without holding a worker slot. Pushes ``build_id`` and ``metrics`` to XCom.

    One build per DAG run: a retry or a rerun of the same run re-attaches to the build it started
    (while it runs or after it succeeded) instead of starting a second one; only after that build
    failed, was cancelled or timed out does a retry start a new build. In a run a metric crossing
    started, the crossing is taken first (``_crossing.take_crossing``): one build per crossing. The build may take
    ``build_timeout`` from its start (an absolute deadline, kept across retries); then it is
    cancelled and the task fails.

    :param build_spec: the build specification (a ``BuildSpecifications`` as data: git source,
        branch, main dir, env vars, resources...).
    :param build_timeout: how long the build may take before it is cancelled. Default 2 hours.
    :param poll_interval: seconds between status checks while deferred (default: ``[frogml] poll_interval``).
    :param model_id: the JFrog ML model to build.
    :param automation_name: the automation this task belongs to (for logs and the console); "".
    :param frogml_conn_id: the ``frogml`` connection: the local embedded platform, or JFrog ML.
        Default ``frogml_default``.
    :param kwargs: the arguments of Airflow's ``BaseOperator`` (``task_id``, ``retries``...).
    """

    template_fields: Sequence[str] = ("model_id", "build_spec")
    operator_extra_links = (FrogMLBuildLink(), FrogMLModelLink())
    template_fields_renderers = {"build_spec": "json"}

    def __init__(
        self,
        *,
        build_spec: dict[str, Any],
        build_timeout: timedelta = timedelta(hours=2),
        poll_interval: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.build_spec = build_spec
        self.build_timeout = build_timeout
        self.poll_interval = poll_interval
        self._build_id: str | None = None
        self.lineage_extra: dict[str, Any] | None = None  # the asset event's extra, for OpenLineage too

    def execute(self, context: Context) -> Any:
        self.build_spec = complete(self.build_spec, "BuildSpecifications")  # the DAG holds only what was given
        crossing = take_crossing(context, self.inlets, self.log)
        platform = self.hook.platform
        key = run_key(context, crossing)
        build = platform.find_build(self.model_id, key)
        if build is None or build.state in _RESTARTABLE:
            token = self._git_token()
            timeout = self.build_timeout.total_seconds()  # the build also stops itself there
            request = BuildRequest(self.model_id, self.build_spec, key, git_token=token, timeout=timeout)
            build = platform.submit_build(request)
            self.log.info("Submitted build %s of model %s", build.build_id, self.model_id)
        else:
            self.log.info("Re-attached to build %s of this run (%s)", build.build_id, build.state.value)
        self._build_id = build.build_id
        context["ti"].xcom_push(key=BUILD_ID, value=build.build_id)
        if build.state.terminal:
            return self._finish(context, build.to_event())
        deadline = build.started_at + self.build_timeout.total_seconds()
        self.defer_until(FrogMLBuildTrigger, deadline, self.poll_interval, build_id=build.build_id)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        build_id = event.get("build_id") or context["ti"].xcom_pull(task_ids=self.task_id, key=BUILD_ID)
        if event.get("timed_out"):
            build = self.hook.platform.cancel_build(build_id, timed_out=True)
            raise FrogMLBuildFailed(
                f"build {build_id} of model {self.model_id!r} did not finish within {self.build_timeout}; "
                f"it was cancelled.{_tail(build.log_tail)}"
            )
        if event.get("state") == "ERROR":
            raise PlatformError(f"could not follow build {build_id} of model {self.model_id!r}: {event.get('error')}")
        return self._finish(context, event)

    def _finish(self, context: Context, event: dict[str, Any]) -> str:
        state = BuildState(event["state"])
        build_id = event["build_id"]
        if state is not BuildState.SUCCESSFUL:
            why = {
                BuildState.FAILED: "failed",
                BuildState.CANCELLED: "was cancelled",
                BuildState.TIMED_OUT: "timed out",
            }[state]
            detail = f": {event['error']}" if event.get("error") else ""
            raise FrogMLBuildFailed(
                f"build {build_id} of model {self.model_id!r} {why}{detail}{_tail(event.get('log_tail', ''))}"
            )
        metrics = event.get("metrics") or {}
        context["ti"].xcom_push(key=METRICS, value=metrics)
        self.log.info("Build %s succeeded; metrics: %s", build_id, metrics or "none logged")
        self.lineage_extra = emit(context, self.outlets, "builds", self._extra(context, build_id, metrics), self.log)
        return build_id

    def _extra(self, context: Context, build_id: str, metrics: dict[str, Any]) -> dict[str, Any]:
        """The build asset event's extra (``assets.py``): nothing secret (the git URL loses any login)."""
        return {
            **run_facts(self, context, self.task_id),
            "build_id": build_id,
            "metrics": dict(metrics),
            "git_uri": public_url(str(self.build_spec.get("git_uri") or "")),
            "git_branch": self.build_spec.get("git_branch"),
        }

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage (when its provider is installed): the git repository in, the build out."""
        from frogml_airflow_provider import lineage as _lineage

        return self._lineage(_lineage, [_lineage.build_dataset(self.model_id)])

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> Any:
        from frogml_airflow_provider import lineage as _lineage

        return self._lineage(_lineage, [])

    def _lineage(self, _lineage: Any, outputs: list[Any]) -> Any:
        git = _lineage.git_dataset(str(self.build_spec.get("git_uri") or ""))
        metric = _lineage.metric_datasets(self.inlets, platform_kind(self.hook))
        facet = self.lineage_extra or {"build_id": self._build_id, "automation": self.automation_name}
        return _lineage.lineage(([git] if git else []) + metric, outputs, facet, self.model_id)

    def on_kill(self) -> None:
        if self._build_id:
            build = self.hook.platform.get_build(self._build_id)
            if not build.state.terminal:
                self.log.info("Cancelling build %s", self._build_id)
                self.hook.platform.cancel_build(self._build_id)

    def _git_token(self) -> str | None:
        name = self.build_spec.get("git_access_token_secret")
        uri = str(self.build_spec.get("git_uri") or "")
        if not name:
            return None
        if self.hook.locator.get("kind") != "local":
            return None  # JFrog ML resolves the name in its own secret manager; only the name is sent
        if not uri.lower().startswith(("http://", "https://")):
            self.log.info("git_access_token_secret %r is not needed for %s; not resolving it", name, uri.split("#")[0])
            return None
        return self.hook.resolve_secret(name)


def _tail(log_tail: str) -> str:
    return f"\n--- last lines of the build log ---\n{log_tail}" if log_tail else ""
