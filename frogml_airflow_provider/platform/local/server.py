"""A local model endpoint: serves one build of one model over HTTP on 127.0.0.1.

    python -m frogml_airflow_provider.platform.local.server STATE_DIR MODEL_ID VARIATION BUILD_ID PORT [OLD_PID]

``POST /v1/<model_id>/predict`` takes JSON rows (a list of records, pandas "split", or a dict of
columns), calls the model's ``predict`` and answers JSON. Every call - request, response,
latency, error - is written to the analytics store. When it serves, it marks the deployment
SERVING and stops the server it replaces (``OLD_PID``), so a redeploy swaps builds.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from frogml_airflow_provider.platform.base import DeploymentState
from frogml_airflow_provider.platform.local.analytics import AnalyticsStore
from frogml_airflow_provider.platform.local.store import Store


def load(build_dir: Path) -> Any:
    import cloudpickle
    import frogml.sdk.model.tools  # noqa: F401 - wires frogml's local runtime for @frogml.api()

    sys.path.insert(0, (build_dir / "artifact" / "source_path").read_text())
    with open(build_dir / "artifact" / "model.pkl", "rb") as handle:
        model = cloudpickle.load(handle)
    model.initialize_model()
    return model


def to_frame(payload: Any) -> Any:
    import pandas as pd

    if isinstance(payload, dict) and "columns" in payload and "data" in payload:
        return pd.DataFrame(payload["data"], columns=payload["columns"])
    if isinstance(payload, dict):
        return pd.DataFrame.from_dict(payload, orient="columns")
    return pd.DataFrame(payload)


def serve(state_dir: Path, model_id: str, variation: str, build_id: str, port: int, old_pid: int | None) -> None:
    store = Store(state_dir)
    analytics = AnalyticsStore(state_dir / "analytics.db")
    analytics.ensure_table(model_id)
    try:
        model = load(state_dir / "builds" / build_id)
        from frogml.sdk.model.tools.adapters.output import get_output_adapter

        output = get_output_adapter(model)
    except Exception as error:
        store.put_deployment(
            model_id,
            variation,
            build_id,
            DeploymentState.FAILED,
            port=port,
            pid=os.getpid(),
            error=f"model failed to load: {type(error).__name__}: {error}",
        )
        raise
    lock = threading.Lock()
    path = f"/v1/{model_id}/predict"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._reply(200 if self.path == "/health" else 404, {"model_id": model_id, "build_id": build_id})

        def do_POST(self) -> None:
            if self.path != path:
                self._reply(404, {"error": f"POST {path}"})
                return
            started = time.perf_counter()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            status, response, error = 200, None, None
            try:
                frame = to_frame(json.loads(body))
                with lock:
                    response = output.pack_user_func_return_value(model.predict(frame))
            except Exception as failure:  # noqa: BLE001 - reported to the caller and recorded
                status, error = 400 if isinstance(failure, (ValueError, KeyError)) else 500, f"{failure}"
            latency = (time.perf_counter() - started) * 1000
            analytics.record(
                model_id,
                variation=variation,
                build_id=build_id,
                request=body,
                response=response,
                latency_ms=latency,
                error=error,
                status=status,
            )
            if error is None:
                self._send(status, response if isinstance(response, str) else json.dumps(response))
            else:
                self._reply(status, {"error": error})

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

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    store.put_deployment(model_id, variation, build_id, DeploymentState.SERVING, port=port, pid=os.getpid())
    if old_pid:
        stop(old_pid)
    print(f"serving {model_id} build {build_id} ({variation}) on http://127.0.0.1:{port}{path}", flush=True)
    server.serve_forever()


def stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


if __name__ == "__main__":
    state, model_id, variation, build_id, port = sys.argv[1:6]
    previous = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[6] else None
    serve(Path(state), model_id, variation, build_id, int(port), previous)
