"""The wall screen as a member meets it (issue 26, items 7-10) in Debian's Chromium: the verdict on
one line at 1280 and 1920, words that grow with browser zoom and are big enough for 3 m, on and off
told apart under protanopia and deuteranopia, a teaching figure that obeys its own labels, labels
that never overlap, a stale screen greyed with the time it stopped, the per-address limit named,
axe clean.

Layout tests draw a rep's verdict straight into the page (member.js's own ``onEvent`` and
``state``) on a station that is served but not started: the real stream then sends only its "still
here" messages, so nothing overwrites the drawn state, and no test waits for a simulated set.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from coloraide import Color

from tests.helpers.browser import axe
from tests.helpers.served import DroppedLink

ROOT = Path(__file__).resolve().parents[2]
IDLE = json.loads((ROOT / "station" / "web" / "static" / "idle_rep.json").read_text())
STANDING = IDLE["frames"][0]  # a member standing at the wall, side-on, dowel on


def show_rep(page, rep: int, verdict: str, faults: list[str], contacts: dict) -> None:
    """The live screen with ``rep``'s verdict flashed, as the stream's event would show it (once
    the stream's first message, the station's idle view, has come)."""
    page.wait_for_function("page.connected")
    page.evaluate("""([frame, rep, verdict, faults, contacts]) => {
        Object.assign(state, {phase: "ready", set_no: 3, reps: rep, good: rep - 1, cue: "Slow down",
                              pose: frame.pose, dowel: frame.dowel, wall: null, contacts});
        onEvent({event: "rep_finished", rep, verdict, faults});
    }""", [STANDING, rep, verdict, faults, contacts])
    page.wait_for_function(f"document.getElementById('band').classList.contains('{verdict}')")


@pytest.fixture
def served(make_sim_station, serve):
    """A demo station served, not started (its page hears only the stream's "still here")."""
    return serve(make_sim_station(), config={"SSE_ALIVE_S": 0.5, "MEMBER_STALE_S": 2.0})


# ----------------------------------------------------------------------------------- item 7
@pytest.mark.parametrize("size", [(1920, 1080), (1280, 800)], ids=["tv", "laptop"])
def test_the_verdict_is_one_full_width_line_with_one_cue(browser, served, size) -> None:
    page = served.open(browser, *size, path="/")
    # The longest: a two-digit rep, FIX IT, and the longest fault cue.
    all_on = {"head": True, "upper_back": True, "sacrum": True}
    show_rep(page, 12, "fault", ["no_wall_touch", "too_fast"], all_on)
    got = page.evaluate("""() => {
        const v = document.getElementById('verdict'), word = document.getElementById('verdict-word');
        const band = document.getElementById('band').getBoundingClientRect();
        return {word: word.textContent, rep: document.getElementById('verdict-rep').textContent,
                lines: word.getClientRects().length, height: v.getBoundingClientRect().height,
                lineHeight: parseFloat(getComputedStyle(v).lineHeight),
                repTop: document.getElementById('verdict-rep').getBoundingClientRect().top,
                wordTop: word.getBoundingClientRect().top,
                bandWidth: band.width, cues: [...document.querySelectorAll('#cue')].map((e) => e.textContent),
                cueWords: document.body.innerText.split('Reach back until you touch the wall').length - 1};
    }""")
    assert got["word"] == "\u2717 FIX IT" and got["rep"] == "Rep 12"
    assert got["lines"] == 1 and got["height"] < 1.5 * got["lineHeight"], got  # "FIX / IT" wrapped before
    assert abs(got["repTop"] - got["wordTop"]) < got["lineHeight"], got  # "Rep 12" on the same line
    assert got["bandWidth"] > 0.95 * (size[0] - 40)  # the band is the screen's width
    assert got["cues"] == ["Reach back until you touch the wall"] and got["cueWords"] == 1  # once, not twice
    assert axe(page) == []
    assert served.errors == []


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 800)], ids=["tv", "laptop"])
def test_a_rep_counted_but_not_judged_says_what_was_not_seen(browser, served, size) -> None:
    # Issue 28: no fault seen, the back not seen (the camera too far off profile): neither GOOD
    # nor FIX IT, but what would let the camera judge the next one.
    page = served.open(browser, *size, path="/")
    page.wait_for_function("page.connected")
    page.evaluate("""(frame) => {
        Object.assign(state, {phase: "ready", set_no: 3, reps: 12, good: 11, cue: "",
                              pose: frame.pose, dowel: frame.dowel, wall: null, contacts: {}});
        onEvent({event: "rep_finished", rep: 12, verdict: "unjudged", faults: [], unseen: ["back", "dowel"]});
    }""", STANDING)
    page.wait_for_function("document.getElementById('band').classList.contains('unjudged')")
    got = page.evaluate("""() => ({word: document.getElementById('verdict-word').textContent,
        lines: document.getElementById('verdict-word').getClientRects().length,
        cue: document.getElementById('cue').textContent})""")
    assert got == {"word": "? NOT SEEN", "lines": 1, "cue": "Turn side-on so the camera sees your back"}
    assert axe(page) == []
    assert served.errors == []


