"""The coach's words, defined once: phases, verdicts, fault codes, contact points, sides.

Each is a ``StrEnum``: a member *is* its string, so it crosses into JSON, SQLite and the pages
unchanged, while code that means a phase says ``Phase.AT_WALL`` and a typo fails at import.

    >>> Phase.AT_WALL == "at_wall", Verdict("good") is Verdict.GOOD
    (True, True)
    >>> Contact.HEAD.landmark, Contact.HEAD.fault
    ('ear', <FaultCode.HEAD_OFF_DOWEL: 'head_off_dowel'>)
"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    """Where the member is in the drill (see :mod:`station.coach.coach` for the transitions)."""

    AWAY = "away"  # nobody usable in view
    READY = "ready"  # standing tall, a baseline taken
    HINGING = "hinging"  # hips going back
    AT_WALL = "at_wall"  # the buttocks touched the wall
    RETURNING = "returning"  # coming back up

    @property
    def in_rep(self) -> bool:
        return self in (Phase.HINGING, Phase.AT_WALL, Phase.RETURNING)


class Verdict(StrEnum):
    """A finished rep: good, at least one fault, or counted but not judged: no fault was seen, yet
    the camera could not see enough of the back or the dowel to call the rep good (the rep's
    ``unseen`` checks say which)."""

    GOOD = "good"
    FAULT = "fault"
    UNJUDGED = "unjudged"


class Check(StrEnum):
    """What the camera must see for a rep's spine to be judged (see :mod:`station.coach.rules`).

    ``BACK``: the back in profile (the rounding and the head, from the landmarks);
    ``DOWEL``: the dowel along it (its three contact points).
    """

    BACK = "back"
    DOWEL = "dowel"


class FaultCode(StrEnum):
    """Every fault the coach can name, in the order their cues are shown: safety first. What each
    one says (words, cue, staff's sentence) is in :data:`station.coach.faults.FAULTS`."""

    ROUNDED_BACK = "rounded_back"
    HEAD_OFF_DOWEL = "head_off_dowel"
    UPPER_BACK_OFF_DOWEL = "upper_back_off_dowel"
    SACRUM_OFF_DOWEL = "sacrum_off_dowel"
    SQUAT = "squat"
    KNEES_TOO_BENT = "knees_too_bent"
    NO_WALL_TOUCH = "no_wall_touch"
    NO_LOCKOUT = "no_lockout"
    TOO_FAST = "too_fast"
    LOST_TRACKING = "lost_tracking"


class Contact(StrEnum):
    """The three points where the dowel must touch the back."""

    HEAD = "head"
    UPPER_BACK = "upper_back"
    SACRUM = "sacrum"

    @property
    def landmark(self) -> str:
        """The body landmark (without its side) the contact point sits behind."""
        return _LANDMARK[self]

    @property
    def fault(self) -> FaultCode:
        """The fault named when this point alone leaves the dowel."""
        return _FAULT[self]


_LANDMARK = {Contact.HEAD: "ear", Contact.UPPER_BACK: "shoulder", Contact.SACRUM: "hip"}
_FAULT = {Contact.HEAD: FaultCode.HEAD_OFF_DOWEL, Contact.UPPER_BACK: FaultCode.UPPER_BACK_OFF_DOWEL,
          Contact.SACRUM: FaultCode.SACRUM_OFF_DOWEL}


# The contacts as a plain tuple: iterating an Enum class costs a generator per loop, and the coach
# loops over the contacts several times a frame.
CONTACTS: tuple[Contact, ...] = tuple(Contact)


class Side(StrEnum):
    """A body side, or the way the member faces in the image (the wall is behind them)."""

    LEFT = "left"
    RIGHT = "right"


class View(StrEnum):
    """How the camera sees the member: in profile, or from the front (or back)."""

    SIDE = "side"
    FRONT = "front"


class TouchedBy(StrEnum):
    """What confirmed the wall touch: the switch, or the hips' travel when no switch is fitted."""

    SWITCH = "switch"
    CAMERA = "camera"
