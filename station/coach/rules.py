"""Where a rep is judged: the evidence gathered frame by frame, and the faults it proves.

A condition becomes a fault only when it holds without a break for ``fault_min_s``: one noisy
frame never fails a rep, a real movement always lasts longer than that.
"""

from __future__ import annotations

import statistics
from enum import StrEnum

from station.coach import thresholds as th
from station.coach.faults import FAULTS, SPINE_FAULTS
from station.coach.signals import Signals
from station.coach.vocabulary import CONTACTS, Check, Contact, FaultCode, TouchedBy
from station.config.settings import Settings


class Condition(StrEnum):
    """What one frame can show; a condition held for ``fault_min_s`` is evidence for a fault."""

    HEAD_OFF = "head_off"
    UPPER_BACK_OFF = "upper_back_off"
    SACRUM_OFF = "sacrum_off"
    HEAD_AND_SACRUM_OFF = "head_and_sacrum_off"
    TORSO_OVER = "torso_over"
    HEAD_DROP = "head_drop"
    SQUAT = "squat"
    KNEES_BENT = "knees_bent"


CONDITIONS: tuple[Condition, ...] = tuple(Condition)  # a plain tuple: cheaper to loop over per frame
OFF_DOWEL = {Contact.HEAD: Condition.HEAD_OFF, Contact.UPPER_BACK: Condition.UPPER_BACK_OFF,
             Contact.SACRUM: Condition.SACRUM_OFF}
# Head and sacrum off the dowel together, the torso past horizontal or the head dropped (no dowel
# seen): each means the whole spine flexed, which the one fault ``rounded_back`` names; so does the
# sacrum off with the face turned to the chest while it was (``ROUNDED_HEAD_PITCH``, in decide).
ROUNDING = {Condition.HEAD_AND_SACRUM_OFF, Condition.TORSO_OVER, Condition.HEAD_DROP}
# What the spine's shape shows in the landmarks against the dowel or the trunk: held only while the
# trunk is nearly still (``SPINE_STILL_DEG_S``: the landmarks lag while it turns).
STILL_ONLY = frozenset({Condition.HEAD_OFF, Condition.UPPER_BACK_OFF, Condition.SACRUM_OFF,
                        Condition.HEAD_AND_SACRUM_OFF, Condition.HEAD_DROP})
# The faults only the dowel can show: without it in view they are not judged (the head's is,
# from the neck's flexion; the rounding too, from the head and the trunk).
DOWEL_FAULTS = frozenset({FaultCode.UPPER_BACK_OFF_DOWEL, FaultCode.SACRUM_OFF_DOWEL})

# What a rep's verdict says of each check: (faults found, the checks the camera could not make).
Judged = tuple[tuple[FaultCode, ...], dict[str, float], tuple[Check, ...]]


