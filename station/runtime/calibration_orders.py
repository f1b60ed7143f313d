"""Staff's calibration steps, between the web threads that give them and the loop that measures.

A web thread calls :meth:`CalibrationOrders.calibrate` (suggested settings from what the loop last
published, or an order to start or stop the wall measurement) and follows the wall measurement
with :meth:`CalibrationOrders.progress`. The loop feeds the measurement from its frames with
:meth:`CalibrationOrders.measure` and publishes the result in its :class:`LoopView`. The two sides
share only the last order, a (number, start or stop) tuple replaced whole; the loop owns the
:class:`WallHold` it makes from it.

    >>> from station.config.settings import Settings
    >>> orders = CalibrationOrders()
    >>> orders.progress(LoopView()) is None  # nothing asked
    True
    >>> orders.calibrate("wall", LoopView(), Settings())
    {'step': 'wall'}
    >>> orders.progress(LoopView()).state  # asked, the loop has not seen it yet
    'starting'
    >>> orders.measure(0.0, None, None, None).state, orders.seen
    ('stand', 1)
    >>> orders.calibrate("done", LoopView(), Settings()); orders.progress(LoopView()) is None
    {'step': 'done'}
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from station.coach.calibration import HoldProgress, WallHold, hip_travel, suggest
from station.runtime.hub import LoopView

if TYPE_CHECKING:
    from station.coach.signals import Baseline
    from station.config.settings import Settings
    from station.pose.landmarks import Pose


class CalibrationOrders:
    """See the module docstring."""

    def __init__(self) -> None:
        self.calibrating = False  # staff are calibrating: the preview shows even when turned off
        # Staff's last wall-measurement order (number, start or stop), written by a web thread.
        self._order = (0, False)
        self._wall: WallHold | None = None  # the loop's
        self.seen = 0  # the last order the loop acted on; published as LoopView.wall_order

    # ---------------------------------------------------------------- web threads
    def calibrate(self, step: str, view: LoopView, settings: Settings,
                  ask_wall: Callable[[], None] | None = None) -> dict[str, Any]:
        """Suggested settings from what the camera sees now (``side``, ``dowel``); ``wall`` starts a
        measurement over the member's hold at the wall, which :meth:`progress` follows, and asks
        ``ask_wall`` (the demo's trainee does as staff ask); ``done`` ends calibrating."""
        self.calibrating = step != "done"
        if step in ("wall", "done"):
            self._order = (self._order[0] + 1, step == "wall")
            if step == "wall" and ask_wall is not None:
                ask_wall()
            return {"step": step}
        return suggest(step, view.baseline, view.pose, view.rgb, settings)

    def progress(self, view: LoopView) -> HoldProgress | None:
        """The wall measurement staff asked for last, as the loop last published it in ``view``
        (None: none asked, or stopped)."""
        number, on = self._order
        if not on:
            return None
        return view.wall if view.wall is not None and view.wall_order == number else HoldProgress("starting")

    # ---------------------------------------------------------------- the loop
    def measure(self, t: float, pose: Pose | None, baseline: Baseline | None,
                switch: bool | None) -> HoldProgress | None:
        """Staff's wall measurement, fed this frame's hip travel (the loop's thread: it owns the hold)."""
        number, on = self._order
        if number != self.seen:
            self.seen = number
            self._wall = WallHold(t) if on else None
        if self._wall is None:
            return None
        self._wall.add(t, hip_travel(pose, baseline), switch)
        return self._wall.progress()
