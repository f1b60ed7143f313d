"""The station's pins: the wall switch, the feedback lights and an optional buzzer (gpiozero).

On a Pi the pins are real (``GPIOZERO_PIN_FACTORY=lgpio``); anywhere else gpiozero's own
MockFactory stands in, and the demo drives the virtual switch with :meth:`WallSwitch.press`.

    >>> from station.config.settings import Settings
    >>> devices = Devices.from_settings(Settings(), factory=pin_factory(mock=True))
    >>> devices.lights.show("good"); devices.lights.values()["green"]
    1.0
    >>> devices.close()
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpiozero import Button, Device, TrafficLights
from gpiozero import Buzzer as _GpioBuzzer
from gpiozero.pins.mock import MockFactory, MockPWMPin

from station.config.settings import Settings

PATTERNS = ("off", "away", "ready", "hinging", "at_wall", "good", "fault", "unjudged", "camera_offline")


# The same file twice: /proc/device-tree links to the sysfs one, and a sandbox may hide either
# (systemd's ProcSubset=pid hides the /proc one).
MODEL_FILES = (Path("/proc/device-tree/model"), Path("/sys/firmware/devicetree/base/model"))


def pi_model(files: tuple[Path, ...] = MODEL_FILES) -> str | None:
    """The Raspberry Pi's model as its device tree says ("Raspberry Pi 5 Model B Rev 1.0"), else None."""
    for path in files:
        try:
            model = path.read_text(errors="ignore").strip("\0\n ")
        except OSError:
            continue
        if "Raspberry Pi" in model:
            return model
    return None


def on_pi() -> bool:
    """True on a Raspberry Pi (its device tree says so)."""
    return pi_model() is not None


# The gpiochip that drives the 40-pin header, by its label: RP1's on a Pi 5 (and CM5), the SoC's on a
# Pi 4 (BCM2711) and on earlier Pis (BCM2835/6/7 all use the bcm2835 driver). Its number is not
# fixed: Raspberry Pi OS kernels gave RP1 gpiochip4, then gpiochip0 (raspberrypi/linux #6144, a DT
# alias), and from 6.12.96 only gpiochip11-15 exist (the alias patch broke; raspberrypi/linux #7341),
# while gpiozero still guesses 4 or 0 (gpiozero issue #1166). The label is the one thing that stays.
HEADER_CHIP_LABELS = ("pinctrl-rp1", "pinctrl-bcm2711", "pinctrl-bcm2835")
SYS = Path("/sys")
_CHIP_NAME = re.compile(r"gpiochip(\d+)")


def _label(path: Path) -> str | None:
    try:
        return path.read_text(errors="ignore").strip("\0\n ") or None
    except OSError:
        return None


def gpiochips(sys_root: Path = SYS) -> dict[int, str]:
    """Each gpiochip's number (as in /dev/gpiochipN) and label, from sysfs; {} when sysfs shows none.

    The numbers come from the gpio bus (``/sys/bus/gpio/devices/gpiochipN``, one per character
    device, on every kernel with GPIO_CDEV). That directory holds no label, so the label comes from
    the GPIO sysfs class: ``/sys/class/gpio/chipN/label`` on kernels from 6.17 (named by the same
    number), else the legacy ``gpiochip<base>/label``, which the kernel puts under the chip's parent
    device (``<parent>/gpio/gpiochip<base>``) beside the bus's ``<parent>/gpiochipN``: current
    Raspberry Pi OS kernels (6.12, CONFIG_GPIO_SYSFS=y) have only this one. A parent with several
    chips (the Pi 5's brcmstb banks) cannot be paired that way and is left out; the header chips
    are one chip per parent. (The same label is in GPIO_GET_CHIPINFO_IOCTL's answer on
    /dev/gpiochipN, which would need the device opened; sysfs needs nothing.)
    """
    found: dict[int, str] = {}
    try:
        entries = sorted((sys_root / "bus/gpio/devices").iterdir())
    except OSError:
        return found
    for entry in entries:
        match = _CHIP_NAME.fullmatch(entry.name)
        if match is None:
            continue
        number = int(match.group(1))
        label = _label(sys_root / f"class/gpio/chip{number}/label")
        if label is None:
            label = _legacy_label(entry.resolve())
        if label is not None:
            found[number] = label
    return found


def _legacy_label(device: Path) -> str | None:
    """The legacy class entry's label for the chip at ``device`` (its real sysfs directory)."""
    # Under the parent as a rule; under the chip itself for a chip registered without a parent.
    for folder in (device.parent / "gpio", device / "gpio"):
        try:
            legacy = [d for d in folder.iterdir() if d.name.startswith("gpiochip")]
        except OSError:
            continue
        return _label(legacy[0] / "label") if len(legacy) == 1 else None
    return None


def header_chip(sys_root: Path = SYS) -> int | None:
    """The number of the gpiochip behind the 40-pin header (by label), or None when none is seen."""
    chips = gpiochips(sys_root)
    for wanted in HEADER_CHIP_LABELS:
        for number, label in sorted(chips.items()):
            if label == wanted:
                return number
    return None


