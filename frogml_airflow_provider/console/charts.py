"""Charts: a value over time against its threshold, events marked. Pure.

The page carries the data as JSON in a ``<figure data-chart>``; ``static/console.js`` draws it with
uPlot (vendored in ``static/``: no network at view time) on a real time axis in UTC, with labelled
axes, the threshold as a step line, marked points and deploys, and a tooltip with the exact value,
the subject (a build id) and the time. Without JavaScript the same points are a table.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

SHOWN_ROWS = 50  # the no-JS table's newest rows; the chart draws every point


@dataclass(frozen=True)
class Point:
    at: float  # epoch seconds
    value: float
    threshold: float | None
    marked: bool  # passed the gate / started a retrain
    subject: str = ""  # shown on hover: a build id, a decision


@dataclass(frozen=True)
class Event:
    """A vertical mark on the time axis: a deploy, a retrain's build."""

    at: float
    label: str


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def chart(
    points: Sequence[Point],
    *,
    title: str,
    y_label: str,
    marked_as: str,
    unmarked_as: str,
    events: Sequence[Event] = (),
) -> str:
    """The figure: uPlot draws it from ``data-chart``; ``<noscript>`` holds the table."""
    shown = [p for p in points if math.isfinite(p.value)]
    if not shown:
        return f'<p class="empty">{escape(title)}: nothing recorded yet.</p>'
    shown.sort(key=lambda p: p.at)
    data = {
        "title": title,
        "y": y_label,
        "marked_as": marked_as,
        "unmarked_as": unmarked_as,
        # Columns, not objects: 1,000 evaluations stay a few dozen kilobytes.
        "t": [round(p.at, 3) for p in shown],
        "v": [p.value for p in shown],
        "th": [_finite(p.threshold) for p in shown],
        "m": [1 if p.marked else 0 for p in shown],
        "s": [p.subject for p in shown],
        "events": [{"t": round(e.at, 3), "label": e.label} for e in sorted(events, key=lambda e: e.at)],
    }
    # json.dumps escapes nothing for HTML: escape() makes the attribute safe, the browser undoes it.
    payload = escape(json.dumps(data, separators=(",", ":"), allow_nan=False))
    return (
        f'<figure class="chart" data-chart="{payload}" aria-label="{escape(title)}">'
        f"<figcaption>{escape(title)}</figcaption><div class='plot'></div>"
        f"<noscript>{_table(shown, y_label, marked_as, unmarked_as)}</noscript></figure>"
    )


def _table(points: Sequence[Point], y_label: str, marked_as: str, unmarked_as: str) -> str:
    rows = "".join(
        f"<tr><td>{_when(p.at)}</td><td>{escape(p.subject)}</td><td>{p.value:g}</td>"
        f"<td>{'' if p.threshold is None else f'{p.threshold:g}'}</td>"
        f"<td>{escape(marked_as if p.marked else unmarked_as)}</td></tr>"
        for p in reversed(points[-SHOWN_ROWS:])
    )
    head = f"<tr><th>time</th><th>subject</th><th>{escape(y_label)}</th><th>threshold</th><th>outcome</th></tr>"
    return f"<table>{head}{rows}</table>"