# ----------------------------------------------------------------------------------- item 10: size
def sizes(page) -> dict:
    """Font sizes in device pixels (CSS pixels times devicePixelRatio) of what a member reads."""
    return page.evaluate("""() => {
        const px = (sel) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize)
            * devicePixelRatio;
        return {verdict: px('#verdict-word'), cue: px('#cue'), contact: px('.contacts li'),
                label: px('#skeleton'), reps: px('#reps')};
    }""")


def test_words_are_big_enough_for_3_m_and_grow_with_browser_zoom(browser, served) -> None:
    """Browser zoom at 200 % in Chromium halves the layout viewport in CSS pixels and doubles
    devicePixelRatio; a page of 960x540 CSS pixels at a device scale factor of 2 is exactly that on
    a 1920x1080 TV, so that is how zoom is emulated here. Sizes in vw/vmin give the same device
    pixels either way (the old page's did: zoom changed nothing)."""
    tv = served.open(browser, 1920, 1080, path="/")
    contacts = {"head": False, "upper_back": True, "sacrum": True}
    show_rep(tv, 4, "fault", ["head_off_dowel"], contacts)
    at_100 = sizes(tv)
    # 3 m: 25 mm capitals (1 inch per 10 ft) on a 55-inch 1080p TV need a ~55 px font (member.css).
    for name in ("verdict", "cue", "contact", "label"):
        assert at_100[name] >= 55, (name, at_100)
    context = browser.new_context(viewport={"width": 960, "height": 540}, device_scale_factor=2)
    zoomed = context.new_page()
    try:
        zoomed.goto(served.url + "/")
        show_rep(zoomed, 4, "fault", ["head_off_dowel"], contacts)
        at_200 = sizes(zoomed)
        # At least 1.4 times: at 200 % the TV is 60 em wide, a laptop's layout, whose biggest words
        # are a step smaller (member.css); the old page's grew by 1.0.
        for name, size in at_100.items():
            assert at_200[name] >= 1.4 * size, (name, at_100, at_200)
        lines = zoomed.evaluate("document.getElementById('verdict-word').getClientRects().length")
        assert lines == 1  # and the verdict still on its line at 200 %
    finally:
        context.close()


# ----------------------------------------------------------------------------------- item 10: colour
def delta_e(a: str, b: str, deficiency: str | None) -> float:
    """CIEDE2000 between two CSS colours as seen with ``deficiency`` (Machado et al. 2009, severity
    1: a dichromat), or with normal colour vision."""
    ca, cb = Color(a), Color(b)
    if deficiency:
        ca, cb = (c.filter(deficiency, 1, method="machado").clip() for c in (ca, cb))
    return ca.delta_e(cb, method="2000")


# CIEDE2000 of 20 is a difference seen at a glance across a room (2.3 is a just-noticeable one,
# Sharma 2005); the old green/red pair measured 6.3 for deuteranopes (docs/figures.md).
APART = 20.0


def test_on_and_off_stay_apart_for_protanopes_and_deuteranopes_with_shape_too(browser, served) -> None:
    page = served.open(browser, 1920, 1080, path="/")
    show_rep(page, 2, "fault", ["head_off_dowel"], {"head": False, "upper_back": True, "sacrum": None})
    got = page.evaluate("""() => {
        const css = getComputedStyle(document.documentElement), v = (n) => css.getPropertyValue(n).trim();
        const li = (c) => getComputedStyle(document.getElementById('contact-' + c));
        return {on: v('--on'), off: v('--off'), stripe: v('--off-stripe'), canvas: CONTACT_COLOURS,
                pillOn: li('upper_back').backgroundColor, border: {on: li('upper_back').borderTopStyle,
                off: li('head').borderTopStyle, unknown: li('sacrum').borderTopStyle},
                icons: ['head', 'upper_back', 'sacrum'].map((c) =>
                    document.querySelector('#contact-' + c + ' .icon').textContent),
                words: ['head', 'upper_back', 'sacrum'].map((c) =>
                    document.querySelector('#contact-' + c + ' b').textContent)};
    }""")
    assert Color(got["pillOn"]).to_string(hex=True) == Color(got["on"]).to_string(hex=True)
    pairs = {"pills and flash": (got["on"], got["off"]), "stripes": (got["on"], got["stripe"]),
             "figure": (got["canvas"]["on"], got["canvas"]["off"])}
    measured = {(name, d): round(delta_e(a, b, d), 1) for name, (a, b) in pairs.items()
                for d in ("protan", "deutan", None)}
    print("CIEDE2000 on/off:", measured)
    assert min(measured.values()) >= APART, measured
    # Shape as well as colour: a tick, a cross, a question mark; solid, dashed, dotted edges; words.
    assert got["icons"] == ["\u2717", "\u2713", "?"] and got["words"] == ["OFF", "ON", "not seen"]
    assert got["border"] == {"on": "solid", "off": "dashed", "unknown": "dotted"}


