"""The bring-up checks one by one, each against a fake edge: a sysfs tree, a command runner, a
data folder, a camera source, pins driven in a scripted time."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from station.bringup import checks, report
from station.bringup.results import Result
from station.bringup.walkthrough import Walkthrough
from station.config.settings import Settings
from station.runtime.devices import Devices, pin_factory


def sysfs(root: Path, temp_milli: int | None, throttled: str | None) -> Path:
    if temp_milli is not None:
        zone = root / "class/thermal/thermal_zone0"
        zone.mkdir(parents=True)
        (zone / "temp").write_text(f"{temp_milli}\n")
    if throttled is not None:
        fw = root / "devices/platform/soc/soc:firmware"
        fw.mkdir(parents=True)
        (fw / "get_throttled").write_text(throttled + "\n")
    return root


@pytest.mark.parametrize(("temp", "word", "outcome", "words"), [
    (45000, "0", "pass", "45.0 °C; no throttling now or since boot"),
    (45000, "50000", "warn", "since boot: under_voltage, throttled"),
    (83500, "0", "warn", "at the soft throttling limit"),
    (81000, "50005", "fail", "throttled now: under_voltage, throttled"),
    (52000, None, "pass", "throttled flags not readable"),
    (None, None, "skipped", "not a Raspberry Pi"),
])
def test_heat_from_a_sysfs_tree(tmp_path, temp, word, outcome, words) -> None:
    r = checks.thermal(sysfs(tmp_path, temp, word))
    assert (r.outcome, r.name) == (outcome, "thermal")
    assert words in r.detail


def test_clock_asks_timedatectl_first_then_timesyncds_file(tmp_path) -> None:
    asked: list[list[str]] = []

    def says(answer: str):
        def run(argv):
            asked.append(list(argv))
            return answer
        return run

    assert checks.clock(says("yes\n"), tmp_path / "none").outcome == "pass"
    assert asked[0] == ["timedatectl", "show", "-p", "NTPSynchronized", "--value"]
    late = checks.clock(says("no\n"), tmp_path / "none")
    assert late.outcome == "warn" and "NTP" in late.detail

    def broken(argv):
        raise subprocess.CalledProcessError(1, argv)

    assert checks.clock(broken, tmp_path / "none").outcome == "skipped"
    flag = tmp_path / "synchronized"
    flag.touch()
    r = checks.clock(broken, flag)
    assert r.outcome == "pass" and str(flag) in r.detail


def test_disk_writes_fsyncs_and_removes_its_file(tmp_path, monkeypatch) -> None:
    r = checks.disk(tmp_path, write_mib=2)
    assert r.outcome in ("pass", "warn") and r.figures["write_mb_s"] > 0
    assert list(tmp_path.iterdir()) == []  # the probe is gone
    usage = type("Usage", (), {"free": 50 * 2**20})
    monkeypatch.setattr(checks.shutil, "disk_usage", lambda _: usage)
    low = checks.disk(tmp_path, write_mib=1)
    assert low.outcome == "fail" and "50 MB free" in low.detail


def test_disk_in_a_folder_that_cannot_be_made_fails_with_the_reason(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = checks.disk(blocker / "data")
    assert r.outcome == "fail" and "cannot be used" in r.detail


def test_pose_speed_from_the_model_choice_and_its_failure() -> None:
    fast = {"model": "full_int8", "float_ms": 31.0, "int8_ms": 21.0, "reason": "int8 is faster", "threads": 4}
    r = checks.pose_speed(lambda: fast, 30)
    assert r.outcome == "pass" and "float 31.0 ms, int8 21.0 ms on 4 threads" in r.detail
    assert checks.pose_speed(lambda: fast, 60).outcome == "warn"  # 21 ms > 16.7 ms a frame

    def missing():
        raise RuntimeError("pose_landmark_full.tflite is missing")

    assert checks.pose_speed(missing, 30).outcome == "fail"


def test_network_lists_the_addresses_members_open() -> None:
    r = checks.network(8000, None, ["192.168.1.20", "10.0.0.5"], "wall1")
    assert r.outcome == "pass"
    assert r.figures["urls"] == ["http://wall1.local:8000/", "http://192.168.1.20:8000/", "http://10.0.0.5:8000/"]
    assert checks.network(8000, "127.0.0.1", ["192.168.1.20"], "wall1").outcome == "warn"
    assert checks.network(8000, None, [], "wall1").outcome == "fail"
    assert all(not a.startswith("127.") for a in checks.lan_addresses())


class Camera:
    name = "Pi camera"

    def describe(self) -> dict:
        return {"model": "imx708_wide", "sensor_mode": "2304x1296 10-bit",
                "field_of_view": {"width": 1.0, "height": 1.0},
                "picamera2": "0.3.25", "focus": "continuous autofocus"}


def test_camera_reads_its_description_rate_and_state() -> None:
    ok = checks.camera("ok", Camera(), 29.5, Settings(), simulated=False)
    assert ok.outcome == "pass" and "imx708_wide" in ok.detail
    assert "field of view 100% x 100% of the sensor" in ok.detail  # words, not the dict
    assert ok.figures["focus"] == "continuous autofocus" and ok.figures["sensor_mode"] == "2304x1296 10-bit"
    assert checks.camera("ok", Camera(), 14.0, Settings(), simulated=False).outcome == "warn"
    assert checks.camera("offline", Camera(), 0.0, Settings(), simulated=False).outcome == "fail"
    assert checks.camera("ok", object(), 30.0, Settings(), simulated=True).outcome == "skipped"


def test_pins_never_pass_silently_when_virtual_or_broken() -> None:
    devices = Devices.from_settings(Settings(), factory=pin_factory(mock=True))
    assert checks.pins(devices).outcome == "warn"
    broken = Devices(None, devices.lights, None, False, "lgpio: no chip", "lgpio: no chip")
    assert checks.pins(broken).outcome == "fail"
    devices.close()


# ---------------------------------------------------------------- the person-steps

def person_pins(settings: Settings | None = None) -> Devices:
    """Mock pins the station takes for real ones: the steps ask a person."""
    devices = Devices.from_settings(settings or Settings(buzzer_enabled=True), factory=pin_factory(mock=True))
    devices.mock = False
    return devices


def test_virtual_pins_are_checked_by_reading_them() -> None:
    devices = Devices.from_settings(Settings(buzzer_enabled=True), factory=pin_factory(mock=True))
    walk = Walkthrough(devices, Settings(buzzer_enabled=True))
    for step in ("switch", "light_red", "light_amber", "light_green", "buzzer"):
        r = walk.check_virtual(step)
        assert r.outcome == "pass" and r.detail.startswith("virtual pins: checked by reading the pin"), r
    assert devices.lights.values() == {"red": 0.0, "amber": 0.0, "green": 0.0}
    devices.close()


def test_a_light_is_turned_on_for_its_question_and_the_answer_is_recorded() -> None:
    devices = person_pins()
    walk = Walkthrough(devices, Settings(buzzer_enabled=True))
    assert not walk.virtual
    assert walk.unanswered("light_red").outcome == "asked"
    walk.show("light_red")
    assert devices.lights.leds.red.pin.state == 1
    no = walk.answer("light_red", False)
    assert no.outcome == "fail" and "GPIO 5" in no.detail and devices.lights.leds.red.pin.state == 0
    walk.show("buzzer")
    assert walk.answer("buzzer", True).outcome == "pass"
    assert walk.not_fitted("buzzer") is None
    assert Walkthrough(devices, Settings()).answer("light_green", True).outcome == "pass"
    devices.close()


def scripted_press(devices: Devices, script: list[tuple[float, int]]):
    """A clock and a sleep in which the switch's mock pin follows ``script`` (seconds, level)."""
    now = [0.0]
    pending = list(script)
    pin = devices.switch.button.pin

    def sleep(seconds: float) -> None:
        now[0] += 0.001
        while pending and pending[0][0] <= now[0]:
            _, level = pending.pop(0)
            pin.drive_high() if level else pin.drive_low()

    return (lambda: now[0]), sleep


