"""An auth manager with per-DAG access, for the console's tests: Airflow's simple auth manager, where
the user ``limited`` may read only the DAGs in ``LIMITED_DAGS`` and not the import errors view.

Airflow calls it as it calls any auth manager (``AIRFLOW__CORE__AUTH_MANAGER``): the checks the console
makes are the real ones, against a real per-DAG policy (the simple manager grants by role only).
"""

from __future__ import annotations

import os
from typing import Any

from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

LIMITED = "limited"
CLASS_PATH = "tests.support.auth.PerDagAuthManager"


def limited_dags() -> set[str]:
    return set(filter(None, os.environ.get("FROGML_TEST_LIMITED_DAGS", "").split(",")))


class PerDagAuthManager(SimpleAuthManager):
    def is_authorized_dag(self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None) -> bool:
        if user.get_name() == LIMITED and (details is None or details.id not in limited_dags()):
            return False
        return bool(super().is_authorized_dag(method=method, user=user, access_entity=access_entity, details=details))

    def is_authorized_view(self, *, access_view: AccessView, user: Any) -> bool:
        if user.get_name() == LIMITED and access_view == AccessView.IMPORT_ERRORS:
            return False
        return bool(super().is_authorized_view(access_view=access_view, user=user))
