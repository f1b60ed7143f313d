"""The fault vocabulary: a code, a short cue for the member, a sentence for staff.

    >>> FAULTS["squat"].cue
    "Push the hips back, don't squat"
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    code: str
    cue: str  # what the member reads from 3 m, in big type
    staff: str  # what staff read in history and health
    spine: bool = False  # a spine fault: the rep can never be good


FAULTS: dict[str, Fault] = {
    f.code: f
    for f in (
        Fault("rounded_back", "Keep your back flat",
              "The spine flexed: the back rounded over the dowel, so head and sacrum lost contact "
              "(or, with no dowel seen, the head-to-hip line bent beyond the limit).", spine=True),
        Fault("head_off_dowel", "Keep your head on the dowel",
              "The back of the head left the dowel: the neck flexed or the chin dropped.", spine=True),
        Fault("upper_back_off_dowel", "Keep your upper back on the dowel",
              "The upper back left the dowel: the thoracic spine arched or the shoulders came "
              "forward.", spine=True),
        Fault("sacrum_off_dowel", "Keep the dowel on your tailbone",
              "The sacrum left the dowel: the pelvis tucked under or the dowel tilted.", spine=True),
        Fault("squat", "Push the hips back, don't squat",
              "The knees bent far more than a hinge needs: the hips went down instead of back."),
        Fault("no_wall_touch", "Reach back until you touch the wall",
              "The buttocks never reached the wall: the hinge stopped short."),
        Fault("no_lockout", "Stand all the way up",
              "The member started the next rep without standing tall in between."),
        Fault("too_fast", "Slow down",
              "The rep was faster than the minimum rep time: too quick to control the spine."),
        Fault("lost_tracking", "Stay in view of the camera",
              "The member left the camera's view during the rep, so it could not be judged."),
    )
}

# The order cues are shown in when a rep has several faults: safety first.
PRIORITY: tuple[str, ...] = tuple(FAULTS)


def most_important(codes: tuple[str, ...] | list[str] | set[str]) -> str | None:
    """The fault whose cue the member should see first."""
    for code in PRIORITY:
        if code in codes:
            return code
    return None
