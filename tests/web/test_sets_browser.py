"""The kept sets' pages in Debian's Chromium (Playwright) on a served demo station: the list, a set's
replay (play, scrub, a rep highlighted), marking a rep and saving it; axe-core finds no serious or
critical problem on either page on a TV and a phone; no console errors."""

from __future__ import annotations

import pytest

from station.config.settings import Settings
from station.storage.kept_sets import KeptSets
from tests.helpers.browser import axe
from tests.helpers.kept import PLAN, kept_station


@pytest.fixture
def served(make_sim_station, serve):
    """A station that kept one set of the simulated trainee (then stopped), its pages served."""
    return serve(kept_station(make_sim_station, Settings().changed(keep_sets=True), PLAN))


def test_open_a_set_replay_it_and_mark_a_rep(browser, served) -> None:
    station = served.station
    page = served.open(browser, 1920, 1080)
    served.create_account(page)
    page.click("nav >> text=Sets")
    page.wait_for_url("**/staff/sets/")
    set_id = KeptSets(station.store.path).page()[0]["set_id"]
    assert page.locator("#sets tbody tr").count() == 1
    assert page.locator("#sets tbody tr td").nth(6).inner_text() == "no"
    page.click(f"text=Set {set_id}")
    page.wait_for_selector("#replay[data-ready='1']")
    assert page.locator("fieldset.rep").count() == 3 and page.locator(".seg").count() == 3
    page.click("#play")
    page.wait_for_function("document.getElementById('clock').textContent !== '0.0 s'")
    page.click("#play")  # pause
    assert page.locator("#play").get_attribute("aria-pressed") == "false"
    # Scrub into rep 2 (the squat): it is highlighted in the list and on the timeline.
    start, end = (float(page.locator("#rep-2").get_attribute(k)) for k in ("data-start", "data-end"))
    page.evaluate(f"""() => {{ const s = document.getElementById('scrub');
        s.value = String(Math.round({(start + end) / 2} * 100)); s.dispatchEvent(new Event('input')); }}""")
    page.wait_for_selector("#rep-2.current")
    assert page.locator(".seg.current").get_attribute("data-rep") == "2"
    assert "squat" in page.locator("#now-rep").inner_text()
    painted = page.evaluate("""() => { const c = document.getElementById('replay');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 200 && d[i + 1] > 200) n++;
        return n; }""")
    assert painted > 100  # the light stick figure is drawn on the dark canvas
    # Rep 3: the coach said good; staff say wrong, the knees were too bent.
    page.check("#wrong-3")
    page.check("#f-3-knees_too_bent")
    page.check("#right-2")
    assert page.is_checked("#f-2-squat")  # a right verdict keeps the coach's faults ticked
    page.click("#save-labels")
    page.wait_for_selector("text=Labels saved for 2 rep(s).")
    reps = KeptSets(station.store.path).get(set_id)["reps"]
    assert reps[0]["label"] is None
    assert reps[1]["label"]["faults"] == ["squat"] and reps[1]["label"]["verdict_right"] is True
    assert reps[2]["label"] == {**reps[2]["label"], "faults": ["knees_too_bent"], "verdict_right": False,
                                "by": "ann"}
    assert page.is_checked("#wrong-3") and page.is_checked("#f-3-knees_too_bent")  # shown as saved
    assert served.errors == []


@pytest.mark.parametrize("size", [(1920, 1080), (390, 844)], ids=["tv", "phone"])
def test_the_sets_pages_pass_axe(browser, served, size) -> None:
    station, url = served.station, served.url
    page = served.open(browser, *size)
    served.create_account(page)
    page.goto(url + "/staff/sets/")
    listing = axe(page)
    set_id = KeptSets(station.store.path).page()[0]["set_id"]
    page.goto(f"{url}/staff/sets/{set_id}")
    page.wait_for_selector("#replay[data-ready='1']")
    one = axe(page)
    assert listing == [] and one == [], (listing, one)
