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
