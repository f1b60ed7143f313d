"""The member page in Debian's Chromium on a running demo station: the result card's life, the set
summary, the idle screen, contacts in words, the demo switch by keyboard, accessibility (axe-core)
and no console errors; and the compact live stream it reads."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from station.sim import Body, RepPlan, SetPlan
from tests.helpers.browser import axe
from tests.helpers.served import ServedStation

IN_REP = ("['phase-hinging', 'phase-at_wall', 'phase-returning']"
          ".some((c) => document.body.classList.contains(c))")
VERDICT_OF = ("document.getElementById('verdict-rep').textContent === 'Rep {}' && "
              "document.getElementById('verdict-word').textContent !== ''")




def served_set(make_sim_station, serve, plan: SetPlan, press_switch: bool = True, **config) -> ServedStation:
    """A demo station on a scripted set (not started), served by waitress on a free loopback port."""
    station = make_sim_station([(Body(), plan)], seed=5, fast=False, press_switch=press_switch)
    return serve(station, config=config)


def next_event(sub, name: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = sub.get(timeout=0.5)
        if msg and msg.get("event") == name:
            return msg
    raise AssertionError(f"no {name} within {timeout} s")


def card(page) -> dict:
    """The band: the rep's verdict flashed with its one cue, or the cue of now."""
    return page.evaluate("""() => ({cls: document.getElementById('band').className,
        verdict: document.getElementById('verdict').textContent,
        cue: document.getElementById('cue').textContent})""")


THREE_REPS = SetPlan(reps=(RepPlan(duration=2.2, pause_after=2.0),
                           RepPlan(frozenset({"head_off_dowel"}), duration=2.2, pause_after=2.0),
                           RepPlan(duration=2.2, pause_after=1.0)),
                     approach_s=1.2, facing="left")


@pytest.mark.slow  # about 25 s: a set of three reps in real time, the summary, the idle screen
def test_result_card_summary_and_idle_screen(browser, make_sim_station, serve) -> None:
    served = served_set(make_sim_station, serve, THREE_REPS, MEMBER_SUMMARY_S=3.0)
    page = served.open(browser, path="/")
    sub = served.station.subscribe()
    assert page.locator("#idle").is_visible()  # nobody at the wall yet: the drill is taught
    served.station.start()
    page.wait_for_selector("#live", state="visible", timeout=10000)
    assert not page.locator("#idle").is_visible()

    rep = next_event(sub, "rep_finished")  # shown after a rep, within a second
    page.wait_for_function(VERDICT_OF.format(rep["rep"]), timeout=1000)
    assert card(page)["cls"] == f"band {rep['verdict']}"

    rep = next_event(sub, "rep_finished")  # the faulty rep: verdict, its fault in words, its cue
    assert "head_off_dowel" in rep["faults"], rep
    page.wait_for_function("document.getElementById('band').className === 'band fault'", timeout=1000)
    shown = card(page)
    assert shown["verdict"] == "Rep 2 \u2717 FIX IT" and shown["cue"] == "Keep your head on the dowel"

    next_event(sub, "rep_started")  # neutral during the next rep (it is readable 1.5 s first)
    page.wait_for_function(f"{IN_REP} && document.getElementById('band').className === 'band neutral'",
                           timeout=2500)
    assert card(page)["verdict"].startswith("Rep 3\u2026")  # the cue is the coach's of now again

    ended = next_event(sub, "set_ended", timeout=30)  # the member left: the summary, no card
    page.wait_for_selector("#set-summary", state="visible", timeout=1000)
    summary = page.locator("#set-summary").inner_text()
    assert f"{ended['good']} of {ended['reps']} good" in summary and ended["reps"] == 3
    assert "Watch: head off the dowel" in summary
    assert "band neutral" in card(page)["cls"] and not page.locator("#live").is_visible()
    # and the next member to step up does not see this one's reps
    assert page.evaluate("document.getElementById('reps').textContent") == "0"

    page.wait_for_selector("#idle", state="visible", timeout=5000)  # then the idle screen
    frames = [page.evaluate("document.getElementById('idle-rep').toDataURL()") for _ in range(2)
              if page.wait_for_timeout(700) is None]
    assert frames[0] != frames[1], "the idle screen's good rep is not moving"
    assert served.errors == []


@pytest.mark.slow  # about 8 s
def test_greyed_and_reconnecting_when_the_station_stops(browser, make_sim_station, serve) -> None:
    served = served_set(make_sim_station, serve, THREE_REPS)
    page = served.open(browser, 390, 844, "/")
    sub = served.station.subscribe()
    served.station.start()
    rep = next_event(sub, "rep_finished")
    page.wait_for_function(VERDICT_OF.format(rep["rep"]), timeout=1000)
    assert not page.locator("#link").is_visible()
    served.station.stop()  # its streams end, as when the process stops
    page.wait_for_selector("#link", state="visible", timeout=5000)
    assert "Station not answering since" in page.locator("#link").inner_text()
    assert page.evaluate("getComputedStyle(document.querySelector('main')).filter") == "grayscale(1)"
    assert page.evaluate("document.body.classList.contains('stale')")


