"""The history's periods, trends, fault names and charts: local days, ISO weeks and months across a
year boundary and both daylight-saving changes (fixed Unix times, TZ set explicitly), the rep
log grouped by them, every fault named in words, and the page's SVG with its axes and legends."""

from __future__ import annotations

import calendar
import io
import itertools
import re
import time

import pytest

from station.coach.faults import FAULTS
from station.coach.vocabulary import FaultCode, Verdict
from station.storage import periods
from station.storage.replog import RepLog
from station.web import charts

BERLIN = "Europe/Berlin"  # CET/CEST: the clocks change on the last Sundays of March and October


def utc(year: int, month: int, day: int, hour: int, minute: int) -> float:
    """A Unix time from UTC fields, worked out without the local time zone."""
    return float(calendar.timegm((year, month, day, hour, minute, 0)))


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch):
    """Set the process's local time zone (TZ and tzset), and put it back afterwards."""
    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


def log_with(times: list[float], faults: list[list[FaultCode]] | None = None) -> RepLog:
    log = RepLog(":memory:")
    set_id = log.reps.start_set(times[0] - 10)
    for i, t in enumerate(times):
        codes = faults[i] if faults else []
        log.reps.add(set_id, t, i + 1, Verdict.FAULT if codes else Verdict.GOOD, codes, {})
    return log


def counts(log: RepLog, spans: list[periods.Period]) -> dict[str, int]:
    return {p.key: row["reps"] for p, row in zip(spans, log.history.trend([(p.start, p.end) for p in spans]),
                                                  strict=True)}


# Four reps around New Year 2027 in Berlin (UTC+1): late on Thursday 31 December, just after
# midnight on Friday 1 January, late on Sunday 3 January, just after midnight on Monday 4 January.
NEW_YEAR = [utc(2026, 12, 31, 22, 30), utc(2026, 12, 31, 23, 30), utc(2027, 1, 3, 22, 59),
            utc(2027, 1, 3, 23, 30)]


def test_iso_weeks_across_new_year_in_local_time(zone) -> None:
    zone(BERLIN)
    weeks = periods.last("week", utc(2027, 1, 10, 12, 0), count=3)
    assert [p.key for p in weeks] == ["2026-W52", "2026-W53", "2027-W01"]
    assert [p.first.isoformat() for p in weeks] == ["2026-12-21", "2026-12-28", "2027-01-04"]
    assert weeks[1].start == utc(2026, 12, 27, 23, 0)  # Monday 00:00 CET
    assert counts(log_with(NEW_YEAR), weeks) == {"2026-W52": 0, "2026-W53": 3, "2027-W01": 1}
    assert weeks[1].long == "2026-W53, 28 Dec - 3 Jan" and weeks[2].short == "W01"


def test_months_across_new_year_in_local_time(zone) -> None:
    zone(BERLIN)
    months = periods.last("month", utc(2027, 1, 10, 12, 0), count=2)
    assert [p.key for p in months] == ["2026-12", "2027-01"]
    assert counts(log_with(NEW_YEAR), months) == {"2026-12": 1, "2027-01": 3}


def test_the_same_reps_in_utc_fall_elsewhere(zone) -> None:
    """The grouping follows the station's zone: in UTC the second rep is still in December and
    the fourth is on a Sunday."""
    zone("UTC")
    log = log_with(NEW_YEAR)
    months = periods.last("month", utc(2027, 1, 10, 12, 0), count=2)
    assert counts(log, months) == {"2026-12": 2, "2027-01": 2}
    weeks = periods.last("week", utc(2027, 1, 10, 12, 0), count=2)
    assert counts(log, weeks) == {"2026-W53": 4, "2027-W01": 0}


