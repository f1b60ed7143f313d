"""The station rests when nobody is at the wall: a motion gate on a small grey frame decides
whether the pose engine runs on a camera frame.

Three states (:class:`Rest`): ``tracking`` (the engine found a person on the last frame it ran),
``watching`` (nobody found, but the scene moved within the last ``still_s``: the engine runs on
every frame) and ``resting`` (nobody, nothing moving: the engine runs only every
``detect_every_s``, or at once when the small frame changes). A frame the engine does not run on
goes to the coach as "nobody", exactly as a frame where the detector found nobody, so the
coach's results are the same as at full rate whenever the detector would have found nobody on
the frames the gate skipped: the scene did not change since it last looked and found nobody.

The small frame costs next to nothing: on a Pi it is the Y plane of Picamera2's low-resolution
("lores") stream, which the ISP scales in hardware (:mod:`station.camera.picamera`); elsewhere it
is the camera frame's green channel sampled at every 8th row and 4th column, averaged 2x4
(:func:`station.camera.small.small_grey`).

    >>> import numpy as np
    >>> gate = RestGate(still_s=1.0, detect_every_s=0.5)
    >>> wall = np.full((45, 80), 128, np.uint8)
    >>> [gate.should_detect(wall, i / 10) for i in range(13)][-3:]  # still for 1 s: then it rests
    [True, False, False]
    >>> gate.state
    <Rest.RESTING: 'resting'>
    >>> person = wall.copy(); person[10:40, 70:80] = 40  # someone steps in at the edge
    >>> gate.should_detect(person, 1.3), gate.state
    (True, <Rest.WATCHING: 'watching'>)
"""

from __future__ import annotations

import enum
import time
from typing import Any

import numpy as np

# A cell of the small frame (16x16 px of the picture, station/camera/small.py) has changed when its
# grey level moved by more than this. Camera noise of sigma up to 6 grey levels a pixel (a dim gym,
# high analogue gain) is sigma 2.1 after the small frame's average of 8 samples, and the difference
# of two such frames sigma 3.0 (times the square root of 2): 14 is 4.7 sigma, a chance of 3 in a
# million a cell, and never six cells at once. A person against a wall differs by tens of levels
# (the benchmark's walk-in: 30 to 120). A Pi's lores frame is averaged by the ISP, quieter still.
DIFF_LEVEL = 14
# ...and the scene moved when at least this many cells changed: 6 cells of 16x16 px is less than a
# hand at 3 m (about 30x60 px), more than the odd flickering cell of a compressed picture.
MOVED_CELLS = 6
# How long nothing moves and nobody is found before the station rests (RestGate's still_s): the
# coach's own ``away_s`` (3 s by default: "unseen this long ends the set"), so the station never
# rests in a set.
# The detector's cadence while resting: every 2 s finds a member the gate did not see arrive (e.g.
# one who stepped in while the picture was dark) within 2 s, less than the 3 s the coach waits
# (away_s) before it calls anyone gone, and costs 1/60 of the detector at 30 fps: some 0.7 % of one
# core here, half of what once a second cost (docs/figures.md, "A station that rests").
DETECT_EVERY_S = 2.0
# While resting the live pages get a snapshot at least this often even when nothing changed, so a
# page can tell the station is alive (the web's SSE keep-alive comes every 10 s; half of that).
SNAPSHOT_EVERY_S = 5.0


class Rest(enum.StrEnum):
    """What the station is doing about the scene."""

    RESTING = "resting"
    WATCHING = "watching"
    TRACKING = "tracking"


