"""Every tunable number of the station, with its unit, range, group and a one-line reason.

Settings are a frozen dataclass: the coach reads them, staff change them through
:meth:`Settings.changed`, which validates everything before anything is applied.

    >>> s = Settings()
    >>> s.pose_threads == default_threads()
    True
    >>> s.changed(pose_threads=0)
    Traceback (most recent call last):
    ...
    station.settings.SettingsError: pose_threads: must be at least 1
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

GROUPS = ("camera", "wall_switch", "dowel", "coaching", "lights", "privacy", "system")
# Settings that were renamed, old name -> new: saved settings, imported files and API callers
# that use an old name still reach the setting.
RENAMED = {
    "stand_hip_max": "lockout_hip_beyond_standing",
    "hinge_start": "hinge_start_hip_beyond_standing",
    "rounded_torso_max": "rounded_torso_from_vertical",
    "rounded_head_spine": "rounded_head_drop_beyond_standing",
    "squat_knee": "squat_knee_beyond_standing",
}


def default_threads() -> int:
    """One pose-model thread per core this process may use, at most 4 (a Pi 4 or 5 has 4)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 2
    return max(1, min(4, cores))


def setting(
    default: Any,
    group: str,
    help: str,
    unit: str = "",
    min: float | None = None,
    max: float | None = None,
    choices: tuple[str, ...] | None = None,
) -> Any:
    """A dataclass field that carries its own description for validation and the staff pages."""
    assert group in GROUPS, group
    meta = {"group": group, "help": help, "unit": unit, "min": min, "max": max, "choices": choices}
    return dataclasses.field(default=default, metadata=meta)


