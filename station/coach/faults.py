"""The fault vocabulary: a code, a short cue for the member, a sentence for staff.

    >>> FAULTS[FaultCode.SQUAT].cue
    "Push the hips back, don't squat"
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from station.coach.vocabulary import FaultCode


@dataclass(frozen=True)
class Fault:
    code: FaultCode
    cue: str  # what the member reads from 3 m, in big type
    staff: str  # what staff read in history and health
    spine: bool = False  # a spine fault: the rep can never be good


FAULTS: dict[FaultCode, Fault] = {
    f.code: f
    for f in (
        Fault(FaultCode.ROUNDED_BACK, "Keep your back flat",
              "The spine flexed: the back rounded over the dowel, so head and sacrum lost contact "
              "(or, with no dowel seen, the head-to-hip line bent beyond the limit).", spine=True),
        Fault(FaultCode.HEAD_OFF_DOWEL, "Keep your head on the dowel",
              "The back of the head left the dowel: the neck flexed or the chin dropped.", spine=True),
        Fault(FaultCode.UPPER_BACK_OFF_DOWEL, "Keep your upper back on the dowel",
              "The upper back left the dowel: the thoracic spine arched or the shoulders came "
              "forward.", spine=True),
        Fault(FaultCode.SACRUM_OFF_DOWEL, "Keep the dowel on your tailbone",
              "The sacrum left the dowel: the pelvis tucked under or the dowel tilted.", spine=True),
        Fault(FaultCode.SQUAT, "Push the hips back, don't squat",
              "The knees bent far more than a hinge needs: the hips went down instead of back."),
        Fault(FaultCode.KNEES_TOO_BENT, "Soft knees, not bent: hips back",
              "The knees bent more than the drill's soft knees, short of a squat: the hips still went "
              "back, but the legs took over part of the hinge."),
        Fault(FaultCode.NO_WALL_TOUCH, "Reach back until you touch the wall",
              "The buttocks never reached the wall: the hinge stopped short."),
        Fault(FaultCode.NO_LOCKOUT, "Stand all the way up",
              "The member started the next rep without standing tall in between."),
        Fault(FaultCode.TOO_FAST, "Slow down",
              "The rep was faster than the minimum rep time: too quick to control the spine."),
        Fault(FaultCode.LOST_TRACKING, "Stay in view of the camera",
              "The member left the camera's view during the rep, so it could not be judged."),
    )
}

def most_important(codes: Iterable[FaultCode]) -> FaultCode | None:
    """The fault whose cue the member should see first (:class:`FaultCode` is in priority order)."""
    present = set(codes)
    return next((code for code in FaultCode if code in present), None)
