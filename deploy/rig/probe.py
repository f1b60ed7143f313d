"""What the station's process can see, run by the arm64 rig as a copy of the station's own unit
(same user, sandbox and environment; only ExecStart differs). Prints one JSON line.

Each check stands alone, so one defect cannot hide another: numpy and picamera2 (defect 1), the
device tree, /proc/cpuinfo and the station's Pi detection (defect 2), importing lgpio (defect 3),
and the pin factory the station would use.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def attempt(what):
    try:
        return what()
    except BaseException as exc:  # the rig reports every failure, whatever its kind
        return f"{type(exc).__name__}: {str(exc)[:160]}"


def numpy_origin() -> str:
    import numpy

    where = "system" if numpy.__file__.startswith("/usr/lib/python3") else "venv"
    return f"{numpy.__version__} ({where})"


def picamera2_import() -> str:
    import picamera2  # noqa: F401

    return "ok"


def readable(path: str) -> str:
    p = Path(path)
    return p.read_text(errors="ignore").strip("\0\n ")[:60] if p.exists() else "absent"


def lgpio_import() -> str:
    import lgpio  # noqa: F401

    return "ok"


def pins() -> str:
    from station.runtime import devices

    describe = getattr(devices, "describe_pins", None)
    if describe is not None:  # the station's own words (after the fix)
        return describe(devices.pin_factory())
    factory = devices.pin_factory()
    return type(factory).__name__


def main() -> None:
    from station.runtime import devices

    report = {
        "cwd": os.getcwd(),
        "numpy": attempt(numpy_origin),
        "picamera2": attempt(picamera2_import),
        "proc_model": attempt(lambda: readable("/proc/device-tree/model")),
        "sys_model": attempt(lambda: readable("/sys/firmware/devicetree/base/model")),
        "cpuinfo": attempt(lambda: "readable" if Path("/proc/cpuinfo").read_text() else "empty"),
        "on_pi": attempt(devices.on_pi),
        "lgpio": attempt(lgpio_import),
        "pins": attempt(pins),
    }
    print("PROBE " + json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
