"""What the coach tells the outputs: events (things that happened) and snapshots (how it looks now).

Events are small frozen values; outputs (lights, buzzer, web stream, rep log) subscribe to them.

    >>> RepFinished(t=4.2, set_no=1, rep=1, verdict="good", faults=(), metrics={}).as_dict()["event"]
    'rep_finished'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    t: float

    name = "event"

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if "faults" in data:
            data["faults"] = list(data["faults"])
        return {"event": self.name, **data}


@dataclass(frozen=True)
class SetStarted(Event):
    """The member stood ready and a standing baseline was taken."""

    set_no: int = 0
    facing: str | None = None
    name = "set_started"


@dataclass(frozen=True)
class RepStarted(Event):
    set_no: int = 0
    rep: int = 0
    name = "rep_started"


@dataclass(frozen=True)
class WallTouched(Event):
    """The buttocks reached the wall: ``by`` is "switch" or "camera" (no switch, or it disagreed)."""

    set_no: int = 0
    rep: int = 0
    by: str = "switch"
    name = "wall_touched"


@dataclass(frozen=True)
class RepFinished(Event):
    """A rep ended: ``verdict`` is "good" or "fault"; faults are codes from ``coach.faults``."""

    set_no: int = 0
    rep: int = 0
    verdict: str = "good"
    faults: tuple[str, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)
    name = "rep_finished"


@dataclass(frozen=True)
class SetEnded(Event):
    """The member walked away (or stayed away long enough): the set is closed."""

    set_no: int = 0
    reps: int = 0
    good: int = 0
    name = "set_ended"


@dataclass(frozen=True)
class Snapshot:
    """How things look now, for the live page and the lights. Replaced every frame."""

    t: float
    phase: str  # away | ready | hinging | at_wall | returning
    set_no: int
    reps: int
    good: int
    depth: float  # 0 standing .. 1 at the wall
    contacts: dict[str, bool | None]  # head, upper_back, sacrum: True on the dowel, None unknown
    cue: str
    last_verdict: str | None
    last_faults: tuple[str, ...]
    view: str | None  # side | front
    facing: str | None  # left | right
    wall_contact: bool | None
    landmarks: dict[str, list[float]] | None = None
    size: tuple[int, int] = (0, 0)

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["last_faults"] = list(self.last_faults)
        data["size"] = list(self.size)
        return data
