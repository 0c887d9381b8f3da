"""Inline SVG charts: a value over a sequence against its threshold, events marked. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT, PAD, LEFT = 640, 220, 40, 64  # LEFT leaves room for the axis labels


@dataclass(frozen=True)
class Point:
    label: str  # shown on hover (a build id, a time)
    value: float
    threshold: float | None
    marked: bool  # passed the gate / started a retrain


def chart(points: Sequence[Point], *, title: str, marked_as: str, unmarked_as: str) -> str:
    """A line of ``value`` with the threshold as a dashed step line; marked points in green."""
    if not points:
        return f'<p class="empty">{escape(title)}: nothing recorded yet.</p>'
    values = [p.value for p in points] + [p.threshold for p in points if p.threshold is not None]
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 0.5, high + 0.5
    span = high - low
    low, high = low - span * 0.1, high + span * 0.1

    def x(i: int) -> float:
        return LEFT + (WIDTH - LEFT - PAD) * (i / max(1, len(points) - 1))

    def y(v: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (v - low) / (high - low)

    line = " ".join(f"{x(i):.1f},{y(p.value):.1f}" for i, p in enumerate(points))
    steps = []
    for i, p in enumerate(points):
        if p.threshold is not None:
            half_step = (WIDTH - LEFT - PAD) / max(1, len(points) - 1) / 2
            left, right = x(i) - half_step, x(i) + half_step
            steps.append(
                f'<line x1="{max(LEFT, left):.1f}" x2="{min(WIDTH - PAD, right):.1f}" y1="{y(p.threshold):.1f}"'
                f' y2="{y(p.threshold):.1f}" class="threshold"/>'
            )
    dots = "".join(
        f'<circle cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="5" class="{"marked" if p.marked else "unmarked"}">'
        f"<title>{escape(p.label)}: {p.value:g}"
        f"{'' if p.threshold is None else f' (threshold {p.threshold:g})'}: "
        f"{escape(marked_as if p.marked else unmarked_as)}</title></circle>"
        for i, p in enumerate(points)
    )
    axis = (
        f'<text x="4" y="{y(high - span * 0.1) + 4:.1f}" class="axis">{high - span * 0.1:.3g}</text>'
        f'<text x="4" y="{y(low + span * 0.1) + 4:.1f}" class="axis">{low + span * 0.1:.3g}</text>'
    )
    legend = (
        f'<text x="{LEFT}" y="16" class="legend">{escape(title)} — '
        f'<tspan class="marked-text">● {escape(marked_as)}</tspan> '
        f'<tspan class="unmarked-text">● {escape(unmarked_as)}</tspan> '
        f'<tspan class="threshold-text">– – threshold</tspan></text>'
    )
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">{legend}{axis}{"".join(steps)}'
        f'<polyline points="{line}" class="value"/>{dots}</svg>'
    )
