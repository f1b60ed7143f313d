"""Score the coach against the simulated trainee's true labels: rep counts and faults.

    >>> import random
    >>> from station.sim import random_set
    >>> result = score_set(*random_set(random.Random(1)), seed=1)
    >>> result.count_exact in (True, False)
    True
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from station.coach.events import RepFinished
from station.coach.run import reps_over
from station.coach.tally import FaultTally
from station.coach.vocabulary import FaultCode, Verdict
from station.config.settings import Settings
from station.sim import Body, SetPlan, Trainee

# Without a switch, staff calibrate the wall distance with the member touching the wall; this is
# the share of the true travel such a calibration leaves as the threshold.
CALIBRATED_SHARE = 0.85


@dataclass
class SetResult:
    truth: list[frozenset[FaultCode]]
    judged: list[RepFinished]
    frames: int
    coach_s: float

    @property
    def count_exact(self) -> bool:
        return len(self.truth) == len(self.judged)


@dataclass
class Tally(FaultTally):
    """The suite's counts: sets, reps and the coach's time, and per fault (:class:`FaultTally`)."""

    sets: int = 0
    exact_sets: int = 0
    reps: int = 0
    frames: int = 0
    coach_s: float = 0.0
    good_judged_good: int = 0
    good_reps: int = 0

    def add(self, r: SetResult) -> None:
        self.sets += 1
        self.exact_sets += r.count_exact
        self.reps += len(r.truth)
        self.frames += r.frames
        self.coach_s += r.coach_s
        if not r.count_exact:
            # Reps cannot be paired one to one: every true fault is missed, every judged one extra.
            for truth in r.truth:
                self.missed(truth)
            for rep in r.judged:
                self.unpaired(rep.faults)
            return
        for truth, rep in zip(r.truth, r.judged, strict=True):
            self.paired(truth, set(rep.faults), rep.verdict)
            if not truth:
                self.good_reps += 1
                self.good_judged_good += rep.verdict == Verdict.GOOD


def settings_for(trainee: Trainee, plan: SetPlan, base: Settings | None = None) -> Settings:
    """The settings staff would have after calibrating this station (wall distance without a switch)."""
    settings = base or Settings()
    if not plan.switch:
        travel = round(CALIBRATED_SHARE * trainee.wall_travel, 3)
        settings = settings.changed(wall_travel=min(max(travel, 0.1), 1.5))
    return settings


def score_set(body: Body, plan: SetPlan, seed: int = 0, settings: Settings | None = None) -> SetResult:
    """Run a fresh coach over one simulated set."""
    trainee = Trainee(body, plan, seed=seed)
    frames = list(trainee.frames())  # made before the clock starts: only the coach is timed
    settings = settings_for(trainee, plan, settings)
    t0 = time.perf_counter()
    judged = reps_over(frames, settings)
    elapsed = time.perf_counter() - t0
    return SetResult([frozenset(r.faults) for r in trainee.truth], judged, len(frames), elapsed)
