"""Durations as staff read them: "3 h 12 min", not 11520.3 s. Every staff page shows a duration
through :func:`duration` (a Jinja filter of the same name; the health page's JSON sends its words).

    >>> duration(11520.3)
    '3 h 12 min'
    >>> duration(0.4), duration(59.6), duration(61), duration(3600), duration(90061)
    ('0 s', '1 min', '1 min 1 s', '1 h', '1 d 1 h')
    >>> duration(None), duration(-5)
    ('-', '0 s')
"""

from __future__ import annotations

import math
import time

# Two units at most: the second is a refinement of the first, a third would be noise on a page
# that is read at a glance (and "updated 4 s ago" already says how fresh it is).
_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def duration(seconds: float | None) -> str:
    """``seconds`` in its two largest units, rounded to whole seconds; '-' for None or NaN."""
    if seconds is None or math.isnan(seconds):
        return "-"
    left = max(0, round(seconds))
    parts: list[str] = []
    for name, size in _UNITS:
        if left >= size or (name == "s" and not parts):
            count, left = divmod(left, size)
            parts.append(f"{count} {name}")
        elif parts:
            parts.append("")  # a zero unit after the first still counts as one of the two shown
        if len(parts) == 2:
            break
    return " ".join(p for p in parts if p)


def ago(t: float | None, now: float | None = None) -> str:
    """How long ago the epoch time ``t`` was, in words.

    >>> ago(1000.0, now=1200.0), ago(None)
    ('3 min 20 s ago', 'never')
    """
    if t is None:
        return "never"
    return duration((time.time() if now is None else now) - t) + " ago"
