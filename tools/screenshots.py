"""Screenshots of the member and staff pages for the README, from the demo, so they stay true.

    .venv/bin/python tools/screenshots.py [-o docs/]

Starts a demo station (the simulated trainee in real time: a set of three reps, the second with
the head off the dowel, then the member leaves) on a free loopback port, opens the member page in
Debian's Chromium at TV (1920x1080) and phone (390x844) sizes side by side, and saves each page
in four states as it happens: mid-rep, the rep's verdict flash, the set summary and the idle screen
(the phone's whole page, as it scrolls; the TV's screen at 1280 px wide); and, through a relay that
drops the link in the first rep (tests/helpers/served.DroppedLink: what a lost Wi-Fi does), the
stale page.
Then the staff pages, signed in as a demo account, at a laptop's (1280x800) and a phone's size:
settings, history (over twelve made-up weeks of a gym's reps, written into the demo's rep log
first, marked as such below), health, the kept sets and the replay of the set just done; and the
bring-up page at a phone's size after its checks ran (``--only bringup`` makes just that one;
``--only member`` the member page's alone).
``--only home``: the staff home (a new station: uncalibrated, its checklist at the bring-up) and
the restart confirmation while the simulated member is mid-set, at TV and phone sizes.
PNGs are posterised to 32 levels a channel and compressed hard (they are mostly flat colours).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from station.camera.sources import SimSource
from station.config.settings import Settings
from station.runtime.station import Station
from station.sim import Body, RepPlan, SetPlan
from station.web import create_app, make_server

DOCS = Path(__file__).resolve().parent.parent / "docs"
SIZES = {"tv": (1920, 1080), "phone": (390, 844)}
STAFF_SIZES = {"laptop": (1280, 800), "phone": (390, 844)}
STAFF_PAGES = {  # name: path (the set's page is found from the list)
    "settings": "/staff/settings", "history": "/staff/history?by=week", "health": "/staff/health",
    "sets": "/staff/sets",
}
DEMO_ACCOUNT = ("demo", "screenshots-only-password")
STATES = {  # name: what the page shows when it is time to take that picture
    "rep": "['phase-hinging', 'phase-at_wall'].some((c) => document.body.classList.contains(c))"
           " && document.getElementById('skeleton').offsetParent !== null"
           " && +document.getElementById('gauge').getAttribute('aria-valuenow') >= 60",
    "result": "['good', 'fault'].some((c) => document.getElementById('band').classList.contains(c))"
              " && !document.getElementById('live').hidden"
              " && document.getElementById('band').getAnimations().length === 0",  # the flash, settled
    "summary": "!document.getElementById('set-summary').hidden",
    "idle": "!document.getElementById('idle').hidden && performance.now() > 0",
}


def station() -> Station:
    reps = (RepPlan(duration=3.0, pause_after=2.5), RepPlan(frozenset({"head_off_dowel"}), 3.0, 3.5),
            RepPlan(duration=3.0, pause_after=3.0))
    sets = iter([(Body(), SetPlan(reps=reps, approach_s=1.5, noise_px=0.8))])
    source = SimSource(seed=4, sets=sets)
    # Keeping sets on, so the staff pictures have a set to replay.
    st = Station(Settings(keep_sets=True), source, data_dir=Path(tempfile.mkdtemp()), demo=True)
    switch = st.devices.switch
    if switch is not None:  # the trainee presses the virtual wall switch, as in `station run`
        source.press = lambda closed: switch.press() if closed else switch.release()
    return st


def made_up_history(st: Station, now: float, seed: int = 12) -> None:
    """Twelve weeks of a gym's reps, NOT real data: some 500 sets of 6-10 reps, each fault rarer
    week by week (a gym that learns), so the history's charts have something to show."""
    from station.coach.vocabulary import FaultCode
    from station.storage.made_up import fill_history

    rates = {FaultCode.HEAD_OFF_DOWEL: 0.18, FaultCode.SQUAT: 0.10, FaultCode.TOO_FAST: 0.12,
             FaultCode.NO_WALL_TOUCH: 0.08}
    fill_history(st.store, 4000, now=now, days=84, seed=seed, fault_rates=rates, learning=0.6,
                 set_size=(6, 10), metrics=[{"duration_s": 2.4, "hip_travel": 0.3}])


