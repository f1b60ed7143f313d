"""The staff home and its first-run checklist, ticked from the station's own records; the restart
that asks before cutting a member's set; the forms' rules (a station name with spaces, a decimal
comma, calibration's choices); styled 404 and 500 pages; times in words. Through Flask's test
client on a real demo station (the browser tests are in test_staff_home_browser.py)."""

from __future__ import annotations

import re
import time

import pytest

from station.bringup import report as bringup_report
from station.bringup.results import Result
from station.runtime.restart import Restarter
from station.sim.plan import RepPlan, SetPlan
from station.sim.trainee import Body
from station.web import create_app
from tests.helpers.accounts import create_account, csrf_token


def test_sign_in_lands_on_the_home_and_the_uncalibrated_station_says_so(app, staff_client) -> None:
    client = app.test_client()
    r = client.post("/staff/signin", data={"csrf_token": csrf_token(client, "/staff/signin"), "name": "ann",
                                           "password": "a long enough password"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/staff/home")
    assert client.get("/staff/").headers["Location"].endswith("/staff/home")
    html = client.get("/staff/home").get_data(as_text=True)
    assert "This station is not calibrated." in html and "AT THE WALL" in html
    for key in ("camera", "switch", "lights", "pose", "throttling", "disk", "backup", "fleet", "calibration"):
        assert f'id="tile-{key}"' in html
    v = client.get("/staff/home.json").get_json()
    steps = {s["key"]: s for s in v["steps"]}
    assert [s["key"] for s in v["steps"]] == ["account", "bringup", "calibration", "backup"]
    assert steps["account"]["done"] and not steps["bringup"]["done"] and steps["bringup"]["next"]
    assert not steps["calibration"]["next"]  # one next step at a time, in order
    backup = {t["key"]: t for t in v["tiles"]}["backup"]
    assert backup["problem"] and backup["text"].startswith("never")


def test_the_checklist_ticks_each_step_from_the_stations_records(app, sim_station, staff_client) -> None:
    bringup_report.save(sim_station.data_dir, bringup_report.assemble(
        [Result("disk", "Disk", "pass", "ok")], station="t", started="2026-01-01T00:00:00+00:00"))
    v = staff_client.get("/staff/home.json").get_json()
    assert [s["done"] for s in v["steps"]] == [True, True, False, False]
    assert [s["key"] for s in v["steps"] if s["next"]] == ["calibration"]
    token = csrf_token(staff_client, "/staff/calibrate")
    r = staff_client.post("/staff/calibrate",
                          data={"csrf_token": token, "apply": "1", "set_wall_travel": "0,56"})
    assert r.status_code == 302
    assert sim_station.settings.wall_travel == pytest.approx(0.56)  # a decimal comma is a decimal point
    assert staff_client.get("/staff/backup").status_code == 200
    v = staff_client.get("/staff/home.json").get_json()
    assert [s["done"] for s in v["steps"]] == [True, True, True, True]
    tiles = {t["key"]: t for t in v["tiles"]}
    assert tiles["backup"]["text"].startswith("just now") and not tiles["backup"]["problem"]
    assert tiles["calibration"]["text"].startswith("calibrated just now by ann")
    assert "not calibrated" not in staff_client.get("/staff/home").get_data(as_text=True)


@pytest.fixture
def mid_set(make_sim_station):
    """A demo station in real time whose member is in a long set (twenty reps, never leaving), an
    app with a restarter (nothing watches it: no process is replaced), signed-in staff."""
    plan = SetPlan(reps=tuple(RepPlan() for _ in range(20)), approach_s=1.0, leave=False)
    station = make_sim_station(sets=[(Body(), plan)], fast=False, press_switch=True)
    restarter = Restarter(env={})
    app = create_app(station, restarter=restarter)
    client = app.test_client()
    create_account(client, app)
    station.start()
    deadline = time.monotonic() + 20
    while station.snapshot().get("phase") in (None, "away") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert station.snapshot().get("phase") not in (None, "away")
    return station, restarter, client


def test_restart_mid_set_asks_names_the_loss_and_can_wait_for_the_set(mid_set) -> None:
    station, restarter, client = mid_set
    token = csrf_token(client, "/staff/settings")
    html = client.post("/staff/restart", data={"csrf_token": token}).get_data(as_text=True)
    assert "A member is mid-set" in html and not restarter.requested
    set_no = max(s["id"] for s in station.store.reps.sets())
    reps = r"(no rep finished yet|\d+ reps? so far \(\d+ good\))"
    assert re.search(rf"coaching <b>set {set_no}, {reps}</b>", html)
    assert "cut short" in html and 'value="set-end"' in html and 'value="now"' in html
    html = client.post("/staff/restart", data={"csrf_token": token, "when": "set-end"}).get_data(as_text=True)
    assert "restarts as soon as set" in html
    time.sleep(0.5)
    assert not restarter.requested  # the member is still in the set: the restart waits
    client.post("/staff/restart", data={"csrf_token": token, "when": "now"})
    assert restarter.requested  # staff chose to cut the set


def test_restart_between_sets_goes_ahead_at_once(make_sim_station) -> None:
    station = make_sim_station()  # not started: nobody in view
    restarter = Restarter(env={})
    app = create_app(station, restarter=restarter)
    client = app.test_client()
    create_account(client, app)
    html = client.post("/staff/restart", data={"csrf_token": csrf_token(client, "/staff/settings")})
    assert "Restarting" in html.get_data(as_text=True) and restarter.requested


def test_a_station_name_with_spaces_is_kept_and_a_bad_one_says_the_rule(app, staff_client,
                                                                        sim_station) -> None:
    token = csrf_token(staff_client, "/staff/settings")
    r = staff_client.post("/staff/settings", data={"csrf_token": token, "station_name": "Main floor station"})
    assert r.status_code == 302 and sim_station.settings.station_name == "Main floor station"
    r = staff_client.post("/staff/settings", data={"csrf_token": token, "station_name": "wall #3 <b>"})
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "letters, digits, spaces" in text
    html = staff_client.get("/staff/settings").get_data(as_text=True)
    assert "letters, digits, spaces" in html  # the rule is on the page before any mistake


def test_calibrations_side_is_a_choice(app, staff_client) -> None:
    token = csrf_token(staff_client, "/staff/calibrate")
    for _ in range(50):  # the simulated member walks in and out of view between sets
        r = staff_client.post("/staff/calibrate", data={"csrf_token": token, "step": "side"})
        html = r.get_data(as_text=True)
        if 'name="set_camera_sees"' in html:
            break
        time.sleep(0.1)
    assert re.search(r'<select[^>]*name="set_camera_sees"', html)
    for side in ("auto", "left", "right"):
        assert f">{side}</option>" in html


def test_404_and_500_are_styled_pages_with_a_way_back(sim_station) -> None:
    app = create_app(sim_station)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("a bug")

    client = app.test_client()
    r = client.get("/no/such/page")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and "staff.css" in html and 'href="/"' in html and "Page not found" in html
    r = client.get("/boom")
    html = r.get_data(as_text=True)
    assert r.status_code == 500 and "staff.css" in html and 'href="/"' in html and "a bug" not in html
    assert client.get("/api/nothing").get_json()["status"] == 404  # the API still answers in JSON


def test_signed_in_pages_link_the_home_and_the_guide(app, staff_client) -> None:
    html = staff_client.get("/staff/guide").get_data(as_text=True)
    for part in ("Set it up", "Calibrate the wall", "Back up", "Restore", "Read the health"):
        assert part in html
    nav = staff_client.get("/staff/health").get_data(as_text=True)
    assert 'href="/staff/home"' in nav and 'href="/staff/guide"' in nav


def test_sets_cut_by_a_stop_are_listed_as_cut(app, sim_station, staff_client) -> None:
    before = sim_station.store.reps.start_set(time.time() - 3600)  # a set a stop left open
    html = staff_client.get("/staff/sets/").get_data(as_text=True)
    assert f'id="cut-{before}"' in html and "Cut short" in html


def test_a_lockout_says_its_time_in_words(app, staff_client) -> None:
    client = app.test_client()
    token = csrf_token(client, "/staff/signin")
    for _ in range(8):
        r = client.post("/staff/signin", data={"csrf_token": token, "name": "ann", "password": "wrong"})
        if r.status_code == 429:
            break
    text = r.get_data(as_text=True)
    assert r.status_code == 429 and re.search(r"Try again in \d+ min( \d+ s)? \(at \d\d:\d\d\)", text)
    assert "298 s" not in text and "Page not found" not in text
