"""A fresh coach over a sequence of frames: how replay, evaluate, the simulator's score and the
int8 gate all run the coach offline, so each gets the same reps from the same frames.

    >>> from station.config.settings import Settings
    >>> list(coach_over([Frame(0.0, None), Frame(0.1, None)], Settings()))
    []
    >>> reps_over([], Settings())
    []
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from station.coach.coach import Coach
from station.coach.events import Event, RepFinished
from station.coach.geometry import Line
from station.config.settings import Settings
from station.pose.landmarks import Pose


class CoachFrame(Protocol):
    """What the coach reads of a frame (a pose stream's, the simulator's, or a :class:`Frame`)."""

    @property
    def t(self) -> float: ...
    @property
    def pose(self) -> Pose | None: ...
    @property
    def dowel(self) -> Line | None: ...
    @property
    def wall_contact(self) -> bool | None: ...


@dataclass(frozen=True)
class Frame:
    """A frame made by hand: a time and a pose, no dowel seen, no switch."""

    t: float
    pose: Pose | None
    dowel: Line | None = None
    wall_contact: bool | None = None


def coach_over(frames: Iterable[CoachFrame], settings: Settings) -> Iterator[Event]:
    """Every event of a fresh coach over ``frames``, in order. Lazy: a frame is read only when the
    events before it have been taken, so a live stream's events come out as its frames come in."""
    coach = Coach(settings)
    for f in frames:
        yield from coach.step(f.t, f.pose, f.dowel, f.wall_contact).events


def reps_over(frames: Iterable[CoachFrame], settings: Settings) -> list[RepFinished]:
    """The reps a fresh coach finishes over ``frames``, with their verdicts and faults."""
    return [e for e in coach_over(frames, settings) if isinstance(e, RepFinished)]
