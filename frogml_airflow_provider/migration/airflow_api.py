"""The Airflow side of a hand-over, through Airflow's public REST API (``/api/v2``).

The REST API, not the metadata database: it works from any machine that reaches the API server,
goes through Airflow's own authentication and permissions, and takes the same effect as the UI's
pause switch. Where it is and who calls it:

- base URL: ``--airflow-url``, else ``FROGML_AIRFLOW_URL``, else ``[api] base_url`` of the local Airflow
  configuration, else ``http://localhost:8080``;
- credentials: ``FROGML_AIRFLOW_TOKEN`` (a JWT, sent as ``Bearer``), else ``FROGML_AIRFLOW_USERNAME`` and
  ``FROGML_AIRFLOW_PASSWORD``, exchanged for a token at ``POST /auth/token`` (Airflow's simple and FAB
  auth managers both serve it).

Every request is bounded (``timeout`` for the whole request); errors say which call failed, what
Airflow answered, and what to check. Credentials never appear in a message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from frogml_airflow_provider.errors import AirflowApiError

DEFAULT_URL = "http://localhost:8080"
TIMEOUT = 15.0
ACTIVE_RUN_STATES = ("queued", "running")


@dataclass(frozen=True)
class DagState:
    dag_id: str
    is_paused: bool
    scheduled: bool  # has a timetable that creates runs (not manual-only)
    last_run_state: str = ""
    last_run_at: str = ""


def airflow_url(explicit: str | None = None) -> str:
    if explicit:
        return explicit.rstrip("/")
    if os.environ.get("FROGML_AIRFLOW_URL"):
        return os.environ["FROGML_AIRFLOW_URL"].rstrip("/")
    try:
        from airflow.configuration import conf

        configured = conf.get("api", "base_url", fallback="") or ""
    except Exception:  # noqa: BLE001 - no usable local Airflow configuration: use the default
        configured = ""
    return (configured or DEFAULT_URL).rstrip("/")


class AirflowApi:
    """The few REST calls a hand-over needs."""

    def __init__(self, url: str | None = None, *, timeout: float = TIMEOUT) -> None:
        import requests

        self.url = airflow_url(url)
        self._timeout = timeout
        self._http = requests.Session()
        self._http.trust_env = False  # loopback and intranet API servers: no proxy from the environment
        self._token: str | None = os.environ.get("FROGML_AIRFLOW_TOKEN") or None

    def close(self) -> None:
        self._http.close()

    # -- reads ---------------------------------------------------------------------------------------
    def dag(self, dag_id: str) -> DagState | None:
        """The DAG's state, or None when Airflow does not know it (not parsed yet, or no such automation)."""
        data = self._request("GET", f"/api/v2/dags/{quote(dag_id, safe='')}", about=f"DAG {dag_id!r}", missing_ok=True)
        if data is None:
            return None
        last = self._runs(dag_id, limit=1)
        return DagState(
            dag_id=dag_id,
            is_paused=bool(data.get("is_paused")),
            scheduled=bool(data.get("timetable_periodic"))
            or (data.get("next_dagrun_run_after") is not None and data.get("timetable_summary") not in (None, "None")),
            last_run_state=str(last[0].get("state") or "") if last else "",
            last_run_at=str(last[0].get("run_after") or last[0].get("start_date") or "") if last else "",
        )

    def active_runs(self, dag_id: str) -> list[str]:
        """The run ids of the DAG's queued or running runs."""
        return [str(run.get("dag_run_id")) for run in self._runs(dag_id, states=ACTIVE_RUN_STATES, limit=100)]

    def _runs(self, dag_id: str, *, states: tuple[str, ...] = (), limit: int) -> list[dict[str, Any]]:
        params: list[tuple[str, str]] = [("order_by", "-id"), ("limit", str(limit))]
        params += [("state", state) for state in states]
        data = self._request(
            "GET", f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns", params=params, about=f"runs of DAG {dag_id!r}"
        )
        return list((data or {}).get("dag_runs") or [])

    # -- writes --------------------------------------------------------------------------------------
    def set_paused(self, dag_id: str, paused: bool) -> None:
        self._request(
            "PATCH",
            f"/api/v2/dags/{quote(dag_id, safe='')}",
            params=[("update_mask", "is_paused")],
            json={"is_paused": paused},
            about=f"{'pausing' if paused else 'unpausing'} DAG {dag_id!r}",
        )

    # -- transport -----------------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        about: str,
        params: list[tuple[str, str]] | None = None,
        json: Any = None,
        missing_ok: bool = False,
        retried: bool = False,
    ) -> Any:
        import requests

        headers = {"Authorization": f"Bearer {self._bearer()}", "Accept": "application/json"}
        try:
            response = self._http.request(
                method,
                self.url + path,
                params=params,
                json=json,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise AirflowApiError(
                f"Airflow at {self.url} did not answer {about} within {self._timeout:g} s; check that its API "
                "server is up (airflow api-server) and reachable"
            ) from None
        except requests.RequestException as error:
            raise AirflowApiError(
                f"cannot reach Airflow at {self.url} for {about} ({type(error).__name__}); check --airflow-url / "
                "FROGML_AIRFLOW_URL and that the API server is running"
            ) from None
        if response.status_code == 401 and not retried and not os.environ.get("FROGML_AIRFLOW_TOKEN"):
            self._token = None  # an expired token: log in once more
            return self._request(
                method, path, about=about, params=params, json=json, missing_ok=missing_ok, retried=True
            )
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 300:
            raise AirflowApiError(
                f"Airflow at {self.url} refused {about}: HTTP {response.status_code} {_detail(response)}; "
                f"{_advice(response.status_code)}"
            )
        return response.json() if response.content else None

    def _bearer(self) -> str:
        if self._token:
            return self._token
        import requests

        user, password = os.environ.get("FROGML_AIRFLOW_USERNAME"), os.environ.get("FROGML_AIRFLOW_PASSWORD")
        if not user or not password:
            raise AirflowApiError(
                f"no credentials for Airflow at {self.url}: set FROGML_AIRFLOW_TOKEN, or FROGML_AIRFLOW_USERNAME "
                "and FROGML_AIRFLOW_PASSWORD (a user allowed to pause DAGs and read their runs)"
            )
        try:
            response = self._http.post(
                f"{self.url}/auth/token",
                json={"username": user, "password": password},
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise AirflowApiError(
                f"cannot reach Airflow at {self.url} to log in ({type(error).__name__}); check --airflow-url / "
                "FROGML_AIRFLOW_URL and that the API server is running"
            ) from None
        if response.status_code >= 300:
            raise AirflowApiError(
                f"Airflow at {self.url} refused the login of {user!r}: HTTP {response.status_code}; check "
                "FROGML_AIRFLOW_USERNAME and FROGML_AIRFLOW_PASSWORD"
            )
        self._token = str(response.json().get("access_token") or "")
        if not self._token:
            raise AirflowApiError(f"Airflow at {self.url} answered the login without an access token")
        return self._token


def _detail(response: Any) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    text = str(detail if detail is not None else response.reason or "")
    return f"({text[:200]})" if text else ""


def _advice(status: int) -> str:
    if status in (401, 403):
        return (
            "check the credentials (FROGML_AIRFLOW_TOKEN, or FROGML_AIRFLOW_USERNAME and FROGML_AIRFLOW_PASSWORD) "
            "and the user's permissions"
        )
    if status == 404:
        return "the DAG is unknown to Airflow: has the dag-processor parsed the loader file yet?"
    if 300 <= status < 400:
        return "the URL redirects: give the API server's own address in --airflow-url / FROGML_AIRFLOW_URL"
    return "see the API server's log"
