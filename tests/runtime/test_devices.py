"""Switch, lights and buzzer on gpiozero's MockFactory (the only stand-in: there is no Pi here)."""

from __future__ import annotations

import dataclasses
import time

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from station.config.settings import Settings
from station.runtime.devices import Devices, FeedbackLights, WallSwitch, pin_factory


@pytest.fixture
def factory() -> MockFactory:
    return pin_factory(mock=True)


def test_switch_reports_press_and_release_from_the_pin(factory) -> None:
    seen = []
    switch = WallSwitch(17, debounce_ms=0, stuck_s=20, factory=factory, on_change=seen.append)
    pin = factory.pin(17)
    pin.drive_low()
    assert switch.pressed and seen == [True]
    pin.drive_high()
    assert not switch.pressed and seen == [True, False]
    switch.close()


def test_stuck_switch_warns_unless_someone_is_hinging(factory) -> None:
    now = [100.0]
    switch = WallSwitch(17, debounce_ms=0, stuck_s=5, factory=factory, clock=lambda: now[0])
    switch.press()
    now[0] += 4
    assert not switch.stuck
    switch.note_activity()
    now[0] += 4
    assert not switch.stuck
    now[0] += 2
    assert switch.stuck
    switch.release()
    assert not switch.stuck
    switch.close()


@pytest.mark.parametrize(("pattern", "expected"), [
    ("good", {"red": 0, "amber": 0, "green": 1}), ("fault", {"red": 1, "amber": 0, "green": 0}),
    ("hinging", {"red": 0, "amber": 1, "green": 0}), ("at_wall", {"red": 0, "amber": 1, "green": 1}),
    ("ready", {"red": 0, "amber": 0, "green": 0.3}), ("off", {"red": 0, "amber": 0, "green": 0})])
def test_light_patterns_set_the_pins(factory, pattern, expected) -> None:
    lights = FeedbackLights(5, 6, 13, pwm=True, factory=factory)
    lights.show(pattern)
    assert lights.values() == expected
    assert factory.pin(5).state == expected["red"] and factory.pin(13).state == expected["green"]
    lights.close()


def test_camera_offline_pulses_red(factory) -> None:
    lights = FeedbackLights(5, 6, 13, pwm=True, factory=factory)
    lights.show("camera_offline")
    seen = set()
    for _ in range(30):
        time.sleep(0.03)
        seen.add(round(lights.values()["red"], 1))
    assert len(seen) > 3 and lights.values()["green"] == 0
    lights.close()


def test_a_rep_not_judged_flashes_amber_alone(factory) -> None:
    # Apart from a hinge in progress (steady amber) and from both verdicts (red, green).
    lights = FeedbackLights(5, 6, 13, pwm=True, factory=factory)
    lights.show("unjudged")
    seen = set()
    for _ in range(30):
        time.sleep(0.03)
        values = lights.values()
        seen.add(values["amber"])
        assert values["red"] == 0 and values["green"] == 0
    assert seen == {0.0, 1.0}
    lights.close()


def test_without_pwm_lights_are_on_or_off(factory) -> None:
    lights = FeedbackLights(5, 6, 13, pwm=False, factory=factory)
    lights.show("ready")
    assert lights.values()["green"] == 1
    lights.close()


def test_devices_follow_the_settings_and_release_their_pins(factory) -> None:
    s = Settings().changed(switch_pin=22, light_red_pin=23, buzzer_enabled=True)
    devices = Devices.from_settings(s, factory=factory)
    assert devices.mock and devices.buzzer is not None
    devices.switch.press()
    assert factory.pin(22).state == 0
    devices.buzzer.beep("fault")
    devices.close()
    again = Devices.from_settings(s, factory=factory)  # the pins are free again
    again.close()
    assert Devices.from_settings(Settings().changed(switch_enabled=False), factory=factory).switch is None


def test_a_real_pin_cannot_be_pressed_by_software() -> None:
    factory = MockFactory()
    switch = WallSwitch(17, debounce_ms=0, stuck_s=5, factory=factory)
    switch._mock = False  # as on a Pi: the pin belongs to the wall
    with pytest.raises(RuntimeError, match="only a person"):
        switch.press()
    switch.close()


def test_the_default_factory_is_gpiozeros_own_as_the_environment_names_it(monkeypatch) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")  # a factory by name, as lgpio is on a Pi
    monkeypatch.setattr(Device, "pin_factory", None)  # restored afterwards
    factory = pin_factory()
    try:
        assert isinstance(factory, MockFactory) and factory is Device.pin_factory
        assert pin_factory() is factory  # made once, shared, and closed by gpiozero at exit
    finally:
        factory.close()


def test_pins_that_cannot_be_opened_leave_the_station_serving_and_say_why(tmp_path, monkeypatch) -> None:
    from station.camera.sources import SimSource
    from station.runtime.station import Station

    # The switch on the red light's pin: refused when staff save it, so made here as a settings row
    # written before that rule would be.
    clash = dataclasses.replace(Settings(), switch_pin=5)
    devices = Devices.open(clash, mock=True)
    assert devices.problem and "cannot be opened" in devices.problem and "in use" in devices.problem.lower()
    assert devices.switch is None and devices.buzzer is None and not devices.mock
    devices.lights.show("good")  # drives nothing, raises nothing
    station = Station(clash, SimSource(fast=True), data_dir=tmp_path, devices=devices)
    health = station.health()
    assert health["pins"] == devices.problem and devices.problem in (station.service or "")
    with pytest.raises(RuntimeError, match="no virtual wall switch"):
        station.press_switch(True)
    station.stop()

    import station.runtime.devices as module

    def no_chip(mock=None):
        raise OSError("can not open gpiochip")

    monkeypatch.setattr(module, "pin_factory", no_chip)
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "lgpio")
    broken = Devices.open(Settings())
    assert broken.pins.startswith("lgpio: the pins cannot be opened (OSError: can not open gpiochip)")


def test_a_pi_is_known_by_either_device_tree_file(tmp_path) -> None:
    from station.runtime.devices import describe_pins, pi_model

    proc, sys_model = tmp_path / "proc-model", tmp_path / "sys-model"
    sys_model.write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\0")
    assert pi_model((proc, sys_model)) == "Raspberry Pi 5 Model B Rev 1.0"  # /proc hidden (ProcSubset)
    assert pi_model((proc,)) is None
    assert describe_pins(pin_factory(mock=True)).startswith("mock")
