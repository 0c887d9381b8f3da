"""``migrate`` and ``status`` when Airflow or JFrog ML misbehave: a proxy on 127.0.0.1 in front of the
real API server answers 500, an SSO page or a JSON list, or stops answering, mid-way; a password in
--airflow-url; a running JFrog ML execution on the way back; names that collide as DAG ids."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from tests.support.airflow import CHURN, ApiServer, dag
from tests.support.jfrog import build

Cli = Callable[..., SimpleNamespace]
pytestmark = pytest.mark.slow


class Proxy:
    """Forwards to the API server; ``fault(path_part, method, answer, times)`` replaces its answers."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.faults: list[dict[str, Any]] = []
        self.paused = False  # becomes True when a PATCH pausing a DAG went through
        self.die_after_pause = False  # then: stop listening, as a killed API server does
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def handle_any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                for fault in proxy.faults:
                    if (
                        fault["times"]
                        and fault["method"] == self.command
                        and fault["path"] in self.path
                        and (proxy.paused or not fault["after_pause"])
                    ):
                        fault["times"] -= 1
                        status, kind, text = fault["answer"]
                        self.send_response(status)
                        self.send_header("Content-Type", kind)
                        self.send_header("Content-Length", str(len(text)))
                        self.end_headers()
                        self.wfile.write(text.encode())
                        return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = requests.request(
                    self.command, proxy.target + self.path, data=body, headers=headers, timeout=30
                )
                if self.command == "PATCH" and b'"is_paused": true' in body.replace(b'":true', b'": true'):
                    proxy.paused = True
                    if proxy.die_after_pause:
                        proxy.server.socket.close()  # every later connection is refused
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PATCH = handle_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fault(
        self, path: str, method: str, answer: tuple[int, str, str], *, times: int = 1, after_pause: bool = True
    ) -> None:
        self.faults.append(
            {"path": path, "method": method, "answer": answer, "times": times, "after_pause": after_pause}
        )