class RepJudge:
    """Collects one rep's evidence; :meth:`decide` turns it into faults and metrics.

        >>> judge = RepJudge(Settings(), t_start=0.0)
        >>> faults, metrics, unseen = judge.decide(t_end=2.0, locked_out=True)
        >>> faults, unseen  # nothing was seen: no spine fault is claimed, and none is ruled out
        ((<FaultCode.NO_WALL_TOUCH: 'no_wall_touch'>,), (<Check.DOWEL: 'dowel'>,))

    The spine's shape is read only in frames where the trunk is nearly still
    (``SPINE_STILL_DEG_S``), and only from what the camera saw: a rep seen too far from profile
    (``SPINE_MAX_YAW``) names no spine fault and leaves the back unjudged; a rep whose dowel was in
    view for less than ``JUDGED_SHARE`` of its frames leaves the dowel unjudged unless a contact
    was seen off it anyway.
    """

    def __init__(self, settings: Settings, t_start: float, *, from_bottom: bool = False) -> None:
        self.s = settings
        self.t_start = t_start
        # The head's limit without a dowel in view, from the settings' tolerance: once a rep.
        self._head_off_deg = th.head_off_dowel_deg(settings.contact_tolerance)
        self._ear_off = th.ear_off_dowel(settings.contact_tolerance)
        # A rep first seen at its bottom (a set that starts bent over) is half a rep: not timed.
        self.from_bottom = from_bottom
        self._run_since: dict[Condition, float | None] = dict.fromkeys(CONDITIONS)
        self.flags: set[Condition] = set()
        self.lost_s = 0.0
        self._lost_since: float | None = None
        self.touched_by: TouchedBy | None = None
        self.camera_touch = False
        self.max = {"hip_flexion": 0.0, "knee_flexion": 0.0, "torso_inclination": 0.0,
                    "hip_travel": 0.0, "head_spine": 0.0}
        self.max_gap = dict.fromkeys(Contact, 0.0)
        self._yaws: list[float] = []  # each seen frame's view from profile, for the rep's median
        self._last_trunk: tuple[float, float] | None = None  # (t, torso inclination) last seen
        # The head in each still frame with the sacrum off the dowel: the face's turn on the trunk
        # and the back of the head's gap. Their medians over the bottom of the rep tell a rounded
        # back from a dowel tilted off a straight one (``ROUNDED_HEAD_PITCH``): a median, as the
        # face's axis (ear to nose) is short and a noisy tracker swings it 10 deg a frame.
        self._sacrum_off_head: list[tuple[float, float]] = []
        self._hips_yaws: list[float] = []  # each seen frame's view from the hips alone
        self._dowel_frames = 0  # seen frames with the dowel in view

    # -- evidence
    def unseen(self, t: float) -> None:
        """A frame without a usable pose."""
        if self._lost_since is None:
            self._lost_since = t
        self.lost_s = max(self.lost_s, t - self._lost_since)
        if t - self._lost_since >= self.s.lost_s:
            # A long gap breaks every run; a dropped frame or two does not.
            for name in CONDITIONS:
                self._run_since[name] = None
            self._last_trunk = None

    def unseen_before(self, seconds: float) -> None:
        """The member was out of view this long just before the rep was seen to start."""
        self.lost_s = max(self.lost_s, seconds)

    def _still(self, t: float, sig: Signals) -> bool:
        """The trunk turns slower than ``SPINE_STILL_DEG_S`` since the last seen frame."""
        last, self._last_trunk = self._last_trunk, (t, sig.torso_inclination)
        if last is None or t <= last[0]:
            return False
        return abs(sig.torso_inclination - last[1]) / (t - last[0]) < th.SPINE_STILL_DEG_S

    def _held(self, sig: Signals, still: bool = True) -> dict[Condition, bool]:
        s = self.s
        # The neck flexed about its base: the face turned and the ear carried forward alike.
        neck_flexed = min(sig.head_pitch, sig.head_spine) > self._head_off_deg
        if sig.gaps is not None:
            off = {c: sig.gaps[c] > s.contact_tolerance for c in CONTACTS}
            sacrum_past_tolerance = off[Contact.SACRUM]
            off[Contact.SACRUM] = sig.gaps[Contact.SACRUM] > s.contact_tolerance + th.HIP_DRIFT_TORSO
            # The back of the head off, and the ear carried off with it (not the face's axis alone).
            off[Contact.HEAD] = off[Contact.HEAD] and (sig.ear_gap is None or sig.ear_gap > self._ear_off)
        else:
            # No dowel seen: only the head can still be judged, from the neck's flexion.
            off = dict.fromkeys(CONTACTS, False)
            sacrum_past_tolerance = False
            off[Contact.HEAD] = neck_flexed
        held = {
            **{OFF_DOWEL[c]: off[c] for c in CONTACTS},
            # Two contacts off at once: the hip's drift alone moves one, not both (HIP_DRIFT_TORSO).
            Condition.HEAD_AND_SACRUM_OFF: off[Contact.HEAD] and sacrum_past_tolerance,
            Condition.TORSO_OVER: sig.torso_inclination > s.rounded_torso_from_vertical,
            # Without the dowel the landmarks alone must show the spine: a head dropped far
            # beyond the member's own standing posture.
            Condition.HEAD_DROP: (sig.gaps is None and min(sig.head_pitch, sig.head_spine)
                                  > s.rounded_head_drop_beyond_standing),
            # Knee-led: the knees bent far and about as much as the hips (see thresholds).
            Condition.SQUAT: (sig.knee_flexion > s.squat_knee_beyond_standing
                              and sig.knee_flexion >= th.SQUAT_KNEE_PER_HIP * sig.hip_flexion),
            Condition.KNEES_BENT: sig.knee_flexion > s.knees_bent_beyond_standing,
        }
        if not still:
            held.update(dict.fromkeys(STILL_ONLY, False))
        return held

    def observe(self, t: float, sig: Signals, wall_contact: bool | None,
                travel_now: float | None = None) -> None:
        """A frame with a usable pose; ``wall_contact`` is the switch (None when none is fitted).

        ``travel_now`` is this frame's hip travel before smoothing: the wall touch is an instant the
        smoothing would shave off a fast rep, and noise is far too small to fake it (a shallow rep
        stops a third of the way)."""
        self._lost_since = None
        s = self.s
        held = self._held(sig, self._still(t, sig))
        if held[Condition.SACRUM_OFF] and sig.gaps is not None:
            self._sacrum_off_head.append((sig.head_pitch, sig.gaps[Contact.HEAD]))
        for name, on in held.items():
            if not on:
                self._run_since[name] = None
                continue
            since = self._run_since[name]
            if since is None:
                self._run_since[name] = since = t
            if t - since >= s.fault_min_s:
                self.flags.add(name)
        for key in self.max:
            self.max[key] = max(self.max[key], getattr(sig, key))
        self._yaws.append(sig.yaw)
        self._hips_yaws.append(sig.hips_yaw)
        if sig.gaps is not None:
            self._dowel_frames += 1
            for c in CONTACTS:
                self.max_gap[c] = max(self.max_gap[c], sig.gaps[c])
        at_wall_by_camera = max(sig.hip_travel, travel_now or 0.0) >= s.wall_travel
        self.camera_touch = self.camera_touch or at_wall_by_camera
        if wall_contact:
            self.touched_by = TouchedBy.SWITCH
        elif wall_contact is None and at_wall_by_camera and self.touched_by is None:
            self.touched_by = TouchedBy.CAMERA

    def touch(self, by: TouchedBy) -> None:
        if self.touched_by is None:
            self.touched_by = by

    def _head_fell_away(self) -> bool:
        """While the sacrum was off the dowel the face turned down on the trunk and the back of the
        head came away from the dowel: the top of the spine flexed too, a rounded back. A dowel
        tilted off the sacrum of a straight back leaves the face as it was and presses its top end
        into the head (the gap at or below standing)."""
        if not self._sacrum_off_head:
            return False
        pitch = statistics.median(p for p, _ in self._sacrum_off_head)
        gap = statistics.median(g for _, g in self._sacrum_off_head)
        return pitch > th.ROUNDED_HEAD_PITCH and gap > 0.0

    # -- verdict
    def decide(self, t_end: float, locked_out: bool, view: float | None = None) -> Judged:
        """The rep's faults (in cue order), metrics and the checks it could not make, when it ended
        at ``t_end``.

        ``view`` is how far from profile the camera saw the member standing upright (degrees; the
        coach's, see ``VIEW_UPRIGHT_TORSO_MAX``). The rep's view is the smaller of that and the
        median of the rep's own frames read from the hips (``HIPS_WIDTH_TORSO_IN_REP``): both must
        see the member turned for the back to go unjudged, as a swing's top twists the trunk and
        reads turned while the rep itself is in profile. Without ``view`` the hips decide alone."""
        s, f = self.s, self.flags
        faults: set[FaultCode] = set()
        if f & ROUNDING or (Condition.SACRUM_OFF in f and self._head_fell_away()):
            faults.add(FaultCode.ROUNDED_BACK)  # it explains head and sacrum leaving the dowel
        else:
            faults |= {c.fault for c in (Contact.HEAD, Contact.SACRUM) if OFF_DOWEL[c] in f}
        if Condition.UPPER_BACK_OFF in f:
            faults.add(FaultCode.UPPER_BACK_OFF_DOWEL)
        squat = Condition.SQUAT in f
        if squat:
            faults.add(FaultCode.SQUAT)
        elif Condition.KNEES_BENT in f:
            faults.add(FaultCode.KNEES_TOO_BENT)  # bent knees that are not a squat
        duration = t_end - self.t_start
        if self.lost_s >= s.lost_s:
            # What happened out of view cannot be judged; spine faults seen in view still stand.
            faults = {code for code in faults if FAULTS[code].spine} | {FaultCode.LOST_TRACKING}
        else:
            if self.touched_by is None and not squat:
                faults.add(FaultCode.NO_WALL_TOUCH)
            if not locked_out:
                faults.add(FaultCode.NO_LOCKOUT)
            if duration < s.min_rep_s and not self.from_bottom:
                faults.add(FaultCode.TOO_FAST)
        in_rep = statistics.median(self._yaws) if self._yaws else 0.0
        hips = statistics.median(self._hips_yaws) if self._hips_yaws else 0.0
        yaw = hips if view is None else min(view, hips)
        dowel_share = self._dowel_frames / len(self._yaws) if self._yaws else 0.0
        unseen: list[Check] = []
        if yaw > th.SPINE_MAX_YAW:
            # Seen from too far off profile, angles and gaps are the view's, not the spine's.
            faults -= SPINE_FAULTS
            unseen = [Check.BACK, Check.DOWEL]
        elif dowel_share < th.JUDGED_SHARE and not faults & DOWEL_FAULTS:
            unseen = [Check.DOWEL]
        metrics = {
            "duration_s": round(duration, 3),
            **{f"max_{k}": round(v, 2) for k, v in self.max.items()},
            **{f"max_gap_{c}": round(v, 3) for c, v in self.max_gap.items()},
            "lost_s": round(self.lost_s, 3),
            "wall_by_switch": float(self.touched_by == TouchedBy.SWITCH),
            "wall_by_camera": float(self.camera_touch),
            "view_yaw_deg": round(yaw, 1),
            # What each cue read (see this method's docstring), for staff and docs/figures.md.
            "view_yaw_hips_deg": round(hips, 1),
            "view_yaw_in_rep_deg": round(in_rep, 1),
            "seen_dowel": round(dowel_share, 3),
        }
        if view is not None:
            metrics["view_yaw_upright_deg"] = round(view, 1)
        return tuple(code for code in FaultCode if code in faults), metrics, tuple(unseen)
