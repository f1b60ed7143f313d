"""A station that kept a set of the simulated trainee, for the kept sets' tests and pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from station.config.settings import Settings
from station.sim import Body, RepPlan, SetPlan

# Three reps, the second a squat.
PLAN = SetPlan(reps=(RepPlan(), RepPlan(frozenset({"squat"})), RepPlan()), approach_s=1.0, facing="left")


def kept_station(make_sim_station: Callable[..., Any], settings: Settings | None = None,
                 plan: SetPlan = PLAN) -> Any:
    """A demo station that plays ``plan`` once, as fast as it goes, to the end; then stopped (its
    writer has written what ended)."""
    station = make_sim_station([(Body(), plan)], settings or Settings().changed(keep_sets=True))
    station.start()
    assert station.wait(60)
    station.stop()
    return station
