"""Every tunable number of the station, with its unit, range, group and a one-line reason.

Settings are a frozen dataclass: the coach reads them, staff change them through
:meth:`Settings.changed`, which validates everything before anything is applied.

    >>> s = Settings()
    >>> s.pose_threads
    2
    >>> s.changed(pose_threads=0)
    Traceback (most recent call last):
    ...
    station.settings.SettingsError: pose_threads: must be at least 1
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

GROUPS = ("camera", "wall_switch", "dowel", "coaching", "lights", "privacy", "system")


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
    pose_threads: int = setting(2, "system", "CPU threads for each pose model", "", 1, 8)
    min_detection_confidence: float = setting(
        0.5, "camera", "how sure the detector must be that a person is there", "", 0.1, 0.95)
    min_tracking_confidence: float = setting(
        0.5, "camera", "below this pose score the person is searched for again", "", 0.1, 0.95)

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
        for name, raw in changes.items():
            f = by_name.get(name)
            if f is None:
                errors[name] = "unknown setting"
                continue
            try:
                clean[name] = _coerce(f, raw)
            except ValueError as exc:
                errors[name] = str(exc)
        if errors:
            raise SettingsError(errors)
        return dataclasses.replace(self, **clean)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Settings:
        """Settings from stored values; unknown keys (from a newer version) are ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls().changed(**{k: v for k, v in values.items() if k in known})


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
