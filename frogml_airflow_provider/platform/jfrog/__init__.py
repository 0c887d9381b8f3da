"""The JFrog ML backend: ``JFrogMLPlatform`` runs the provider's builds, deployments and analytics
queries on JFrog ML through the frogml SDK.

Importing this package imports neither the SDK nor grpc (DAG parsing may import it); the SDK is
imported by the first call that needs it, which says what to install when it is missing.
"""

from __future__ import annotations

from frogml_airflow_provider.platform.jfrog.platform import JFrogMLPlatform

__all__ = ["JFrogMLPlatform"]
