"""The bring-up steps that need a person at the wall: press the pad, is the red light on?

On real pins the station drives a part and a person answers (or presses the pad while the pin
is watched). With virtual pins (gpiozero's MockFactory: the demo, tests) nobody can see a light,
so the step drives the pin and reads it back, and says so in its outcome.

    >>> from station.config.settings import Settings
    >>> from station.runtime.devices import Devices, pin_factory
    >>> devices = Devices.from_settings(Settings(), factory=pin_factory(mock=True))
    >>> walk = Walkthrough(devices, Settings())
    >>> walk.virtual, walk.check_virtual("light_red").outcome
    (True, 'pass')
    >>> walk.question("light_red")
    'Is the red light on?'
    >>> devices.close()
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from station.bringup.results import Result
from station.config.settings import Settings
from station.runtime.devices import Devices

# The person-steps, in the order the page and the shell walk through them.
STEPS = ("switch", "light_red", "light_amber", "light_green", "buzzer")
TITLES = {"switch": "Wall switch", "light_red": "Red light", "light_amber": "Amber light",
          "light_green": "Green light", "buzzer": "Buzzer"}
QUESTIONS = {"light_red": "Is the red light on?", "light_amber": "Is the amber light on?",
             "light_green": "Is the green light on?", "buzzer": "Do you hear the buzzer beeping?"}
VIRTUAL = "virtual pins: checked by reading the pin"

PRESS_S = 10.0  # how long "press the pad now" waits: time to walk to the wall and lean back
SAMPLE_S = 0.0005  # the raw pin is read about every millisecond (sleep plus the read itself)
# Contact bounce lasts a few ms on a pad or tape switch; edges within 50 ms of the first one
# belong to the same press (a person cannot press twice that fast).
BOUNCE_WINDOW_S = 0.05
STABLE_S = 0.1  # released this long after a press: the press is over
BEEPS = 6  # the buzzer beeps 6 x 0.5 s while its question is asked, then stops by itself
# While a light's question waits, the coach's patterns do not touch the lights (someone moving
# in front of the camera would change them); two minutes, then the wall is the coach's again.
HOLD_S = 120.0


@dataclass
class PressWatch:
    """What the raw switch pin did while a press was awaited: level changes as (seconds since the
    start, level) with 0 = closed (pull-up to 3.3 V, the switch pulls it to ground)."""

    started: float
    edges: list[tuple[float, int]] = field(default_factory=list)

    def bounce(self, closed: int) -> tuple[int, float] | None:
        """(edges, spread in ms) of the first change to ``closed`` (0 the press, 1 the release)
        and the changes within :data:`BOUNCE_WINDOW_S` after it; None when it never changed so."""
        first = next((t for t, level in self.edges if level == closed), None)
        if first is None:
            return None
        burst = [t for t, _ in self.edges if first <= t <= first + BOUNCE_WINDOW_S]
        return len(burst), round((burst[-1] - first) * 1000, 1)


class Walkthrough:
    """The person-steps over one station's devices (see the module docstring)."""

    def __init__(self, devices: Devices, settings: Settings,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.devices = devices
        self.settings = settings
        self._clock, self._sleep = clock, sleep

    @property
    def virtual(self) -> bool:
        """The pins are gpiozero's MockFactory: the steps read the pins instead of asking."""
        return self.devices.mock and not self.devices.problem

    def question(self, name: str) -> str:
        if name == "switch":
            return f"Press the pad on the wall now (within {PRESS_S:.0f} s), then let go."
        return QUESTIONS[name]

    def part(self, name: str) -> Any:
        """The gpiozero device of a step, None when it is not fitted."""
        if name == "switch":
            return self.devices.switch
        if name == "buzzer":
            return self.devices.buzzer
        return getattr(self.devices.lights.leds, name.removeprefix("light_"))

    def not_fitted(self, name: str) -> Result | None:
        """A skipped result when the part is not fitted (settings) or the pins are not open."""
        if self.devices.problem:
            return Result(name, TITLES[name], "fail", f"the pins are not open: {self.devices.problem}")
        if self.part(name) is None:
            setting = "switch_enabled" if name == "switch" else "buzzer_enabled"
            return Result(name, TITLES[name], "skipped", f"not fitted ({setting} is off)")
        return None

    def unanswered(self, name: str) -> Result:
        """Nobody answered: recorded as asked, which is not a pass."""
        return self.not_fitted(name) or Result(
            name, TITLES[name], "asked", f"not answered: {self.question(name)} (answer it on the staff "
            "page or run `station selftest` on a terminal)")

    # ------------------------------------------------------------ virtual pins
    def check_virtual(self, name: str) -> Result:
        """Drive the part's mock pin and read it back (virtual pins only)."""
        skipped = self.not_fitted(name)
        if skipped is not None:
            return skipped
        if not self.virtual:
            raise RuntimeError("real pins: a person must answer this step")
        if name == "switch":
            return self._virtual_switch()
        part = self.part(name)
        device = part.buzzer if name == "buzzer" else part  # the gpiozero device under our Buzzer
        lights = self.devices.lights
        # Under the lights' lock: the loop's pattern change cannot come between on and the read.
        with lights._lock:
            before = device.value
            device.on()
            on = float(device.pin.state)
            device.off()
            off = float(device.pin.state)
            device.value = before
        self._lights_back()
        ok = on > 0 and off == 0
        pin = device.pin.info.name if hasattr(device.pin, "info") else str(device.pin)
        return Result(name, TITLES[name], "pass" if ok else "fail",
                      f"{VIRTUAL} ({pin}: {on:g} when on, {off:g} when off)",
                      {"pin": pin, "on": on, "off": off})

    def _virtual_switch(self) -> Result:
        switch = self.devices.switch
        assert switch is not None
        pin = switch.button.pin
        was_closed = pin.state == 0
        switch.press()
        seen = bool(switch.button.is_pressed)
        switch.release()
        opened = not switch.button.is_pressed
        if was_closed:  # the demo's trainee was at the wall: leave the pad as it found it
            switch.press()
        name = pin.info.name if hasattr(pin, "info") else str(pin)
        ok = seen and opened
        return Result("switch", TITLES["switch"], "pass" if ok else "fail",
                      f"{VIRTUAL} ({name}: pressed {'seen' if seen else 'NOT seen'}, released "
                      f"{'seen' if opened else 'NOT seen'}; virtual pins do not bounce)",
                      {"pin": name, "seen": seen, "bounce_edges": None, "bounce_ms": None})

    # ------------------------------------------------------------ a person answers
    def show(self, name: str) -> None:
        """Turn the part on for its question (the buzzer beeps a few times, then stops)."""
        device = self.part(name)
        if device is None or name == "switch":
            return
        if name == "buzzer":
            device.buzzer.blink(on_time=0.25, off_time=0.25, n=BEEPS, background=True)
            return
        lights = self.devices.lights
        with lights._lock:
            lights.held_until = time.monotonic() + HOLD_S  # the clock show() reads
            for led in lights.leds:  # only the asked light on: "is the red one on?" means that one
                led.off()
            device.on()

    def answer(self, name: str, yes: bool) -> Result:
        """The person's answer to the part's question; the part goes off again."""
        skipped = self.not_fitted(name)
        if skipped is not None:
            return skipped
        device = self.part(name)
        (device.buzzer if name == "buzzer" else device).off()
        self._lights_back()
        pin = getattr(self.settings, f"{name}_pin")
        if yes:
            return Result(name, TITLES[name], "pass", f"{self.question(name)} yes (GPIO {pin})", {"pin": pin})
        return Result(name, TITLES[name], "fail", f"{self.question(name)} no: check the wiring from GPIO "
                      f"{pin} (hardware/wiring.md) and the part itself", {"pin": pin})

    def _lights_back(self) -> None:
        """The loop's next step shows its pattern again (show() skips an unchanged pattern)."""
        lights = self.devices.lights
        with lights._lock:
            lights.pattern = ""
            lights.held_until = 0.0

    def watch_press(self, seconds: float = PRESS_S,
                    stop: Callable[[], bool] = lambda: False) -> Result:
        """Wait up to ``seconds`` for a press of the real pad, reading the raw pin about every
        millisecond to see its bounce (gpiozero's debounced callbacks hide it); return once it is
        released again (or the time is up). Bounces shorter than the sampling (about 1 ms) are not
        seen."""
        skipped = self.not_fitted("switch")
        if skipped is not None:
            return skipped
        switch = self.devices.switch
        assert switch is not None
        pin, debounce = switch.button.pin, self.settings.switch_debounce_ms
        figures: dict[str, Any] = {"pin": self.settings.switch_pin, "debounce_ms": debounce}
        if pin.state == 0:
            return Result("switch", TITLES["switch"], "fail", "closed before the press: the pad is held, "
                          "stuck, or wired normally-closed", {**figures, "seen": False})
        watch = PressWatch(self._clock())
        level, released_at = 1, None
        while not stop():
            now = self._clock() - watch.started
            state = int(pin.state)
            if state != level:
                watch.edges.append((now, state))
                level = state
                released_at = now if state == 1 else None
            if released_at is not None and now - released_at >= STABLE_S:
                break  # pressed and let go
            if now >= seconds and level == 1:
                break
            if now >= seconds + 5.0:  # still held 5 s after the window: stop watching
                break
            self._sleep(SAMPLE_S)
        press, release = watch.bounce(0), watch.bounce(1)
        figures |= {"seen": press is not None, "edges": len(watch.edges),
                    "bounce_edges": press[0] if press else None, "bounce_ms": press[1] if press else None,
                    "release_bounce_ms": release[1] if release else None}
        if press is None:
            return Result("switch", TITLES["switch"], "fail", f"no press seen in {seconds:.0f} s: check the "
                          f"wiring from GPIO {self.settings.switch_pin} to the pad and to GND", figures)
        worst = max(press[1], release[1] if release else 0.0)
        words = (f"press seen; bounce {press[0] - 1} extra edges over {press[1]:g} ms on the press"
                 + (f", {release[1]:g} ms on the release" if release else ", still held"))
        if worst > debounce:
            return Result("switch", TITLES["switch"], "warn", f"{words}: longer than the {debounce:g} ms "
                          f"debounce; raise Wall switch debounce to {worst * 1.5:.0f} ms", figures)
        return Result("switch", TITLES["switch"], "pass", f"{words} (debounce {debounce:g} ms)", figures)
