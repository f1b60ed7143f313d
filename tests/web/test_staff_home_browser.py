"""The staff side of issue 26 in Debian's Chromium on a served demo station: sign-in lands on the
staff home with its state and checklist (TV, laptop and phone sizes, axe clean, no sideways
scroll); a restart while a member is mid-set asks first and can wait; with the station stopped,
every staff live page (home, health, calibration, bring-up, settings) says since when it is not
answering and greys what it shows, and a settings save keeps what was typed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from station.runtime.restart import Restarter
from station.sim.plan import RepPlan, SetPlan
from station.sim.trainee import Body
from station.web import auth
from tests.helpers.accounts import PASSWORD, create_account_in_browser
from tests.helpers.browser import axe, collect_errors
from tests.helpers.engines import free_port
from tests.helpers.paths import ROOT
from tests.helpers.served import ServedStation

LIVE_PAGES = ("/staff/home", "/staff/health", "/staff/calibrate", "/staff/bringup", "/staff/settings")


@pytest.fixture
def staffed(make_sim_station, serve) -> ServedStation:
    """A demo station in real time with an account "ann", served on a free port."""
    station = make_sim_station(fast=False, press_switch=False)
    station.store.accounts.add("ann", auth.hash_password(PASSWORD))
    return serve(station, start=True)


def test_sign_in_lands_on_the_home_with_its_state_and_checklist(browser, staffed) -> None:
    page = staffed.open(browser, 1920, 1080)
    staffed.sign_in(page)  # waits for /staff/home: where a sign-in lands now
    for width, height in ((1920, 1080), (1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.locator("#uncalibrated").is_visible()
        assert "AT THE WALL" in page.inner_text("#uncalibrated")
        assert page.locator(".tile").count() == 9
        assert page.get_attribute("#step-bringup", "aria-current") == "step"
        assert page.locator("#step-account.done").count() == 1
        assert page.locator("#go-bringup").is_visible()
        # no sideways scroll at any size
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        assert axe(page) == [], width
    page.wait_for_function("document.getElementById('updated').textContent.startsWith('updated ')")
    page.click("#go-bringup")
    page.wait_for_url("**/staff/bringup")
    page.click("header >> text=Guide")  # the staff guide, from every staff page's bar
    page.wait_for_url("**/staff/guide")
    assert page.locator("h2").count() >= 7 and axe(page) == []
    response = page.goto(staffed.url + "/staff/no-such-page")
    assert response is not None and response.status == 404
    assert page.inner_text("h1") == "Page not found" and axe(page) == []
    page.click("#error-nav >> text=Staff home")
    page.wait_for_url("**/staff/home")
    assert [e for e in staffed.errors if "404 (NOT FOUND)" not in e] == []  # only the page asked for


def test_restart_while_a_member_is_mid_set_asks_and_waits(browser, make_sim_station, serve) -> None:
    plan = SetPlan(reps=tuple(RepPlan() for _ in range(20)), approach_s=1.0, leave=False)
    station = make_sim_station(sets=[(Body(), plan)], fast=False, press_switch=True)
    station.store.accounts.add("ann", auth.hash_password(PASSWORD))
    restarter = Restarter(env={})
    served = serve(station, start=True, restarter=restarter)
    page = served.open(browser, 390, 844)
    served.sign_in(page, then="/staff/settings")
    deadline = time.monotonic() + 20
    while station.snapshot().get("phase") in (None, "away") and time.monotonic() < deadline:
        time.sleep(0.05)
    page.click("#restart")
    page.wait_for_selector("#restart-confirm")
    assert "A member is mid-set" in page.inner_text("h1")
    assert "cut short" in page.inner_text("#restart-confirm") and axe(page) == []
    page.click("#restart-after-set")
    page.wait_for_selector("#restart-waiting")
    assert "restarts as soon as set" in page.inner_text("#restart-waiting")
    assert not restarter.requested  # twenty reps to go: it waits for the set
    assert served.errors == []


def _wait_for(path: Path, pattern: str, timeout: float = 60.0) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, path.read_text() if path.exists() else "")
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{pattern!r} not in {path}: {path.read_text()[-800:]}")


@pytest.mark.slow  # about 15 s: a real `station run` started, then killed
def test_a_stopped_station_is_seen_on_every_live_page_and_a_save_keeps_its_edits(browser, tmp_path) -> None:
    """The station's process killed (as a crash or a pulled plug would): every socket closes at
    once, and each open staff page must notice by itself."""
    port, out = free_port(), tmp_path / "out.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "NOTIFY_SOCKET")}
    env["PYTHONPATH"] = str(ROOT)
    with out.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "station", "run", "--sim", "--host", "127.0.0.1",
                                 "--port", str(port), "--data", str(tmp_path / "data")],
                                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # one sign-in, five tabs
    try:
        code = _wait_for(out, r"setup code \(one time, creates the first account\): (\S+)").group(1)
        url = f"http://127.0.0.1:{port}"
        pages = [context.new_page() for _ in LIVE_PAGES]
        errors: list[str] = []
        for page in pages:
            collect_errors(page, errors)
        create_account_in_browser(pages[0], url, code)
        for page, path in zip(pages, LIVE_PAGES, strict=True):
            page.goto(url + path)
            assert not page.locator("#live-state").is_visible()
        settings = pages[-1]
        settings.fill("#f-min_rep_s", "2,5")
        proc.kill()
        proc.wait(10)
        for page, path in zip(pages, LIVE_PAGES, strict=True):
            page.wait_for_selector("#live-state:visible", timeout=10000)
            text = page.inner_text("#live-state")
            assert text.startswith("Station not answering since "), (path, text)
            assert page.evaluate("document.body.classList.contains('stale')"), path
        health = pages[1]
        health.wait_for_function("document.getElementById('status').textContent === 'not answering'")
        settings.click("#save")
        settings.wait_for_selector(".save-failed:visible")
        assert "Not saved" in settings.inner_text(".save-failed")
        assert settings.input_value("#f-min_rep_s") == "2,5"  # still there, in the same page
        assert axe(health) == []  # greyed, yet still readable
    finally:
        context.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
