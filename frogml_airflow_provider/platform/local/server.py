"""A local model endpoint: serves one build of one model over HTTP on 127.0.0.1.

    python -m frogml_airflow_provider.platform.local.server STATE_DIR MODEL_ID VARIATION BUILD_ID PORT

``POST /v1/<model_id>/predict`` takes JSON rows (a list of records, pandas "split", or a dict of
columns), calls the model's ``predict`` and answers JSON. Every call - request, response,
latency, error - is written to the analytics store, each text cut to a bounded length.

Every malformed request gets a 4xx answer: no or a bad ``Content-Length`` (411/400), a body over
the size limit (413), a body that is not UTF-8 JSON (400), a client too slow to send it (408).
An idle connection is closed after the timeout. The limits come from the environment
(:class:`ServerLimits`), set by the platform from the ``[frogml]`` options.

When its model is loaded it takes the deployment's port (the same for every build of a model
and variation: handed over by the server it replaces, without dropping a request, see
handoff.py), marks its deployment SERVING, but only if the registry still names it (a later
deploy may have replaced it; then it exits), and stops every other server of the same model and
variation: one serves, none is left behind. It stops itself if its state folder disappears.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from frogml_airflow_provider.platform.base import PlatformError
from frogml_airflow_provider.platform.local import handoff
from frogml_airflow_provider.platform.local.analytics import AnalyticsStore
from frogml_airflow_provider.platform.local.paths import StateDir
from frogml_airflow_provider.platform.local.processes import runs, signal_group, terminate
from frogml_airflow_provider.platform.local.store import Store

WATCH_SECONDS = 2.0  # how often a server checks that its state folder still exists
BIND_SECONDS = 5.0  # how long a server retries binding its port before its deployment fails
BACKLOG = 128  # connections the kernel queues for the endpoint (socketserver's default is 5)
LINGER_SECONDS = 1.0  # after refusing a request, how long its unread body is drained


@dataclass(frozen=True)
class ServerLimits:
    max_body_bytes: int = 10 * 1024 * 1024
    timeout: float = 60.0  # seconds a connection may stay idle or take to send its request
    record_max_chars: int = 64 * 1024  # of a request or response kept in analytics

    _ENV = {
        "max_body_bytes": "FROGML_SERVER_MAX_BODY_BYTES",
        "timeout": "FROGML_SERVER_TIMEOUT",
        "record_max_chars": "FROGML_SERVER_RECORD_MAX_CHARS",
    }

    def to_env(self) -> dict[str, str]:
        return {env: str(getattr(self, name)) for name, env in self._ENV.items()}

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ServerLimits:
        default = cls()
        return cls(
            max_body_bytes=int(environ.get(cls._ENV["max_body_bytes"]) or default.max_body_bytes),
            timeout=float(environ.get(cls._ENV["timeout"]) or default.timeout),
            record_max_chars=int(environ.get(cls._ENV["record_max_chars"]) or default.record_max_chars),
        )

    @classmethod
    def from_config(cls) -> ServerLimits:
        """The ``[frogml] local_server_*`` options (defaults when Airflow is not importable)."""
        default = cls()
        try:
            from airflow.configuration import conf
        except ImportError:
            return default
        limits = cls(
            max_body_bytes=conf.getint("frogml", "local_server_max_body_bytes", fallback=default.max_body_bytes),
            timeout=conf.getfloat("frogml", "local_server_timeout", fallback=default.timeout),
            record_max_chars=conf.getint("frogml", "local_server_record_max_chars", fallback=default.record_max_chars),
        )
        for name in cls._ENV:
            value = getattr(limits, name)
            if not (math.isfinite(value) and value > 0):
                raise PlatformError(f"[frogml] local_server_{name} must be a positive number, not {value!r}")
        return limits


def bounded(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}... [cut: {len(text)} characters in all]"


def load(build_dir: Path) -> Any:
    import cloudpickle
    import frogml.sdk.model.tools  # noqa: F401 - wires frogml's local runtime for @frogml.api()

    sys.path.insert(0, (build_dir / "artifact" / "source_path").read_text())
    with open(build_dir / "artifact" / "model.pkl", "rb") as handle:
        model = cloudpickle.load(handle)
    model.initialize_model()
    return model


ROWS_FORM = (
    'the body must be a JSON list of rows, [{"column": value, ...}, ...] (or pandas\' "split" form '
    '{"columns": [...], "data": [[...], ...]}, or an object of columns {"column": [values, ...]})'
)


def to_frame(payload: Any) -> Any:
    """The rows of a request; a ``ValueError`` (answered 400) that says the accepted forms for a body of
    another shape, rather than pandas' own message about its constructor."""
    import pandas as pd

    if isinstance(payload, dict) and "columns" in payload and "data" in payload:
        return pd.DataFrame(payload["data"], columns=payload["columns"])
    if isinstance(payload, dict):
        if payload and not any(isinstance(value, (list, dict)) for value in payload.values()):
            raise ValueError(f"{ROWS_FORM}; this is one row as an object: send it in a list, [{{...}}]")
        return pd.DataFrame.from_dict(payload, orient="columns")
    if not isinstance(payload, list):
        raise ValueError(f"{ROWS_FORM}, not {_json_kind(payload)}")
    for number, row in enumerate(payload):
        if not isinstance(row, dict):
            raise ValueError(f"{ROWS_FORM}; row {number} is {_json_kind(row)}, not an object")
    return pd.DataFrame(payload)