def pin_factory(mock: bool | None = None, sys_root: Path | None = None) -> Any:
    """gpiozero's default factory on a Pi (or when GPIOZERO_PIN_FACTORY says which), else a MockFactory.

    The default factory is gpiozero's own ``Device.pin_factory`` (made on first use), which
    gpiozero closes at exit. For lgpio (named, or gpiozero's first choice when none is) it is made
    here on the header's gpiochip found by label (:func:`header_chip`), not on gpiozero's guess;
    gpiozero honours that chip from 2.0.1.post1 (2.0 and 2.0.1 overwrite the argument).
    """
    if mock is None:
        mock = not (on_pi() or os.environ.get("GPIOZERO_PIN_FACTORY"))
    if mock:
        return MockFactory(pin_class=MockPWMPin)
    named = os.environ.get("GPIOZERO_PIN_FACTORY")
    if Device.pin_factory is None and (named or "lgpio").strip().lower() == "lgpio":
        chip = header_chip(sys_root or SYS)
        if chip is not None:
            try:
                from gpiozero.pins.lgpio import LGPIOFactory

                Device.pin_factory = LGPIOFactory(chip=chip)
            except Exception:
                if named:  # lgpio was asked for by name: its failure is the answer, as gpiozero's is
                    raise
                # else gpiozero tries its other factories below, warning as it does
    Device.ensure_pin_factory()
    return Device.pin_factory


def describe_pins(factory: Any, problem: str | None = None, sys_root: Path | None = None) -> str:
    """The pin factory and its state in a few words, for health and the rig: never a silent mock.

    A real factory shows its gpiochip and that chip's label (``lgpio: gpiochip13 (pinctrl-rp1)``),
    so a station on the wrong chip is seen on the health page."""
    if problem:
        return problem
    if isinstance(factory, MockFactory):
        return "mock: virtual pins (not a Raspberry Pi)"
    name = type(factory).__name__.removesuffix("Factory").lower()
    chip = getattr(factory, "_chip", None)
    if chip is None:
        return f"{name}: open"
    label = gpiochips(sys_root or SYS).get(chip) if isinstance(chip, int) else None
    return f"{name}: gpiochip{chip} ({label or 'label unknown'})"


