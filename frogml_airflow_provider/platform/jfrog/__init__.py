"""The JFrog ML backend and client.

- ``session``: the client. ``open_session(conn_id)`` turns the ``frogml`` connection's
  credentials into one authenticated session (channel, token, retries, errors, scrubbing) that
  every caller of JFrog ML uses, with ``session.automations`` for the automation service.
- ``JFrogMLPlatform`` (``platform``): the ``Platform`` the operators use, on a session: builds,
  deployments and analytics queries.

Importing this package imports neither the SDK nor grpc (DAG parsing may import it); the SDK is
imported by the first call that needs it, which says what to install when it is missing.
"""

from __future__ import annotations

from frogml_airflow_provider.platform.jfrog.platform import JFrogMLPlatform

__all__ = ["JFrogMLPlatform"]