@pytest.fixture
def proxy(airflow: ApiServer, automations: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    front = Proxy(airflow.url)
    monkeypatch.setenv("FROGML_AIRFLOW_URL", front.url)
    yield front
    front.server.shutdown()


SSO = (200, "text/html", "<html><body>Sign in with your company account</body></html>")
ANSWERS = {
    "HTTP 500": (500, "application/json", '{"detail": "database is restarting"}'),
    "an SSO page": SSO,
    "a JSON list": (200, "application/json", '["not", "an", "object"]'),
    "a JSON list as an error": (503, "application/json", '["upstream", "down"]'),
    "an empty body": (200, "application/json", ""),
}


def native(mock: Any, name: str = CHURN) -> Any:
    found = [a for a in mock.automations.values() if a.automation_spec.automation_name == name]
    assert len(found) <= 1
    return found[0] if found else None


def ledger(folder: Path) -> dict[str, Any]:
    path = folder / "frogml-ledger.json"
    return json.loads(path.read_text())["automations"] if path.exists() else {}


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_a_bad_answer_after_the_pause_is_undone_and_checked(
    answer: str, mock: Any, airflow: ApiServer, automations: Path, proxy: Proxy, cli: Cli
) -> None:
    proxy.fault("/dagRuns", "GET", ANSWERS[answer])  # the check for runs just after the pause
    done = cli("migrate", CHURN, "--path", automations, "--yes")
    assert done.code == 1
    assert "Traceback" not in done.err and "/dagRuns" in done.err, done.err
    assert "Both sides are as they were (checked: DAG churn_retrain active" in done.err, done.err
    assert "Sign in" not in done.err  # the page is named by its type, never pasted
    assert native(mock) is None and dag(airflow)["is_paused"] is False and ledger(automations) == {}


@pytest.mark.parametrize("death", ["a gateway answering 502", "connections refused"])
def test_an_api_server_that_dies_after_the_pause_is_reported_as_it_is(
    death: str, mock: Any, airflow: ApiServer, automations: Path, proxy: Proxy, cli: Cli
) -> None:
    if death == "connections refused":
        proxy.die_after_pause = True
    else:
        proxy.fault("/api/v2/", "GET", (502, "text/html", "<html>Bad gateway</html>"), times=100)
        proxy.fault("/api/v2/", "PATCH", (502, "text/html", "<html>Bad gateway</html>"), times=100)
    done = cli("migrate", CHURN, "--path", automations, "--yes")
    assert done.code == 1 and "Traceback" not in done.err
    # What is true: the pause could not be undone, and nothing could be read back. Never "as they were".
    assert "ROLLBACK INCOMPLETE" in done.err and "could not unpause it" in done.err, done.err
    assert "Both sides are as they were" not in done.err
    assert native(mock) is None  # the JFrog ML side was undone
    airflow.api("PATCH", f"/dags/{CHURN}", {"is_paused": False})


def test_an_sso_page_at_login_is_a_clear_error(automations: Path, proxy: Proxy, cli: Cli, mock: Any) -> None:
    proxy.fault("/auth/token", "POST", SSO, after_pause=False)
    done = cli("status", automations)
    assert done.code == 2 and "Traceback" not in done.err
    assert "POST /auth/token" in done.err and "text/html, not JSON" in done.err, done.err


def test_a_password_in_the_airflow_url_is_used_to_log_in_and_never_printed(
    mock: Any, airflow: ApiServer, automations: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("FROGML_AIRFLOW_URL", "FROGML_AIRFLOW_USERNAME", "FROGML_AIRFLOW_PASSWORD"):
        monkeypatch.delenv(variable)
    host = airflow.url.split("://", 1)[1]
    good = cli(
        "migrate", CHURN, "--path", automations, "--dry-run", "--airflow-url", f"http://admin:{airflow.password}@{host}"
    )
    assert good.code == 0, good.err
    assert airflow.password not in good.out + good.err and f"http://{host}" in good.out
    wrong = "S3cret-Wrong-Pw%21"
    bad = cli("status", automations, "--airflow-url", f"http://admin:{wrong}@{host}")
    assert bad.code == 2 and "refused the login of 'admin'" in bad.err
    assert "S3cret" not in bad.out + bad.err and "user and password in the Airflow URL" in bad.err
    half = cli("status", automations, "--airflow-url", f"http://admin@{host}")
    assert half.code == 2 and "without a password" in half.err


def test_back_refuses_while_a_jfrog_ml_execution_runs_and_waits_with_wait(
    mock: Any, sdk: Any, airflow: ApiServer, automations: Path, cli: Cli
) -> None:
    assert cli("migrate", CHURN, "--path", automations, "--yes").code == 0
    moved = native(mock)
    details = sdk.automation_execution.ExecutionRunDetailsMessage(status=sdk.automation_execution.RUNNING)
    running = sdk.automation_execution.AutomationExecutionMessage(execution_id="exec-1", run_details=details)
    mock.automation_executions[moved.automation_id].append(running)
    refused = cli("migrate", "--back", CHURN, "--path", automations, "--yes")
    assert refused.code == 1 and "exec-1" in refused.err and "--wait" in refused.err, refused.err
    assert native(mock).automation_spec.is_enabled and set(ledger(automations)) == {CHURN}

    def end() -> None:
        time.sleep(2)
        running.run_details.status = sdk.automation_execution.SUCCESSFUL

    threading.Thread(target=end).start()
    from frogml_airflow_provider.migration import commands

    code = commands.migrate(
        automations, [CHURN], conn_id="x", airflow_url=None, back=True, dry_run=False, yes=True, wait=True, poll=0.5
    )
    assert code == 0
    assert not native(mock).automation_spec.is_enabled and ledger(automations) == {}
    assert dag(airflow)["is_paused"] is False


def test_names_that_become_one_dag_id_are_refused_as_the_loader_refuses_them(
    mock: Any, folder: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FROGML_AIRFLOW_URL", "http://127.0.0.1:9")  # never reached
    both = folder(a=build("x_y").replace('name="x_y"', 'name="x y"'), b=build("x_y"))
    for args in (("migrate", "x_y", "--path", both, "--yes"), ("status", both)):
        done = cli(*args)
        assert done.code in (1, 2) and "becomes DAG id 'x_y'" in done.err, done.err
    assert mock.automations == {}


def test_an_undo_never_disables_what_another_command_enabled_meanwhile(
    mock: Any, airflow: ApiServer, automations: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another machine's hand-over of the same automation enables it while ours fails: our undo puts
    the spec back but leaves it enabled (else it would run nowhere), and says what it found."""
    from frogml_airflow_provider.errors import AirflowApiError
    from frogml_airflow_provider.migration.airflow_api import AirflowApi

    assert cli("register", automations, "--yes").code == 0
    assert cli("pause", CHURN).code == 0
    original = AirflowApi.set_paused

    def elsewhere_then_fail(self: AirflowApi, dag_id: str, paused: bool) -> None:
        if paused:
            native(mock).automation_spec.is_enabled = True  # the other machine's last step
            raise AirflowApiError("HTTP 503 injected")
        original(self, dag_id, paused)

    monkeypatch.setattr(AirflowApi, "set_paused", elsewhere_then_fail)
    done = cli("migrate", CHURN, "--path", automations, "--yes")
    assert done.code == 1 and "Traceback" not in done.err
    assert native(mock).automation_spec.is_enabled  # not disabled by our undo
    assert "Every step was undone, but reading both sides again found" in done.err, done.err
    assert "enabled on JFrog ML (expected" in done.err and "another command at the same time?" in done.err