@pytest.mark.parametrize(("script", "outcome", "words"), [
    # pressed at 2 s with two bounces within 4 ms, let go at 2.5 s with one bounce
    ([(2.0, 0), (2.002, 1), (2.004, 0), (2.5, 1), (2.501, 0), (2.502, 1)], "pass", "2 extra edges over 4 ms"),
    # a bouncy pad: edges for 35 ms, longer than the 20 ms debounce
    ([(1.0, 0), (1.015, 1), (1.035, 0), (1.6, 1)], "warn", "raise Wall switch debounce"),
    ([], "fail", "no press seen in 3 s"),
])
def test_press_the_pad_sees_the_press_and_its_bounce(script, outcome, words) -> None:
    devices = person_pins()
    clock, sleep = scripted_press(devices, script)
    walk = Walkthrough(devices, Settings(), clock=clock, sleep=sleep)
    r = walk.watch_press(3.0)
    assert r.outcome == outcome and words in r.detail, r
    devices.close()


def test_a_pad_closed_before_the_press_fails() -> None:
    devices = person_pins()
    devices.switch.button.pin.drive_low()
    r = Walkthrough(devices, Settings()).watch_press(1.0)
    assert r.outcome == "fail" and "closed before the press" in r.detail
    devices.close()


def test_the_report_is_kept_and_failing_or_unanswered_is_not_passed(tmp_path) -> None:
    results = [Result("disk", "Disk", "pass", "ok"), Result("light_red", "Red light", "asked", "?")]
    r = report.assemble(results, station="wall-1", started="2026-12-05T10:00:00+00:00")
    assert (r["passed"], r["complete"]) == (True, False)
    report.save(tmp_path, r)
    assert report.load(tmp_path)["checks"] == r["checks"]
    r = report.assemble([*results, Result("clock", "Clock", "fail", "x")], station="w", started="")
    assert not r["passed"] and report.summary(r).startswith("FAILED")
    (tmp_path / "bringup.json").write_text("{half")
    assert report.load(tmp_path) is None  # damaged: run the bring-up again
