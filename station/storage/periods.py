"""Calendar periods in the station's local time: days, ISO weeks and months, for the history page.

A period's edges are local midnights turned into Unix time by the C library's local-time rules
(the ``TZ`` the station runs with), so the rep log keeps plain Unix times while a rep still lands
in the period its local date says: a week with a daylight-saving change is 167 or 169 hours long.

Weeks are ISO 8601 weeks: Monday to Sunday, numbered so that week 1 is the week holding the
year's first Thursday; the days around New Year can belong to the other year's week (Friday
1 January 2027 is in 2026-W53).

    >>> import datetime as dt
    >>> Period("week", dt.date(2026, 12, 28)).key, Period("month", dt.date(2027, 1, 1)).key
    ('2026-W53', '2027-01')
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

# How many periods the history page shows for each unit: a month of days, two months of weeks,
# a year of months (staff pick one; these are the three views issue 16 asks for).
UNITS: dict[str, int] = {"day": 30, "week": 8, "month": 12}
NOUNS = {"day": "day", "week": "week", "month": "month"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class PeriodError(ValueError):
    """A period unit the history does not know; the message lists the ones it does."""


def _unit(unit: str) -> str:
    if unit not in UNITS:
        raise PeriodError(f"unknown period {unit[:20]!r}: use one of {', '.join(UNITS)}")
    return unit


@dataclass(frozen=True)
class Period:
    """One day, ISO week or month, named by its first local date."""

    unit: str
    first: dt.date  # the local date the period starts on (a Monday for weeks, the 1st for months)

    @property
    def after(self) -> dt.date:
        """The first local date of the next period."""
        if self.unit == "day":
            return self.first + dt.timedelta(days=1)
        if self.unit == "week":
            return self.first + dt.timedelta(days=7)
        year, month = divmod(self.first.year * 12 + self.first.month, 12)
        return dt.date(year, month + 1, 1)

    @property
    def start(self) -> float:
        """Unix time of the local midnight that opens the period."""
        return _midnight(self.first)

    @property
    def end(self) -> float:
        """Unix time of the local midnight that closes it (the next period's start)."""
        return _midnight(self.after)

    @property
    def key(self) -> str:
        """``2026-11-25``, ``2026-W48`` (ISO year and week) or ``2026-11``."""
        if self.unit == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        return self.first.isoformat() if self.unit == "day" else self.first.strftime("%Y-%m")

    @property
    def short(self) -> str:
        """A chart tick: ``25 Nov``, ``W48`` or ``Nov``."""
        if self.unit == "week":
            return f"W{self.first.isocalendar()[1]:02d}"
        month = MONTHS[self.first.month - 1]
        return f"{self.first.day} {month}" if self.unit == "day" else month

    @property
    def long(self) -> str:
        """A table row: ``Wed 25 Nov 2026``, ``2026-W48, 23-29 Nov`` or ``Nov 2026``."""
        month = MONTHS[self.first.month - 1]
        if self.unit == "day":
            return f"{self.first:%a} {self.first.day} {month} {self.first.year}"
        if self.unit == "month":
            return f"{month} {self.first.year}"
        last = self.after - dt.timedelta(days=1)
        return f"{self.key}, {self.first.day} {month} - {last.day} {MONTHS[last.month - 1]}"


def _midnight(day: dt.date) -> float:
    # A naive datetime's timestamp() asks the C library (mktime) for local time, DST included.
    return dt.datetime.combine(day, dt.time()).timestamp()


def containing(unit: str, when: float) -> Period:
    """The period of ``unit`` that holds the Unix time ``when`` (local time)."""
    return _holding(_unit(unit), dt.datetime.fromtimestamp(when).date())


def today_start(now: float | None = None) -> float:
    """Unix time of the local midnight that opened the day holding ``now`` (default: now).

        >>> import time
        >>> 0 <= time.time() - today_start() < 25 * 3600
        True
    """
    return containing("day", time.time() if now is None else now).start


def _holding(unit: str, day: dt.date) -> Period:
    if unit == "week":
        day -= dt.timedelta(days=day.weekday())  # back to Monday
    elif unit == "month":
        day = day.replace(day=1)
    return Period(unit, day)


def last(unit: str, now: float, count: int | None = None) -> list[Period]:
    """The ``count`` periods up to and including the one holding ``now``, oldest first
    (``count`` defaults to the unit's view in :data:`UNITS`)."""
    count = UNITS[_unit(unit)] if count is None else count
    if count < 1:
        raise PeriodError(f"count must be at least 1, not {count}")
    periods = [containing(unit, now)]
    while len(periods) < count:
        periods.append(_holding(unit, periods[-1].first - dt.timedelta(days=1)))
    return periods[::-1]
