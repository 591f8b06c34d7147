"""Geometry of the server-rendered SVG charts (pure; templates/reports/_charts.html draws them).

No JavaScript and no inline styles (the CSP forbids them): the SVG uses presentation
attributes only, scales with its ``viewBox`` and prints as crisp vectors. Every chart
sits beside a table of the same numbers for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Bar colours (the app's red, and a lighter tone for pending hours).
PRIMARY = "#b0102a"
SECONDARY = "#e8a0ac"


@dataclass(frozen=True)
class HBar:
    """One horizontal bar with its label on the left and value on the right."""

    label: str
    value_text: str
    y: float
    width: float


@dataclass(frozen=True)
class HBarChart:
    """A horizontal bar chart: categories or stations, largest readable on a phone."""

    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[HBar]


def hbar_chart(
    items: list[tuple[str, float, str]],
    *,
    width: int = 360,
    label_width: int = 110,
    bar_height: int = 18,
    gap: int = 8,
    value_space: int = 56,
) -> HBarChart:
    """Lay out ``(label, value, value_text)`` items as horizontal bars scaled to the largest."""
    top = max((value for _, value, _ in items), default=0) or 1
    room = width - label_width - value_space
    bars = [
        HBar(
            label=label if len(label) <= 9 else label[:8] + "…",
            value_text=text,
            y=i * (bar_height + gap),
            width=round(max(value, 0) / top * room, 1),
        )
        for i, (label, value, text) in enumerate(items)
    ]
    height = max(len(items) * (bar_height + gap) - gap, bar_height)
    return HBarChart(width, height, label_width, bar_height, bars)


@dataclass(frozen=True)
class Column:
    """One column of a trend: a confirmed part below and a pending part stacked on top."""

    x: float
    width: float
    confirmed_y: float
    confirmed_height: float
    pending_y: float
    pending_height: float
    label: str | None  #: axis label, or None when skipped to avoid crowding


@dataclass(frozen=True)
class ColumnChart:
    """Stacked columns over time (hours confirmed + pending)."""

    width: int
    height: int
    plot_height: int
    top_text: str
    columns: list[Column]


def column_chart(
    items: list[tuple[str, float, float]],
    *,
    top_text_for=str,
    width: int = 360,
    plot_height: int = 140,
    axis_height: int = 18,
    max_labels: int = 12,
) -> ColumnChart:
    """Lay out ``(label, confirmed, pending)`` as stacked columns; label every n-th column."""
    count = max(len(items), 1)
    top = max((c + p for _, c, p in items), default=0) or 1
    slot = width / count
    bar = max(slot * 0.7, 1)
    step = max(1, -(-count // max_labels))  # ceiling division
    columns = []
    for i, (label, confirmed, pending) in enumerate(items):
        ch = confirmed / top * plot_height
        ph = pending / top * plot_height
        columns.append(
            Column(
                x=round(i * slot + (slot - bar) / 2, 2),
                width=round(bar, 2),
                confirmed_y=round(plot_height - ch, 2),
                confirmed_height=round(ch, 2),
                pending_y=round(plot_height - ch - ph, 2),
                pending_height=round(ph, 2),
                label=label if i % step == 0 else None,
            )
        )
    return ColumnChart(width, plot_height + axis_height, plot_height, top_text_for(top), columns)
