"""The Airflow side of a hand-over, through Airflow's public REST API (``/api/v2``).

The REST API, not the metadata database: it works from any machine that reaches the API server,
goes through Airflow's own authentication and permissions, and takes the same effect as the UI's
pause switch. Where it is and who calls it:

- base URL: ``--airflow-url``, else ``FROGML_AIRFLOW_URL``, else ``[api] base_url`` of the local Airflow
  configuration, else ``http://localhost:8080``;
- credentials: ``FROGML_AIRFLOW_TOKEN`` (a JWT, sent as ``Bearer``), else ``FROGML_AIRFLOW_USERNAME`` and
  ``FROGML_AIRFLOW_PASSWORD``, exchanged for a token at ``POST /auth/token`` (Airflow's simple and FAB
  auth managers both serve it). A user and password in the URL (``http://me:pw@host:8080``) are
  taken out of it and used the same way, in place of the two variables; the URL is shown without
  them, and only a Bearer token is ever sent to ``/api/v2``.

Every request is bounded (``timeout`` for the whole request); errors say which call failed, what
Airflow answered, and what to check; a reply that is not the JSON the API answers (an SSO proxy's
HTML login page, say) is an ``AirflowApiError`` naming the path and status. Credentials never
appear in a message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

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
    """The API server's URL as given (``--airflow-url``, ``FROGML_AIRFLOW_URL``, ``[api] base_url``)."""
    if explicit:
        return explicit.strip().rstrip("/")
    if os.environ.get("FROGML_AIRFLOW_URL"):
        return os.environ["FROGML_AIRFLOW_URL"].strip().rstrip("/")
    try:
        from airflow.configuration import conf

        configured = conf.get("api", "base_url", fallback="") or ""
    except Exception:  # noqa: BLE001 - no usable local Airflow configuration: use the default
        configured = ""
    return (configured or DEFAULT_URL).strip().rstrip("/")


def split_url(url: str) -> tuple[str, tuple[str, str] | None]:
    """(the URL without user and password, (user, password) or None). AirflowApiError, never
    quoting the URL's user part, when the URL is not an http(s) address or has a user and no password."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = None
    netloc = parts.netloc.rpartition("@")[2] if parts else ""
    if parts is None or parts.scheme not in ("http", "https") or not netloc:
        shown = urlunsplit(parts._replace(netloc=netloc)) if parts else "the given URL"
        raise AirflowApiError(
            f"the Airflow URL {shown!r} is not an http(s) address of the API server (http://host:8080); "
            "check --airflow-url / FROGML_AIRFLOW_URL"
        )
    clean = urlunsplit(parts._replace(netloc=netloc))
    if "@" not in parts.netloc:
        return clean, None
    user, colon, password = parts.netloc.rpartition("@")[0].partition(":")
    if not user or not colon or not password:
        raise AirflowApiError(
            f"the Airflow URL {clean} carries a user name without a password; give both (http://user:pw@host, "
            "percent-encoded), or none and set FROGML_AIRFLOW_TOKEN, or FROGML_AIRFLOW_USERNAME and "
            "FROGML_AIRFLOW_PASSWORD"
        )
    return clean, (unquote(user), unquote(password))


class AirflowApi:
    """The few REST calls a hand-over needs."""

    def __init__(self, url: str | None = None, *, timeout: float = TIMEOUT) -> None:
        import requests

        self.url, self._login = split_url(airflow_url(url))  # self.url: what messages show, no password
        if self._login and os.environ.get("FROGML_AIRFLOW_TOKEN"):
            raise AirflowApiError(
                f"both a user and password in the Airflow URL ({self.url}) and FROGML_AIRFLOW_TOKEN are given; "
                "keep one of them"
            )
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
        data = _object(data, self.url, f"/api/v2/dags/{quote(dag_id, safe='')}")
        last = self._runs(dag_id, limit=1)
        return DagState(
            dag_id=dag_id,
            is_paused=bool(data.get("is_paused")),
            scheduled=is_scheduled(data),
            last_run_state=str(last[0].get("state") or "") if last else "",
            last_run_at=str(last[0].get("run_after") or last[0].get("start_date") or "") if last else "",
        )

    def active_runs(self, dag_id: str) -> list[str]:
        """The run ids of the DAG's queued or running runs."""
        return [str(run.get("dag_run_id")) for run in self._runs(dag_id, states=ACTIVE_RUN_STATES, limit=100)]

    def _runs(self, dag_id: str, *, states: tuple[str, ...] = (), limit: int) -> list[dict[str, Any]]:
        params: list[tuple[str, str]] = [("order_by", "-id"), ("limit", str(limit))]
        params += [("state", state) for state in states]
        path = f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns"
        data = _object(self._request("GET", path, params=params, about=f"runs of DAG {dag_id!r}"), self.url, path)
        runs = data.get("dag_runs") or []
        if not isinstance(runs, list) or not all(isinstance(run, dict) for run in runs):
            raise AirflowApiError(f"Airflow at {self.url} answered GET {path} without a list of runs ('dag_runs')")
        return runs

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
                f"Airflow at {self.url} refused {about} ({method} {path}): HTTP {response.status_code} "
                f"{_detail(response)}; {_advice(response.status_code)}"
            )
        if not response.content:
            if method == "GET":  # every read answers a JSON object: an empty one is not the API's
                raise AirflowApiError(
                    f"Airflow at {self.url} answered {method} {path} with HTTP {response.status_code} and no body; "
                    "is something in front of the API server? Give its own address in --airflow-url"
                )
            return None
        return _json(response, self.url, f"{method} {path}")

    def _bearer(self) -> str:
        if self._token:
            return self._token
        import requests

        user, password = self._login or (
            os.environ.get("FROGML_AIRFLOW_USERNAME"),
            os.environ.get("FROGML_AIRFLOW_PASSWORD"),
        )
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
        given = (
            "the user and password in the Airflow URL"
            if self._login
            else "FROGML_AIRFLOW_USERNAME and FROGML_AIRFLOW_PASSWORD"
        )
        if response.status_code >= 300:
            raise AirflowApiError(
                f"Airflow at {self.url} refused the login of {user!r} (POST /auth/token): HTTP "
                f"{response.status_code}; check {given}"
            )
        data = _json(response, self.url, "POST /auth/token")
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token or not isinstance(token, str):
            raise AirflowApiError(
                f"Airflow at {self.url} answered the login (POST /auth/token, HTTP {response.status_code}) without "
                "an access token; is it an Airflow 3 API server?"
            )
        self._token = token
        return self._token


def _json(response: Any, url: str, call: str) -> Any:
    """The reply's JSON; AirflowApiError naming the call, the status and what came instead."""
    try:
        return response.json()
    except ValueError:  # also RecursionError-free: requests' json is the stdlib's, a ValueError on junk
        kind = (response.headers.get("Content-Type") or "no content type").split(";")[0].strip()
        raise AirflowApiError(
            f"Airflow at {url} answered {call} with HTTP {response.status_code} {kind}, not JSON: is something in "
            "front of the API server (an SSO proxy, a login page)? Give the API server's own address in "
            "--airflow-url / FROGML_AIRFLOW_URL"
        ) from None
    except RecursionError:
        raise AirflowApiError(f"Airflow at {url} answered {call} with JSON nested too deep to read") from None


def _object(data: Any, url: str, path: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise AirflowApiError(
            f"Airflow at {url} answered GET {path} with a JSON {type(data).__name__}, not the object the API "
            "answers; is something in front of the API server? Give its own address in --airflow-url"
        )
    return data


def _detail(response: Any) -> str:
    """What an error reply says: its ``detail``, else the reason; never the body of an HTML page."""
    try:
        data = response.json()
    except (ValueError, RecursionError):
        data = None
    detail = data.get("detail") if isinstance(data, dict) else None
    if detail is not None and not isinstance(detail, str):
        detail = _json_brief(detail)
    text = str(detail if detail is not None else response.reason or "")
    from frogml_airflow_provider.term import printable

    return f"({printable(text[:200])})" if text else ""


def _json_brief(value: Any) -> str:
    import json

    try:
        return json.dumps(value)[:200]
    except (TypeError, ValueError, RecursionError):
        return type(value).__name__


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


def is_scheduled(dag: dict[str, Any]) -> bool:
    """A DAG (as ``GET /api/v2/dags/{dag_id}`` answers) that creates runs by itself: on a timetable, or,
    unpaused, on an asset (a metric-based automation's DAG, started by its watcher in the triggerer)."""
    summary = dag.get("timetable_summary")
    if dag.get("timetable_periodic") or (
        dag.get("next_dagrun_run_after") is not None and summary not in (None, "None")
    ):
        return True
    return (summary == "Asset" or bool(dag.get("asset_expression"))) and not dag.get("is_paused")
