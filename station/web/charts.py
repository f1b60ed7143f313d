"""Charts for the staff pages, drawn by the server as SVG: the geometry here, the markup in
``templates/charts.html``. No script, no chart library.

Every label sits outside the plot (ticks left and below, the legend underneath), so no label can
cover a bar or a line. The viewBox is 360 units wide, about a phone's content width at 390 px
(issue 16's phone size, less the page's margins): there one unit is about one CSS pixel and the
11-unit text reads at about 11 px; wider screens scale the whole chart up.

Colours are Okabe and Ito's colour-blind-safe palette ("Color Universal Design", 2008) without its
yellow, which is too pale for a line on white; each fault also has its own marker and dash, so the
lines part without colour too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

WIDTH = 360
FONT = 11
CHAR_W = 0.62 * FONT  # a generous mean glyph width of DejaVu Sans at this size, to space the ticks
LEFT, RIGHT, TOP, PLOT_H = 50, 22, 12, 150
ROW = 18  # one legend row
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
MARKERS = ("circle", "square", "triangle", "diamond", "down", "plus")
DASHES = ("", "6 3", "2 2", "8 3 2 3")


@dataclass
class Chart:
    """What the template draws: the frame, axes, ticks and legend, plus bars or lines."""

    id: str
    title: str
    desc: str
    y_title: str
    x_title: str
    height: float = 0.0
    y_ticks: list[dict[str, Any]] = field(default_factory=list)
    x_ticks: list[dict[str, Any]] = field(default_factory=list)
    bars: list[dict[str, Any]] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)
    legend: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    width: int = WIDTH
    left: int = LEFT
    top: int = TOP
    bottom: int = TOP + PLOT_H
    right: int = WIDTH - RIGHT


def nice_top(value: float, steps: int = 5) -> tuple[float, float]:
    """An axis top at or above ``value`` and its tick step, from 1, 2 or 5 times a power of ten,
    with at most ``steps`` steps.

        >>> nice_top(37), nice_top(0), nice_top(0.4)
        ((40, 10), (1, 1), (0.4, 0.1))
    """
    if value <= 0:
        return 1, 1
    power = 10 ** math.floor(math.log10(value / steps))
    for m in (1, 2, 5, 10):
        step = m * power
        if value / step <= steps:
            top = step * math.ceil(value / step - 1e-9)
            return round(top, 10), round(step, 10)
    raise AssertionError("unreachable: ten times the power always fits")


def _frame(chart: Chart, labels: Sequence[str], top: float, step: float, unit: str) -> float:
    """Ticks on both axes; the x band width."""
    n = max(len(labels), 1)
    band = (chart.right - chart.left) / n
    for k in range(round(top / step) + 1):
        value = k * step
        y = chart.bottom - PLOT_H * value / top
        chart.y_ticks.append({"y": round(y, 1), "label": f"{value:g}{unit}"})
    widest = max((len(label) for label in labels), default=1) * CHAR_W
    every = max(1, math.ceil((widest + 6) / band))  # the labels' width plus a gap, in bands
    for i, label in enumerate(labels):
        if (n - 1 - i) % every == 0:  # counted from the newest, so the current period is labelled
            chart.x_ticks.append({"x": round(chart.left + band * (i + 0.5), 1), "label": label})
    return band


def _legend(chart: Chart, items: list[dict[str, Any]]) -> None:
    """Lay the legend out in rows under the x-axis title, wrapping at the chart's width."""
    x, y = 4.0, chart.bottom + 56
    for item in items:
        width = 24 + len(item["label"]) * CHAR_W
        if x > 4 and x + width > WIDTH - 4:
            x, y = 4.0, y + ROW
        chart.legend.append({**item, "x": round(x, 1), "y": y})
        x += width + 12
    chart.height = y + 8


