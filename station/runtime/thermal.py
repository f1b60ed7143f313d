"""The CPU's temperature and the firmware's throttled flags, read from sysfs (cheap: two small files).

The temperature is the kernel's thermal zone 0 (the SoC sensor on every Raspberry Pi), in
millidegrees. The throttled flags are the firmware's ``get_throttled`` word, the same one
``vcgencmd get_throttled`` prints; Raspberry Pi OS kernels expose it as a sysfs attribute of the
firmware device (``drivers/firmware/raspberrypi.c`` in raspberrypi/linux), so reading it costs no
process. Bit meanings from Raspberry Pi's documentation ("vcgencmd get_throttled", in
computers/os.adoc): bits 0-3 hold now, bits 16-19 the same since boot.

Anything missing (not a Pi, a sandbox hiding /sys, a kernel without the attribute) reads as None,
never an exception: the health page asks on every request.

    >>> t = read_thermal(Path("/nonexistent"))
    >>> t.temp_c, t.throttled, t.throttling
    (None, None, False)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The firmware's get_throttled bits, low four (now); the same four are repeated 16 bits up
# (since boot). Names are Prometheus label values, so snake case.
FLAGS: tuple[tuple[int, str], ...] = (
    (0, "under_voltage"),
    (1, "arm_frequency_capped"),
    (2, "throttled"),
    (3, "soft_temperature_limit"),
)
SINCE_BOOT_SHIFT = 16
# Words for staff, by flag: what each means on the wall and what to look at.
FLAG_WORDS = {
    "under_voltage": "under-voltage (check the power supply and its cable)",
    "arm_frequency_capped": "CPU frequency capped",
    "throttled": "throttled",
    "soft_temperature_limit": "soft temperature limit (too hot: check the cooling)",
}

# Where the health page and /metrics read: tests point it at a fake tree.
SYS = Path("/sys")

TEMP_FILE = Path("class/thermal/thermal_zone0/temp")
# Where the firmware device sits differs by SoC: "soc" on the Pi 4 and earlier
# (/sys/devices/platform/soc/soc:firmware), a root-level firmware node on the Pi 5's device tree.
# The first is the documented one; the globs find the others without naming every board.
THROTTLED_FILE = Path("devices/platform/soc/soc:firmware/get_throttled")
THROTTLED_GLOBS = ("devices/platform/*firmware/get_throttled", "devices/platform/*/*firmware/get_throttled")


@dataclass(frozen=True)
class Thermal:
    """One reading: ``temp_c`` in °C, ``throttled`` the raw firmware word, ``now`` and ``since_boot``
    the names of the flags set (from :data:`FLAGS`)."""

    temp_c: float | None
    throttled: int | None
    now: tuple[str, ...]
    since_boot: tuple[str, ...]

    @property
    def throttling(self) -> bool:
        """A limit is in force right now (under-voltage, capped, throttled or soft limit)."""
        return bool(self.now)

    def as_dict(self) -> dict[str, Any]:
        return {
            "temp_c": self.temp_c,
            "throttled": None if self.throttled is None else f"0x{self.throttled:x}",
            "now": list(self.now), "since_boot": list(self.since_boot), "throttling": self.throttling,
        }


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="ignore").strip("\0\n ")
    except OSError:
        return None


def read_temp_c(sys_root: Path = Path("/sys")) -> float | None:
    """Thermal zone 0 in °C, to 0.1 °C (the kernel gives millidegrees), or None."""
    text = _read(sys_root / TEMP_FILE)
    try:
        return round(int(text) / 1000.0, 1) if text else None
    except ValueError:
        return None


@functools.lru_cache(maxsize=8)
def throttled_file(sys_root: Path = Path("/sys")) -> Path | None:
    """The firmware's get_throttled attribute under ``sys_root``, or None when the kernel has none.

    Looked for once per root (a firmware node does not come or go while the station runs): every
    staff page asks for the warnings, and the globs walk /sys/devices/platform."""
    first = sys_root / THROTTLED_FILE
    if first.is_file():
        return first
    for pattern in THROTTLED_GLOBS:
        for found in sorted(sys_root.glob(pattern)):
            if found.is_file():
                return found
    return None


def read_throttled(sys_root: Path = Path("/sys")) -> int | None:
    """The raw get_throttled word (the file holds hex without ``0x``, e.g. ``50000``), or None."""
    path = throttled_file(sys_root)
    text = _read(path) if path is not None else None
    if not text:
        return None
    try:
        return int(text.removeprefix("0x").removeprefix("throttled=0x"), 16)
    except ValueError:
        return None


def flags(word: int | None, shift: int = 0) -> tuple[str, ...]:
    """The names of the flags set in ``word`` (shift 16 for since boot).

        >>> flags(0x50005), flags(0x50005, SINCE_BOOT_SHIFT)
        (('under_voltage', 'throttled'), ('under_voltage', 'throttled'))
    """
    if word is None:
        return ()
    return tuple(name for bit, name in FLAGS if word >> (bit + shift) & 1)


def read_thermal(sys_root: Path = Path("/sys")) -> Thermal:
    """Temperature and throttled flags now; never raises."""
    word = read_throttled(sys_root)
    return Thermal(read_temp_c(sys_root), word, flags(word), flags(word, SINCE_BOOT_SHIFT))


def warning(thermal: Thermal) -> str | None:
    """The health page's warning line while the firmware limits the Pi now; None otherwise.

    Only the "now" flags warn: a flag since boot may be a start-up dip long gone (the health page
    and /metrics still show it).

        >>> warning(Thermal(82.4, 0x60006, ("arm_frequency_capped", "throttled"), ()))
        'the Pi is being slowed down now: CPU frequency capped, throttled (82.4 °C); coaching may lag'
    """
    if not thermal.throttling:
        return None
    temp = f" ({thermal.temp_c} °C)" if thermal.temp_c is not None else ""
    words = ", ".join(FLAG_WORDS.get(name, name) for name in thermal.now)
    return f"the Pi is being slowed down now: {words}{temp}; coaching may lag"
