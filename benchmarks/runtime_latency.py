"""Wall switch to light: from the mock pin driven low to the light pin changed, through the station.

    .venv/bin/python benchmarks/runtime_latency.py [--presses 1000]

The station is mid-rep (hinging), so a press must light amber+green (at the wall) at once, from
the pin's own callback, without waiting for the next camera frame. Target: under 10 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from station.camera.sources import SimSource
from station.coach.vocabulary import Phase
from station.config.settings import Settings
from station.runtime.devices import Devices, pin_factory
from station.runtime.station import Station


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--presses", type=int, default=1000)
    args = parser.parse_args()
    factory = pin_factory(mock=True)
    settings = Settings().changed(switch_debounce_ms=0)
    devices = Devices.from_settings(settings, factory=factory)
    station = Station(settings, SimSource(fast=True), data_dir=Path(tempfile.mkdtemp()), devices=devices,
                      demo=True)
    switch_pin, green_pin = factory.pin(settings.switch_pin), factory.pin(settings.light_green_pin)
    times = []
    for _ in range(args.presses):
        station.lights_policy.after_step((), Phase.HINGING, time.monotonic())  # as mid-rep
        t0 = time.perf_counter()
        switch_pin.drive_low()
        while green_pin.state != 1:
            if time.perf_counter() - t0 > 1:
                raise SystemExit("the light never changed")
        times.append(time.perf_counter() - t0)
        switch_pin.drive_high()
    station.stop()
    times.sort()
    p99 = times[int(0.99 * (len(times) - 1))]
    print(f"switch -> light over {len(times)} presses: median {1000 * statistics.median(times):.3f} ms, "
          f"p99 {1000 * p99:.3f} ms (target < 10 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