def _json_kind(value: Any) -> str:
    kinds = {bool: "true or false", str: "a string", int: "a number", float: "a number", list: "a list"}
    return "null" if value is None else kinds.get(type(value), f"a {type(value).__name__}")


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def make_handler(
    model: Any, output: Any, path: str, limits: ServerLimits, on_call: Any, identity: dict[str, str]
) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        timeout = limits.timeout  # socket timeout: an idle or trickling client is dropped, not waited on

        def do_GET(self) -> None:
            self._reply(200 if self.path == "/health" else 404, identity)

        def do_POST(self) -> None:
            if self.path != path:
                self._refuse(BadRequest(404, f"POST {path}"))
                return
            started = time.perf_counter()
            try:
                body = self._body()
            except BadRequest as bad:
                self._refuse(bad)
                return
            status, response, error = 200, None, None
            try:
                frame = to_frame(json.loads(body))
                with lock:
                    response = output.pack_user_func_return_value(model.predict(frame))
            except Exception as failure:  # noqa: BLE001 - reported to the caller and recorded
                status, error = 400 if isinstance(failure, (ValueError, KeyError)) else 500, f"{failure}"
            text = response if isinstance(response, str) or response is None else json.dumps(response)
            try:
                on_call(body, text, (time.perf_counter() - started) * 1000, error, status)
            except Exception as failure:  # noqa: BLE001 - the caller still gets its answer
                self.log_message("could not record the call in analytics: %s", failure)
            if error is None:
                self._send(status, text or "null")
            else:
                self._reply(status, {"error": error})

        def _body(self) -> str:
            if self.headers.get("Transfer-Encoding"):
                raise BadRequest(411, "send the body with a Content-Length header, not Transfer-Encoding")
            raw = self.headers.get("Content-Length")
            if raw is None:
                raise BadRequest(411, "a Content-Length header is required")
            try:
                length = int(raw)
                if length < 0:
                    raise ValueError
            except ValueError:
                raise BadRequest(400, f"Content-Length {raw[:40]!r} is not a number of bytes") from None
            if length > limits.max_body_bytes:
                raise BadRequest(
                    413,
                    f"the body is {length} bytes; this endpoint takes at most {limits.max_body_bytes} "
                    "([frogml] local_server_max_body_bytes)",
                )
            try:
                data = self.rfile.read(length)
            except TimeoutError:
                raise BadRequest(408, f"the body did not arrive within {limits.timeout:g} s") from None
            if len(data) < length:
                raise BadRequest(400, f"the body ended after {len(data)} of {length} bytes (Content-Length)")
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError as error:
                raise BadRequest(400, f"the body is not UTF-8 JSON ({error.reason} at byte {error.start})") from None

        def _refuse(self, bad: BadRequest) -> None:
            """Answer, then read what the client still sends for a moment before closing: closing
            on unread data resets the connection, and the client would never see the answer."""
            self._reply(bad.status, {"error": str(bad)})
            self.wfile.flush()
            try:
                self.connection.shutdown(socket.SHUT_WR)
                self.connection.settimeout(LINGER_SECONDS)
                deadline = time.monotonic() + LINGER_SECONDS
                while time.monotonic() < deadline and self.connection.recv(65536):
                    pass
            except OSError:
                pass

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            self._send(status, json.dumps(payload))

        def _send(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    return Handler


def serve(state_dir: Path, model_id: str, variation: str, build_id: str, port: int, limits: ServerLimits) -> None:
    state = StateDir(state_dir)
    store = Store(state)
    analytics = AnalyticsStore(state.analytics_db)
    me = os.getpid()
    try:
        analytics.ensure_table(model_id)
        model = load(state.build_dir(build_id))
        from frogml.sdk.model.tools.adapters.output import get_output_adapter

        output = get_output_adapter(model)
    except Exception as error:
        with state.lock("deploy"):  # the deploy that started us has recorded our pid by then
            store.fail_deployment(model_id, variation, me, f"model failed to load: {type(error).__name__}: {error}")
            store.remove_server(me)
        raise

    def record(body: str, response: str | None, latency_ms: float, error: str | None, status: int) -> None:
        if not state.root.exists():
            return  # the state folder is gone; the watcher stops this server
        analytics.record(
            model_id,
            variation=variation,
            build_id=build_id,
            request=bounded(body, limits.record_max_chars) or "",
            response=bounded(response, limits.record_max_chars),
            latency_ms=latency_ms,
            error=bounded(error, limits.record_max_chars),
            status=status,
        )

    path = f"/v1/{model_id}/predict"
    identity = {"model_id": model_id, "build_id": build_id}
    server = EndpointServer(("127.0.0.1", port), make_handler(model, output, path, limits, record, identity), False)
    stopping = threading.Event()

    def stop(reason: str) -> None:
        if not stopping.is_set():
            stopping.set()
            print(f"stopping: {reason}", flush=True)
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, lambda *_: stop("SIGTERM"))
    with state.lock("deploy"):
        if not store.names_server(model_id, variation, me):
            print(f"not serving: a later deploy of {model_id} ({variation}) replaced this one", flush=True)
            store.remove_server(me)
            return
        others = [row for row in store.servers(model_id, variation) if row["pid"] != me]
        try:
            listener, source = endpoint(state.root, port, others)
        except PlatformError as error:
            store.fail_deployment(model_id, variation, me, str(error))
            store.remove_server(me)
            raise
        server.attach(listener)
        store.mark_serving(model_id, variation, me)
        for row in others:
            if runs(row["pid"], "server"):  # a pid left by a killed server may belong to someone else by now
                signal_group(row["pid"], signal.SIGTERM)  # the replaced server(s): asked now, waited on below
    print(f"serving {model_id} build {build_id} ({variation}) on http://127.0.0.1:{port}{path} ({source})", flush=True)
    office = handoff.offer(listener, state.root, stopping)

    def retire() -> None:  # while this one serves: each finishes the requests it accepted, then exits
        for row in others:
            terminate(row["pid"], "server", grace=limits.timeout + 5)
            store.remove_server(row["pid"])

    threading.Thread(target=retire, daemon=True).start()
    threading.Thread(target=watch, args=(state, stop, stopping), daemon=True).start()
    try:
        server.serve_forever()
    finally:
        if office is not None:
            office.close()
        server.server_close()  # waits for the requests in flight (EndpointServer.daemon_threads)
        if state.db.exists():
            store.remove_server(me)