# ----------------------------------------------------------------------------------- item 8
def test_the_teaching_figure_obeys_its_labels_and_no_label_overlaps(browser, served) -> None:
    """Every frame of the idle screen's rep (all contacts on): the skull's back touches the dowel;
    with the head off, a gap; and no two labels' boxes overlap in any frame or size."""
    for size in ((1920, 1080), (390, 844)):
        page = served.open(browser, *size, path="/")
        page.wait_for_function("typeof idle !== 'undefined' && idle.rep !== null")
        drawn = page.evaluate("""() => idle.rep.frames.map((f) => {
            const canvas = document.getElementById('idle-rep');
            const one = (contacts) => draw(canvas, {...f, contacts, wall: idle.wall}, idle.crop);
            const on = one(f.contacts), off = one({...f.contacts, head: false});
            return {contacts: f.contacts, on, off};
        })""")
        assert len(drawn) == len(IDLE["frames"])
        for k, d in enumerate(drawn):
            assert d["contacts"]["head"] is True, k
            gap_on, gap_off = (head_gap(d[w]["head"], d[w]["dowel"]) for w in ("on", "off"))
            radius = d["on"]["head"]["r"]
            assert abs(gap_on) <= 1.0, (k, gap_on)  # touching (the old figure's head floated off it)
            assert gap_off >= 0.5 * radius - 1.0, (k, gap_off)
            for w in ("on", "off"):
                labels = d[w]["labels"]
                assert len(labels) == 3 and not any(overlap(a, b) for i, a in enumerate(labels)
                                                    for b in labels[i + 1:]), (size, k, w, labels)
    assert served.errors == []


def head_gap(head: dict, dowel: list[float]) -> float:
    """The gap between the drawn skull and the dowel's line (canvas pixels; negative: it crosses)."""
    ax, ay, bx, by = dowel
    length = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
    distance = abs((bx - ax) * (ay - head["y"]) - (ax - head["x"]) * (by - ay)) / length
    return distance - head["r"]


def overlap(a: dict, b: dict) -> bool:
    across = a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
    return across and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


def test_the_contacts_claim_nothing_when_nobody_is_seen(browser, served) -> None:
    page = served.open(browser, 1920, 1080, path="/")
    show_rep(page, 1, "good", [], {"head": True, "upper_back": True, "sacrum": True})
    assert page.locator("#contact-head b").inner_text() == "ON"
    # The member walked out of view: the last contacts are still in the state, no pose is.
    page.evaluate("Object.assign(state, {pose: null}); show()")
    words = page.evaluate("[...document.querySelectorAll('.contacts li b')].map((b) => b.textContent)")
    assert words == ["not seen"] * 3


# ----------------------------------------------------------------------------------- item 9
TIME = re.compile(r"Station not answering since \d{2}:\d{2}:\d{2}")


def test_a_stream_that_stops_answering_greys_the_screen_and_says_since_when(browser, served) -> None:
    """The link drops (the stream says nothing more, and no error comes): within MEMBER_STALE_S
    (2 s here) the page greys out and says since when; when the link is back it joins again. At a
    phone's size, where the words are smallest (axe's contrast of the greyed words)."""
    link = DroppedLink(served.port)
    page = served.open(browser, 390, 844)
    try:
        page.goto(f"http://127.0.0.1:{link.port}/")
        show_rep(page, 3, "good", [], {"head": True, "upper_back": True, "sacrum": True})
        assert not page.locator("#link").is_visible()
        assert page.evaluate("getComputedStyle(document.querySelector('main')).filter") == "none"
        link.passing.clear()
        page.wait_for_selector("#link", state="visible", timeout=6000)
        text = page.locator("#link").inner_text()
        assert TIME.match(text) and "reconnecting" in text, text
        assert page.evaluate("getComputedStyle(document.querySelector('main')).filter") == "grayscale(1)"
        assert page.evaluate("document.body.classList.contains('stale')")
        assert axe(page) == []
        link.passing.set()
        page.wait_for_selector("#link", state="hidden", timeout=10000)
        assert not page.evaluate("document.body.classList.contains('stale')")
    finally:
        link.close()


def test_the_per_address_stream_limit_says_what_it_is(browser, make_sim_station, serve) -> None:
    served = serve(make_sim_station(), config={"SSE_STREAMS_PER_ADDRESS": 1, "SSE_ALIVE_S": 0.5,
                                               "MEMBER_RETRY_S": 0.5})
    first = served.open(browser, 1280, 800, path="/")
    first.wait_for_function("page.connected")
    second = served.open(browser, 1280, 800, path="/")
    second.wait_for_selector("#limit", state="visible", timeout=8000)
    text = second.locator("#limit").inner_text()
    assert "Too many live pages from this device or network address: 1 is open" in text, text
    assert not second.locator("#link").is_visible()  # not "reconnecting to the station": it answers
    first.close()
    second.wait_for_function("page.connected", timeout=15000)  # a slot came free: it joins by itself
    assert not second.locator("#limit").is_visible()
