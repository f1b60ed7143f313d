"""Proof of standing at the station: the wall switch held down for a few seconds while no set is
in progress.

Staff who forgot their password (or are setting up the first account) hold the wall switch by
hand; the loop notices the long hold here and publishes it (:class:`Hold`, replaced whole, and
its count in the snapshot); the web side then shows a one-time code on the station's own screen
(web/staff/recover.py). The coach never sees any of it: a hold is not a rep.

    >>> hold = SwitchHold(hold_s=5.0)
    >>> [hold.step(t, pressed=True, in_rep=False).count for t in (0.0, 4.9, 5.0, 9.0)]
    [0, 0, 1, 1]
    >>> hold.step(9.5, pressed=False, in_rep=False).count, hold.step(10, True, False).count
    (1, 1)
    >>> hold.step(15, pressed=True, in_rep=False).count  # released and held again: a new hold
    2
    >>> hold.step(16, True, True).count, hold.step(22, True, False).count  # a rep resets the count-down
    (2, 2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Long enough that no touch of the drill comes near it (a rep's touch lasts well under a second
# and the coach's whole rep has a few seconds), short enough to hold by hand without fuss.
HOLD_S = 5.0


@dataclass(frozen=True)
class Hold:
    """The newest long hold: how many since the station started, and when (monotonic seconds)."""

    count: int = 0
    at: float = -math.inf


class SwitchHold:
    """Notices a press of the wall switch that lasts ``hold_s`` with no set in progress; one hold
    per press (a switch stuck closed counts once)."""

    def __init__(self, hold_s: float = HOLD_S) -> None:
        self.hold_s = hold_s
        self.last = Hold()
        self._since: float | None = None
        self._counted = False

    def step(self, now: float, pressed: bool | None, in_rep: bool) -> Hold:
        """One look at the switch (each frame, or while the camera is offline); the newest hold."""
        if in_rep:  # a member's rep: the touch is the drill's, never a hold; start again after it
            self._since, self._counted = None, True
            return self.last
        if not pressed:
            self._since, self._counted = None, False
            return self.last
        if self._since is None:
            self._since = now
        if not self._counted and now - self._since >= self.hold_s:
            self._counted = True
            self.last = Hold(self.last.count + 1, now)
        return self.last
