"""``JFrogMLPlatform``: the ``Platform`` the operators use, on JFrog ML through the frogml SDK.

The constructor only stores its arguments: no SDK import, no connection lookup, no network (the
hook builds platforms while DAGs are parsed, triggers rebuild them from a locator). The first
method call imports the SDK, reads the connection and opens the channel.

RPCs used: ModelsManagementService.GetModel; BuildsOrchestratorService.GetBaseDockerImageName,
BuildModel, CancelBuildModel; BuildAPI.GetBuild, ListBuilds; DeploymentManagementService.
DeployModel, GetDeploymentDetails, GetDeploymentStatus; QwakEcosystemRuntime.
GetAuthenticatedUserContext (environments); LogReaderService.ReadLogs (the build log's tail);
LocationDiscoveryService.GetAnalyticsEngineUrl; AnalyticsQueryService.Query, GetQueryResultsPage,
GetQueryResultDownloadURL.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from frogml_airflow_provider.errors import JFrogMLNotFoundError, PlatformError
from frogml_airflow_provider.get_provider_info import DEFAULT_CONN_ID
from frogml_airflow_provider.platform.base import (
    Build,
    BuildRequest,
    BuildState,
    Deployment,
    DeploymentState,
    QueryResult,
)
from frogml_airflow_provider.platform.jfrog._mapping import (
    build_state,
    deployment_state,
    endpoint,
    metric,
    run_tag,
    shown_uri,
)
from frogml_airflow_provider.platform.jfrog.batch import JFrogMLBatchJobs
from frogml_airflow_provider.platform.jfrog.session import RPC_TIMEOUT, TRIES, Session, open_session

log = logging.getLogger(__name__)

LOG_TAIL_LINES = 40


class JFrogMLPlatform(JFrogMLBatchJobs):  # batch jobs: platform/jfrog/batch.py
    """Builds, deployments and analytics queries of one JFrog ML account (an Airflow connection).

    :param conn_id: the ``frogml`` connection: host = JFrog URL, password = access token.
    :param url: the host as the hook saw it (used when the connection has none).
    :param rpc_timeout: seconds each call may take.
    :param query_timeout: seconds an analytics query may run before it counts as failed.
    :param sleep: how to wait between retries and polls (tests pass a recorder).
    """

    name = "jfrog"

    def __init__(
        self,
        conn_id: str = DEFAULT_CONN_ID,
        url: str = "",
        *,
        rpc_timeout: float = RPC_TIMEOUT,
        query_timeout: float = 300.0,
        query_poll_interval: float = 1.0,
        tries: int = TRIES,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        log_tail_lines: int = LOG_TAIL_LINES,
    ) -> None:
        self.conn_id = conn_id
        self.url = url
        self.rpc_timeout = rpc_timeout
        self.query_timeout = query_timeout
        self.query_poll_interval = query_poll_interval
        self.tries = tries
        self.sleep = sleep
        self.clock = clock
        self.log_tail_lines = log_tail_lines
        self._session: Session | None = None
        self._lock = threading.Lock()

    def locator(self) -> dict[str, Any]:
        return {"kind": self.name, "conn_id": self.conn_id, "url": self.url}

    def session(self) -> Session:
        """The SDK, credentials and channel, set up on first use (thread-safe)."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = open_session(
                        self.conn_id, self.url, timeout=self.rpc_timeout, sleep=self.sleep, tries=self.tries
                    )
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # -- builds ----------------------------------------------------------------------------
    def submit_build(self, request: BuildRequest) -> Build:
        from frogml_airflow_provider.platform.jfrog._messages import remote_build_spec, uses_gpu

        spec = request.build_spec
        model_id = request.model_id
        if not spec.get("git_uri"):
            raise PlatformError(f"cannot build model {model_id!r}: the build spec has no git_uri")
        session = self.session()
        session.model_uuid(model_id)  # a missing model fails here, with its name
        build_id = str(uuid.uuid4())  # chosen by the client, as the CLI does
        tags = list(dict.fromkeys([*request.tags, run_tag(request.run_key)]))
        base_image = str(spec.get("base_image") or "") or session.base_image(gpu=uses_gpu(spec))
        message = remote_build_spec(
            session.sdk, model_id=model_id, build_id=build_id, spec=spec, tags=tags, base_image=base_image
        )
        # request.git_token (the secret's value, resolved from Airflow) is not sent: JFrog ML resolves
        # git_access_token_secret by *name* in its own secret manager, and a value sent along would
        # be stored in the build's configuration.
        submitted = time.time()
        session.call(
            session.orchestrator.BuildModel,
            session.sdk.orchestrator.BuildModelRequest(build_spec=message),
            rpc="BuildModel",
            about=f"model {model_id!r} (build {build_id})",
            idempotent=False,
        )
        log.info("Requested build %s of model %s from %s", build_id, model_id, shown_uri(str(spec["git_uri"])))
        try:
            build = self._get_build(build_id, model_id=model_id)
        except JFrogMLNotFoundError:  # registered asynchronously: it is queued
            build = Build(build_id, model_id, BuildState.QUEUED)
        return replace(build, run_key=request.run_key, started_at=build.started_at or submitted)

    def find_build(self, model_id: str, run_key: str) -> Build | None:
        """The newest build of ``model_id`` tagged with ``run_key``'s tag (a retry re-attaches)."""
        session = self.session()
        sdk = session.sdk
        tag = run_tag(run_key)
        response = session.call(
            session.builds.ListBuilds,
            sdk.build_api.ListBuildsRequest(
                model_uuid=session.model_uuid(model_id),
                filter=sdk.build_v1.BuildFilter(tags=[tag], require_all_tags=True, include_extra_tags=True),
            ),
            rpc="ListBuilds",
            about=f"builds of model {model_id!r} tagged {tag}",
        )
        tagged = [proto for proto in response.build if tag in proto.tags]  # whatever the server's filter did
        if not tagged:
            return None
        newest = max(tagged, key=lambda proto: (proto.audit.created_at.seconds, proto.audit.created_at.nanos))
        return replace(self._build_from(newest, model_id), run_key=run_key)

    def get_build(self, build_id: str, *, log_tail: bool = True) -> Build:
        return self._get_build(build_id, log_tail=log_tail)

    def cancel_build(self, build_id: str, *, timed_out: bool = False) -> Build:
        session = self.session()
        build = self._get_build(build_id)
        if build.state.terminal:
            return self._get_build(build_id, log_tail=True)
        session.call(
            session.orchestrator.CancelBuildModel,
            session.sdk.orchestrator.CancelBuildModelRequest(build_id=build_id),
            rpc="CancelBuildModel",
            about=f"build {build_id!r} of model {build.model_id!r}",
        )
        wanted = BuildState.TIMED_OUT if timed_out else BuildState.CANCELLED
        log.info("Cancelled build %s of model %s (%s)", build_id, build.model_id, wanted.value)
        after = self._get_build(build_id, model_id=build.model_id, log_tail=True)
        if after.state in (BuildState.QUEUED, BuildState.RUNNING, BuildState.CANCELLED):
            # The platform stops it asynchronously; it will not be used, whatever it reports next.
            after = replace(after, state=wanted, error="timed out; cancelled" if timed_out else "cancelled")
        return after

    def _get_build(self, build_id: str, *, model_id: str = "", log_tail: bool = False) -> Build:
        session = self.session()
        response = session.call(
            session.builds.GetBuild,
            session.sdk.build_api.GetBuildRequest(build_id=build_id),
            rpc="GetBuild",
            about=f"build {build_id!r}" + (f" of model {model_id!r}" if model_id else ""),
        )
        build = self._build_from(response.build, model_id)
        if log_tail:
            build = replace(build, log_tail=self._log_tail(response.build, build.model_id))
        return build

    def _build_from(self, proto: Any, model_id: str = "") -> Build:
        statuses = self.session().sdk.build_v1.BuildStatus
        status = statuses.Name(proto.build_status) if proto.build_status in statuses.values() else "UNKNOWN"
        state = build_state(status)
        error = ""
        if state in (BuildState.FAILED, BuildState.CANCELLED, BuildState.TIMED_OUT):
            error = proto.failure_reason_code or f"JFrog ML reports the build {status}"
        created = proto.audit.created_at
        return Build(
            build_id=proto.buildId,
            model_id=model_id or self.session().model_id(proto.model_uuid),
            state=state,
            metrics={str(k): metric(v) for k, v in proto.metrics.items()},
            error=error,
            started_at=created.seconds + created.nanos / 1e9,
        )

    def _log_tail(self, proto: Any, model_id: str) -> str:
        """The last lines of the build's log from its environment's log service; "" when it has
        none or cannot be read (a log is a help in a failure message, never a reason to fail)."""
        session = self.session()
        sdk = session.sdk
        try:
            stub = session.logs_stub(proto.environment_id)
            if stub is None:
                return ""
            source = sdk.log_source.LogSource(
                remote_build=sdk.log_source.RemoteBuildSource(build_id=proto.buildId, model_id=model_id)
            )
            response = session.call(
                stub.ReadLogs,
                sdk.logs.ReadLogsRequest(source=source, max_number_of_results=self.log_tail_lines),
                rpc="ReadLogs",
                about=f"the log of build {proto.buildId!r}",
            )
        except PlatformError as error:
            log.warning("Cannot read the log of build %s: %s", proto.buildId, error)
            return ""
        lines = list(response.log_line)
        if lines and all(line.ingested_iso_timestamp for line in lines):
            lines.sort(key=lambda line: line.ingested_iso_timestamp)
        else:
            lines.reverse()  # the service pages backwards from the newest line
        return "\n".join(line.text.rstrip("\n") for line in lines[-self.log_tail_lines :])

    # -- deployments -----------------------------------------------------------------------
    def deploy(self, model_id: str, build_id: str, deployment_spec: Mapping[str, Any]) -> Deployment:
        from frogml_airflow_provider.platform.jfrog._messages import environment_deployments

        variation = str(deployment_spec.get("variation_name") or "default")
        current = self.get_deployment(model_id, variation)
        if (
            current is not None
            and current.build_id == build_id
            and current.state in (DeploymentState.SERVING, DeploymentState.DEPLOYING)
        ):
            return current  # idempotent: a retry of the deploy task does not deploy twice
        build = self._get_build(build_id, model_id=model_id)
        if build.state is not BuildState.SUCCESSFUL:
            raise PlatformError(f"cannot deploy build {build_id} of model {model_id!r}: it is {build.state.value}")
        session = self.session()
        sdk = session.sdk
        environments = session.environment_ids(list(deployment_spec.get("environments") or []), model_id=model_id)
        messages = environment_deployments(
            sdk,
            model_id=model_id,
            model_uuid=session.model_uuid(model_id),
            build_id=build_id,
            spec=deployment_spec,
            environment_ids=environments,
        )
        response = session.call(
            session.deployments.DeployModel,
            sdk.deployment_service.DeployModelRequest(
                model_id=model_id,
                build_id=build_id,
                hosting_service=next(iter(messages.values())).hosting_service,
                environment_to_deployment=messages,
            ),
            rpc="DeployModel",
            about=f"build {build_id!r} of model {model_id!r}",
            idempotent=False,
            timeout=max(self.rpc_timeout, 60.0),
        )
        statuses = sdk.deployment.ModelDeploymentStatus
        failures = [
            f"{self._environment_name(env_id)}: {result.info or statuses.Name(result.status)}"
            for env_id, result in response.environment_to_deployment_result.items()
            if result.status in statuses.values()
            and deployment_state(statuses.Name(result.status)) is DeploymentState.FAILED
        ]
        if failures:
            return Deployment(model_id, variation, build_id, DeploymentState.FAILED, error="; ".join(failures))
        log.info("Deploying build %s of model %s to %s (%s)", build_id, model_id, variation, ", ".join(environments))
        after = self.get_deployment(model_id, variation)
        if after is not None and after.build_id == build_id:
            return after
        return Deployment(model_id, variation, build_id, DeploymentState.DEPLOYING)

    def get_deployment(self, model_id: str, variation: str) -> Deployment | None:
        """The build most recently deployed to ``variation`` and its state; over several
        environments, the worst of them (FAILED, then DEPLOYING, then SERVING)."""
        session = self.session()
        sdk = session.sdk
        try:
            response = session.call(
                session.deployments.GetDeploymentDetails,
                sdk.deployment_service.GetDeploymentDetailsRequest(
                    model_id=model_id, model_uuid=session.model_uuid(model_id)
                ),
                rpc="GetDeploymentDetails",
                about=f"the deployments of model {model_id!r}",
            )
        except JFrogMLNotFoundError as error:
            if error.rpc == "GetModel":
                raise
            return None
        entries = [
            (env_id, details)
            for env_id, per_env in response.environment_to_deployment_details.items()
            for details in per_env.deployments_details
        ] or [(details.environment_id, details) for details in response.current_deployments_details]
        states = [
            (env_id, details, self._deployment_state(details, model_id))
            for env_id, details in entries
            if (details.variation.name or "default") == variation
        ]
        if not states:
            return None
        newest = max(
            states,
            key=lambda item: (item[1].last_deployed.seconds, item[2] is DeploymentState.DEPLOYING),
        )
        build_id = newest[1].build_id
        same = [item for item in states if item[1].build_id == build_id]
        found = {state for _, _, state in same}
        for state in (DeploymentState.FAILED, DeploymentState.DEPLOYING, DeploymentState.SERVING):
            if state in found:
                break
        else:
            state = DeploymentState.STOPPED
        errors = [
            d.failure_details.failure_message for _, d, s in same if s is state and d.failure_details.failure_message
        ]
        serving_env = next((env_id for env_id, _, s in same if s is DeploymentState.SERVING), same[0][0])
        environment = session.environment(serving_env)
        api = environment.configuration.model_api_url if environment is not None else ""
        return Deployment(
            model_id=model_id,
            variation=variation,
            build_id=build_id,
            state=state,
            endpoint=endpoint(api, model_id) if state is DeploymentState.SERVING else "",
            error="; ".join(errors),
        )

    def _deployment_state(self, details: Any, model_id: str) -> DeploymentState:
        session = self.session()
        sdk = session.sdk
        statuses = sdk.deployment.ModelDeploymentStatus
        status = details.status
        if not status and details.deployment_id:  # older control planes leave it to GetDeploymentStatus
            status = session.call(
                session.deployments.GetDeploymentStatus,
                sdk.deployment_service.GetDeploymentStatusRequest(
                    deployment_named_id=details.deployment_id,
                    hosting_service_type=sdk.deployment.DeploymentHostingServiceType.Value("KUBE_DEPLOYMENT"),
                ),
                rpc="GetDeploymentStatus",
                about=f"deployment {details.deployment_id!r} of model {model_id!r}",
            ).status
        return deployment_state(statuses.Name(status) if status in statuses.values() else "UNKNOWN")

    def _environment_name(self, environment_id: str) -> str:
        environment = self.session().environment(environment_id)
        return f"environment {environment.name or environment_id}" if environment is not None else "environment"

    # -- analytics -------------------------------------------------------------------------
    def query(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        from frogml_airflow_provider.platform.jfrog._analytics import run_query

        return run_query(
            self.session(),
            sql,
            timeout=self.query_timeout if timeout is None else timeout,
            poll_interval=self.query_poll_interval,
            sleep=self.sleep,
            clock=self.clock,
        )