class EndpointServer(ThreadingHTTPServer):
    """Serves on a listening socket it is given (bound here, or handed over by the server it replaces)."""

    daemon_threads = False  # server_close() waits for the requests in flight: a replaced server drops none

    def attach(self, listener: socket.socket) -> None:
        self.socket.close()  # the unbound one socketserver made
        listener.setblocking(False)  # two servers accept from one queue: the one that loses must not block
        self.socket = listener
        self.server_address = listener.getsockname()


def endpoint(root: Path, port: int, others: list[Any]) -> tuple[socket.socket, str]:
    """The deployment's listening socket: handed over by a server that has it, else bound anew."""
    for row in reversed(others):  # the newest first
        if row["port"] == port and runs(row["pid"], "server"):
            listener = handoff.take(root, row["pid"], port)
            if listener is not None:
                return listener, f"taken over from server {row['pid']}"
    deadline = time.monotonic() + BIND_SECONDS
    while True:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen(BACKLOG)
            return listener, "bound"
        except OSError as error:
            listener.close()
            if time.monotonic() > deadline:
                raise PlatformError(
                    f"cannot listen on 127.0.0.1:{port}, this deployment's endpoint: {error.strerror}. Another "
                    "process holds the port; stop it, or stop the deployment and deploy again for a new port"
                ) from None
            time.sleep(0.2)  # a replaced server that could not hand over may still be closing it


def watch(state: StateDir, stop: Any, stopping: threading.Event) -> None:
    """Stop when the state folder is deleted: nothing could reach this server any more."""
    while not stopping.wait(WATCH_SECONDS):
        if not state.db.exists():
            stop(f"the state folder {state.root} was deleted")


if __name__ == "__main__":
    state, model_id, variation, build_id, port = sys.argv[1:6]
    serve(Path(state), model_id, variation, build_id, int(port), ServerLimits.from_env(os.environ))
