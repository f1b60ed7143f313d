"""What the simulated member will do: reps with their faults, and the conditions of the set.

    >>> plan = SetPlan(reps=(RepPlan(), RepPlan(faults=frozenset({"squat"}))))
    >>> [sorted(str(code) for code in r.faults) for r in plan.reps]
    [[], ['squat']]
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from station.coach.vocabulary import FaultCode, Side
from station.sim.body import Body
from station.sim.noise import PROFILES


@dataclass(frozen=True)
class RepPlan:
    faults: frozenset[FaultCode] = frozenset()  # codes injected in this rep (plain strings are taken)
    duration: float = 2.6  # s, leaving lockout to lockout again
    pause_after: float = 1.2  # s standing (or holding, for no_lockout) after the rep
    hold_s: float | None = None  # s held at the bottom (None: 15 % of the duration); adds to it

    def __post_init__(self) -> None:
        known = {str(code) for code in FaultCode}
        unknown = {str(f) for f in self.faults} - known
        if unknown:
            raise ValueError(f"unknown fault codes: {sorted(unknown)}")
        object.__setattr__(self, "faults", frozenset(FaultCode(f) for f in self.faults))


STARTS = ("standing", "bottom", "stooped")
# What half a rep seen from its bottom cannot show: its pace, a missing lockout (it ends standing),
# tracking lost halfway.
HALF_REP_CANNOT = frozenset({FaultCode.TOO_FAST, FaultCode.NO_LOCKOUT, FaultCode.LOST_TRACKING})
# A member who walked up stooped and stands to settle the dowel: longer than the coach's
# TOP_MAX_S (1.5 s) with margin, so the rise before it is plainly not a rep.
SETTLE_MIN_S = 2.0


@dataclass(frozen=True)
class SetPlan:
    reps: tuple[RepPlan, ...]
    facing: Side = Side.LEFT  # the way the member faces in the image; the wall is behind them
    switch: bool = True  # a wall switch is fitted (else wall_contact is None)
    fps: float = 30.0
    noise_px: float = 1.5  # gaussian keypoint noise
    drop_rate: float = 0.0  # share of single frames where the pose engine finds nobody
    dowel_miss_rate: float = 0.0  # share of frames where the dowel is not found
    approach_s: float = 2.0  # standing still before the first rep (short: no still stand at all)
    lockout_share: float = 0.0  # between reps, how far short of tall the member stops (share of depth)
    leave: bool = True  # walk out of view at the end
    # How the member is first seen: "standing"; "bottom", parked at the bottom of rep 1 for
    # ``approach_s`` (a bell on the floor), then up into rep 1's top and on (rep 1 is that rise);
    # "stooped", half bent, then standing up and settling for ``approach_s`` (no rep).
    start: str = "standing"
    # Keypoint noise as measured on a real track (a name in station.sim.noise.PROFILES): jitter by
    # joint and speed, swaps, visibility, drops. Empty: plain gaussian ``noise_px`` on every landmark.
    noise: str = ""

    def __post_init__(self) -> None:
        if self.noise and self.noise not in PROFILES:
            raise ValueError(f"noise must be one of {sorted(PROFILES)} or empty, not {self.noise!r}")
        if self.start not in STARTS:
            raise ValueError(f"start must be one of {STARTS}, not {self.start!r}")
        if self.start == "bottom" and self.reps and self.reps[0].faults & HALF_REP_CANNOT:
            raise ValueError("a set that starts at the bottom begins with half a rep: it cannot be "
                             f"{', '.join(sorted(self.reps[0].faults & HALF_REP_CANNOT))}")
        if self.start == "stooped" and self.approach_s < SETTLE_MIN_S:
            # The rise is no rep because the member settles before the first one.
            raise ValueError(f"a stooped start needs approach_s >= {SETTLE_MIN_S} s of settling")


def rep_plan(rng: random.Random, faults: Sequence[FaultCode] = ()) -> RepPlan:
    """One rep at a natural pace with these faults (too_fast and no_lockout change the timing)."""
    duration = rng.uniform(0.65, 0.9) if FaultCode.TOO_FAST in faults else rng.uniform(2.0, 4.0)
    pause = rng.uniform(2.3, 3.0) if FaultCode.NO_LOCKOUT in faults else rng.uniform(0.8, 1.6)
    return RepPlan(frozenset(faults), round(duration, 3), round(pause, 3))


def random_set(rng: random.Random, *, n_reps: int | None = None, faults: Sequence[FaultCode] | None = None,
               switch: bool | None = None, facing: Side | None = None) -> tuple[Body, SetPlan]:
    """A set of 3-8 reps: about 40 % good, the rest one fault each (``faults`` to choose from)."""
    choices = list(faults) if faults else list(FaultCode)
    n = n_reps if n_reps is not None else rng.randint(3, 8)
    reps = []
    for _ in range(n):
        if rng.random() < 0.4:
            reps.append(rep_plan(rng))
        else:
            reps.append(rep_plan(rng, [rng.choice(choices)]))
    plan = SetPlan(
        reps=tuple(reps),
        facing=facing or rng.choice((Side.LEFT, Side.RIGHT)),
        switch=rng.random() < 0.5 if switch is None else switch,
        noise_px=round(rng.uniform(0.5, 3.0), 2),
        approach_s=round(rng.uniform(1.5, 3.0), 2),
    )
    return Body.random(rng), plan


def demo_sets(seed: int = 0) -> Iterator[tuple[Body, SetPlan]]:
    """Endless sets for the demo: 4-8 reps, mostly good, now and then a fault, both facings."""
    rng = random.Random(seed)
    demo_faults = (FaultCode.ROUNDED_BACK, FaultCode.HEAD_OFF_DOWEL, FaultCode.SQUAT, FaultCode.NO_WALL_TOUCH,
                   FaultCode.TOO_FAST, FaultCode.SACRUM_OFF_DOWEL)
    while True:
        reps = tuple(rep_plan(rng, [rng.choice(demo_faults)] if rng.random() < 0.3 else [])
                     for _ in range(rng.randint(4, 8)))
        plan = SetPlan(reps=reps, facing=rng.choice((Side.LEFT, Side.RIGHT)), switch=True,
                       noise_px=1.0, approach_s=2.0)
        yield Body.random(rng), replace(plan)