def bars(chart: Chart, labels: Sequence[str], good: Sequence[int], faulty: Sequence[int]) -> Chart:
    """Stacked bars per period: good reps below, the others (a fault, or not judged) on top."""
    top, step = nice_top(max([g + f for g, f in zip(good, faulty, strict=True)] + [0]))
    band = _frame(chart, labels, top, step, "")
    width = min(band * 0.7, 40)
    for i, (g, f) in enumerate(zip(good, faulty, strict=True)):
        x = chart.left + band * i + (band - width) / 2
        h_good, h_fault = PLOT_H * g / top, PLOT_H * f / top
        y_good = chart.bottom - h_good
        chart.bars.append({"x": round(x, 1), "w": round(width, 1), "label": labels[i], "good": g,
                           "faulty": f, "y_good": round(y_good, 1), "h_good": round(h_good, 1),
                           "y_fault": round(y_good - h_fault, 1), "h_fault": round(h_fault, 1)})
    _legend(chart, [{"label": "good reps", "kind": "good"}, {"label": "reps not good", "kind": "faulty"}])
    if not any(good) and not any(faulty):
        chart.note = "No reps in these periods."
    return chart


def marker(shape: str, x: float, y: float, r: float = 3.5) -> str:
    """An SVG path for a marker centred on (x, y)."""
    if shape == "circle":
        return f"M{x - r:.1f},{y:.1f}a{r},{r} 0 1,0 {2 * r},0a{r},{r} 0 1,0 {-2 * r},0Z"
    if shape == "square":
        return f"M{x - r:.1f},{y - r:.1f}h{2 * r}v{2 * r}h{-2 * r}Z"
    if shape in ("triangle", "down"):
        s = 1 if shape == "triangle" else -1
        return (f"M{x:.1f},{y - s * 1.3 * r:.1f}L{x + 1.2 * r:.1f},{y + s * 0.9 * r:.1f}"
                f"L{x - 1.2 * r:.1f},{y + s * 0.9 * r:.1f}Z")
    if shape == "diamond":
        d = 1.35 * r
        return f"M{x:.1f},{y - d:.1f}L{x + d:.1f},{y:.1f}L{x:.1f},{y + d:.1f}L{x - d:.1f},{y:.1f}Z"
    return f"M{x - r:.1f},{y:.1f}H{x + r:.1f}M{x:.1f},{y - r:.1f}V{y + r:.1f}"  # plus


def style(rank: int) -> dict[str, str]:
    """A fault's colour, marker and dash by its rank in the vocabulary: the same fault always
    looks the same, and no two of the ten look alike (7 colours, 6 markers, 4 dashes)."""
    return {"colour": PALETTE[rank % len(PALETTE)], "marker": MARKERS[rank % len(MARKERS)],
            "dash": DASHES[rank % len(DASHES)]}


def lines(chart: Chart, labels: Sequence[str], series: Sequence[dict[str, Any]]) -> Chart:
    """One line per fault of its rate (per cent of the period's reps); a period without reps
    is a gap. Each of ``series``: label, rank, rates (None: no reps)."""
    peak = max([r for s in series for r in s["rates"] if r is not None] + [0])
    top, step = nice_top(min(peak, 100) or 10)
    band = _frame(chart, labels, top, step, "%")
    for s in series:
        look = style(s["rank"])
        runs: list[list[tuple[float, float]]] = [[]]
        dots = []
        for i, r in enumerate(s["rates"]):
            if r is None:
                runs.append([])  # no reps in this period: the line breaks
                continue
            x, y = chart.left + band * (i + 0.5), chart.bottom - PLOT_H * r / top
            runs[-1].append((x, y))
            dots.append({"d": marker(look["marker"], x, y), "label": f"{labels[i]}: {r:g}%"})
        paths = [" ".join(f"{x:.1f},{y:.1f}" for x, y in run) for run in runs if len(run) > 1]
        chart.series.append({**look, "label": s["label"], "lines": paths, "markers": dots})
    _legend(chart, [{"label": s["label"], "kind": "line", **style(s["rank"]),
                     "mark": ""} for s in series])
    for item in chart.legend:
        item["mark"] = marker(item["marker"], item["x"] + 8, item["y"] - 4)
    if not series:
        chart.note = "No faults in these periods."
    return chart
