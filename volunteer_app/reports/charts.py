"""Geometry of the server-rendered SVG charts (pure; templates/reports/_charts.html draws them).

No JavaScript and no inline styles (the CSP forbids them): the SVG uses presentation
attributes only, scales with its ``viewBox`` and prints as crisp vectors. Every chart
sits beside a table of the same numbers for screen readers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Bar colours (the app's red, and a lighter tone for pending hours).
PRIMARY = "#b0102a"
SECONDARY = "#e8a0ac"


@dataclass(frozen=True)
class HBar:
    """One horizontal bar with its full label on its own line(s) above it, value on the right."""

    label: str
    lines: tuple[str, ...]  #: the label wrapped to the chart's width, never cut
    value_text: str
    y: float  #: top of the label
    bar_y: float  #: top of the bar, relative to ``y``
    width: float


@dataclass(frozen=True)
class HBarChart:
    """A horizontal bar chart: categories or stations, largest readable on a phone."""

    width: int
    height: int
    bar_height: int
    line_height: int
    font_size: int
    bars: list[HBar]


def _em(char: str) -> float:
    """Approximate advance of a character in ems: CJK and full-width 1, others about half."""
    return 1.0 if ord(char) >= 0x2E80 else 0.6


def wrap_label(text: str, max_ems: float) -> tuple[str, ...]:
    """Split ``text`` into lines of at most ``max_ems`` ems, keeping every character.

    Long unit names (吕陵镇青年志愿服务队新时代文明实践站) are wrapped rather than cut, so
    the whole name stays readable on a 320 px phone. Latin words are kept whole where they fit.
    """
    lines: list[str] = []
    line, used = "", 0.0
    for token in re.findall(r"[^\s\u2e80-\uffff]+\s*|.", text):
        size = sum(_em(c) for c in token)
        if line and used + size > max_ems:
            lines.append(line.rstrip())
            line, used = "", 0.0
        if size > max_ems:  # a single word longer than a line: break it by characters
            for c in token:
                if line and used + _em(c) > max_ems:
                    lines.append(line)
                    line, used = "", 0.0
                line += c
                used += _em(c)
            continue
        line += token
        used += size
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return _keep_punctuation(lines)


_OPENERS = "（(【《“‘「"
_CLOSERS = "）)】》”’」，。、；：！？,.;:!?"


def _keep_punctuation(lines: list[str]) -> tuple[str, ...]:
    """No line ends with an opening bracket nor starts with a closing one or a comma
    (Chinese line breaking): the opener moves down, the closer hangs at the line's end."""
    for i in range(len(lines) - 1):
        while len(lines[i]) > 1 and lines[i][-1] in _OPENERS:
            lines[i], lines[i + 1] = lines[i][:-1], lines[i][-1] + lines[i + 1]
        while len(lines[i + 1]) > 1 and lines[i + 1][0] in _CLOSERS:
            lines[i], lines[i + 1] = lines[i] + lines[i + 1][0], lines[i + 1][1:]
    return tuple(lines)


def hbar_chart(
    items: list[tuple[str, float, str]],
    *,
    width: int = 300,
    bar_height: int = 16,
    font_size: int = 15,
    gap: int = 10,
    value_space: int = 56,
) -> HBarChart:
    """Lay out ``(label, value, value_text)``: each label on its own line(s), its bar below."""
    top = max((value for _, value, _ in items), default=0) or 1
    room = width - value_space
    line_height = round(font_size * 1.3)
    max_ems = width / font_size - 0.5
    bars = []
    y = 0.0
    for label, value, text in items:
        lines = wrap_label(label, max_ems)
        bar_y = len(lines) * line_height + 2
        bars.append(
            HBar(
                label=label,
                lines=lines,
                value_text=text,
                y=y,
                bar_y=bar_y,
                width=round(max(value, 0) / top * room, 1),
            )
        )
        y += bar_y + bar_height + gap
    height = max(round(y - gap), bar_height)
    return HBarChart(width, height, bar_height, line_height, font_size, bars)


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
