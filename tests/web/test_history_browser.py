"""The staff history page in Debian's Chromium, at TV and phone sizes, over a rep log with a few
months of reps: nothing spills off the screen, the charts' labels never cover a bar, a line or
each other, axe-core finds no serious or critical problem, and the console stays clean."""

from __future__ import annotations

import time

import pytest

from station.coach.vocabulary import FaultCode, Verdict
from station.web.auth import hash_password
from tests.helpers.accounts import PASSWORD
from tests.helpers.browser import axe
from tests.helpers.paths import ARTIFACTS

DAY = 86400.0

# Every text box in the charts, and every bar, line and marker; two boxes overlap when they
# share more than half a pixel each way (touching edges from rounding is not an overlap).
OVERLAPS = """() => {
  const box = (el) => el.getBoundingClientRect();
  const hit = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
                        Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  const name = (el) => el.tagName + ':' +
                       (el.textContent || el.getAttribute('class') || '').trim().slice(0, 30);
  const found = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const texts = [...svg.querySelectorAll(':scope > text, .legend text')];
    const marks = [...svg.querySelectorAll('.bar rect, .series polyline, .series path')];
    texts.forEach((t, i) => {
      for (const m of marks) if (hit(box(t), box(m))) found.push(name(t) + ' covers ' + name(m));
      for (const u of texts.slice(i + 1)) if (hit(box(t), box(u))) found.push(name(t) + ' covers ' + name(u));
    });
    const frame = box(svg);
    for (const t of texts) {
      const b = box(t);
      if (b.left < frame.left - 0.5 || b.right > frame.right + 0.5) found.push(name(t) + ' outside');
    }
  }
  return found;
}"""


def fill(store, now: float) -> None:
    """Six months of sets, a few faults in most: rates that rise and fall, some weeks empty."""
    codes = list(FaultCode)
    for day in range(0, 180, 3):
        if 40 <= day < 60:
            continue  # three idle weeks: the lines break there
        set_id = store.reps.start_set(now - day * DAY - 3600)
        for k in range(6):
            faults = [codes[(day + k) % len(codes)]] if (day + k) % 3 else []
            if day % 9 == 0 and k == 0:
                faults.append(FaultCode.HEAD_OFF_DOWEL)
            store.reps.add(set_id, now - day * DAY - 3600 + 5 * k, k + 1,
                          Verdict.FAULT if faults else Verdict.GOOD, faults, {"duration_s": 2.4})
        store.reps.end_set(set_id, now - day * DAY - 3500)


@pytest.fixture
def served(make_sim_station, serve):
    """A demo station (its loop not started: the page reads only the log) with a filled log,
    served by waitress on a free port, and a staff account to sign in with."""
    station = make_sim_station([])
    fill(station.store, time.time())
    station.store.accounts.add("ann", hash_password(PASSWORD))
    return serve(station)


@pytest.mark.parametrize("size", [(1920, 1080), (390, 844)], ids=["tv", "phone"])
def test_history_fits_reads_and_passes_axe(browser, served, size) -> None:
    width, height = size
    page = served.open(browser, width, height)
    served.sign_in(page, then="/staff/history")
    ARTIFACTS.mkdir(exist_ok=True)
    for unit in ("week", "month", "day"):
        page.goto(f"{served.url}/staff/history?by={unit}")
        assert page.locator("#fault-chart .series").count() >= 5, unit
        assert page.locator("#reps-chart .bar rect").count() >= 8, unit
        overflow = page.evaluate("document.scrollingElement.scrollWidth")
        assert overflow <= width, f"by {unit}: the page is {overflow} px wide on a {width} px screen"
        assert page.evaluate(OVERLAPS) == [], unit
        legend = page.locator("#fault-chart .legend text").all_text_contents()
        assert "Head off the dowel" in legend and not any("_" in t for t in legend), legend
        assert page.locator(".periods a[aria-current=page]").inner_text().lower().startswith(f"by {unit}")
        problems = axe(page)
        assert problems == [], (unit, problems)
        page.screenshot(path=str(ARTIFACTS / f"history-{unit}-{width}.png"), full_page=True)
        page.locator(".charts").screenshot(path=str(ARTIFACTS / f"history-charts-{unit}-{width}.png"))
    assert served.errors == []
    page.close()


def test_the_overlap_check_finds_a_label_on_a_bar(browser) -> None:
    """The check above can fail: the old chart's "max N reps/day" label drawn over a bar."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.set_content('<svg class="chart" viewBox="0 0 300 190" width="300">'
                     '<g class="bar"><rect x="0" y="0" width="18" height="150"/></g>'
                     '<text x="2" y="12" font-size="10">max 18 reps/day</text></svg>')
    assert page.evaluate(OVERLAPS) == ["text:max 18 reps/day covers rect:"]
    page.close()
