"""The demo's webhook receiver takes what the notifiers send, and lists it."""

from __future__ import annotations

import threading
import urllib.request

from frogml_airflow_provider.demo.receiver import Receiver
from frogml_airflow_provider.notifications._delivery import DeliveryPolicy, send


def test_it_records_json_bodies_and_query_strings(capsys) -> None:
    receiver = Receiver()
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    try:
        policy = DeliveryPolicy(attempts=1)
        assert send(
            "POST", f"{receiver.url}/notify", body={"automation": "a", "status": "SUCCESSFUL"}, policy=policy
        ).delivered
        assert send(
            "GET", f"{receiver.url}/notify", params={"automation": "b", "status": "FAILED"}, policy=policy
        ).delivered
        assert [(r["method"], r["automation"], r["status"]) for r in receiver.snapshot()] == [
            ("POST", "a", "SUCCESSFUL"),
            ("GET", "b", "FAILED"),
        ]
        assert "automation=a, status=SUCCESSFUL" in capsys.readouterr().out
        with urllib.request.urlopen(f"{receiver.url}/", timeout=5) as page:
            assert "FAILED" in page.read().decode()
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def test_its_page_shows_what_arrived_as_readable_json() -> None:
    receiver = Receiver()
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    try:
        policy = DeliveryPolicy(attempts=1)
        body = {"automation": "retrain", "status": "SUCCESSFUL", "build": {"id": "b-1", "metrics": {"f1": 0.9}}}
        assert send("POST", f"{receiver.url}/notify", body=body, policy=policy).delivered
        assert send("POST", f"{receiver.url}/list", body=[1, "two"], policy=policy).delivered
        with urllib.request.urlopen(f"{receiver.url}/", timeout=5) as response:
            text = response.read().decode()
        assert "{&#x27;" not in text and "{'" not in text  # no Python dict repr
        assert (
            "<pre>{\n"
            "  &quot;automation&quot;: &quot;retrain&quot;,\n"
            "  &quot;build&quot;: {\n"
            "    &quot;id&quot;: &quot;b-1&quot;,\n"
        ) in text
        assert "<td>POST /notify</td>" in text and "<td>POST /list</td>" in text
        assert "&quot;body&quot;: [\n    1,\n    &quot;two&quot;\n  ]" in text
        assert text.index("/list") < text.index("/notify")  # newest first
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
