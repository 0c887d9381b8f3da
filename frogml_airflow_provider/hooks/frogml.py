"""``FrogMLHook``: the ``frogml`` connection, and the platform it points at."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

from frogml_airflow_provider.get_provider_info import CONN_TYPE

DEFAULT_CONN_ID = "frogml_default"


class FrogMLHook(BaseHook):
    """Talks to the platform a ``frogml`` connection names: JFrog ML when its host is a JFrog URL,
    the local embedded platform otherwise (or when the connection does not exist).

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
    def platform(self) -> Any:
        raise NotImplementedError("the platform layer (local embedded and JFrog ML) lands with issue #3")
