"""What the lights on the wall show, decided from the coach's phase and events.

The member reads the result of a rep from the lights while already walking off or starting the
next one, so a result stays up for ``result_hold_s`` unless a new rep begins; the wall touch
lights amber-and-green at once, straight from the switch's callback.

    >>> from station.runtime.devices import Devices, pin_factory
    >>> from station.config.settings import Settings
    >>> devices = Devices.from_settings(Settings(), factory=pin_factory(mock=True))
    >>> policy = LightPolicy(devices, hold_s=1.5)
    >>> policy.after_step((), Phase.READY, now=0.0); devices.lights.values()["green"] > 0
    True
    >>> devices.close()
"""

from __future__ import annotations

from collections.abc import Iterable

from station.coach.events import Event, RepFinished, WallTouched
from station.coach.vocabulary import Phase, Verdict
from station.runtime.devices import Devices

# The pattern each phase shows (devices.PATTERNS); coming back up looks like going down.
PHASE_PATTERN = {Phase.AWAY: "away", Phase.READY: "ready", Phase.HINGING: "hinging",
                 Phase.AT_WALL: "at_wall", Phase.RETURNING: "hinging"}
# The pattern each verdict shows while it is held (devices.PATTERNS).
RESULT_PATTERN = {Verdict.GOOD: "good", Verdict.FAULT: "fault", Verdict.UNJUDGED: "unjudged"}


class LightPolicy:
    """Sets the lights (and the buzzer, when fitted) after every step of the coach."""

    def __init__(self, devices: Devices, hold_s: float) -> None:
        self.devices = devices
        self.hold_s = hold_s
        self._result_until = 0.0
        self._phase = Phase.AWAY

    def after_step(self, events: Iterable[Event], phase: Phase, now: float) -> None:
        """``now`` is monotonic seconds: a rep's result is held that long from its end."""
        self._phase = phase
        lights, buzzer = self.devices.lights, self.devices.buzzer
        for e in events:
            if isinstance(e, RepFinished):
                lights.show(RESULT_PATTERN[e.verdict])
                self._result_until = now + self.hold_s
                if buzzer is not None:
                    buzzer.beep(e.verdict)
            elif isinstance(e, WallTouched):
                lights.show("at_wall")
        if now < self._result_until and phase in (Phase.READY, Phase.AWAY):
            return
        lights.show(PHASE_PATTERN[phase])

    def switch_changed(self, pressed: bool) -> None:
        """From the pin's callback: the member sees the wall touch at once, not a frame later."""
        if pressed and self._phase == Phase.HINGING:
            self.devices.lights.show("at_wall")

    def camera_offline(self) -> None:
        self.devices.lights.show("camera_offline")

    def values(self) -> dict[str, float]:
        """The lights' brightness, all off once the pins are closed (the station stopped)."""
        try:
            return self.devices.lights.values()
        except Exception:  # gpiozero raises its own closed-device errors
            return {"red": 0.0, "amber": 0.0, "green": 0.0}
