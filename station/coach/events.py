"""What the coach tells the outputs: events (things that happened) and snapshots (how it looks now).

Events are small frozen values; outputs (lights, buzzer, web stream, rep log) subscribe to them.
Every field must be given by name: a rep with no verdict is an error, never a good rep.

    >>> RepFinished(t=4.2, set_no=1, rep=1, verdict=Verdict.GOOD, faults=(), metrics={}).as_dict()["event"]
    'rep_finished'
    >>> RepFinished(t=4.2, set_no=1, rep=1, faults=(), metrics={})
    Traceback (most recent call last):
    ...
    TypeError: RepFinished.__init__() missing 1 required keyword-only argument: 'verdict'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from station.coach.vocabulary import Check, Contact, FaultCode, Phase, Side, TouchedBy, Verdict, View


@dataclass(frozen=True, kw_only=True)
class Event:
    t: float

    name: ClassVar[str] = "event"

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for key in ("faults", "unseen"):
            if key in data:
                data[key] = list(data[key])
        return {"event": self.name, **data}


@dataclass(frozen=True, kw_only=True)
class SetStarted(Event):
    """The member stood ready and a standing baseline was taken."""

    set_no: int
    facing: Side
    name: ClassVar[str] = "set_started"


@dataclass(frozen=True, kw_only=True)
class RepStarted(Event):
    set_no: int
    rep: int
    name: ClassVar[str] = "rep_started"


@dataclass(frozen=True, kw_only=True)
class WallTouched(Event):
    """The buttocks reached the wall, confirmed by the switch or (no switch) the hips' travel."""

    set_no: int
    rep: int
    by: TouchedBy
    name: ClassVar[str] = "wall_touched"


@dataclass(frozen=True, kw_only=True)
class RepFinished(Event):
    """A rep ended with its verdict, its faults (in cue order) and its metrics; ``unseen`` names
    the checks the camera could not make (never a guess: a rep with one and no fault is
    :attr:`Verdict.UNJUDGED`)."""

    set_no: int
    rep: int
    verdict: Verdict
    faults: tuple[FaultCode, ...]
    metrics: dict[str, float]
    unseen: tuple[Check, ...] = ()
    name: ClassVar[str] = "rep_finished"


@dataclass(frozen=True, kw_only=True)
class SetEnded(Event):
    """The member walked away (or stayed away long enough): the set is closed."""

    set_no: int
    reps: int
    good: int
    name: ClassVar[str] = "set_ended"


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """How things look now, for the live page and the lights. Replaced every frame."""

    t: float
    phase: Phase
    set_no: int
    reps: int
    good: int
    depth: float  # 0 standing .. 1 at the wall
    contacts: dict[Contact, bool | None]  # True on the dowel, False off it, None unknown
    cue: str
    last_verdict: Verdict | None
    last_faults: tuple[FaultCode, ...]
    view: View | None
    facing: Side | None
    wall_contact: bool | None
    size: tuple[int, int]
    last_unseen: tuple[Check, ...] = ()  # the last rep's checks the camera could not make

    def as_dict(self) -> dict[str, Any]:
        # Field by field rather than dataclasses.asdict, whose deep copy was most of a resting
        # station's frame (0.2 of its 1.2 ms): only ``contacts`` holds anything mutable.
        data = {name: getattr(self, name) for name in _SNAPSHOT_FIELDS}
        data["contacts"] = dict(self.contacts)
        data["last_faults"] = list(self.last_faults)
        data["last_unseen"] = list(self.last_unseen)
        data["size"] = list(self.size)
        return data


_SNAPSHOT_FIELDS = tuple(f.name for f in dataclasses.fields(Snapshot))
