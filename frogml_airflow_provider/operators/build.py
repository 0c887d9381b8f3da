"""``FrogMLBuildOperator``: build the model from git on the platform (task ``build``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import Context

from frogml_airflow_provider.operators._base import FrogMLBaseOperator


class FrogMLBuildOperator(FrogMLBaseOperator):
    """Submits a build of ``model_id`` from ``build_spec`` (a ``BuildSpecifications`` as data)
    and waits for it without holding a worker slot. Pushes ``build_id`` and ``metrics`` to XCom.

    :param model_id: the JFrog ML model to build.
    :param build_spec: the build specification (git source, branch, main dir, env vars, ...).
    :param build_timeout: how long the build may take before it is cancelled.
    :param poll_interval: seconds between status checks while deferred.
    """

    template_fields: Sequence[str] = ("model_id", "build_spec")
    template_fields_renderers = {"build_spec": "json"}

    def __init__(
        self,
        *,
        build_spec: dict[str, Any],
        build_timeout: timedelta = timedelta(hours=2),
        poll_interval: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.build_spec = build_spec
        self.build_timeout = build_timeout
        self.poll_interval = poll_interval

    def execute(self, context: Context) -> Any:
        raise NotImplementedError("building on a platform lands with issue #3")
