"""A local webhook receiver, for watching an automation's notifications arrive (the demo's).

    python -m frogml_airflow_provider.demo.receiver --port 8799

Every request to it is printed as one line (method, path, status, automation, build) and kept;
``GET /`` lists what arrived. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.parse
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self, port: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fields: dict[str, Any] = dict(urllib.parse.parse_qsl(url.query))
                try:
                    parsed = json.loads(body) if body else {}
                except ValueError:
                    parsed = body.decode(errors="replace")
                if isinstance(parsed, dict):
                    fields.update(parsed)
                else:
                    fields["body"] = parsed  # a JSON list or scalar, or text that is not JSON
                owner.add({"at": time.strftime("%H:%M:%S"), "method": self.command, "path": url.path, **fields})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                if self.path in ("/", "/favicon.ico"):
                    self._page()
                else:
                    self._record()

            do_POST = do_PUT = do_PATCH = do_DELETE = _record

            def _page(self) -> None:
                data = page(owner.snapshot()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, item: dict[str, Any]) -> None:
        with self._lock:
            self.received.append(item)
        summary = ", ".join(f"{k}={item[k]}" for k in ("automation", "status", "build_id") if k in item)
        print(
            f"[notification {item['at']}] {item['method']} {item['path']} {summary or item.get('text', '')}", flush=True
        )

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.received)


_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.4em .8em;text-align:left;vertical-align:top}"
    "pre{margin:0;font-size:.9em}"
)


def page(received: list[dict[str, Any]]) -> str:
    """What arrived, newest first: when, the request, and what it carried as indented JSON (how the
    notifier sent it, not a Python repr). Reloads every 5 s to show new ones."""
    rows = []
    for item in reversed(received):
        content = {key: value for key, value in item.items() if key not in ("at", "method", "path")}
        shown = json.dumps(content, indent=2, ensure_ascii=False, sort_keys=True)
        request = f"{item.get('method', '')} {item.get('path', '')}"
        rows.append(
            f"<tr><td>{escape(str(item.get('at', '')))}</td><td>{escape(request)}</td>"
            f"<td><pre>{escape(shown)}</pre></td></tr>"
        )
    body = (
        "<table><tr><th>at</th><th>request</th><th>content</th></tr>" + "".join(rows) + "</table>"
        if rows
        else "<p>Nothing yet: notifications appear here as they arrive.</p>"
    )
    return (
        '<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">'
        f"<title>Notifications received</title><style>{_STYLE}</style></head><body>"
        f"<h1>Notifications received</h1><p>{len(rows)} so far, newest first.</p>{body}</body></html>"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args(argv)
    receiver = Receiver(args.port)
    print(f"receiving notifications on {receiver.url}/ (GET / lists them)", flush=True)
    try:
        receiver.server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