def test_weeks_and_days_across_both_daylight_saving_changes(zone) -> None:
    zone(BERLIN)
    spring = periods.last("week", utc(2026, 4, 1, 12, 0), count=2)  # W13 holds Sunday 29 March
    assert [p.key for p in spring] == ["2026-W13", "2026-W14"]
    assert spring[0].end - spring[0].start == 167 * 3600  # an hour lost
    # Sunday 23:30 CEST (21:30 UTC) and Monday 00:30 CEST (22:30 UTC on Sunday)
    assert counts(log_with([utc(2026, 3, 29, 21, 30), utc(2026, 3, 29, 22, 30)]), spring) == {
        "2026-W13": 1, "2026-W14": 1}

    autumn = periods.last("week", utc(2026, 10, 28, 12, 0), count=2)
    assert [p.key for p in autumn] == ["2026-W43", "2026-W44"]
    assert autumn[0].end - autumn[0].start == 169 * 3600  # an hour gained
    # 02:30 twice on Sunday 25 October (00:30 and 01:30 UTC), Sunday 23:30 CET, Monday 00:10 CET
    reps = [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 22, 30),
            utc(2026, 10, 25, 23, 10)]
    assert counts(log_with(reps), autumn) == {"2026-W43": 3, "2026-W44": 1}
    days = periods.last("day", utc(2026, 10, 26, 12, 0), count=2)
    assert [p.key for p in days] == ["2026-10-25", "2026-10-26"]
    assert days[0].end - days[0].start == 25 * 3600
    assert counts(log_with(reps), days) == {"2026-10-25": 3, "2026-10-26": 1}


def test_trend_counts_reps_good_sets_and_each_fault() -> None:
    log = RepLog(":memory:")
    first, second = log.reps.start_set(100.0), log.reps.start_set(200.0)
    log.reps.add(first, 101.0, 1, Verdict.GOOD, [], {})
    log.reps.add(first, 102.0, 2, Verdict.FAULT, [FaultCode.SQUAT, FaultCode.TOO_FAST], {})
    log.reps.add(second, 201.0, 1, Verdict.FAULT, [FaultCode.SQUAT], {})
    log.reps.add(second, 301.0, 2, Verdict.FAULT, [FaultCode.SQUAT], {})  # after the last span
    (early, late, empty) = log.history.trend([(100.0, 150.0), (150.0, 300.0), (400.0, 500.0)])
    assert early == {"reps": 2, "good": 1, "sets": 1, "faults": {"squat": 1, "too_fast": 1}}
    assert late == {"reps": 1, "good": 0, "sets": 1, "faults": {"squat": 1}}
    assert empty == {"reps": 0, "good": 0, "sets": 0, "faults": {}} and log.history.trend([]) == []


def test_the_trend_query_reads_the_covering_index() -> None:
    """The plan of the queries History.trend runs (trend_plan explains that same SQL), over a
    month of days: its totals never read a rep's row, only the trend index (schema V4)."""
    log = RepLog(":memory:")
    days = [(d * 86400.0, (d + 1) * 86400.0) for d in range(30)]
    totals, faults = log.history.trend_plan(days)
    assert "COVERING INDEX reps_t_trend" in totals, totals
    assert "reps_t_trend" in faults, faults  # the fault counts find their reps through it too


def test_periods_refuse_what_they_do_not_know() -> None:
    with pytest.raises(periods.PeriodError, match="use one of day, week, month"):
        periods.last("year", 0.0)
    with pytest.raises(periods.PeriodError, match="at least 1"):
        periods.last("week", 0.0, count=0)
    assert [len(periods.last(u, time.time())) for u in ("day", "week", "month")] == [30, 8, 12]


def test_every_fault_has_words_and_a_label() -> None:
    assert list(FAULTS) == list(FaultCode)
    labels = [f.label for f in FAULTS.values()]
    assert len(set(labels)) == len(labels) == len(FaultCode)
    for code, f in FAULTS.items():
        assert f.words and "_" not in f.words and f.label[0].isupper(), code
        assert f.label.lower() == f.words
    from station.web.member import vocabulary

    assert [f["name"] for f in vocabulary()["faults"]] == [f.words for f in FAULTS.values()]


