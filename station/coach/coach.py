"""The coach: one pure step per frame, from a pose to a snapshot and events.

No I/O, no clock, no threads: the caller passes the time with every frame, so a recorded stream
replays to exactly the same reps.

    >>> from station.config.settings import Settings
    >>> coach = Coach(Settings())
    >>> step = coach.step(0.0, None, None, None)
    >>> step.snapshot.phase, step.events
    (<Phase.AWAY: 'away'>, ())

States: ``away`` (nobody usable in view) -> ``ready`` (standing tall, a baseline taken) ->
``hinging`` (hips going back) -> ``at_wall`` (the switch closed, or without a switch the hips
travelled the wall distance) -> ``returning`` -> ``ready`` again when the member stands tall,
which finishes the rep. Rules for what makes a fault live in :mod:`station.coach.rules`.

A set that starts bent over (a bell parked on the floor) takes its baseline from the first stand;
the rise into that stand is the set's first rep when the member hinges again at once, and no rep
when they settle first (a member who walked up stooped). A rep counts only once it has a top: a
hinge the member never comes back up from (parking a bell, walking off bent) is none.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass
from itertools import pairwise

from station.coach import thresholds as th
from station.coach.events import (
    Event,
    RepFinished,
    RepStarted,
    SetEnded,
    SetStarted,
    Snapshot,
    WallTouched,
)
from station.coach.faults import FAULTS, most_important
from station.coach.geometry import Line
from station.coach.posture import facing_of, near_side, view_of
from station.coach.rules import RepJudge
from station.coach.signals import (
    Baseline,
    Raw,
    Signals,
    Smoother,
    measure,
    relative,
    upright_enough,
    whole_body_seen,
)
from station.coach.vocabulary import (
    CONTACTS,
    Check,
    Contact,
    FaultCode,
    Phase,
    Side,
    TouchedBy,
    Verdict,
    View,
)
from station.config.settings import Settings
from station.pose.landmarks import Pose

CUE_AWAY = "Step up to the wall, side-on to the camera"
CUE_FRONT = "Turn side-on to the camera"
CUE_SETTLE = "Stand tall: dowel on head, upper back and sacrum"
CUE_GO = "Push your hips back to the wall"
CUE_GOOD = "Good rep! Go again"
CUE_DOWN = "Hips back, keep the dowel on"
CUE_WALL = "Drive the hips forward, stand tall"
CUE_UP = "Stand all the way up"
# After a rep counted but not judged: what would let the camera judge the next one.
UNSEEN_CUE = {Check.BACK: "Turn side-on so the camera sees your back",
              Check.DOWEL: "Keep the dowel on your back, in the camera's view"}


@dataclass(frozen=True)
class Step:
    snapshot: Snapshot
    events: tuple[Event, ...]


# A usable frame as it came in: time, pose, dowel, wall switch.
Seen = tuple[float, Pose, Line | None, bool | None]


@dataclass(frozen=True)
class _Rise:
    """A set that started bent over: the frames from the deepest point up to the first stand."""

    frames: list[Seen]

    @property
    def t_bottom(self) -> float:
        return self.frames[0][0]

    @property
    def t_top(self) -> float:
        return self.frames[-1][0]


class Coach:
    """Pure and deterministic: no I/O, no clock, no threads. Feed it frames in time order.

    ``pose`` is None when nobody was found; ``dowel`` is the dowel's line in frame pixels or None;
    ``wall_contact`` is the wall switch (None when no switch is fitted: the hips' travel stands in).
    Frames whose time does not move forward are ignored.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._t: float | None = None
        self.phase: Phase = Phase.AWAY
        self.set_no = 0
        self.reps = 0
        self.good = 0
        self.last_verdict: Verdict | None = None
        self.last_faults: tuple[FaultCode, ...] = ()
        self.last_unseen: tuple[Check, ...] = ()
        self._base: Baseline | None = None
        self._still: deque[tuple[float, Raw]] = deque()
        self._smooth = Smoother(settings.smoothing_s)
        self._sig: Signals | None = None
        self._judge: RepJudge | None = None
        self._last_seen: float | None = None
        self._gap = 0.0  # how long the member was out of view before this frame
        self._view: View | None = None
        self._stand_t = 0.0  # last time the hips were locked out (below the lockout threshold)
        self._last_end_t = 0.0  # when the last rep ended (or the set began)
        self._top = math.inf  # the most upright hip flexion since then
        self._travel_now = 0.0  # this frame's hip travel, unsmoothed
        self._upright: deque[tuple[float, Raw]] = deque()  # recent upright frames before a set
        self._turn = 0.0  # deepest (hinging) or highest (returning) hip flexion of this stretch
        self._turn_t = 0.0
        self._rested = False  # a rep ended without lockout: wait for the next descent
        self._before: deque[Seen] = deque()  # usable frames before a set, to look back on
        self._rise: _Rise | None = None  # how this set began, if bent over: maybe its first rep
        # The view from profile of the set's latest upright frames (see VIEW_UPRIGHT_TORSO_MAX).
        self._upright_yaws: deque[float] = deque(maxlen=th.VIEW_FRAMES)

    @property
    def baseline(self) -> Baseline | None:
        """The member's standing baseline of the current set (None between sets)."""
        return self._base

    def update_settings(self, settings: Settings) -> None:
        """New thresholds apply from the next step on (a rep in progress keeps its baseline)."""
        self.settings = settings
        self._smooth.tau = settings.smoothing_s

    # ------------------------------------------------------------------ the step
    def step(self, t: float, pose: Pose | None, dowel: Line | None, wall_contact: bool | None) -> Step:
        if self._t is not None and not t > self._t:
            return Step(self._snapshot(self._t, pose, wall_contact), ())
        self._t = t
        events: list[Event] = []
        usable = pose is not None and self._usable(pose)
        if usable:
            assert pose is not None
            self._gap = t - self._last_seen if self._last_seen is not None else 0.0
            self._last_seen = t
            self._seen(t, pose, dowel, wall_contact, events)
        else:
            self._unseen(t, wall_contact, events)
        return Step(self._snapshot(t, pose, wall_contact), tuple(events))

    def _usable(self, pose: Pose) -> bool:
        self._view = view_of(pose)
        if self._view != View.SIDE:
            return False
        side = self._base.side if self._base else self._side_of(pose)
        return whole_body_seen(pose, side) and upright_enough(pose, side)

    def _side_of(self, pose: Pose) -> Side:
        sees = self.settings.camera_sees
        return Side(sees) if sees in tuple(Side) else near_side(pose)

    # ------------------------------------------------------------------ no usable pose
    def _unseen(self, t: float, wall_contact: bool | None, events: list[Event]) -> None:
        if self._last_seen is None or t - self._last_seen >= self.settings.lost_s:
            self._still.clear()  # a dropped frame does not break a hold, a real absence does
            self._upright.clear()
            self._before.clear()
        if self._judge is not None:
            self._judge.unseen(t)
        gone = self._last_seen is None or t - self._last_seen >= self.settings.away_s
        if not gone:
            return
        if self._judge is not None:
            if self.phase == Phase.RETURNING and self._had_top():
                self._finish(t, locked_out=False, events=events)
            else:
                self._judge = None  # gone from the bottom of a rep, never back up: no rep
        self._rise = None
        if self._base is not None:
            events.append(SetEnded(t=t, set_no=self.set_no, reps=self.reps, good=self.good))
        self._base = None
        self._sig = None
        self._smooth.reset()
        self.phase = Phase.AWAY

    # ------------------------------------------------------------------ a usable pose
    def _seen(self, t: float, pose: Pose, dowel: Line | None, wall_contact: bool | None,
              events: list[Event]) -> None:
        if self._base is None and not self._maybe_begin_set((t, pose, dowel, wall_contact), events):
            return
        base = self._base
        assert base is not None
        raw = measure(pose, base.side, base.facing, dowel)
        self._note_view(raw)
        now = relative(raw, base)
        sig = self._smoothed(t, now)
        self._sig = sig
        self._travel_now = now.hip_travel
        s = self.settings
        hip = sig.hip_flexion
        if self.phase == Phase.READY:
            # A rep is timed from where the hips left the top of this stand, however tall (a member
            # who locks out to 10 deg between reps starts the next one from there, not from 0).
            self._top = min(self._top, hip)
            if hip <= self._top + s.hysteresis:
                self._stand_t = t
            self._ready(t, raw, sig, wall_contact, events)
        elif self._judge is not None:
            self._judge.observe(t, sig, wall_contact, travel_now=self._travel_now)
            self._in_rep(t, sig, wall_contact, events)

    def _maybe_begin_set(self, frame: Seen, events: list[Event]) -> bool:
        """Start a set when the member stood still for ``ready_hold_s``, or, with no still stand
        (a member who goes rep after rep), when they hinge from a short stand just before.
        True when this frame should be coached as part of the new set."""
        t, pose, dowel, _ = frame
        self._before.append(frame)
        while t - self._before[0][0] > th.BEFORE_SET_MEMORY_S:
            self._before.popleft()
        side = self._side_of(pose)
        facing = facing_of(pose)
        raw = measure(pose, side, facing, dowel)
        if self._hold_still(t, raw):
            self._begin_set(t, side, facing, [r for _, r in self._still], events)
            self._still.clear()
            return False
        stand = self._stand_before_descent(t, raw)
        if stand is None:
            return False
        self._begin_set(t, side, facing, [r for _, r in stand], events)
        self._stand_t = stand[-1][0]
        return True

    def _begin_set(self, t: float, side: Side, facing: Side, frames: list[Raw], events: list[Event]) -> None:
        self._base = Baseline.average(side, facing, frames)
        self._rise = self._rise_into_stand()
        self._before.clear()
        self._upright_yaws.clear()
        # The view from the whole stand the set began from, not only its stillest frames.
        for raw in [r for _, r in self._upright] or frames:
            self._note_view(raw)
        self._upright.clear()
        self.set_no += 1
        self.reps = self.good = 0
        self.last_verdict, self.last_faults, self.last_unseen = None, (), ()
        self.phase = Phase.READY
        self._stand_t = self._last_end_t = t
        self._top = math.inf
        self._smooth.reset()
        events.append(SetStarted(t=t, set_no=self.set_no, facing=facing))

    def _stand_before_descent(self, t: float, raw: Raw) -> list[tuple[float, Raw]] | None:
        """The upright frames a hinge started from, when this frame is already a hinge beyond them.

        Upright frames are kept for ``UPRIGHT_MEMORY_S``; the ones within ``hysteresis`` of the most
        upright are the stand. It must span ``MIN_STAND_S`` so a stumble is not a set.
        """
        while self._upright and t - self._upright[0][0] > th.UPRIGHT_MEMORY_S:
            self._upright.popleft()
        if _standing(raw):
            self._upright.append((t, raw))
            return None
        if not self._upright:
            return None
        top = min(r.hip_flexion for _, r in self._upright)
        stand = [(ts, r) for ts, r in self._upright if r.hip_flexion <= top + self.settings.hysteresis]
        if len(stand) < th.MIN_STAND_FRAMES or stand[-1][0] - stand[0][0] < th.MIN_STAND_S:
            return None
        base_hip = sum(r.hip_flexion for _, r in stand) / len(stand)
        if raw.hip_flexion - base_hip < self.settings.hinge_start_hip_beyond_standing:
            return None
        return stand

    def _ready(self, t: float, raw: Raw, sig: Signals, wall_contact: bool | None,
               events: list[Event]) -> None:
        s = self.settings
        hip = sig.hip_flexion
        descending = (hip > s.hinge_start_hip_beyond_standing
                      or sig.knee_flexion > s.squat_knee_beyond_standing)
        if self._rested:
            # The last rep ended short of standing: the next one starts when the hips sink again.
            descending = hip > self._turn + th.HIP_TURN
            if hip < self._turn - s.hysteresis:
                self._turn, self._turn_t = hip, t
            if hip < s.lockout_hip_beyond_standing - s.hysteresis:
                self._rested = False
        if descending:
            # A rep starts where the hips left lockout, never before the last rep ended.
            start = self._turn_t if self._rested else max(self._stand_t, self._last_end_t)
            self._count_rise(start, events)
            self._start_rep(start, t, sig, wall_contact, events)
            return
        if not self._rested and hip < s.lockout_hip_beyond_standing:
            # Standing between reps: refresh the baseline so a step of the feet is not travel.
            if self._hold_still(t, raw):
                assert self._base is not None
                frames = [r for _, r in self._still]
                self._base = Baseline.average(self._base.side, self._base.facing, frames)
                self._still.clear()
        else:
            self._still.clear()

    def _start_rep(self, t0: float, t: float, sig: Signals, wall_contact: bool | None,
                   events: list[Event]) -> None:
        self._rested = False
        self._still.clear()
        self._judge = RepJudge(self.settings, t_start=t0)
        # A rep first seen after the member was out of view began there: tracking was lost.
        self._judge.unseen_before(self._gap)
        self._judge.observe(t, sig, wall_contact, travel_now=self._travel_now)
        self.phase = Phase.HINGING
        self._turn, self._turn_t = sig.hip_flexion, t
        events.append(RepStarted(t=t, set_no=self.set_no, rep=self.reps + 1))
        self._in_rep(t, sig, wall_contact, events)

    def _in_rep(self, t: float, sig: Signals, wall_contact: bool | None, events: list[Event]) -> None:
        s = self.settings
        judge = self._judge
        assert judge is not None
        hip = sig.hip_flexion
        at_wall = bool(wall_contact) if wall_contact is not None else sig.hip_travel >= s.wall_travel
        if self.phase == Phase.HINGING:
            if hip > self._turn:
                self._turn, self._turn_t = hip, t
            if at_wall:
                by = TouchedBy.SWITCH if wall_contact is not None else TouchedBy.CAMERA
                judge.touch(by)
                events.append(WallTouched(t=t, set_no=self.set_no, rep=self.reps + 1, by=by))
                self.phase = Phase.AT_WALL
            elif hip < self._turn - th.HIP_TURN:
                self._returning(t, hip)
        elif self.phase == Phase.AT_WALL:
            if hip > self._turn:
                self._turn, self._turn_t = hip, t
            left = not wall_contact if wall_contact is not None else (
                sig.hip_travel < s.wall_travel - s.hysteresis / 100.0)
            if left:
                self._returning(t, hip)
        elif self.phase == Phase.RETURNING:
            self._on_the_way_up(t, sig, wall_contact, events)

    def _on_the_way_up(self, t: float, sig: Signals, wall_contact: bool | None, events: list[Event]) -> None:
        hip = sig.hip_flexion
        if hip < self.settings.lockout_hip_beyond_standing:
            self._finish(t, locked_out=True, events=events)
        elif hip > self._turn + th.HIP_TURN:
            if self._had_top():
                # Down again without standing tall: this rep ends here, the next begins.
                t_low = self._turn_t
                self._finish(t_low, locked_out=False, events=events)
                self._start_rep(t_low, t, sig, wall_contact, events)
            else:
                # A shift at the bottom (re-gripping, parking a bell), not a top: the rep goes on.
                assert self._judge is not None
                self.phase = Phase.AT_WALL if self._judge.touched_by else Phase.HINGING
                self._turn, self._turn_t = hip, t
        elif hip < self._turn - th.HIP_PROGRESS_TURN:
            self._turn, self._turn_t = hip, t
        elif t - self._turn_t >= th.STALL_S and self._had_top():
            self._finish(self._turn_t, locked_out=False, events=events)
            self._rested = True

    def _had_top(self) -> bool:
        """On the way up, the hips came back far enough from the rep's deepest point for this to be
        its top, however short of standing (see ``TOP_RISE_SHARE``)."""
        assert self._judge is not None
        deepest = self._judge.max["hip_flexion"]
        return deepest - self._turn >= th.TOP_RISE_SHARE * deepest

    # ------------------------------------------------------------------ a set that starts bent over
    def _rise_into_stand(self) -> _Rise | None:
        """The frames of a rise from a rep's depth into the stand that gave this set's baseline
        (see ``RISE_MAX_S``), or None when the member was not bent over just before it."""
        base, s = self._base, self.settings
        assert base is not None
        seen = [(f, measure(f[1], base.side, base.facing, f[2]).hip_flexion - base.hip_flexion)
                for f in self._before]
        i = len(seen)
        while i and seen[i - 1][1] >= s.lockout_hip_beyond_standing:
            i -= 1  # the hinge that started the set (when it started from a short stand)
        while i and seen[i - 1][1] < s.lockout_hip_beyond_standing:
            i -= 1  # the stand
        if i == 0 or i == len(seen):
            return None
        t_top = seen[i][0][0]
        rise = [x for x in seen[:i + 1] if t_top - x[0][0] <= th.RISE_MAX_S]
        deepest = max(range(len(rise)), key=lambda k: rise[k][1])
        if rise[deepest][1] < s.hinge_start_hip_beyond_standing + th.HIP_TURN:
            return None
        frames = [f for f, _ in rise[deepest:]]
        if any(b[0] - a[0] >= s.lost_s for a, b in pairwise(frames)):
            return None  # not seen all the way up
        return _Rise(frames)

    def _count_rise(self, start: float, events: list[Event]) -> None:
        """The first hinge of a set that began bent over: the rise before it was the set's first
        rep when the member went straight on (the top shorter than ``TOP_MAX_S``)."""
        rise, self._rise = self._rise, None
        base = self._base
        if rise is None or base is None or start - rise.t_top > th.TOP_MAX_S:
            return
        judge = RepJudge(self.settings, t_start=rise.t_bottom, from_bottom=True)
        smooth = Smoother(self.settings.smoothing_s)
        for t, pose, dowel, wall_contact in rise.frames:
            now = relative(measure(pose, base.side, base.facing, dowel), base)
            judge.observe(t, self._smoothed(t, now, smooth), wall_contact, travel_now=now.hip_travel)
        events.append(RepStarted(t=rise.t_bottom, set_no=self.set_no, rep=self.reps + 1))
        self._judge = judge
        self._finish(rise.t_top, locked_out=True, events=events)

    def _returning(self, t: float, hip: float) -> None:
        self.phase = Phase.RETURNING
        self._turn, self._turn_t = hip, t

    def _finish(self, t: float, *, locked_out: bool, events: list[Event]) -> None:
        judge = self._judge
        assert judge is not None
        view = (statistics.median(self._upright_yaws)
                if len(self._upright_yaws) >= th.VIEW_MIN_FRAMES else None)
        faults, metrics, unseen = judge.decide(t_end=t, locked_out=locked_out, view=view)
        self.reps += 1
        # A fault seen is a fault; no fault seen is a good rep only when everything was seen.
        verdict = Verdict.FAULT if faults else Verdict.UNJUDGED if unseen else Verdict.GOOD
        if verdict == Verdict.GOOD:
            self.good += 1
        self.last_verdict, self.last_faults, self.last_unseen = verdict, faults, unseen
        self._judge = None
        self._last_end_t = t
        self._top = math.inf
        self.phase = Phase.READY if self._base is not None else Phase.AWAY
        events.append(RepFinished(t=t, set_no=self.set_no, rep=self.reps, verdict=verdict,
                                  faults=faults, metrics=metrics, unseen=unseen))

    # ------------------------------------------------------------------ helpers
    def _note_view(self, raw: Raw) -> None:
        """Keep the view of an upright frame: only then does the pose model read it well."""
        if raw.torso_inclination <= th.VIEW_UPRIGHT_TORSO_MAX:
            self._upright_yaws.append(raw.yaw)

    def _hold_still(self, t: float, raw: Raw) -> bool:
        """Add a frame to the standing-still window; True once it spans ``ready_hold_s``."""
        s = self.settings
        if not _standing(raw):
            self._still.clear()
            return False
        self._still.append((t, raw))
        torso = max(raw.torso_px, 1e-6)
        # Still means no drift: the window's two halves agree on average (keypoint noise averages
        # out, a member walking or bending does not).
        while len(self._still) >= 4:
            half = len(self._still) // 2
            first = [r for _, r in list(self._still)[:half]]
            second = [r for _, r in list(self._still)[half:]]
            dx = abs(_mean(first, "hip_x") - _mean(second, "hip_x")) / torso
            dh = abs(_mean(first, "hip_flexion") - _mean(second, "hip_flexion"))
            if dx <= th.STILL_DRIFT_TORSO and dh <= th.STILL_HIP_DEG:
                break
            self._still.popleft()
        return t - self._still[0][0] >= s.ready_hold_s

    def _smoothed(self, t: float, sig: Signals, smoother: Smoother | None = None) -> Signals:
        values = {
            "hip_flexion": sig.hip_flexion, "knee_flexion": sig.knee_flexion,
            "torso_inclination": sig.torso_inclination, "head_spine": sig.head_spine,
            "hip_travel": sig.hip_travel, "head_pitch": sig.head_pitch,
        }
        if sig.gaps is not None:
            values.update({f"gap_{c}": g for c, g in sig.gaps.items()})
        if sig.ear_gap is not None:
            values["ear_gap"] = sig.ear_gap
        v = (smoother or self._smooth)(t, values)
        gaps = {c: v[f"gap_{c}"] for c in CONTACTS} if sig.gaps is not None else None
        return Signals(v["hip_flexion"], v["knee_flexion"], v["torso_inclination"], v["head_spine"],
                       v["hip_travel"], gaps, sig.yaw, v["head_pitch"], v.get("ear_gap"), sig.hips_yaw)

    def _snapshot(self, t: float, pose: Pose | None, wall_contact: bool | None) -> Snapshot:
        s = self.settings
        sig = self._sig if self._base is not None else None
        contacts: dict[Contact, bool | None] = dict.fromkeys(CONTACTS)
        depth = 0.0
        if sig is not None:
            # Contacts only from a pose seen in this frame: the last signals of a member who walked
            # out of view are not what is on the dowel now (they read ON for seconds otherwise).
            if sig.gaps is not None and pose is not None:
                contacts = {c: sig.gaps[c] <= s.contact_tolerance for c in CONTACTS}
            depth = min(1.0, max(0.0, sig.hip_travel / max(s.wall_travel, 1e-6)))
        if self.phase == Phase.AT_WALL or (wall_contact and self.phase != Phase.AWAY):
            depth = 1.0
        return Snapshot(
            t=t, phase=self.phase, set_no=self.set_no, reps=self.reps, good=self.good,
            depth=round(depth, 3), contacts=contacts, cue=self._cue(contacts),
            last_verdict=self.last_verdict, last_faults=self.last_faults, last_unseen=self.last_unseen,
            view=self._view if pose is not None else None,
            facing=self._base.facing if self._base else None, wall_contact=wall_contact,
            size=pose.size if pose is not None else (0, 0),
        )

    def _cue(self, contacts: dict[Contact, bool | None]) -> str:
        if self._view == View.FRONT and self.phase in (Phase.AWAY, Phase.READY):
            return CUE_FRONT
        if self.phase == Phase.AWAY:
            return CUE_SETTLE if self._still else CUE_AWAY
        if self.phase == Phase.READY:
            if self._rested:
                return CUE_UP
            if self.last_verdict == Verdict.GOOD:
                return CUE_GOOD
            if self.last_verdict == Verdict.UNJUDGED:
                return UNSEEN_CUE[self.last_unseen[0]]
            code = most_important(self.last_faults)
            return FAULTS[code].cue if code else CUE_GO
        off = [c for c in CONTACTS if contacts[c] is False]
        if off:
            return FAULTS[off[0].fault].cue
        return {Phase.HINGING: CUE_DOWN, Phase.AT_WALL: CUE_WALL}.get(self.phase, CUE_UP)


def _standing(raw: Raw) -> bool:
    """Hips, knees and trunk all near straight and upright: someone standing (see thresholds)."""
    return (raw.hip_flexion < th.STANDING_HIP_MAX_ABS and raw.knee_flexion < th.STANDING_KNEE_MAX_ABS
            and raw.torso_inclination < th.STANDING_TORSO_MAX_ABS)


def _mean(frames: list[Raw], attr: str) -> float:
    return sum(getattr(f, attr) for f in frames) / len(frames)
