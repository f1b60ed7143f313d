"""The coach: one pure step per frame, from a pose to a snapshot and events.

No I/O, no clock, no threads: the caller passes the time with every frame, so a recorded stream
replays to exactly the same reps.

    >>> from station.settings import Settings
    >>> coach = Coach(Settings())
    >>> step = coach.step(0.0, None, None, None)
    >>> step.snapshot.phase, step.events
    ('away', ())

States: ``away`` (nobody usable in view) -> ``ready`` (standing tall, a baseline taken) ->
``hinging`` (hips going back) -> ``at_wall`` (the switch closed, or without a switch the hips
travelled the wall distance) -> ``returning`` -> ``ready`` again when the member stands tall,
which finishes the rep. Rules for what makes a fault live in :mod:`station.coach.rules`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

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
    CONTACTS,
    Baseline,
    Raw,
    Signals,
    Smoother,
    measure,
    relative,
    whole_body_seen,
)
from station.pose.landmarks import Pose
from station.settings import Settings

# A rep that stops rising for this long short of standing tall ends as ``no_lockout``.
STALL_S = 1.5
# Hip flexion (deg) a rep must rise from its deepest point before it counts as coming back up,
# and must sink again from its highest point while returning to count as the next descent.
TURN_DEG = 15.0
# Standing still for the baseline: the hip may drift this far (torso lengths) and bend this
# much more (deg) between the two halves of the hold.
STILL_TRAVEL = 0.03
STILL_HIP_DEG = 3.0
# Standing for a baseline, in absolute angles: BlazePose puts the hip joint so that people standing
# tall read 5-25 degrees of hip and knee flexion (22 and 24 on one of the fixture photos).
STAND_HIP_MAX = 35.0
STAND_KNEE_MAX = 35.0

CUE_AWAY = "Step up to the wall, side-on to the camera"
CUE_FRONT = "Turn side-on to the camera"
CUE_SETTLE = "Stand tall: dowel on head, upper back and sacrum"
CUE_GO = "Push your hips back to the wall"
CUE_GOOD = "Good rep! Go again"
CUE_DOWN = "Hips back, keep the dowel on"
CUE_WALL = "Drive the hips forward, stand tall"
CUE_UP = "Stand all the way up"
CONTACT_FAULT = {"head": "head_off_dowel", "upper_back": "upper_back_off_dowel", "sacrum": "sacrum_off_dowel"}


@dataclass(frozen=True)
class Step:
    snapshot: Snapshot
    events: tuple[Event, ...]


class Coach:
    """Pure and deterministic: no I/O, no clock, no threads. Feed it frames in time order.

    ``pose`` is None when nobody was found; ``dowel`` is the dowel's line in frame pixels or None;
    ``wall_contact`` is the wall switch (None when no switch is fitted: the hips' travel stands in).
    Frames whose time does not move forward are ignored.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._t: float | None = None
        self.phase = "away"
        self.set_no = 0
        self.reps = 0
        self.good = 0
        self.last_verdict: str | None = None
        self.last_faults: tuple[str, ...] = ()
        self._base: Baseline | None = None
        self._still: deque[tuple[float, Raw]] = deque()
        self._smooth = Smoother(settings.smoothing_s)
        self._sig: Signals | None = None
        self._judge: RepJudge | None = None
        self._last_seen: float | None = None
        self._view: str | None = None
        self._stand_t = 0.0  # last time the hips were within the lockout margin
        self._turn = 0.0  # deepest (hinging) or highest (returning) hip flexion of this stretch
        self._turn_t = 0.0
        self._rested = False  # a rep ended without lockout: wait for the next descent

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
            self._last_seen = t
            self._seen(t, pose, dowel, wall_contact, events)
        else:
            self._unseen(t, wall_contact, events)
        return Step(self._snapshot(t, pose, wall_contact), tuple(events))

    def _usable(self, pose: Pose) -> bool:
        self._view = view_of(pose)
        if self._view != "side":
            return False
        side = self._base.side if self._base else self._side_of(pose)
        return whole_body_seen(pose, side)

    def _side_of(self, pose: Pose) -> str:
        sees = self.settings.camera_sees
        return sees if sees in ("left", "right") else near_side(pose)

    # ------------------------------------------------------------------ no usable pose
    def _unseen(self, t: float, wall_contact: bool | None, events: list[Event]) -> None:
        if self._last_seen is None or t - self._last_seen >= self.settings.lost_s:
            self._still.clear()  # a dropped frame does not break a hold, a real absence does
        if self._judge is not None:
            self._judge.unseen(t)
        gone = self._last_seen is None or t - self._last_seen >= self.settings.away_s
        if not gone:
            return
        if self._judge is not None:
            self._finish(t, locked_out=False, events=events)
        if self._base is not None:
            events.append(SetEnded(t=t, set_no=self.set_no, reps=self.reps, good=self.good))
        self._base = None
        self._sig = None
        self._smooth.reset()
        self.phase = "away"

    # ------------------------------------------------------------------ a usable pose
    def _seen(self, t: float, pose: Pose, dowel: Line | None, wall_contact: bool | None,
              events: list[Event]) -> None:
        if self._base is None:
            side = self._side_of(pose)
            facing = facing_of(pose)
            raw = measure(pose, side, facing, dowel)
            if self._hold_still(t, raw):
                self._base = Baseline.average(side, facing, [r for _, r in self._still])
                self._still.clear()
                self.set_no += 1
                self.reps = self.good = 0
                self.last_verdict, self.last_faults = None, ()
                self.phase = "ready"
                self._stand_t = t
                self._smooth.reset()
                events.append(SetStarted(t=t, set_no=self.set_no, facing=facing))
            return
        base = self._base
        raw = measure(pose, base.side, base.facing, dowel)
        sig = self._smoothed(t, relative(raw, base))
        self._sig = sig
        s = self.settings
        hip = sig.hip_flexion
        if hip < s.hysteresis:
            self._stand_t = t
        if self.phase == "ready":
            self._ready(t, raw, sig, wall_contact, events)
        elif self._judge is not None:
            self._judge.observe(t, sig, wall_contact)
            self._in_rep(t, sig, wall_contact, events)

    def _ready(self, t: float, raw: Raw, sig: Signals, wall_contact: bool | None,
               events: list[Event]) -> None:
        s = self.settings
        hip = sig.hip_flexion
        descending = hip > s.hinge_start or sig.knee_flexion > s.squat_knee
        if self._rested:
            # The last rep ended short of standing: the next one starts when the hips sink again.
            descending = hip > self._turn + TURN_DEG
            if hip < self._turn - s.hysteresis:
                self._turn, self._turn_t = hip, t
            if hip < s.stand_hip_max - s.hysteresis:
                self._rested = False
        if descending:
            start = self._turn_t if self._rested else self._stand_t
            self._start_rep(start, t, sig, wall_contact, events)
            return
        if not self._rested and hip < s.stand_hip_max:
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
        self._judge = RepJudge(self.settings, t_start=t0, has_switch=wall_contact is not None)
        self._judge.observe(t, sig, wall_contact)
        self.phase = "hinging"
        self._turn, self._turn_t = sig.hip_flexion, t
        events.append(RepStarted(t=t, set_no=self.set_no, rep=self.reps + 1))
        self._in_rep(t, sig, wall_contact, events)

    def _in_rep(self, t: float, sig: Signals, wall_contact: bool | None, events: list[Event]) -> None:
        s = self.settings
        judge = self._judge
        assert judge is not None
        hip = sig.hip_flexion
        at_wall = bool(wall_contact) if wall_contact is not None else sig.hip_travel >= s.wall_travel
        if self.phase == "hinging":
            if hip > self._turn:
                self._turn, self._turn_t = hip, t
            if at_wall:
                by = "switch" if wall_contact is not None else "camera"
                judge.touch(by)
                events.append(WallTouched(t=t, set_no=self.set_no, rep=self.reps + 1, by=by))
                self.phase = "at_wall"
            elif hip < self._turn - TURN_DEG:
                self._returning(t, hip)
        elif self.phase == "at_wall":
            if hip > self._turn:
                self._turn, self._turn_t = hip, t
            left = not wall_contact if wall_contact is not None else (
                sig.hip_travel < s.wall_travel - s.hysteresis / 100.0)
            if left:
                self._returning(t, hip)
        elif self.phase == "returning":
            if hip < s.stand_hip_max:
                self._finish(t, locked_out=True, events=events)
            elif hip > self._turn + TURN_DEG:
                # Down again without standing tall: this rep ends here, the next begins.
                t_low = self._turn_t
                self._finish(t_low, locked_out=False, events=events)
                self._start_rep(t_low, t, sig, wall_contact, events)
            elif hip < self._turn - 2.0:
                self._turn, self._turn_t = hip, t
            elif t - self._turn_t >= STALL_S:
                self._finish(self._turn_t, locked_out=False, events=events)
                self._rested = True

    def _returning(self, t: float, hip: float) -> None:
        self.phase = "returning"
        self._turn, self._turn_t = hip, t

    def _finish(self, t: float, *, locked_out: bool, events: list[Event]) -> None:
        judge = self._judge
        assert judge is not None
        faults, metrics = judge.decide(t_end=t, locked_out=locked_out)
        self.reps += 1
        verdict = "fault" if faults else "good"
        if verdict == "good":
            self.good += 1
        self.last_verdict, self.last_faults = verdict, faults
        self._judge = None
        self.phase = "ready" if self._base is not None else "away"
        events.append(RepFinished(t=t, set_no=self.set_no, rep=self.reps, verdict=verdict,
                                  faults=faults, metrics=metrics))

    # ------------------------------------------------------------------ helpers
    def _hold_still(self, t: float, raw: Raw) -> bool:
        """Add a frame to the standing-still window; True once it spans ``ready_hold_s``."""
        s = self.settings
        if raw.hip_flexion >= STAND_HIP_MAX or raw.knee_flexion >= STAND_KNEE_MAX:
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
            if dx <= STILL_TRAVEL and dh <= STILL_HIP_DEG:
                break
            self._still.popleft()
        return t - self._still[0][0] >= s.ready_hold_s

    def _smoothed(self, t: float, sig: Signals) -> Signals:
        values = {
            "hip_flexion": sig.hip_flexion, "knee_flexion": sig.knee_flexion,
            "torso_inclination": sig.torso_inclination, "head_spine": sig.head_spine,
            "hip_travel": sig.hip_travel,
        }
        if sig.gaps is not None:
            values.update({f"gap_{c}": g for c, g in sig.gaps.items()})
        v = self._smooth(t, values)
        gaps = {c: v[f"gap_{c}"] for c in CONTACTS} if sig.gaps is not None else None
        return Signals(v["hip_flexion"], v["knee_flexion"], v["torso_inclination"], v["head_spine"],
                       v["hip_travel"], gaps)

    def _snapshot(self, t: float, pose: Pose | None, wall_contact: bool | None) -> Snapshot:
        s = self.settings
        sig = self._sig if self._base is not None else None
        contacts: dict[str, bool | None] = dict.fromkeys(CONTACTS)
        depth = 0.0
        if sig is not None:
            if sig.gaps is not None:
                contacts = {c: sig.gaps[c] <= s.contact_tolerance for c in CONTACTS}
            depth = min(1.0, max(0.0, sig.hip_travel / max(s.wall_travel, 1e-6)))
        if self.phase == "at_wall" or (wall_contact and self.phase != "away"):
            depth = 1.0
        return Snapshot(
            t=t, phase=self.phase, set_no=self.set_no, reps=self.reps, good=self.good,
            depth=round(depth, 3), contacts=contacts, cue=self._cue(contacts),
            last_verdict=self.last_verdict, last_faults=self.last_faults,
            view=self._view if pose is not None else None,
            facing=self._base.facing if self._base else None, wall_contact=wall_contact,
            size=pose.size if pose is not None else (0, 0),
        )

    def _cue(self, contacts: dict[str, bool | None]) -> str:
        if self._view == "front" and self.phase in ("away", "ready"):
            return CUE_FRONT
        if self.phase == "away":
            return CUE_SETTLE if self._still else CUE_AWAY
        if self.phase == "ready":
            if self._rested:
                return CUE_UP
            if self.last_verdict == "good":
                return CUE_GOOD
            code = most_important(self.last_faults)
            return FAULTS[code].cue if code else CUE_GO
        off = [c for c in CONTACTS if contacts[c] is False]
        if off:
            return FAULTS[CONTACT_FAULT[off[0]]].cue
        return {"hinging": CUE_DOWN, "at_wall": CUE_WALL}.get(self.phase, CUE_UP)


def _mean(frames: list[Raw], attr: str) -> float:
    return sum(getattr(f, attr) for f in frames) / len(frames)
