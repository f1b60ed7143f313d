"""What the fleet's tests share: a demo station that does a set of good reps, and polling until a
value holds (the MQTT publisher works on its own thread)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from station.camera.sources import SimSource
from station.config.settings import Settings
from station.runtime.devices import Devices, pin_factory
from station.runtime.station import Station
from station.sim import Body, RepPlan, SetPlan

T = TypeVar("T")


def sim_station(folder: Path, reps: int, seed: int = 5, **settings) -> Station:
    """A demo station whose simulated member does ``reps`` good reps in one set, then stops."""
    cfg = Settings(station_name="test-wall", **settings)
    devices = Devices.from_settings(cfg, factory=pin_factory(mock=True))
    switch = devices.switch

    def press(closed: bool) -> None:
        switch.press() if closed else switch.release()

    plan = [(Body(), SetPlan(reps=tuple(RepPlan() for _ in range(reps))))]
    source = SimSource(seed=seed, fast=True, sets=iter(plan), press=press)
    return Station(cfg, source, data_dir=folder, devices=devices, demo=True)


def eventually(read: Callable[[], T], ok: Callable[[T], bool], timeout: float = 10.0) -> T:
    """``read()`` polled until ``ok`` holds of its value or ``timeout`` seconds pass: the last value
    read, for the test's asserts (which then fail on it, showing it)."""
    deadline = time.monotonic() + timeout
    value = read()
    while not ok(value) and time.monotonic() < deadline:
        time.sleep(0.02)
        value = read()
    return value


def log_ids(station: Station) -> list[int]:
    """Every rep id in the station's log, in order."""
    return sorted(r["id"] for r in station.store.reps.newest_first(limit=10**6))
