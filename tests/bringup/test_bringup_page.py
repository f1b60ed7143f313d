"""The bring-up page through the real served station: the checks run from the page, the yes/no
and press-the-pad steps on pins that need a person, the virtual pins' own check, Export, the
health page's link, axe at phone size; and the report over MQTT to a real Mosquitto."""

from __future__ import annotations

import json

import pytest

from station.bringup.session import BringUp
from station.camera.sources import SimSource
from station.config.settings import Settings
from station.runtime.devices import Devices
from station.runtime.station import Station
from station.storage import documents
from tests.helpers.browser import axe

TIMED = {"model": "full_int8", "float_ms": 30.0, "int8_ms": 20.0, "reason": "int8 is faster on this CPU",
         "threads": 2}


def fake_edges(station: Station, app) -> BringUp:
    """The page's bring-up with the machine's clock and the pose timing faked (seconds saved)."""
    bringup = BringUp(station, port=8000, host=None, run=lambda argv: "yes\n", measure_pose=lambda: TIMED,
                      camera_wait_s=0.5, press_s=8.0)
    app.extensions["hinge_bringup"] = bringup
    return bringup


def signed_in(serve, browser, station: Station, width: int = 390, height: int = 844):
    served = serve(station, start=True)
    page = served.open(browser, width, height)
    served.create_account(page)
    return served, page


def outcome(page, name: str) -> str:
    return page.get_attribute(f"#check-{name}", "class").split()[-1]


def test_demo_runs_from_the_page_reads_virtual_pins_exports_and_passes_axe(serve, browser, make_sim_station,
                                                                           tmp_path) -> None:
    station = make_sim_station(press_switch=False, fast=False)
    served, page = signed_in(serve, browser, station)
    fake_edges(station, served.app)
    page.goto(served.url + "/staff/bringup")
    assert "No report yet" in page.inner_text("#checks")
    page.click("#run-again")
    page.wait_for_selector("#check-network", timeout=20000)
    for name in ("switch", "light_red", "light_amber", "light_green", "pose", "clock", "disk"):
        assert outcome(page, name) == "pass", name
    assert outcome(page, "pins") == "warn" and outcome(page, "camera") == "skipped"
    assert "virtual pins: checked by reading the pin" in page.inner_text("#check-light_red")
    page.click("#check-pin-light_red")
    page.wait_for_selector(".flash")
    assert "Red light: passed" in page.inner_text(".flash")
    page.wait_for_function("document.getElementById('bringup-skeleton').width > 0")
    assert axe(page) == []
    with page.expect_download() as got:
        page.click("#export")
    exported = json.loads(got.value.path().read_text())
    assert got.value.suggested_filename.startswith("bringup-") and exported["passed"] is True
    assert {c["name"] for c in exported["checks"]} >= {"camera", "switch", "pose", "network"}
    page.goto(served.url + "/staff/health")
    assert page.inner_text("#bringup-link").startswith("Bring-up report: passed")
    assert served.errors == []


def test_a_person_answers_the_lights_and_presses_the_pad(serve, browser, tmp_path, pins) -> None:
    settings = Settings(buzzer_enabled=True)
    devices = Devices.from_settings(settings, factory=pins)
    devices.mock = False  # the station takes them for real pins: a person must answer
    station = Station(settings, SimSource(seed=1), data_dir=tmp_path / "data", devices=devices, demo=True)
    served, page = signed_in(serve, browser, station)
    fake_edges(station, served.app)
    page.goto(served.url + "/staff/bringup")
    page.click("#run-again")
    page.wait_for_selector("#check-network", timeout=20000)
    assert outcome(page, "light_red") == "asked" and outcome(page, "switch") == "asked"
    page.click("#ask-light_red")
    assert page.inner_text("#question-light_red") == "Is the red light on?"
    assert devices.lights.leds.red.pin.state == 1
    page.click("#no-light_red")
    assert outcome(page, "light_red") == "fail" and devices.lights.leds.red.pin.state == 0
    page.click("#ask-light_green")
    page.click("#yes-light_green")
    assert outcome(page, "light_green") == "pass"
    page.click("#ask-buzzer")
    assert "buzzer" in page.inner_text("#question-buzzer")
    page.click("#yes-buzzer")
    assert outcome(page, "buzzer") == "pass"
    assert axe(page) == []
    page.click("#press-switch")
    assert "Press the pad" in page.inner_text("#check-switch .question")
    pin = devices.switch.button.pin
    pin.drive_low()
    page.wait_for_timeout(100)
    pin.drive_high()
    page.wait_for_function("document.querySelector('#check-switch').classList.contains('pass')",
                           timeout=15000)
    assert "press seen" in page.inner_text("#check-switch")
    kept = documents.read(tmp_path / "data", "bringup")
    assert {c["name"]: c["outcome"] for c in kept["checks"]}["light_red"] == "fail" and not kept["passed"]
    assert served.errors == []


def test_posts_need_the_csrf_token_and_staff(app, client, staff_client) -> None:
    assert client.get("/staff/bringup").status_code in (302, 401)
    assert staff_client.post("/staff/bringup", data={"action": "run"}).status_code == 403
    assert staff_client.get("/staff/bringup/export").status_code == 404  # nothing run yet


def test_the_report_goes_out_retained_over_mqtt(tmp_path) -> None:
    from station.fleet.attach import Fleet
    from tests.helpers.engines import MOSQUITTO, Listener, Mosquitto

    if not MOSQUITTO:
        pytest.skip("mosquitto is not installed")
    cfg = Settings(station_name="test-wall")
    from station.runtime.devices import pin_factory

    station = Station(cfg, SimSource(fast=True), data_dir=tmp_path / "data",
                      devices=Devices.from_settings(cfg, factory=pin_factory(mock=True)), demo=True)
    with Mosquitto(tmp_path / "broker") as broker:
        fleet = Fleet(station, f"mqtt://127.0.0.1:{broker.port}")
        station.start()
        fleet.start()
        topic = "hinge-station/test-wall/bringup"
        live = Listener(broker.port, topic, client_id="live")
        documents.write(station.data_dir, "bringup", {"station": "test-wall", "passed": True, "checks": []})
        late = None
        try:
            assert live.wait(lambda: live.messages != [], timeout=15)
            assert json.loads(live.messages[0][1])["passed"] is True
            # A chain's dashboard connecting later gets it at once: the broker retained it.
            late = Listener(broker.port, topic, client_id="chain")
            assert late.wait(lambda: late.messages != [], timeout=15)
            assert late.messages[0][0] == topic and late.messages[0][2] is True
            failed = {"station": "test-wall", "passed": False, "checks": []}
            documents.write(station.data_dir, "bringup", failed)  # saved again: sent again
            assert live.wait(lambda: len(live.messages) >= 2, timeout=15)
            assert json.loads(live.messages[-1][1])["passed"] is False
        finally:
            live.close()
            if late is not None:
                late.close()
            fleet.stop()
            station.stop()
