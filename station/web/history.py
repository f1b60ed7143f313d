"""The history page's content: totals and per-fault trends over local days, ISO weeks or months,
as the two charts and the tables that carry the same numbers (for screen readers, and for
anyone who wants the figures)."""

from __future__ import annotations

from typing import Any

from station.coach.faults import FAULTS, fault_label
from station.coach.vocabulary import FaultCode
from station.storage import periods
from station.storage.replog import RepLog
from station.web import charts

RANK: dict[str, int] = {str(code): rank for rank, code in enumerate(FaultCode)}
# The switch's links, in the order staff read them: the default view first.
VIEWS = (("week", "By week", "last 8 weeks"), ("month", "By month", "last 12 months"),
         ("day", "By day", "last 30 days"))
DEFAULT = "week"


def _rate(n: int, reps: int) -> float | None:
    return round(100 * n / reps, 1) if reps else None


def view(store: RepLog, unit: str, now: float) -> dict[str, Any]:
    """Everything the history page shows for one period unit (:data:`station.storage.periods.UNITS`)."""
    spans = periods.last(unit, now)
    rows = store.history.trend([(p.start, p.end) for p in spans])
    noun = periods.NOUNS[unit]
    reps, good = sum(r["reps"] for r in rows), sum(r["good"] for r in rows)
    totals: dict[str, int] = {}
    for r in rows:
        for code, n in r["faults"].items():
            totals[code] = totals.get(code, 0) + n
    codes = sorted(totals, key=lambda c: (-totals[c], RANK.get(c, 99), c))
    shown = [p.short for p in spans]
    summary = {"reps": reps, "good": good, "sets": sum(r["sets"] for r in rows),
               "good_rate": _rate(good, reps), "span": dict((v, s) for v, _, s in VIEWS)[unit]}
    counts = charts.Chart(
        "reps-chart", f"Reps per {noun}",
        f"Stacked bars, one per {noun} of the {summary['span']}: good reps below, the others (a fault, "
        "or not judged) above. The table after the chart has the same numbers.", "reps", _x_title(unit))
    charts.bars(counts, shown, [r["good"] for r in rows], [r["reps"] - r["good"] for r in rows])
    rates = charts.Chart(
        "fault-chart", f"Fault rate per {noun}",
        f"One line per fault: the per cent of each {noun}'s reps that had it, over the "
        f"{summary['span']}; a {noun} without reps is a gap. The table after the chart has the "
        "same numbers.", "% of reps", _x_title(unit))
    charts.lines(rates, shown, [{"label": fault_label(c), "rank": RANK.get(c, len(RANK)),
                                 "rates": [_rate(r["faults"].get(c, 0), r["reps"]) for r in rows]}
                                for c in codes])
    table = [{"period": p, "reps": r["reps"], "good": r["good"], "sets": r["sets"],
              "good_rate": _rate(r["good"], r["reps"]),
              "faults": [(fault_label(c), n) for c, n in list(r["faults"].items())[:3]]}
             for p, r in zip(spans, rows, strict=True)]
    faults = [{"label": fault_label(c), "code": c, "total": totals[c], "rate": _rate(totals[c], reps),
               "explained": FAULTS[FaultCode(c)].staff if c in RANK else "",
               "cells": [(r["faults"].get(c, 0), _rate(r["faults"].get(c, 0), r["reps"])) for r in rows]}
              for c in codes]
    return {"unit": unit, "noun": noun, "views": VIEWS, "periods": spans, "summary": summary,
            "counts": counts, "rates": rates, "table": table[::-1], "faults": faults}


def _x_title(unit: str) -> str:
    return {"day": "day (local time)", "week": "ISO week (Monday to Sunday)", "month": "month"}[unit]
