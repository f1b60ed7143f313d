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


def ago_words(t: float | None, now: float | None = None) -> str:
    """How long ago the epoch time ``t`` was, as staff say it: one unit, rounded, in words.

    >>> [ago_words(1000.0 - s, now=1000.0) for s in (3, 45, 200, 5400, 90000, 3 * 86400)]
    ['just now', '45 seconds ago', '3 minutes ago', '2 hours ago', 'yesterday', '3 days ago']
    >>> ago_words(None), ago_words(1060.0, now=1000.0)
    ('never', 'just now')
    """
    if t is None:
        return "never"
    s = max(0.0, (time.time() if now is None else now) - t)
    if s < 10:
        return "just now"
    if s < 60:
        return f"{round(s)} seconds ago"
    for limit, unit, one, many in ((3600, 60, "a minute ago", "minutes"),
                                   (86400, 3600, "an hour ago", "hours")):
        if s < limit:
            n = round(s / unit)
            return one if n == 1 else f"{n} {many} ago"
    days = round(s / 86400)
    return "yesterday" if days == 1 else f"{days} days ago"


def at_words(t: float, now: float | None = None) -> str:
    """When the epoch time ``t`` is (a lockout's end, a backup's time) in the station's local time:
    "at 14:05" today, "tomorrow at 09:00", "yesterday at 22:10", else "on Mon 7 Dec at 14:05".

    >>> noon = time.mktime((2025, 12, 6, 12, 0, 0, 0, 0, -1))  # a Saturday noon, local time
    >>> at_words(noon + 300, now=noon), at_words(noon + 86400, now=noon), at_words(noon - 86400 * 3, now=noon)
    ('at 12:05', 'tomorrow at 12:00', 'on Wed 3 Dec at 12:00')
    """
    local = time.localtime(t)
    today = time.localtime(time.time() if now is None else now)
    days = (_day_number(local) - _day_number(today))
    clock = time.strftime("%H:%M", local)
    if days == 0:
        return f"at {clock}"
    if days in (1, -1):
        return f"{'tomorrow' if days == 1 else 'yesterday'} at {clock}"
    return f"on {time.strftime('%a', local)} {local.tm_mday} {time.strftime('%b', local)} at {clock}"


def _day_number(t: time.struct_time) -> int:
    """Days since the epoch of the local calendar day (so midnight, not 24 h, divides days)."""
    import datetime

    return datetime.date(t.tm_year, t.tm_mon, t.tm_mday).toordinal()
