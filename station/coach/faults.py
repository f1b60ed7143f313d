"""The fault table, defined once: for every fault code its words, the member's cue, staff's
sentence and whether it is a spine fault. The coach, the member page, the staff pages, the rep
log's export and the scoring all read it, so a fault is never spelt two ways.

The table's order is :class:`FaultCode`'s: the order the cues are shown in, safety first.

    >>> FAULTS[FaultCode.SQUAT].cue
    "Push the hips back, don't squat"
    >>> FAULTS[FaultCode.HEAD_OFF_DOWEL].words, FAULTS[FaultCode.HEAD_OFF_DOWEL].label
    ('head off the dowel', 'Head off the dowel')
    >>> list(FAULTS) == list(FaultCode)
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from station.coach.vocabulary import FaultCode


@dataclass(frozen=True)
class Fault:
    code: FaultCode
    words: str  # the fault in plain words: the member's result card, staff's history and sets
    cue: str  # what the member reads from 3 m, in big type
    staff: str  # what staff read in history and health
    spine: bool = False  # a spine fault: the rep can never be good

    @property
    def label(self) -> str:
        """The words with a capital, for a heading, a legend or a table cell."""
        return self.words[:1].upper() + self.words[1:]


FAULTS: dict[FaultCode, Fault] = {
    f.code: f
    for f in (
        Fault(FaultCode.ROUNDED_BACK, "back rounded", "Keep your back flat",
              "The spine flexed: the back rounded over the dowel, so head and sacrum lost contact "
              "(or, with no dowel seen, the head-to-hip line bent beyond the limit).", spine=True),
        Fault(FaultCode.HEAD_OFF_DOWEL, "head off the dowel", "Keep your head on the dowel",
              "The back of the head left the dowel: the neck flexed or the chin dropped.", spine=True),
        Fault(FaultCode.UPPER_BACK_OFF_DOWEL, "upper back off the dowel", "Keep your upper back on the dowel",
              "The upper back left the dowel: the thoracic spine arched or the shoulders came "
              "forward.", spine=True),
        Fault(FaultCode.SACRUM_OFF_DOWEL, "tailbone off the dowel", "Keep the dowel on your tailbone",
              "The sacrum left the dowel: the pelvis tucked under or the dowel tilted.", spine=True),
        Fault(FaultCode.SQUAT, "squatted, hips went down", "Push the hips back, don't squat",
              "The knees bent far more than a hinge needs: the hips went down instead of back."),
        Fault(FaultCode.KNEES_TOO_BENT, "knees bent too much", "Soft knees, not bent: hips back",
              "The knees bent more than the drill's soft knees, short of a squat: the hips still went "
              "back, but the legs took over part of the hinge."),
        Fault(FaultCode.NO_WALL_TOUCH, "hips never reached the wall", "Reach back until you touch the wall",
              "The buttocks never reached the wall: the hinge stopped short."),
        Fault(FaultCode.NO_LOCKOUT, "did not stand tall", "Stand all the way up",
              "The member started the next rep without standing tall in between."),
        Fault(FaultCode.TOO_FAST, "too fast", "Slow down",
              "The rep was faster than the minimum rep time: too quick to control the spine."),
        Fault(FaultCode.LOST_TRACKING, "left the camera's view", "Stay in view of the camera",
              "The member left the camera's view during the rep, so it could not be judged."),
    )
}
# The spine faults' codes: a rep with one is never good (and scoring checks the coach agrees).
SPINE_FAULTS: frozenset[FaultCode] = frozenset(code for code, fault in FAULTS.items() if fault.spine)


def _known(code: str) -> Fault | None:
    # Stored codes are plain strings: an older or newer log may hold one this version lacks.
    try:
        return FAULTS[FaultCode(code)]
    except ValueError:
        return None


def fault_words(code: str) -> str:
    """A stored fault code in words; a code this version does not know stays as it is.

    >>> fault_words("head_off_dowel"), fault_words("from_a_newer_station")
    ('head off the dowel', 'from_a_newer_station')
    """
    fault = _known(code)
    return fault.words if fault else code


def fault_label(code: str) -> str:
    """A stored fault code as a heading or legend names it; a code this version does not know
    (an older log) stays a code.

    >>> fault_label("squat"), fault_label("gone_since")
    ('Squatted, hips went down', 'gone_since')
    """
    fault = _known(code)
    return fault.label if fault else code


def most_important(codes: Iterable[FaultCode]) -> FaultCode | None:
    """The fault whose cue the member should see first (:class:`FaultCode` is in priority order)."""
    present = set(codes)
    return next((code for code in FaultCode if code in present), None)