class SettingsError(ValueError):
    """One or more settings were refused; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class Settings:
    # --- camera and pose model
    pose_threads: int = setting(default_threads(), "system", "CPU threads for each pose model", "", 1, 8)
    min_detection_confidence: float = setting(
        0.5, "camera", "how sure the detector must be that a person is there", "", 0.1, 0.95)
    min_tracking_confidence: float = setting(
        0.5, "camera", "below this pose score the person is searched for again", "", 0.1, 0.95)

    camera_width: int = setting(1280, "camera", "capture width", "px", 320, 4608)
    camera_height: int = setting(720, "camera", "capture height", "px", 240, 2592)
    camera_fps: int = setting(30, "camera", "frames per second asked of the camera", "fps", 5, 120)
    camera_rotation: int = setting(0, "camera", "rotate the picture (0, 90, 180 or 270)", "deg", 0, 270)
    camera_hflip: bool = setting(False, "camera", "mirror the picture left-right", "")
    camera_vflip: bool = setting(False, "camera", "flip the picture upside down", "")
    camera_stall_s: float = setting(
        3.0, "camera", "no frame for this long means the camera is offline and is reopened", "s", 0.5, 60)
    # Camera Module 3 focuses at about 1 m by default, soft at the station's 2.5-3.5 m.
    camera_focus_m: float = setting(
        0.0, "camera", "focus distance for Camera Module 3 (0: continuous autofocus)", "m", 0.0, 10.0)

    # --- wall switch (BCM numbering; defaults match hardware/wiring.md)
    switch_enabled: bool = setting(
        True, "wall_switch", "a pressure switch is fitted on the wall", "")
    switch_pin: int = setting(
        17, "wall_switch", "GPIO of the wall switch (to GND, internal pull-up)", "BCM", 2, 27)
    switch_debounce_ms: float = setting(
        20.0, "wall_switch", "ignore contact bounce shorter than this", "ms", 0, 200)
    switch_stuck_s: float = setting(
        20.0, "wall_switch", "closed this long with nobody hinging: warn staff it is stuck", "s", 5, 600)

    # --- dowel (its colour as an HSV band, OpenCV scale: hue 0-179, saturation and value 0-255)
    dowel_hue_min: int = setting(3, "dowel", "lowest hue of the dowel (fluorescent orange: 3-20)", "", 0, 179)
    dowel_hue_max: int = setting(20, "dowel", "highest hue of the dowel", "", 0, 179)
    dowel_sat_min: int = setting(170, "dowel", "least colour saturation that counts as dowel", "", 0, 255)
    dowel_val_min: int = setting(140, "dowel", "least brightness that counts as dowel", "", 0, 255)

    # --- coaching. Angles in degrees; "beyond standing" is measured from the member's own standing
    # baseline, taken at the start of each set. Distances in torso lengths (hip to shoulder,
    # standing). Fixed numbers that are not a gym's to tune: station/coach/thresholds.py.
    camera_sees: str = setting(
        "auto", "coaching", "which body side faces the camera", "", choices=("auto", "left", "right"))
    ready_hold_s: float = setting(
        0.6, "coaching", "stand still this long, seen whole, to be ready", "s", 0.2, 5)
    lockout_hip_beyond_standing: float = setting(
        20.0, "coaching", "hip flexion beyond standing below which the member stands tall (locked out)",
        "deg", 5, 45)
    hinge_start_hip_beyond_standing: float = setting(
        30.0, "coaching", "hip flexion beyond standing at which a rep starts", "deg", 10, 60)
    hysteresis: float = setting(
        5.0, "coaching", "margin every threshold must be crossed back by, against flicker", "deg", 0, 20)
    wall_travel: float = setting(
        0.35, "coaching", "hip travel back from standing at which the buttocks touch the wall "
        "(calibrated)", "torso", 0.1, 1.5)
    contact_tolerance: float = setting(
        0.07, "coaching", "a body point that moved farther than this off the dowel (against standing) "
        "has lost contact", "torso", 0.02, 0.3)
    rounded_torso_from_vertical: float = setting(
        100.0, "coaching", "torso inclination from vertical beyond which the spine flexed", "deg", 70, 150)
    rounded_head_drop_beyond_standing: float = setting(
        30.0, "coaching", "head dropped this much beyond standing: rounded (no dowel seen)", "deg", 10, 90)
    squat_knee_beyond_standing: float = setting(
        45.0, "coaching", "knee flexion beyond standing that makes it a squat", "deg", 20, 120)
    min_rep_s: float = setting(1.2, "coaching", "a rep faster than this is too fast", "s", 0.3, 10)
    fault_min_s: float = setting(
        0.15, "coaching", "a fault must last this long to count (ignores single noisy frames)", "s", 0, 2)
    lost_s: float = setting(
        0.4, "coaching", "unseen this long during a rep means tracking was lost", "s", 0.1, 5)
    away_s: float = setting(3.0, "coaching", "unseen this long ends the set", "s", 0.5, 60)
    smoothing_s: float = setting(
        0.12, "coaching", "time constant of the signal smoothing", "s", 0, 1)

    # --- lights and buzzer
    light_red_pin: int = setting(5, "lights", "GPIO of the red light", "BCM", 2, 27)
    light_amber_pin: int = setting(6, "lights", "GPIO of the amber light", "BCM", 2, 27)
    light_green_pin: int = setting(13, "lights", "GPIO of the green light", "BCM", 2, 27)
    lights_pwm: bool = setting(True, "lights", "dim and pulse the lights with PWM", "")
    buzzer_enabled: bool = setting(False, "lights", "a buzzer is fitted", "")
    buzzer_pin: int = setting(12, "lights", "GPIO of the buzzer", "BCM", 2, 27)
    result_hold_s: float = setting(
        1.5, "lights", "how long a rep's result stays on the lights", "s", 0.2, 10)

    # --- privacy
    staff_preview: bool = setting(
        False, "privacy", "staff may see the live camera picture (never on the member page)", "")

    # --- system
    web_port: int = setting(8000, "system", "port of the web pages", "", 1, 65535)

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        """Every field's name, type, default and metadata, in declaration order."""
        out = []
        for f in dataclasses.fields(cls):
            out.append({"name": f.name, "type": _type_name(f), "default": f.default, **f.metadata})
        return out

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def changed(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied, or SettingsError naming every bad field (none applied)."""
        by_name = {f.name: f for f in dataclasses.fields(self)}
        errors: dict[str, str] = {}
        clean: dict[str, Any] = {}
        for given, raw in changes.items():
            name = RENAMED.get(given, given)
            f = by_name.get(name)
            if f is None:
                errors[given] = "unknown setting"
                continue
            try:
                clean[name] = _coerce(f, raw)
            except ValueError as exc:
                errors[given] = str(exc)
        if errors:
            raise SettingsError(errors)
        return dataclasses.replace(self, **clean)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Settings:
        """Settings from stored values; unknown keys (from a newer version) are ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls().changed(**{k: v for k, v in values.items() if RENAMED.get(k, k) in known})


def _type_name(f: dataclasses.Field[Any]) -> str:
    return {"int": "int", "float": "float", "bool": "bool", "str": "str"}.get(str(f.type), "str")


def _coerce(f: dataclasses.Field[Any], raw: Any) -> Any:
    kind = _type_name(f)
    meta = f.metadata
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "on", "yes", "1", "false", "off", "no", "0"):
            return raw.lower() in ("true", "on", "yes", "1")
        raise ValueError("must be true or false")
    if kind in ("int", "float"):
        if isinstance(raw, bool):
            raise ValueError("must be a number")
        try:
            value = float(raw) if kind == "float" else _as_int(raw)
        except (TypeError, ValueError):
            raise ValueError(f"must be {'a whole number' if kind == 'int' else 'a number'}") from None
        if kind == "float" and value != value:  # NaN
            raise ValueError("must be a number")
        unit = f" {meta['unit']}" if meta.get("unit") else ""
        if meta.get("min") is not None and value < meta["min"]:
            raise ValueError(f"must be at least {_fmt(meta['min'])}{unit}")
        if meta.get("max") is not None and value > meta["max"]:
            raise ValueError(f"must be at most {_fmt(meta['max'])}{unit}")
        return value
    if not isinstance(raw, str):
        raise ValueError("must be text")
    if meta.get("choices") and raw not in meta["choices"]:
        raise ValueError("must be one of " + ", ".join(meta["choices"]))
    return raw


def _as_int(raw: Any) -> int:
    value = float(raw)
    if value != int(value):
        raise ValueError
    return int(value)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