class RestGate:
    """Decides, frame by frame, whether the pose engine runs; see the module docstring.

    ``should_detect(small, t)`` before the engine, ``found(person, t)`` after it ran. ``enabled``
    False: the engine runs on every frame (the state is still kept, for health). Times are the
    frames' own (seconds), so a replay of a clip decides as the live station did.
    """

    def __init__(self, still_s: float = 3.0, detect_every_s: float = DETECT_EVERY_S,
                 enabled: bool = True) -> None:
        self.still_s = still_s
        self.detect_every_s = detect_every_s
        self.enabled = enabled
        self.state = Rest.WATCHING
        self._ref: np.ndarray | None = None  # what the scene looked like when last judged empty
        self._still_since: float | None = None
        self._next_detect = 0.0
        self.wakes = 0  # resting -> watching, since start

    def moved(self, small: np.ndarray) -> int:
        """How many cells of ``small`` changed since the reference frame (all when none)."""
        ref = self._ref
        if ref is None or ref.shape != small.shape:
            return small.size
        # numpy, not cv2.absdiff: see station.camera.small.block_mean (OpenCV's spinning threads).
        diff = np.abs(small.astype(np.int16) - ref)
        return int(np.count_nonzero(diff > DIFF_LEVEL))

    def should_detect(self, small: np.ndarray | None, t: float) -> bool:
        """Whether the engine runs on this frame (``small``: its small grey frame; None: no
        picture to judge, the engine runs)."""
        if small is None:
            return True
        if not self.enabled and self.state == Rest.RESTING:  # turned off while resting
            self.state = Rest.WATCHING
        if self.state == Rest.TRACKING:
            return True
        moving = self.moved(small) >= MOVED_CELLS
        if self.state == Rest.RESTING:
            if moving:
                self.state = Rest.WATCHING
                self.wakes += 1
                self._still_since, self._ref = t, small
                return True
            if t >= self._next_detect:
                # The detector looks once more; the reference follows slow light changes.
                self._next_detect, self._ref = t + self.detect_every_s, small
                return True
            return False
        # Watching: frame against frame; resting once nothing moved for still_s.
        self._ref = small
        if moving or self._still_since is None:
            self._still_since = t
        elif t - self._still_since >= self.still_s and self.enabled:
            self.state = Rest.RESTING
            self._next_detect = t + self.detect_every_s
        return True

    def found(self, person: bool, t: float) -> None:
        """The engine ran on the frame at ``t`` and found a person (or not)."""
        if person:
            self.state = Rest.TRACKING
        elif self.state == Rest.TRACKING:
            self.state = Rest.WATCHING
            self._still_since, self._ref = t, None


class LoopCpu:
    """The loop thread's CPU time per :class:`Rest` state: its share of one core while in each
    state (frame work only: reading the camera is left out), for the health page and /metrics.

        >>> cpu = LoopCpu()
        >>> cpu.add(Rest.TRACKING, 0.02, 0.033); cpu.add(Rest.TRACKING, 0.02, 0.033)
        >>> cpu.as_dict()["tracking"]
        60.6
    """

    WINDOW_S = 60.0  # each state's share is over its last minute or so (older time halves out)

    def __init__(self) -> None:
        self._cpu = {state: 0.0 for state in Rest}
        self._wall = {state: 0.0 for state in Rest}

    def add(self, state: Rest, cpu_s: float, wall_s: float) -> None:
        cpu, wall = self._cpu[state] + cpu_s, self._wall[state] + wall_s
        if wall > self.WINDOW_S:  # halve both: a decaying window that stays a plain ratio
            cpu, wall = cpu / 2, wall / 2
        self._cpu[state], self._wall[state] = cpu, wall

    def percent(self, state: Rest) -> float | None:
        wall = self._wall[state]
        return round(100 * self._cpu[state] / wall, 1) if wall > 0 else None

    def as_dict(self) -> dict[str, float | None]:
        return {str(state): self.percent(state) for state in Rest}


class Resting:
    """The loop's rest: the gate, its CPU by state, and when the live pages last got a snapshot.
    Written by the loop; web threads read :meth:`health` (plain values)."""

    def __init__(self, enabled: bool = True, still_s: float = 3.0) -> None:
        self.gate = RestGate(still_s=still_s, enabled=enabled)
        self.cpu = LoopCpu()
        self._last = time.monotonic()
        self.published_at = 0.0
        self.published: dict[str, Any] | None = None

    @property
    def state(self) -> Rest:
        return self.gate.state

    def tick(self, cpu_s: float) -> None:
        """A frame's work took ``cpu_s`` of the loop thread's CPU (``time.thread_time``; reading
        the camera left out): it goes to the state the frame was done in, over the time since the
        last frame."""
        now = time.monotonic()
        self.cpu.add(self.state, cpu_s, now - self._last)
        self._last = now

    def snapshot_due(self, snap: dict[str, Any], events: bool, now: float) -> bool:
        """Whether the live pages get this snapshot: always unless resting; resting, when it
        differs from the last one they got (its time aside), when there are events, or every
        :data:`SNAPSHOT_EVERY_S`."""
        if self.state != Rest.RESTING or events or now - self.published_at >= SNAPSHOT_EVERY_S:
            return True
        last = self.published
        return last is None or any(last.get(k) != v for k, v in snap.items() if k != "t")

    def sent(self, snap: dict[str, Any], now: float) -> None:
        self.published, self.published_at = snap, now

    def health(self) -> dict[str, Any]:
        """The health page's ``rest``: the state, how many times the station woke, and each
        state's loop CPU in percent of one core (camera reading left out)."""
        return {"rest": {"state": str(self.state), "enabled": self.gate.enabled, "wakes": self.gate.wakes,
                         "loop_cpu_percent": self.cpu.as_dict()}}
