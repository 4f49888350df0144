"""Charts drawn on the server as SVG: no chart library, no script, nothing from elsewhere.

Each chart scales to its box (a viewBox, width 100%), so it stays readable on a 390-pixel
phone; each carries a text alternative, and the page shows the same numbers as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 400, 180
LEFT, RIGHT, TOP, BOTTOM = 30, 6, 10, 24


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]
    css: str  # the class that colours it (static/css/desk.css)


def _nice_top(value: int) -> int:
    """The axis top: the largest value rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor:
                return step * factor
        step *= 10


def bars(labels: Sequence[str], series: Sequence[Series], title: str) -> Markup:
    """Grouped bars, one group per label (a day), one bar per series."""
    top = _nice_top(max((v for s in series for v in s.values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_w / max(len(labels), 1)
    bar = max(group * 0.8 / max(len(series), 1), 0.5)
    parts = [_axes(top, plot_w, plot_h)]
    for i, label in enumerate(labels):
        x0 = LEFT + i * group + group * 0.1
        for j, one in enumerate(series):
            value = one.values[i]
            h = plot_h * value / top
            parts.append(
                f'<rect class="{one.css}" x="{x0 + j * bar:.1f}" y="{TOP + plot_h - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}"><title>{escape(label)}: {value} '
                f"{escape(one.name)}</title></rect>"
            )
    parts.append(_x_labels(labels, group))
    return _svg(title, "".join(parts))


def line(labels: Sequence[str], one: Series, title: str) -> Markup:
    """One series as a line with a dot per label."""
    top = _nice_top(max(one.values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_w / max(len(labels), 1)
    points = [
        (LEFT + group * (i + 0.5), TOP + plot_h - plot_h * value / top)
        for i, value in enumerate(one.values)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(
        f'<circle class="{one.css}" cx="{x:.1f}" cy="{y:.1f}" r="2.5"><title>'
        f"{escape(label)}: {value} {escape(one.name)}</title></circle>"
        for (x, y), label, value in zip(points, labels, one.values, strict=True)
    )
    body = (
        _axes(top, plot_w, plot_h)
        + f'<polyline class="{one.css} chart-line" points="{path}"/>'
        + dots
        + _x_labels(labels, group)
    )
    return _svg(title, body)


def _axes(top: int, plot_w: float, plot_h: float) -> str:
    lines = []
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        value = top * fraction
        shown = f"{value:g}"
        lines.append(
            f'<line class="chart-grid" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" '
            f'y2="{y:.1f}"/><text class="chart-axis" x="{LEFT - 4}" y="{y + 4:.1f}" '
            f'text-anchor="end">{shown}</text>'
        )
    return "".join(lines)


def _x_labels(labels: Sequence[str], group: float) -> str:
    # At most about six labels fit a phone; the rest are in each bar's title and the table.
    every = max(1, -(-len(labels) // 6))
    return "".join(
        f'<text class="chart-axis" x="{LEFT + group * (i + 0.5):.1f}" y="{HEIGHT - 8}" '
        f'text-anchor="middle">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if i % every == 0
    )


def _svg(title: str, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )
