"""Send prediction traffic to a model served by the local platform, to watch a metric move.

    python -m frogml_airflow_provider.demo.traffic iris-classifier --requests 50 --bad 0.4

Good requests use ``--row`` (JSON) as the features; a ``--bad`` fraction of them drop a column,
so the model answers 400 and the analytics store records an error. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

from frogml_airflow_provider.platform.local.platform import LocalPlatform

IRIS_ROW = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


def send_traffic(
    endpoint: str, row: dict[str, Any], *, requests: int, bad: float = 0.0, rate: float = 0.0, seed: int = 7
) -> Counter[int]:
    """POST ``requests`` predictions; returns how many answers of each HTTP status came back."""
    if not endpoint.startswith("http://127.0.0.1:"):
        raise ValueError(f"traffic goes to local endpoints only, not {endpoint}")
    chooser = random.Random(seed)
    statuses: Counter[int] = Counter()
    broken = {k: v for k, v in list(row.items())[1:]}  # a row without its first column
    for _ in range(requests):
        body = broken if chooser.random() < bad else row
        request = urllib.request.Request(endpoint, data=json.dumps([body]).encode(), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                statuses[response.status] += 1
        except urllib.error.HTTPError as error:
            statuses[error.code] += 1
        if rate:
            time.sleep(1 / rate)
    return statuses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_id")
    parser.add_argument("--variation", default="default")
    parser.add_argument("--state-dir", help="the local platform's state folder (default: $AIRFLOW_HOME/frogml-local)")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--bad", type=float, default=0.0, help="fraction of requests that fail (0-1)")
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second (0: as fast as possible)")
    parser.add_argument("--row", type=json.loads, default=IRIS_ROW, help="the features of a good request (JSON)")
    args = parser.parse_args(argv)
    if args.state_dir is None:
        from frogml_airflow_provider.hooks.frogml import default_local_state_dir

        args.state_dir = default_local_state_dir()
    deployment = LocalPlatform(args.state_dir).get_deployment(args.model_id, args.variation)
    if deployment is None or deployment.state.value != "SERVING":
        print(f"model {args.model_id!r} ({args.variation}) is not serving locally; deploy it first")
        return 1
    statuses = send_traffic(deployment.endpoint, args.row, requests=args.requests, bad=args.bad, rate=args.rate)
    print(
        f"sent {args.requests} prediction(s) to {deployment.endpoint}: "
        + ", ".join(f"{count} x HTTP {status}" for status, count in sorted(statuses.items()))
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
