"""``FrogMLHook``: the ``frogml`` connection, and the platform it points at."""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

from frogml_airflow_provider.errors import PlatformError
from frogml_airflow_provider.get_provider_info import CONN_TYPE, DEFAULT_CONN_ID
from frogml_airflow_provider.platform.base import Platform

__all__ = ["DEFAULT_CONN_ID", "FrogMLHook", "default_local_state_dir"]
LOCAL_HOSTS = ("", "local", "localhost")


class FrogMLHook(BaseHook):
    """The platform a ``frogml`` connection names.

    - No connection, or one whose host is empty or ``local``: the local embedded platform, with
      its state under ``extra.state_dir``, else ``[frogml] local_state_dir``, else
      ``$AIRFLOW_HOME/frogml-local``.
    - A host that is a JFrog URL (password = access token): JFrog ML.

    No I/O in the constructor: the connection and clients are looked up on first use.
    """

    conn_name_attr = "frogml_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = "JFrog ML"

    def __init__(self, frogml_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.frogml_conn_id = frogml_conn_id

    @cached_property
    def locator(self) -> dict[str, Any]:
        """Which platform, as secret-free data a trigger can carry."""
        connection = self._connection()
        host = (connection.host or "").strip() if connection else ""
        extra = connection.extra_dejson if connection else {}
        if host.lower() in LOCAL_HOSTS:
            from frogml_airflow_provider.platform.local.machine import this_machine

            # The machine travels with triggers: a triggerer elsewhere fails saying why (local/machine.py).
            state_dir = extra.get("state_dir") or default_local_state_dir()
            return {"kind": "local", "state_dir": state_dir, "machine": this_machine()}
        return {"kind": "jfrog", "conn_id": self.frogml_conn_id, "url": host}

    @cached_property
    def platform(self) -> Platform:
        from frogml_airflow_provider.platform.registry import platform_from_locator

        return platform_from_locator(self.locator)

    def _connection(self) -> Any:
        from airflow.sdk.exceptions import AirflowNotFoundException

        try:
            return self.get_connection(self.frogml_conn_id)
        except AirflowNotFoundException:
            if self.frogml_conn_id != DEFAULT_CONN_ID:
                raise PlatformError(
                    f"connection {self.frogml_conn_id!r} does not exist; create it (type 'frogml') or use "
                    f"{DEFAULT_CONN_ID!r}, which falls back to the local embedded platform"
                ) from None
            return None

    def resolve_secret(self, name: str) -> str:
        """A secret *name* from an automation (``git_access_token_secret``), resolved through
        Airflow's secrets: a Variable of that name, else the password of a Connection of that name.
        The value is masked in task logs."""
        from airflow.sdk import Connection, Variable
        from airflow.sdk.log import mask_secret

        value: str | None = None
        try:
            value = Variable.get(name)
        except Exception:  # noqa: BLE001 - not a Variable: try a Connection
            try:
                value = Connection.get(name).password
            except Exception:  # noqa: BLE001
                value = None
        if not value:
            raise PlatformError(
                f"secret {name!r} (git_access_token_secret) is neither an Airflow Variable nor a Connection "
                f"with a password; create one, e.g. `airflow variables set {name} <token>`"
            )
        mask_secret(value, name)
        return value


def default_local_state_dir() -> str:
    from airflow.configuration import AIRFLOW_HOME, conf

    return conf.get("frogml", "local_state_dir", fallback=None) or os.path.join(AIRFLOW_HOME, "frogml-local")
