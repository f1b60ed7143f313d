"""The one made-up history: deterministic given its seed, exactly the reps asked for, in range."""

from __future__ import annotations

from station.coach.vocabulary import FaultCode
from station.storage.made_up import fill_history
from station.storage.replog import RepLog

NOW = 1_700_000_000.0


def test_the_same_seed_makes_the_same_log_and_another_seed_another() -> None:
    logs = [RepLog(":memory:") for _ in range(3)]
    for log, seed in zip(logs, (5, 5, 6), strict=True):
        assert fill_history(log, 301, now=NOW, days=10, seed=seed) == 301
    same, also, other = (log.reps.newest_first(limit=10**6) for log in logs)
    assert same == also and same != other and len(same) == 301
    assert all(NOW - 10 * 86400 <= r["t"] < NOW + 60 for r in same)


def test_fault_rates_and_set_sizes_are_kept_to() -> None:
    log = RepLog(":memory:")
    fill_history(log, 200, now=NOW, days=5, fault_rates={FaultCode.SQUAT: 1.0}, set_size=(4, 4))
    assert log.history.fault_counts() == {"squat": 200}
    assert {s["reps"] for s in log.reps.sets(limit=100)} == {4} and len(log.reps.sets(limit=100)) == 50