class WallSwitch:
    """The pressure switch on the wall: closed (pressed) while the buttocks touch it.

    Wired from its GPIO to ground with the internal pull-up, debounced by gpiozero. ``stuck`` turns
    true when it stays closed for ``stuck_s`` with no hinging seen (:meth:`note_activity`).
    """

    def __init__(self, pin: int, *, debounce_ms: float, stuck_s: float, factory: Any,
                 on_change: Callable[[bool], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        bounce = debounce_ms / 1000.0 if debounce_ms > 0 else None
        self.button = Button(pin, pull_up=True, bounce_time=bounce, pin_factory=factory)
        self.stuck_s = stuck_s
        self.on_change = on_change
        self._clock = clock
        self._since: float | None = None
        self._mock = isinstance(factory, MockFactory)
        self.button.when_pressed = lambda: self._changed(True)
        self.button.when_released = lambda: self._changed(False)

    def _changed(self, pressed: bool) -> None:
        self._since = self._clock() if pressed else None
        if self.on_change is not None:
            self.on_change(pressed)

    @property
    def pressed(self) -> bool:
        return bool(self.button.is_pressed)

    @property
    def stuck(self) -> bool:
        return self._since is not None and self.pressed and self._clock() - self._since > self.stuck_s

    def note_activity(self) -> None:
        """Somebody is hinging: a closed switch is in use, not stuck."""
        if self._since is not None:
            self._since = self._clock()

    def press(self) -> None:
        """Close the virtual switch (mock pins only: the demo, tests, the simulator)."""
        self._mock_pin().drive_low()

    def release(self) -> None:
        self._mock_pin().drive_high()

    def _mock_pin(self) -> Any:
        if not self._mock:
            raise RuntimeError("the wall switch is a real pin: only a person can press it")
        return self.button.pin

    def close(self) -> None:
        self.button.close()


class FeedbackLights:
    """Red, amber and green lights on the wall, in patterns the member learns at a glance."""

    def __init__(self, red: int, amber: int, green: int, *, pwm: bool, factory: Any) -> None:
        self.leds = TrafficLights(red, amber, green, pwm=pwm, pin_factory=factory)
        self.pwm = pwm
        self.pattern = "off"
        self._lock = threading.Lock()
        # Until this monotonic time the coach's patterns wait: the bring-up has a light on and
        # asks a person whether it is (station/bringup/walkthrough.py).
        self.held_until = 0.0

    def show(self, pattern: str) -> None:
        if pattern not in PATTERNS:
            raise ValueError(f"unknown light pattern {pattern!r}")
        with self._lock:
            if pattern == self.pattern or time.monotonic() < self.held_until:
                return
            self.pattern = pattern
            red, amber, green = self.leds.red, self.leds.amber, self.leds.green
            on = {"ready": (0, 0, 0.3 if self.pwm else 1), "hinging": (0, 1, 0), "at_wall": (0, 1, 1),
                  "good": (0, 0, 1), "fault": (1, 0, 0)}.get(pattern, (0, 0, 0))
            if pattern == "camera_offline":
                amber.off()
                green.off()
                if self.pwm:
                    red.pulse(fade_in_time=0.6, fade_out_time=0.6)
                else:
                    red.blink(on_time=0.5, off_time=0.5)
                return
            if pattern == "unjudged":
                # Counted, not judged: amber flashing, apart from the steady amber of a hinge in
                # progress and from the red and green verdicts (the member looks at the page).
                red.off()
                green.off()
                amber.blink(on_time=0.25, off_time=0.25)
                return
            for led, value in zip((red, amber, green), on, strict=True):
                if self.pwm:
                    led.value = value
                elif value:
                    led.on()
                else:
                    led.off()

    def values(self) -> dict[str, float]:
        """Each light's brightness, 0..1 (the demo page draws these)."""
        return {name: round(float(getattr(self.leds, name).value), 3) for name in ("red", "amber", "green")}

    def close(self) -> None:
        self.leds.close()


class Buzzer:
    """An optional buzzer: one short beep for a good rep, two for a fault, one long tone for a rep
    counted but not judged."""

    def __init__(self, pin: int, *, factory: Any) -> None:
        self.buzzer = _GpioBuzzer(pin, pin_factory=factory)

    def beep(self, verdict: str) -> None:
        if verdict == "unjudged":  # counted, not judged: one long tone, neither verdict's
            self.buzzer.blink(on_time=0.4, off_time=0.1, n=1, background=True)
            return
        n = 1 if verdict == "good" else 2
        self.buzzer.blink(on_time=0.08, off_time=0.08, n=n, background=True)

    @property
    def value(self) -> float:
        return float(self.buzzer.value)

    def close(self) -> None:
        self.buzzer.close()


class Devices:
    """The switch, lights and buzzer as the settings describe them."""

    def __init__(self, switch: WallSwitch | None, lights: FeedbackLights, buzzer: Buzzer | None,
                 mock: bool, pins: str = "", problem: str | None = None) -> None:
        self.switch, self.lights, self.buzzer, self.mock = switch, lights, buzzer, mock
        self.pins = pins or ("mock: virtual pins" if mock else "real pins")
        # What staff must fix: the pins could not be opened, so the lights, switch and buzzer do
        # nothing (the station coaches on the page alone). None when the pins work.
        self.problem = problem

    @classmethod
    def from_settings(cls, settings: Settings, *, factory: Any = None,
                      on_switch: Callable[[bool], None] | None = None) -> Devices:
        factory = factory if factory is not None else pin_factory()
        s = settings
        made: list[Any] = []  # closed again if a later pin fails, so no pin stays claimed
        try:
            switch = None
            if s.switch_enabled:
                switch = WallSwitch(s.switch_pin, debounce_ms=s.switch_debounce_ms, stuck_s=s.switch_stuck_s,
                                    factory=factory, on_change=on_switch)
                made.append(switch)
            lights = FeedbackLights(s.light_red_pin, s.light_amber_pin, s.light_green_pin, pwm=s.lights_pwm,
                                    factory=factory)
            made.append(lights)
            buzzer = Buzzer(s.buzzer_pin, factory=factory) if s.buzzer_enabled else None
        except Exception:
            for part in made:
                part.close()
            raise
        return cls(switch, lights, buzzer, isinstance(factory, MockFactory), describe_pins(factory))

    @classmethod
    def open(cls, settings: Settings, *, mock: bool = False) -> Devices:
        """The station's pins; never raises. Pins that cannot be opened (no chip, a pin in use, a
        clash between settings) give devices that drive nothing and say why in ``problem``, so
        the service keeps serving its page instead of crash-looping."""
        factory = None
        try:
            factory = pin_factory(mock=True if mock else None)
            return cls.from_settings(settings, factory=factory)
        except Exception as exc:  # gpiozero and lgpio raise many kinds; each is reported the same way
            name = (os.environ.get("GPIOZERO_PIN_FACTORY", "lgpio") if factory is None
                    else type(factory).__name__.removesuffix("Factory").lower())
            why = f"{name}: the pins cannot be opened ({type(exc).__name__}: {exc})"
        blind = cls.from_settings(settings.changed(switch_enabled=False, buzzer_enabled=False),
                                  factory=MockFactory(pin_class=MockPWMPin))
        problem = f"{why}; the lights, switch and buzzer are off"
        return cls(None, blind.lights, None, False, problem, problem)

    def close(self) -> None:
        for part in (self.switch, self.lights, self.buzzer):
            if part is not None:
                part.close()
