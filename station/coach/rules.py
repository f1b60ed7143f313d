"""Where a rep is judged: the evidence gathered frame by frame, and the faults it proves.

A condition becomes a fault only when it holds without a break for ``fault_min_s``: one noisy
frame never fails a rep, a real movement always lasts longer than that.
"""

from __future__ import annotations

from station.coach.faults import FAULTS
from station.coach.signals import CONTACTS, Signals
from station.settings import Settings

CONDITIONS = ("head_off", "upper_back_off", "sacrum_off", "head_and_sacrum_off", "torso_over",
              "head_drop", "squat")


class RepJudge:
    """Collects one rep's evidence; :meth:`decide` turns it into faults and metrics.

        >>> judge = RepJudge(Settings(), t_start=0.0, has_switch=True)
        >>> judge.decide(t_end=2.0, locked_out=True)[0]
        ('no_wall_touch',)
    """

    def __init__(self, settings: Settings, t_start: float, has_switch: bool) -> None:
        self.s = settings
        self.t_start = t_start
        self.has_switch = has_switch
        self._run_since: dict[str, float | None] = dict.fromkeys(CONDITIONS)
        self.flags: set[str] = set()
        self.lost_s = 0.0
        self._lost_since: float | None = None
        self.touched_by: str | None = None
        self.camera_touch = False
        self.max = {"hip_flexion": 0.0, "knee_flexion": 0.0, "torso_inclination": 0.0,
                    "hip_travel": 0.0, "head_spine": 0.0}
        self.max_gap = dict.fromkeys(CONTACTS, 0.0)

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

    def observe(self, t: float, sig: Signals, wall_contact: bool | None) -> None:
        self._lost_since = None
        s = self.s
        tol = s.contact_tolerance
        gaps = sig.gaps
        held = {
            "head_off": gaps is not None and gaps["head"] > tol,
            "upper_back_off": gaps is not None and gaps["upper_back"] > tol,
            "sacrum_off": gaps is not None and gaps["sacrum"] > tol,
            "head_and_sacrum_off": gaps is not None and gaps["head"] > tol and gaps["sacrum"] > tol,
            "torso_over": sig.torso_inclination > s.rounded_torso_max,
            # Without the dowel the landmarks alone must show the spine: a head dropped far
            # beyond the member's own standing posture.
            "head_drop": gaps is None and sig.head_spine > s.rounded_head_spine,
            "squat": sig.knee_flexion > s.squat_knee,
        }
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
        if gaps is not None:
            for c in CONTACTS:
                self.max_gap[c] = max(self.max_gap[c], gaps[c])
        at_wall_by_camera = sig.hip_travel >= s.wall_travel
        self.camera_touch = self.camera_touch or at_wall_by_camera
        if wall_contact:
            self.touched_by = "switch"
        elif wall_contact is None and at_wall_by_camera and self.touched_by is None:
            self.touched_by = "camera"

    def touch(self, by: str) -> None:
        if self.touched_by is None:
            self.touched_by = by

    # -- verdict
    def decide(self, t_end: float, locked_out: bool) -> tuple[tuple[str, ...], dict[str, float]]:
        s, f = self.s, self.flags
        faults: set[str] = set()
        rounded = bool(f & {"head_and_sacrum_off", "torso_over", "head_drop"})
        if rounded:
            faults.add("rounded_back")  # it explains head and sacrum leaving the dowel
        else:
            faults |= {c + "_off_dowel" for c in ("head", "sacrum") if c + "_off" in f}
        if "upper_back_off" in f:
            faults.add("upper_back_off_dowel")
        squat = "squat" in f
        if squat:
            faults.add("squat")
        duration = t_end - self.t_start
        lost = self.lost_s >= s.lost_s
        if lost:
            # What happened out of view cannot be judged; spine faults seen in view still stand.
            faults = {code for code in faults if FAULTS[code].spine} | {"lost_tracking"}
        else:
            if self.touched_by is None and not squat:
                faults.add("no_wall_touch")
            if not locked_out:
                faults.add("no_lockout")
            if duration < s.min_rep_s:
                faults.add("too_fast")
        metrics = {
            "duration_s": round(duration, 3),
            **{f"max_{k}": round(v, 2) for k, v in self.max.items()},
            **{f"max_gap_{c}": round(v, 3) for c, v in self.max_gap.items()},
            "lost_s": round(self.lost_s, 3),
            "wall_by_switch": float(self.touched_by == "switch"),
            "wall_by_camera": float(self.camera_touch),
        }
        ordered = tuple(code for code in FAULTS if code in faults)
        return ordered, metrics