def staff_pictures(browser, url: str, st: Station, out: Path) -> None:
    """Sign in on each size, then each staff page (and the newest kept set's replay, started)."""
    from station.web.auth import hash_password

    name, password = DEMO_ACCOUNT
    st.store.accounts.add(name, hash_password(password))
    made_up_history(st, time.time())
    for size, (w, h) in STAFF_SIZES.items():
        page = browser.new_page(viewport={"width": w, "height": h})
        page.goto(url + "staff/signin")
        page.fill("#name", name)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/staff/**")
        shots = dict(STAFF_PAGES)
        page.goto(url + "staff/sets")
        first = page.locator("table a[href*='/staff/sets/']").first
        if first.count():
            shots["set"] = first.get_attribute("href") or ""
        if size == "phone":
            bringup_picture(page, url, out)
        for shot, path in shots.items():
            page.goto(url.rstrip("/") + path)
            page.wait_for_load_state("networkidle")
            if shot == "set":  # the replay at the faulty rep's deepest point, not the empty run-up
                page.locator("button.seek").nth(1).click()
            time.sleep(0.5)
            target = out / f"staff-{shot}-{size}.png"
            page.screenshot(path=str(target), full_page=size == "phone" and shot != "history")
            optimise(target)
            print(f"{target}: {target.stat().st_size // 1024} KB")
        page.close()


def bringup_picture(page, url: str, out: Path) -> None:
    """The bring-up page, its checks run (the pose engine timed for real), the whole page."""
    page.goto(url + "staff/bringup")
    page.click("#run-again")
    page.wait_for_selector("#check-network", timeout=60000)
    page.wait_for_load_state("networkidle")
    time.sleep(0.5)  # the live skeleton drawn
    target = out / "staff-bringup-phone.png"
    page.screenshot(path=str(target), full_page=True)
    optimise(target)
    print(f"{target}: {target.stat().st_size // 1024} KB")


def only_bringup(browser, url: str, st: Station, out: Path) -> None:
    """Just the bring-up picture (``--only bringup``): sign in at a phone's size, then the page."""
    from station.web.auth import hash_password

    name, password = DEMO_ACCOUNT
    st.store.accounts.add(name, hash_password(password))
    page = browser.new_page(viewport={"width": STAFF_SIZES["phone"][0], "height": STAFF_SIZES["phone"][1]})
    page.goto(url + "staff/signin")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/**")
    st.start()
    bringup_picture(page, url, out)
    page.close()


def home_pictures(browser, out: Path) -> None:
    """The staff home and the restart confirmation (``--only home``), at TV and phone sizes: a station
    of its own whose member does one long set, with a restarter nobody acts on (no process is
    replaced), so Restart meets a member mid-set."""
    from station.runtime.restart import Restarter
    from station.web.auth import hash_password

    reps = tuple(RepPlan(duration=3.0, pause_after=1.0) for _ in range(30))
    source = SimSource(seed=4, sets=iter([(Body(), SetPlan(reps=reps, approach_s=1.0, leave=False))]))
    st = Station(Settings(), source, data_dir=Path(tempfile.mkdtemp()), demo=True)
    switch = st.devices.switch
    if switch is not None:
        source.press = lambda closed: switch.press() if closed else switch.release()
    name, password = DEMO_ACCOUNT
    st.store.accounts.add(name, hash_password(password))
    server = make_server(create_app(st, restarter=Restarter(env={})), "127.0.0.1", 0)
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{server.effective_port}/"
    st.start()
    try:
        for size, (w, h) in SIZES.items():
            page = browser.new_page(viewport={"width": w, "height": h})
            page.goto(url + "staff/signin")
            page.fill("#name", name)
            page.fill("#password", password)
            page.click("button[type=submit]")
            page.wait_for_url("**/staff/home")
            page.wait_for_function("document.getElementById('updated').textContent.startsWith('updated ')")
            for shot in ("home", "restart-confirm"):
                if shot == "restart-confirm":
                    page.goto(url + "staff/settings")
                    page.wait_for_function("() => true")
                    while st.snapshot().get("phase") in (None, "away"):
                        time.sleep(0.1)
                    page.click("#restart")
                    page.wait_for_selector("#restart-confirm")
                target = out / f"staff-{shot}-{size}.png"
                page.screenshot(path=str(target), full_page=size == "phone")
                optimise(target)
                print(f"{target}: {target.stat().st_size // 1024} KB")
            page.close()
    finally:
        st.stop()
        server.close()


