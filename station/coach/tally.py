"""Per-fault true alarms, false alarms and misses of the coach against true labels, kept once for
the simulator's suite (:mod:`station.sim.score`) and for labelled pose streams
(:mod:`station.streams.evaluate`); each says how its reps pair with the labels.

Fault codes count as plain strings, so a label may name a fault this coach does not have.

    >>> t = FaultTally()
    >>> t.paired({"squat"}, {"squat", "too_fast"}, "fault")
    >>> t.missed({"rounded_back"})
    >>> t.precision("squat"), t.precision("too_fast"), t.recall("rounded_back"), t.recall("no_lockout")
    (1.0, 0.0, 0.0, None)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Set
from dataclasses import dataclass, field

from station.coach.faults import SPINE_FAULTS
from station.coach.vocabulary import Verdict


@dataclass
class FaultTally:
    """Counts per fault code: ``tp`` named rightly, ``fp`` named wrongly, ``fn`` missed; and the
    reps with a true spine fault that the coach judged good (the error that must never happen)."""

    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    spine_judged_good: int = 0

    def paired(self, truth: Set[str], judged: Set[str], verdict: str) -> None:
        """A labelled rep and the coach's rep it pairs with: its true and judged faults."""
        self.tp.update(truth & judged)
        self.fn.update(truth - judged)
        self.fp.update(judged - truth)
        self.spine_judged_good += bool(truth & SPINE_FAULTS) and verdict == Verdict.GOOD

    def missed(self, truth: Iterable[str]) -> None:
        """A labelled rep the coach has no rep for: every true fault is missed."""
        self.fn.update(truth)

    def unpaired(self, judged: Iterable[str]) -> None:
        """A coach's rep no labelled rep pairs with: every fault it named is a false alarm."""
        self.fp.update(judged)

    def precision(self, code: str) -> float | None:
        """The share of the coach's namings of ``code`` that were right; None if it never named it."""
        n = self.tp[code] + self.fp[code]
        return self.tp[code] / n if n else None

    def recall(self, code: str) -> float | None:
        """The share of true ``code`` faults the coach named; None if there were none."""
        n = self.tp[code] + self.fn[code]
        return self.tp[code] / n if n else None
