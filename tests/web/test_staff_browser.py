"""The health and accounts pages in Debian's Chromium on a running demo station: the health figures
refresh in place (no reload, focus kept, paused while the tab is hidden), a backup downloaded and
restored through the page (a bad file refused by name first), an account removed; axe-core finds
no serious or critical problem at TV and phone sizes, and the console stays clean."""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from station.web import auth
from tests.helpers.accounts import PASSWORD
from tests.helpers.browser import axe
from tests.helpers.served import ServedStation

FRAMES = "document.getElementById('fig-frames').textContent"
# The tab hidden or shown again, as the browser tells a page (headless Chromium is never hidden).
HIDDEN = """() => { Object.defineProperty(document, 'hidden', {value: %s, configurable: true});
                    document.dispatchEvent(new Event('visibilitychange')); }"""


@pytest.fixture
def staffed(make_sim_station, serve) -> ServedStation:
    """A demo station in real time with an account "ann", served by waitress on a free port."""
    station = make_sim_station(fast=False, press_switch=False)
    station.store.accounts.add("ann", auth.hash_password(PASSWORD))
    return serve(station, start=True)


def signed_in(staffed: ServedStation, browser, width: int = 1920, height: int = 1080):
    """A page of ``width`` x ``height`` signed in as "ann", on the settings."""
    page = staffed.open(browser, width, height)
    staffed.sign_in(page)
    return page


@pytest.mark.slow  # about 20 s: two refreshes, and a pause longer than one
def test_health_refreshes_in_place_and_pauses_while_hidden(browser, staffed) -> None:
    page = signed_in(staffed, browser)
    page.goto(staffed.url + "/staff/health")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/staff/health.json") else None)
    page.evaluate("window.stillThisPage = true")
    page.focus("#backup-file")
    first = page.evaluate(FRAMES)
    page.wait_for_function(f"{FRAMES} !== {json.dumps(first)}", timeout=15000)
    assert page.evaluate("window.stillThisPage === true")  # updated in place, never reloaded
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert page.evaluate("document.activeElement.id") == "backup-file"  # focus stays put
    assert re.fullmatch(r"updated \d+ s ago", page.inner_text("#updated"))
    assert re.fullmatch(r"\d+ (s|min)( \d+ s)?", page.inner_text("#fig-uptime"))

    page.evaluate(HIDDEN % "true")
    while_hidden = len(asked)
    page.wait_for_timeout(6500)  # longer than one refresh period (5 s)
    assert len(asked) == while_hidden  # paused
    with page.expect_request("**/staff/health.json", timeout=3000):
        page.evaluate(HIDDEN % "false")
    assert staffed.errors == []


def test_backup_download_then_restore_through_the_page(browser, staffed, tmp_path) -> None:
    station = staffed.station
    station.apply_settings({"min_rep_s": 1.1})
    page = signed_in(staffed, browser)
    page.goto(staffed.url + "/staff/health")
    with page.expect_download() as got:
        page.click("#backup")
    saved = tmp_path / got.value.suggested_filename
    got.value.save_as(saved)
    assert re.fullmatch(r"hinge-backup-\d{8}-\d{4}\.zip", saved.name)
    with zipfile.ZipFile(saved) as z:
        assert sorted(z.namelist()) == ["manifest.json", "settings.json", "station.db"]

    station.apply_settings({"min_rep_s": 1.5})
    station.store.accounts.add("bob", auth.hash_password(PASSWORD))
    page.set_input_files("#backup-file", files=[{"name": "notes.zip", "mimeType": "application/zip",
                                                 "buffer": b"just some notes"}])
    page.click("#restore")
    error = page.locator("#restore-error")
    error.wait_for()
    # Chromium logs the refused upload's answer (422) as a console error: that one is expected,
    # any other is not.
    refusal = "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"
    assert staffed.errors == [refusal]
    staffed.errors.clear()
    assert "nothing was changed: not a zip file" in error.inner_text()
    assert page.get_attribute("#backup-file", "aria-invalid") == "true"
    assert station.settings.min_rep_s == 1.5 and station.store.accounts.names() == ["ann", "bob"]

    page.set_input_files("#backup-file", str(saved))
    page.click("#restore")
    page.wait_for_url("**/staff/restore/confirm*")  # the loss named first; nothing replaced yet
    summary = page.locator("#restore-summary").inner_text()
    assert "staff accounts with" in summary and "everyone will be signed out" in summary
    assert station.store.accounts.names() == ["ann", "bob"]
    assert axe(page) == []
    page.click("#confirm-restore")
    page.wait_for_url("**/staff/signin")
    told = page.locator(".flash").inner_text()
    assert "Restored the backup" in told and "sign in with an account from the backup (ann)" in told
    assert station.settings.min_rep_s == 1.1 and station.store.accounts.names() == ["ann"]
    assert staffed.errors == []


@pytest.mark.parametrize("size", [(1920, 1080), (390, 844)], ids=["tv", "phone"])
def test_accounts_and_health_pages_are_accessible_and_an_account_is_removed(browser, staffed, size) -> None:
    staffed.station.store.accounts.add("bob", auth.hash_password(PASSWORD))
    page = signed_in(staffed, browser, *size)
    page.goto(staffed.url + "/staff/health")
    page.wait_for_function("document.getElementById('updated').textContent.startsWith('updated')")
    health_problems = axe(page)
    page.goto(staffed.url + "/staff/accounts")
    assert page.locator("#accounts tbody tr").count() == 2
    accounts_problems = axe(page)
    assert health_problems == [] and accounts_problems == [], (health_problems, accounts_problems)
    page.click("button[aria-label='Remove bob']")
    page.click("#confirm-remove")  # the confirmation names bob and what is lost
    page.wait_for_selector("text=Account bob removed")
    assert page.locator("#accounts tbody tr").count() == 1
    assert page.locator("#accounts").inner_text().count("the last account cannot be removed") == 1
    assert staffed.station.store.accounts.names() == ["ann"]
    assert staffed.errors == []