def test_csv_keeps_its_columns_and_adds_fault_names_last() -> None:
    log = log_with([1700000000.0], [[FaultCode.HEAD_OFF_DOWEL, FaultCode.TOO_FAST]])
    out = io.StringIO()
    assert log.history.export_csv(out) == 1
    header, row = out.getvalue().splitlines()
    assert header == "time,set_id,rep,verdict,faults,fault_names"
    assert row.endswith(",fault,head_off_dowel;too_fast,head off the dowel; too fast")


def test_axis_steps_and_ticks_that_never_crowd() -> None:
    assert charts.nice_top(37) == (40, 10) and charts.nice_top(100) == (100, 20)
    assert charts.nice_top(3) == (3, 1) and charts.nice_top(7.5) == (8, 2)
    thirty = [p.short for p in periods.last("day", utc(2026, 11, 25, 12, 0))]
    chart = charts.bars(charts.Chart("c", "t", "d", "reps", "day"), thirty, [1] * 30, [2] * 30)
    spans = [(t["x"] - len(t["label"]) * charts.CHAR_W / 2, t["x"] + len(t["label"]) * charts.CHAR_W / 2)
             for t in chart.x_ticks]
    assert 4 <= len(spans) < 30 and chart.x_ticks[-1]["label"] == thirty[-1]
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))
    assert spans[0][0] >= 0 and spans[-1][1] <= charts.WIDTH
    assert [t["label"] for t in chart.y_ticks] == ["0", "1", "2", "3"]


def test_each_fault_looks_different_and_a_period_without_reps_breaks_its_line() -> None:
    looks = {tuple(charts.style(rank).values()) for rank in range(len(FaultCode))}
    assert len(looks) == len(FaultCode)
    chart = charts.lines(charts.Chart("c", "t", "d", "% of reps", "week"), ["W1", "W2", "W3", "W4", "W5"],
                         [{"label": "Too fast", "rank": 8, "rates": [10.0, 20.0, None, 5.0, 50.0]}])
    (series,) = chart.series
    assert len(series["lines"]) == 2 and len(series["markers"]) == 4
    assert chart.y_ticks[-1]["label"] == "50%" and chart.legend[0]["label"] == "Too fast"
    empty = charts.lines(charts.Chart("c", "t", "d", "%", "week"), ["W1"], [])
    assert empty.note == "No faults in these periods."


def add_reps(store, now: float) -> None:
    set_id = store.reps.start_set(now - 3 * 86400)
    for i, codes in enumerate([[], [FaultCode.HEAD_OFF_DOWEL], [FaultCode.HEAD_OFF_DOWEL, FaultCode.SQUAT]]):
        store.reps.add(set_id, now - 3 * 86400 + i, i + 1, Verdict.FAULT if codes else Verdict.GOOD, codes,
                       {})


@pytest.mark.parametrize(("unit", "x_title"), [("week", "ISO week (Monday to Sunday)"), ("month", "month"),
                                               ("day", "day (local time)")])
def test_history_page_draws_axes_legends_and_words(staff_client, sim_station, unit, x_title) -> None:
    add_reps(sim_station.store, time.time())
    html = staff_client.get(f"/staff/history?by={unit}").get_data(as_text=True)
    for chart, y_title in (("reps-chart", "reps"), ("fault-chart", "% of reps")):
        svg = re.search(rf'<svg class="chart" id="{chart}".*?</svg>', html, re.S)
        assert svg, chart
        text = svg.group(0)
        assert 'role="img"' in text and 'aria-label="' in text and "<title>" in text and "<desc" in text
        assert f'rotate(-90)" text-anchor="middle">{y_title}</text>' in text
        assert f">{x_title}</text>" in text and 'class="legend"' in text
    assert ">good reps</text>" in html and ">reps not good</text>" in html
    assert ">Head off the dowel</text>" in html and ">Squatted, hips went down</text>" in html
    assert "head_off_dowel" not in html and "Good rate" in html
    assert 'aria-current="page">By ' + unit in html


def test_history_refuses_an_unknown_period(staff_client) -> None:
    r = staff_client.get("/staff/history?by=year")
    assert r.status_code == 400 and "by must be one of day, week, month" in r.get_data(as_text=True)
