"""The coach: one pure step per frame. SKELETON - the rules land in the next commits.

    >>> from station.settings import Settings
    >>> coach = Coach(Settings())
    >>> step = coach.step(0.0, None, None, None)
    >>> step.snapshot.phase
    'away'
"""

from __future__ import annotations

from dataclasses import dataclass

from station.coach.events import Event, Snapshot
from station.coach.geometry import Line
from station.pose.landmarks import Pose
from station.settings import Settings


@dataclass(frozen=True)
class Step:
    snapshot: Snapshot
    events: tuple[Event, ...]


class Coach:
    """Pure and deterministic: no I/O, no clock, no threads. Feed it frames in time order."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def update_settings(self, settings: Settings) -> None:
        """New thresholds apply from the next step on (a rep in progress keeps its baseline)."""
        self.settings = settings

    def step(self, t: float, pose: Pose | None, dowel: Line | None, wall_contact: bool | None) -> Step:
        snap = Snapshot(
            t=t, phase="away", set_no=0, reps=0, good=0, depth=0.0,
            contacts={"head": None, "upper_back": None, "sacrum": None}, cue="Step up to the wall",
            last_verdict=None, last_faults=(), view=None, facing=None, wall_contact=wall_contact,
        )
        return Step(snap, ())
