"""Where the loop leaves what it has to say, for any number of readers on other threads.

The loop publishes the newest snapshot (a dict that is never changed after publishing) and its
events; each reader holds a :class:`Subscription` and takes every recent event once, then the
newest snapshot. Publishing costs the same for one reader or fifty, and no reader can hold the
loop up: a slow one just skips snapshots.

    >>> hub = Hub()
    >>> sub = Subscription(hub, on_close=lambda s: None)
    >>> hub.publish({"type": "snapshot", "reps": 1}, [{"type": "event", "event": "rep_finished"}])
    >>> sub.get(timeout=0)["event"], sub.get(timeout=0)["reps"], sub.get(timeout=0)
    ('rep_finished', 1, None)
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from station.coach.calibration import HoldProgress
    from station.coach.signals import Baseline
    from station.pose.landmarks import Pose

EVENTS_KEPT = 64  # per hub, for a reader that falls behind

Message = dict[str, Any]


class Hub:
    """Where the loop leaves the newest snapshot and recent events: publishing costs the same for
    one consumer or fifty, and nobody's reading can hold the loop up."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.version = 0
        self.snapshot: Message | None = None
        self.events: collections.deque[tuple[int, Message]] = collections.deque(maxlen=EVENTS_KEPT)
        self.event_seq = 0

    def publish(self, snapshot: Message | None, events: list[Message]) -> None:
        with self.cond:
            for e in events:
                self.event_seq += 1
                self.events.append((self.event_seq, e))
            if snapshot is not None:
                self.snapshot = snapshot
                self.version += 1
            self.cond.notify_all()


class Subscription:
    """One consumer's view of the hub: every recent event once, then the newest snapshot."""

    def __init__(self, hub: Hub, on_close: Callable[[Subscription], None]) -> None:
        self._hub = hub
        with hub.cond:
            self._version = hub.version - 1 if hub.snapshot is not None else hub.version
            self._event_seq = hub.event_seq
        self._on_close = on_close
        self.dropped = 0  # snapshots that came and went before this consumer read one
        self.closed = False

    def _ready(self) -> bool:
        return self.closed or self._hub.version > self._version or self._hub.event_seq > self._event_seq

    def get(self, timeout: float | None = None) -> Message | None:
        """The next message: queued events first, then the newest snapshot; None on timeout."""
        hub = self._hub
        with hub.cond:
            if not self._ready():
                hub.cond.wait_for(self._ready, timeout)
            if hub.event_seq > self._event_seq:
                for seq, event in hub.events:
                    if seq > self._event_seq:
                        self._event_seq = seq
                        return event
                self._event_seq = hub.event_seq  # older events than the ring keeps are gone
            if hub.version > self._version:
                self.dropped += hub.version - self._version - 1
                self._version = hub.version
                return hub.snapshot
            return None

    def close(self) -> None:
        with self._hub.cond:
            self.closed = True
            self._hub.cond.notify_all()
        self._on_close(self)


@dataclass(frozen=True)
class LoopView:
    """What the loop saw last, published whole for other threads (calibration, staff preview):
    they read this value, never the loop's live objects. The picture is not written to again."""

    pose: Pose | None = None
    rgb: np.ndarray | None = None
    baseline: Baseline | None = None
    wall: HoldProgress | None = None  # the wall measurement under way or done, if any
    wall_order: int = 0  # which staff request ``wall`` answers (CalibrationOrders.progress)