def drop_in_rep(pages: dict, link) -> None:
    """Drop ``link`` (tests/helpers/served.DroppedLink) once the member pages behind it are in the
    first rep: they keep that frame, and say the station is not answering (stale_pictures)."""
    in_rep = ("['phase-hinging', 'phase-at_wall'].some((c) => document.body.classList.contains(c))"
              " && document.getElementById('skeleton').offsetParent !== null")
    for page in pages.values():
        page.wait_for_function(in_rep, timeout=40000)
    link.passing.clear()


def stale_pictures(pages: dict, link, out: Path) -> None:
    """The pages behind the dropped link, once each says the station is not answering."""
    for name, page in pages.items():
        page.wait_for_selector("#link", state="visible", timeout=20000)
        path = out / f"member-{name}-stale.png"
        page.screenshot(path=str(path), full_page=name == "phone")
        optimise(path)
        print(f"{path}: {path.stat().st_size // 1024} KB")
        page.close()
    link.close()


def optimise(path: Path, width: int = 1280) -> None:
    """Fewer bytes: no wider than ``width``, 32 levels a channel (the page is mostly flat colours),
    zlib's best."""
    import cv2

    img = cv2.imread(str(path))
    if img.shape[1] > width:
        height = round(img.shape[0] * width / img.shape[1])
        img = cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(path), (img // 8) * 8 + 4, [cv2.IMWRITE_PNG_COMPRESSION, 9])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-o", "--out", type=Path, default=DOCS)
    parser.add_argument("--only", choices=["bringup", "home", "member"],
                        help="make only this picture (bringup), the staff home's (home) or the member "
                             "page's (member)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("Debian's Chromium is needed: apt-get install chromium")
        return 3
    from playwright.sync_api import sync_playwright

    st = station()
    # The member page says "not answering" after 4 s here, not 12, so the set goes on meanwhile
    # (and the stream says "still here" as much sooner).
    config = {"MEMBER_STALE_S": 4.0, "SSE_ALIVE_S": 0.5}
    server = make_server(create_app(st, config=config), "127.0.0.1", 0)
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{server.effective_port}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            if args.only == "bringup":
                only_bringup(browser, url, st, args.out)
                browser.close()
                return 0
            if args.only == "home":
                home_pictures(browser, args.out)
                browser.close()
                return 0
            pages = {name: browser.new_page(viewport={"width": w, "height": h})
                     for name, (w, h) in SIZES.items()}
            for page in pages.values():
                page.goto(url)
            sys.path.insert(0, str(DOCS.parent))  # the tests' relay, the same that tests the page
            from tests.helpers.served import DroppedLink

            link = DroppedLink(server.effective_port)
            stale = {name: browser.new_page(viewport={"width": w, "height": h})
                     for name, (w, h) in SIZES.items()}
            for page in stale.values():
                page.goto(f"http://127.0.0.1:{link.port}/")
            st.start()
            drop_in_rep(stale, link)  # in the first rep; they are taken after the others
            for state, ready in STATES.items():
                for page in pages.values():  # both first, then both pictures: the same moment
                    page.wait_for_function(ready, timeout=40000)
                if state == "idle":
                    time.sleep(1.2)  # the animated rep, hips back near the wall
                taken = []
                for name in sorted(pages, reverse=True):  # the phone's first: the TV's takes longer
                    path = args.out / f"member-{name}-{state}.png"
                    pages[name].screenshot(path=str(path), full_page=name == "phone")  # a phone scrolls
                    taken.append(path)
                for path in taken:
                    optimise(path)
                    print(f"{path}: {path.stat().st_size // 1024} KB")
            stale_pictures(stale, link, args.out)
            for page in pages.values():
                page.close()
            if args.only != "member":
                staff_pictures(browser, url, st, args.out)
                home_pictures(browser, args.out)
            browser.close()
    finally:
        st.stop()
        server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