def contact_words(page) -> dict:
    return page.evaluate("""() => Object.fromEntries(['head', 'upper_back', 'sacrum'].map((c) => {
        const li = document.getElementById('contact-' + c);
        return [c, li.querySelector('b').textContent + ' ' + li.querySelector('.icon').textContent];
    }))""")


@pytest.mark.parametrize("size", [(1920, 1080), (390, 844)], ids=["tv", "phone"])
def test_accessibility_contacts_in_words_and_the_switch_by_keyboard(browser, make_sim_station, serve,
                                                                    size) -> None:
    plan = SetPlan(reps=tuple(RepPlan(frozenset({"head_off_dowel"}), duration=2.5) for _ in range(4)),
                   approach_s=1.0, facing="right")
    served = served_set(make_sim_station, serve, plan, press_switch=False)  # only the keyboard presses it
    page = served.open(browser, *size, path="/")
    page.wait_for_selector("#idle", state="visible")
    page.wait_for_function("document.getElementById('idle-rep').width > 1")
    idle_problems = axe(page)
    served.station.start()
    page.wait_for_function(IN_REP, timeout=10000)
    page.wait_for_function("document.getElementById('contact-head').className === 'off'", timeout=5000)
    words = contact_words(page)
    assert words["head"] == "OFF \u2717" and words["sacrum"] == "ON \u2713", words
    assert page.locator("h1").count() == 1 and page.locator("h2:visible").count() >= 3
    # The band (verdict and cue) and the summary; the staff code's region (web/presence.py) is on
    # the station's own screen only, which a loopback browser like this one is.
    assert page.locator("[aria-live]:not(#presence-code)").count() == 2
    live_problems = axe(page)
    assert idle_problems == [] and live_problems == [], (idle_problems, live_problems)

    switch = served.station.devices.switch
    button = page.locator("#press-switch")
    for key in ("Space", "Enter"):
        button.focus()
        page.keyboard.down(key)
        page.wait_for_function("document.getElementById('press-switch').ariaPressed === 'true'")
        deadline = time.monotonic() + 2
        while not switch.pressed and time.monotonic() < deadline:
            time.sleep(0.02)
        assert switch.pressed, key
        page.keyboard.up(key)
        deadline = time.monotonic() + 2
        while switch.pressed and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not switch.pressed, key
    assert served.errors == []


def test_favicon_is_served(client) -> None:
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.data[:4] == b"\0\0\1\0" and r.content_type == "image/vnd.microsoft.icon"
    assert client.get("/static/favicon.svg").status_code == 200
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)


def test_compact_stream_sends_what_the_page_draws_and_only_changes(client) -> None:
    resp = client.get("/api/stream?compact=1", buffered=False)
    chunks = iter(resp.response)
    data: list[dict] = []
    while len(data) < 12:
        chunk = next(chunks)
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        data += [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")
                 and '"type":"event"' not in line]
    resp.close()
    first, later = data[0], data[1:]
    for key in ("phase", "reps", "cue", "contacts", "depth", "pose", "dowel", "wall", "last_verdict"):
        assert key in first, key
    assert "landmarks" not in first and "t" not in first
    assert all(d and set(d) < set(first) for d in later)  # only what changed, never nothing
    poses = [d["pose"] for d in data if d.get("pose")]
    assert poses and all(len(p) == 21 and p[0] in ("left", "right") for p in poses)
    assert all(isinstance(v, int) for p in poses for v in p[1:] if v is not None)


def test_every_fault_has_a_name_for_members() -> None:
    from station.coach.faults import FAULTS
    from station.coach.vocabulary import FaultCode
    from station.web.member import vocabulary

    assert list(FAULTS) == list(FaultCode)
    names = [f["name"] for f in vocabulary()["faults"]]
    assert len(set(names)) == len(names) and all(names)


def test_the_idle_screens_rep_is_the_simulators_and_the_readme_pictures_exist() -> None:
    import re
    import sys

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "tools"))
    try:
        import idle_rep
    finally:
        sys.path.remove(str(root / "tools"))
    committed = json.loads((root / "station" / "web" / "static" / "idle_rep.json").read_text())
    assert committed == idle_rep.frames(), "run tools/idle_rep.py: the committed rep is not the simulator's"
    phases = {f["phase"] for f in committed["frames"]}
    assert {"ready", "hinging", "at_wall", "returning"} <= phases
    pictures = re.findall(r"\(docs/(member-[a-z]+-[a-z]+\.png)\)", (root / "README.md").read_text())
    assert len(pictures) == 10 and all((root / "docs" / name).stat().st_size < 150_000 for name in pictures)
