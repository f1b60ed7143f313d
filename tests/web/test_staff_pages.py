"""The settings and calibration pages in Debian's Chromium on a served demo station: the error
summary and its links, reset to default, the sticky Save, restart marks, the wall calibration
against the simulated member, axe-core and the console; and a real restart of `station run`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from station.runtime.restart import EXIT_RESTART, MIN_UPTIME_S, Restarter
from tests.helpers.accounts import create_account, create_account_in_browser, csrf_token
from tests.helpers.browser import axe
from tests.helpers.engines import free_port
from tests.helpers.paths import ROOT
from tests.helpers.served import ServedStation

if TYPE_CHECKING:
    from playwright.sync_api import Page

SIZES = [(1920, 1080), (390, 844)]
SIZE_IDS = ["tv", "phone"]


@pytest.fixture
def staffed(make_sim_station, browser, serve):
    """``staffed(size, restarter)``: a demo station in real time (the endless demo sets), served on
    a free loopback port, and a browser page of ``size`` signed in as its first staff account."""

    def make(size=(1920, 1080), restarter=None) -> tuple[ServedStation, Page]:
        served = serve(make_sim_station(seed=4, fast=False), start=True, restarter=restarter)
        page = served.open(browser, *size)
        served.create_account(page)
        return served, page

    return make


SAVEBAR = """() => {
    const r = document.getElementById('savebar').getBoundingClientRect();
    const save = document.getElementById('save').getBoundingClientRect();
    return {bottom: r.bottom, top: r.top, saveTop: save.top, saveBottom: save.bottom, height: innerHeight};
}"""


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_settings_save_stays_at_the_bottom_and_the_page_passes_axe(staffed, size) -> None:
    s, page = staffed(size)
    assert page.locator("h2#basic-title").count() == 1 and page.locator("details").count() >= 5
    assert page.locator("label[for=f-camera_stall_s]").text_content() == "Camera stall timeout (s)"
    for scroll in (0, 0.5):  # at the top and half way down the form
        page.evaluate(f"window.scrollTo(0, document.body.scrollHeight * {scroll})")
        box = page.evaluate(SAVEBAR)
        assert abs(box["bottom"] - box["height"]) <= 1
        assert 0 <= box["saveTop"] < box["saveBottom"] <= box["height"]
    # Save is the form's first button: Enter in any field saves (and the first Tab into the form).
    first = page.evaluate("document.querySelector('#settings-form button').id")
    assert first == "save"
    assert axe(page) == []
    assert s.errors == []


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_an_invalid_save_focuses_a_summary_whose_links_reach_the_fields(staffed, size) -> None:
    s, page = staffed(size)
    page.fill("#f-min_rep_s", "soon")
    page.locator("#advanced-camera > summary").click()  # an advanced field, in a closed section
    page.fill("#f-camera_stall_s", "0.1")
    page.click("#save")
    page.wait_for_selector("#error-summary")
    # staff.js, at the end of the page, focuses the summary once the page has loaded.
    page.wait_for_function("document.activeElement.id === 'error-summary'", timeout=5000)
    assert page.locator("#error-summary").get_attribute("role") == "alert"
    links = page.locator("#error-summary a")
    assert links.count() == 2
    assert "Shortest rep (s): must be a number" in links.nth(0).inner_text()
    assert "Camera stall timeout (s): must be at least 0.5 s" in links.nth(1).inner_text()
    for name in ("min_rep_s", "camera_stall_s"):
        field = page.locator(f"#f-{name}")
        assert field.get_attribute("aria-invalid") == "true"
        described = field.get_attribute("aria-describedby").split()
        assert f"error-{name}" in described and page.locator(f"#error-{name}").inner_text()
    assert page.locator("#advanced-camera").get_attribute("open") is not None  # opened to show it
    page.evaluate("document.getElementById('advanced-camera').open = false")
    page.locator("#error-summary a[href='#f-camera_stall_s']").click()
    assert page.evaluate("document.activeElement.id") == "f-camera_stall_s"
    assert page.evaluate("document.getElementById('advanced-camera').open")
    page.locator("#error-summary a[href='#f-min_rep_s']").click()
    assert page.evaluate("document.activeElement.id") == "f-min_rep_s"
    assert s.station.settings.min_rep_s == 1.2 and s.station.settings.camera_stall_s == 3.0
    assert axe(page) == []
    # The refused form is answered 422 on purpose (tests/web/test_web.py), which Chromium logs as a
    # failed load; nothing else may be in the console.
    assert s.errors == ["Failed to load resource: the server responded with a status of 422 "
                        "(UNPROCESSABLE ENTITY)"]


def test_reset_to_default_and_restart_marks(staffed) -> None:
    restarter = Restarter(env={})
    s, page = staffed(restarter=restarter)
    assert page.locator("#reset-min_rep_s").count() == 0  # at its default: nothing to reset
    assert page.locator("#restart-now").count() == 0 and page.locator("#restart-waiting").count() == 0
    page.fill("#f-min_rep_s", "2.5")
    page.locator("#advanced-camera > summary").click()
    page.fill("#f-camera_fps", "25")
    page.click("#save")
    page.wait_for_selector("text=Saved 2 change(s)")
    assert s.station.settings.min_rep_s == 2.5 and s.station.restart_pending() == ["camera_fps"]
    assert page.locator("#pending-camera_fps").is_visible()  # its section opened to show it
    assert page.locator("#restart-waiting").inner_text() == "1 saved setting waits for a restart"
    reset = page.locator("#reset-min_rep_s")
    assert "to 1.2" in reset.inner_text()
    reset.click()
    page.wait_for_selector("text=Shortest rep (s) is back to its default")
    assert s.station.settings.min_rep_s == 1.2 and page.locator("#f-min_rep_s").input_value() == "1.2"
    assert page.locator("#reset-min_rep_s").count() == 0
    assert s.station.settings.camera_fps == 25  # the rest of the form was kept
    page.click("#restart-now")
    page.wait_for_selector("h1:has-text('Restarting'), #restart-confirm")
    if page.locator("#restart-confirm").count():  # the demo's member was mid-set: cut it
        page.click("#restart-cut")
        page.wait_for_selector("h1:has-text('Restarting')")
    assert restarter.requested  # `station run` does the rest: see the real restart below
    assert s.errors == []


def test_restart_needs_staff_csrf_and_a_station_that_can_restart(app, client) -> None:
    assert client.post("/staff/restart").status_code == 403  # no CSRF token
    create_account(client, app)
    token = csrf_token(client, "/staff/settings")
    assert client.post("/staff/restart").status_code == 403
    r = client.post("/staff/restart", data={"csrf_token": token})
    assert r.status_code == 503 and "cannot restart itself" in r.get_data(as_text=True)
    anonymous = app.test_client()
    t = csrf_token(anonymous, "/staff/signin")
    assert anonymous.post("/staff/restart", data={"csrf_token": t}).status_code == 302  # to sign in


def test_under_systemd_a_restart_is_an_exit_code_and_not_too_soon_after_start() -> None:
    systemd = Restarter(env={"INVOCATION_ID": "x"})
    assert systemd.under_systemd and systemd.finish() == EXIT_RESTART
    from station.runtime.restart import STARTED

    assert systemd.refused(now=STARTED + 1) and systemd.refused(now=STARTED + MIN_UPTIME_S + 1) is None
    plain = Restarter(env={})
    assert plain.refused(now=STARTED + 1) is None
    plain.request()
    assert plain.refused() == "a restart is already under way"
    assert plain.due.wait(5)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_calibration_waits_for_the_hold_then_shows_current_and_measured(staffed, size) -> None:
    s, page = staffed(size)
    page.goto(s.url + "/staff/calibrate")
    assert axe(page) == []
    page.click("#measure-wall")
    page.wait_for_selector("#wall-measure")
    assert page.locator("#wall-measure").get_attribute("data-state") in ("starting", "stand", "hold")
    assert page.locator("#wall-state").get_attribute("role") == "status"
    assert axe(page) == []
    # The simulated member finishes the rep it is in, stands, hinges to the wall and holds:
    # the page polls and shows the result once the loop has a second of hold.
    page.wait_for_selector("#wall-apply", timeout=30000)
    row = page.locator("#wall-apply tbody tr")
    assert row.locator("th").inner_text() == "Hip travel to the wall (torso lengths)"
    assert row.locator("td").first.inner_text() == "0.2"  # the setting now
    measured = float(page.locator("#wall-apply-wall_travel").input_value())
    truth = s.station.source.wall_truth
    assert truth is not None and measured == pytest.approx(0.85 * truth, abs=0.05)
    assert axe(page) == []
    page.click("#wall-apply-apply")
    page.wait_for_selector("text=Calibration applied: Hip travel to the wall (torso lengths) =")
    assert s.station.settings.wall_travel == measured
    assert s.errors == []


# ---------------------------------------------------------------- a real restart of `station run`
def wait_for(path: Path, pattern: str, timeout: float = 30.0, count: int = 1) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(re.finditer(pattern, path.read_text() if path.exists() else ""))
        if len(found) >= count:
            return found[count - 1]
        time.sleep(0.1)
    raise AssertionError(f"{pattern!r} x{count} not in {path}: {path.read_text()[-800:]}")


@pytest.mark.slow  # a few seconds: the demo starts twice
def test_station_run_restarts_itself_in_place_from_the_settings_page(browser, tmp_path) -> None:
    port, out = free_port(), tmp_path / "out.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "NOTIFY_SOCKET")}
    env["PYTHONPATH"] = str(ROOT)
    with out.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "station", "run", "--sim", "--host", "127.0.0.1",
                                 "--port", str(port), "--data", str(tmp_path / "data")],
                                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        code = wait_for(out, r"setup code \(one time, creates the first account\): (\S+)").group(1)
        url = f"http://127.0.0.1:{port}"
        page = browser.new_page()
        create_account_in_browser(page, url, code)
        page.locator("#advanced-camera > summary").click()
        page.fill("#f-camera_fps", "25")
        page.click("#save")
        page.wait_for_selector("#restart-now")
        before = page.evaluate("fetch('/api/health').then((r) => r.json())")
        page.click("#restart-now")
        page.wait_for_selector("h1:has-text('Restarting'), #restart-confirm")
        if page.locator("#restart-confirm").count():  # the demo's member was mid-set: cut it
            page.click("#restart-cut")
            page.wait_for_selector("h1:has-text('Restarting')")
        # The page waits for a station that started later, then goes back to the settings.
        page.wait_for_url("**/staff/settings", timeout=30000)
        after = page.evaluate("fetch('/api/health').then((r) => r.json())")
        assert after["started"] > before["started"] and after["uptime_s"] < before["uptime_s"] + 30
        assert proc.poll() is None  # the same process: it ran itself again in place (os.execv)
        wait_for(out, r"Hinge Station on http://", count=2)
        text = out.read_text()
        assert "restart asked for by ann" in text and "restarting" in text
        # The new process read the saved rate at start: nothing waits for a restart any more.
        assert page.locator("#restart-waiting").count() == page.locator("#pending-camera_fps").count() == 0
        assert page.locator("#f-camera_fps").input_value() == "25"
        page.close()
    finally:
        proc.terminate()
        assert proc.wait(15) == 0
