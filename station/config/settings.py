"""Every tunable number of the station, with its unit, range, group and a one-line reason.

Settings are a frozen dataclass: the coach reads them, staff change them through
:meth:`Settings.changed`, which validates everything before anything is applied.

    >>> s = Settings()
    >>> s.pose_threads == default_threads()
    True
    >>> s.changed(pose_threads=0)
    Traceback (most recent call last):
    ...
    station.config.settings.SettingsError: pose_threads: must be at least 1
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from dataclasses import dataclass
from typing import Any

GROUPS = ("camera", "wall_switch", "dowel", "coaching", "lights", "privacy", "system", "fleet")
GROUP_TITLES = {"camera": "Camera", "wall_switch": "Wall switch", "dowel": "Dowel colour",
                "coaching": "Coaching", "lights": "Lights and buzzer", "privacy": "Privacy",
                "system": "System", "fleet": "Fleet (metrics and MQTT)"}
# What a label says after the name, for units that are not words of their own.
UNIT_WORDS = {"torso": "torso lengths", "BCM": "BCM GPIO", "deg": "\u00b0"}
# The settings a gym needs on day one, shown first on the staff page: what the installer sets
# while wiring and mounting (which pins, which switch and buzzer are fitted, which way the camera
# is turned), the wall the calibration measures, the privacy switch, the station's name and the
# few coaching numbers members notice (how fast a rep may be, when a set ends, how long a result
# stays lit). Everything else has a measured default and is there for tuning: under "Advanced".
BASIC = frozenset({
    "switch_enabled", "switch_pin", "light_red_pin", "light_amber_pin", "light_green_pin",
    "buzzer_enabled", "buzzer_pin", "result_hold_s", "camera_rotation", "camera_hflip", "camera_vflip",
    "camera_sees", "wall_travel", "min_rep_s", "away_s", "staff_preview", "station_name",
})
# Settings that were renamed, old name -> new: saved settings, imported files and API callers
# that use an old name still reach the setting.
RENAMED = {
    "stand_hip_max": "lockout_hip_beyond_standing",
    "hinge_start": "hinge_start_hip_beyond_standing",
    "rounded_torso_max": "rounded_torso_from_vertical",
    "rounded_head_spine": "rounded_head_drop_beyond_standing",
    "squat_knee": "squat_knee_beyond_standing",
}


# No setting needs more than a few digits; longer text is refused before it is parsed (a
# 400-digit number cannot reach a float's or an int's slow paths).
MAX_NUMBER_TEXT = 40
MAX_HOST_NAMES = 10
LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"  # one part of a DNS name (RFC 1123)
HOST_NAME = re.compile(rf"(?=.{{1,253}}$){LABEL}(\.{LABEL})*")


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
    choices: tuple[str, ...] | tuple[int, ...] | None = None,
    restart: bool = False,
    pattern: str | None = None,
    secret: bool = False,
    label: str = "",
    rule: str = "",
) -> Any:
    """A dataclass field that carries its own description for validation and the staff pages.

    ``restart``: the running station reads it only when it starts (pins, camera mode, port).
    ``pattern``: a regular expression a text value must match whole. ``secret``: write-only (a
    password): the pages and the API never show its value, only whether one is set. ``label``:
    its name for people; the unit is added, "Camera stall timeout" becomes "... (s)". ``rule``: the
    ``pattern`` in words, shown beside the field before anything is typed and in its error.
    """
    assert group in GROUPS, group
    assert label, "every setting needs a label for the staff pages and error messages"
    assert rule or not pattern, "a pattern needs its rule in words: staff never see the pattern"
    shown = f"{label} ({UNIT_WORDS.get(unit, unit)})" if unit else label
    meta = {"group": group, "help": help, "unit": unit, "min": min, "max": max, "choices": choices,
            "restart": restart, "pattern": pattern, "secret": secret, "label": shown,
            "rule": rule}
    return dataclasses.field(default=default, metadata=meta)


SECRET = "********"  # what the pages show for a secret that is set; sent back, it changes nothing


class SettingsError(ValueError):
    """One or more settings were refused; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))

    def for_people(self) -> str:
        """The errors with each setting's label: "Shortest rep (s): must be at least 0.3 s"."""
        return "; ".join(f"{Settings.label(k)}: {v}" for k, v in self.errors.items())


@dataclass(frozen=True)
class Settings:
    # --- camera and pose model
    pose_threads: int = setting(default_threads(), "system", "CPU threads for each pose model", "", 1, 8,
                                restart=True, label="Pose model threads")
    # auto: the device times both landmark models on its own CPU at first start and keeps the
    # faster (station/runtime/model_choice.py, issue 25): which wins depends on the CPU (a Pi 5
    # has the int8 dot product, a Pi 4 does not), so no default fits every Pi. full_int8 needs
    # `station models quantize` first (without it auto keeps the float model); docs/figures.md has
    # its speed and agreement with the float model. full or full_int8 here overrides the choice.
    pose_model: str = setting(
        "auto", "system", "landmark model: auto (the faster on this CPU, measured at first start), "
        "float (full) or mixed int8 (full_int8)", "",
        choices=("auto", "full", "full_int8"), restart=True, label="Pose landmark model")
    min_detection_confidence: float = setting(
        0.5, "camera", "how sure the detector must be that a person is there", "", 0.1, 0.95, restart=True,
        label="Person detection confidence")
    min_tracking_confidence: float = setting(
        0.5, "camera", "below this pose score the person is searched for again", "", 0.1, 0.95, restart=True,
        label="Pose tracking confidence")

    camera_width: int = setting(1280, "camera", "capture width", "px", 320, 4608, restart=True,
                                label="Camera width")
    camera_height: int = setting(720, "camera", "capture height", "px", 240, 2592, restart=True,
                                 label="Camera height")
    camera_fps: int = setting(30, "camera", "frames per second asked of the camera", "fps", 5, 120,
                              restart=True, label="Camera frame rate")
    camera_rotation: int = setting(0, "camera", "rotate the picture", "deg", choices=(0, 90, 180, 270),
                                   restart=True, label="Camera rotation")
    camera_hflip: bool = setting(False, "camera", "mirror the picture left-right", "", restart=True,
                                 label="Mirror the picture left-right")
    camera_vflip: bool = setting(False, "camera", "flip the picture upside down", "", restart=True,
                                 label="Flip the picture upside down")
    camera_stall_s: float = setting(
        3.0, "camera", "no frame for this long means the camera is offline and is reopened", "s", 0.5, 60,
        label="Camera stall timeout")
    # station/runtime/rest.py: still for away_s with nobody found, the detector runs every 2 s
    # until something moves (docs/figures.md, "A station that rests").
    rest_when_empty: bool = setting(
        True, "camera", "rest the pose engine while nobody is in view and nothing moves (it wakes "
        "on the first movement)", "", label="Rest when nobody is in view")
    # Camera Module 3 focuses at about 1 m by default, soft at the station's 2.5-3.5 m.
    camera_focus_m: float = setting(
        0.0, "camera", "focus distance for Camera Module 3 (0: continuous autofocus)", "m", 0.0, 10.0,
        label="Camera focus distance")

    # --- wall switch (BCM numbering; defaults match hardware/wiring.md)
    switch_enabled: bool = setting(
        True, "wall_switch", "a pressure switch is fitted on the wall", "", restart=True,
        label="Wall switch fitted")
    switch_pin: int = setting(
        17, "wall_switch", "GPIO of the wall switch (to GND, internal pull-up)", "BCM", 2, 27, restart=True,
        label="Wall switch pin")
    switch_debounce_ms: float = setting(
        20.0, "wall_switch", "ignore contact bounce shorter than this", "ms", 0, 200, restart=True,
        label="Wall switch debounce")
    switch_stuck_s: float = setting(
        20.0, "wall_switch", "closed this long with nobody hinging: warn staff it is stuck", "s", 5, 600,
        restart=True, label="Wall switch stuck warning after")

    # --- dowel (its colour as an HSV band, OpenCV scale: hue 0-179, saturation and value 0-255)
    dowel_hue_min: int = setting(3, "dowel", "lowest hue of the dowel (fluorescent orange: 3-20)", "", 0, 179,
                                 label="Dowel hue, lowest")
    dowel_hue_max: int = setting(20, "dowel", "highest hue of the dowel", "", 0, 179,
                                 label="Dowel hue, highest")
    dowel_sat_min: int = setting(170, "dowel", "least colour saturation that counts as dowel", "", 0, 255,
                                 label="Dowel saturation, least")
    dowel_val_min: int = setting(140, "dowel", "least brightness that counts as dowel", "", 0, 255,
                                 label="Dowel brightness, least")

    # --- coaching. Angles in degrees; "beyond standing" is measured from the member's own standing
    # baseline, taken at the start of each set. Distances in torso lengths (hip to shoulder,
    # standing). Fixed numbers that are not a gym's to tune: station/coach/thresholds.py.
    camera_sees: str = setting(
        "auto", "coaching", "which body side faces the camera", "", choices=("auto", "left", "right"),
        label="Body side the camera sees")
    ready_hold_s: float = setting(
        0.6, "coaching", "stand still this long, seen whole, to be ready", "s", 0.2, 5,
        label="Stand still this long to start")
    lockout_hip_beyond_standing: float = setting(
        20.0, "coaching", "hip flexion beyond standing below which the member stands tall (locked out)",
        "deg", 5, 45, label="Standing tall: hip flexion below")
    hinge_start_hip_beyond_standing: float = setting(
        30.0, "coaching", "hip flexion beyond standing at which a rep starts", "deg", 10, 60,
        label="Rep starts at hip flexion")
    hysteresis: float = setting(
        5.0, "coaching", "margin every threshold must be crossed back by, against flicker", "deg", 0, 20,
        label="Threshold hysteresis")
    # Without a switch the camera judges the touch. Calibration measures the station's own wall;
    # until then, a travel real hinges reach: BlazePose reads 0.10-0.26 torso lengths of hip travel
    # in real hinges to 75-90 deg of hip flexion (tests/data/real), far short of the body's own.
    wall_travel: float = setting(
        0.2, "coaching", "hip travel back from standing at which the buttocks touch the wall "
        "(calibrate it: Staff > Calibration > Wall)", "torso", 0.1, 1.5, label="Hip travel to the wall")
    contact_tolerance: float = setting(
        0.07, "coaching", "a body point that moved farther than this off the dowel (against standing) "
        "has lost contact", "torso", 0.02, 0.3, label="Dowel contact tolerance")
    rounded_torso_from_vertical: float = setting(
        100.0, "coaching", "torso inclination from vertical beyond which the spine flexed", "deg", 70, 150,
        label="Rounded back: torso inclination beyond")
    rounded_head_drop_beyond_standing: float = setting(
        30.0, "coaching", "head dropped this much beyond standing: rounded (no dowel seen)", "deg", 10, 90,
        label="Rounded back: head drop beyond")
    squat_knee_beyond_standing: float = setting(
        45.0, "coaching", "knee flexion beyond standing from which a knee-led movement is a squat", "deg",
        20, 120, label="Squat: knee flexion beyond")
    # A soft knee in a hip hinge bends some 15-20 deg; a public rep counter for the Romanian
    # deadlift warns "knees too bent" at about 30: the default sits between the two.
    knees_bent_beyond_standing: float = setting(
        25.0, "coaching", "knee flexion beyond standing that is more than the drill's soft knees", "deg",
        10, 90, label="Knees too bent: knee flexion beyond")
    min_rep_s: float = setting(1.2, "coaching", "a rep faster than this is too fast", "s", 0.3, 10,
                               label="Shortest rep")
    fault_min_s: float = setting(
        0.15, "coaching", "a fault must last this long to count (ignores single noisy frames)", "s", 0, 2,
        label="Shortest fault that counts")
    lost_s: float = setting(
        0.4, "coaching", "unseen this long during a rep means tracking was lost", "s", 0.1, 5,
        label="Tracking lost after")
    away_s: float = setting(3.0, "coaching", "unseen this long ends the set", "s", 0.5, 60,
                            label="Set ends when unseen for")
    smoothing_s: float = setting(
        0.12, "coaching", "time constant of the signal smoothing", "s", 0, 1, label="Signal smoothing")

    # --- lights and buzzer
    light_red_pin: int = setting(5, "lights", "GPIO of the red light", "BCM", 2, 27, restart=True,
                                 label="Red light pin")
    light_amber_pin: int = setting(6, "lights", "GPIO of the amber light", "BCM", 2, 27, restart=True,
                                   label="Amber light pin")
    light_green_pin: int = setting(13, "lights", "GPIO of the green light", "BCM", 2, 27, restart=True,
                                   label="Green light pin")
    lights_pwm: bool = setting(True, "lights", "dim and pulse the lights with PWM", "", restart=True,
                               label="Dim and pulse the lights (PWM)")
    buzzer_enabled: bool = setting(False, "lights", "a buzzer is fitted", "", restart=True,
                                   label="Buzzer fitted")
    buzzer_pin: int = setting(12, "lights", "GPIO of the buzzer", "BCM", 2, 27, restart=True,
                              label="Buzzer pin")
    result_hold_s: float = setting(
        1.5, "lights", "how long a rep's result stays on the lights", "s", 0.2, 10,
        label="Rep result on the lights for")

    # --- privacy
    staff_preview: bool = setting(
        False, "privacy", "staff may see the live camera picture (never on the member page)", "",
        label="Staff camera preview")
    # Off by default: members are told on their page while it is on (station/kept_sets/keeper.py).
    keep_sets: bool = setting(
        False, "privacy", "keep each set's movement as stick-figure poses (never pictures) so staff can "
        "replay, label and export it (Staff > Sets); members are told on their page", "",
        label="Keep sets as stick-figure poses")
    # 30 days: a month of a gym's sets to label; 365 at most, a year being plenty for regression sets.
    keep_sets_days: int = setting(
        30, "privacy", "kept sets are deleted after this many days (keeping off or on)", "days", 1, 365,
        label="Keep sets for")

    # --- system
    # 1024 and up: the unit runs without privileges (no CAP_NET_BIND_SERVICE); below 49152, the
    # ephemeral range where the system hands out ports to outgoing connections.
    web_port: int = setting(8000, "system", "port of the web pages (must be free)", "", 1024, 49151,
                            restart=True, label="Web port")
    web_host_names: str = setting(
        "", "system", "extra names the station is reached by (comma-separated; its hostname, "
        "hostname.local, its addresses and localhost always work)", "", label="Extra host names")

    # --- fleet: Prometheus metrics at /metrics and rep events over MQTT (see deploy/fleet/)
    station_name: str = setting(
        "", "fleet", "this station's name in metrics and MQTT topics, where anything but letters, "
        "digits and . _ - becomes - (empty: the host name)",
        pattern=r"[\w .'-]{0,64}", label="Station name",
        rule="up to 64 letters, digits, spaces and . _ - '")
    metrics_token: str = setting(
        "", "fleet", "bearer token Prometheus must send for /metrics (empty: open, as is usual)",
        pattern=r"[\x21-\x7e]{0,200}", secret=True, label="Metrics token",
        rule="up to 200 printable ASCII characters, no spaces")
    mqtt_url: str = setting(
        "", "fleet", "MQTT broker for rep events, mqtt://host:1883 or mqtts://host:8883 (empty: off)",
        pattern=r"(mqtts?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?/?)?", label="MQTT broker URL",
        rule="empty, or mqtt://host or mqtts://host with an optional :port")
    mqtt_ca_file: str = setting(
        "", "fleet", "CA certificate file (PEM) for mqtts:// (empty: the system's CAs)",
        pattern=r"[^\x00-\x1f]{0,4096}", label="MQTT CA certificate file",
        rule="one line, up to 4096 characters")
    mqtt_user: str = setting("", "fleet", "user name at the broker (empty: none)",
                             pattern=r"[^\x00-\x1f]{0,200}", label="MQTT user name",
                             rule="one line, up to 200 characters")
    mqtt_password: str = setting("", "fleet", "password at the broker (write-only)",
                                 pattern=r"[^\x00-\x1f]{0,200}", secret=True, label="MQTT password",
                                 rule="one line, up to 200 characters")
    mqtt_topic_prefix: str = setting(
        "", "fleet", "topics start with this (empty: hinge-station/<station name>)",
        pattern=r"([^\x00-\x1f#+/]+(/[^\x00-\x1f#+/]+)*)?", label="MQTT topic prefix",
        rule="parts separated by single slashes, without # or +")
    mqtt_health_s: float = setting(
        60.0, "fleet", "how often a health summary goes to <prefix>/health", "s", 5, 3600,
        label="MQTT health summary every")
    home_assistant: bool = setting(
        False, "fleet", "announce reps today, last verdict, good rate and camera to Home Assistant "
        "(MQTT discovery)", label="Home Assistant discovery")
    home_assistant_prefix: str = setting(
        "homeassistant", "fleet", "Home Assistant's discovery prefix",
        pattern=r"[^\x00-\x1f#+/]+(/[^\x00-\x1f#+/]+)*", label="Home Assistant discovery prefix",
        rule="parts separated by single slashes, without # or +")

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        """Every field's name, type, default and metadata, in declaration order."""
        out = []
        for f in dataclasses.fields(cls):  # secrets' defaults are empty, so shown as they are
            out.append({"name": f.name, "type": _type_name(f), "default": f.default, **f.metadata,
                        "basic": f.name in BASIC})
        return out

    @classmethod
    def label(cls, name: str) -> str:
        """A setting's name for people, with its unit ("Camera stall timeout (s)"); an unknown
        name comes back as it is."""
        f = _FIELDS.get(RENAMED.get(name, name))
        return str(f.metadata["label"]) if f is not None else name

    def restart_changes(self, started: Settings) -> list[str]:
        """The settings read only at start whose value differs from ``started``'s: saved, but
        waiting for a restart."""
        return [f.name for f in dataclasses.fields(self)
                if f.metadata.get("restart") and getattr(self, f.name) != getattr(started, f.name)]

    def to_dict(self) -> dict[str, Any]:
        """Every value, secrets included: for the rep log only (pages use :meth:`public`)."""
        return dataclasses.asdict(self)

    def public(self) -> dict[str, Any]:
        """Every value as pages and exports may show it: a secret that is set reads ``SECRET``.

        >>> Settings().changed(mqtt_password="hunter22").public()["mqtt_password"]
        '********'
        """
        values = dataclasses.asdict(self)
        for f in dataclasses.fields(self):
            if f.metadata.get("secret") and values[f.name]:
                values[f.name] = SECRET
        return values

    def changed(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied, or SettingsError naming every bad field (none applied).

        Each value is checked alone (type, range, choices), then the result as a whole
        (:func:`cross_errors`: pins, thresholds that must stay in order)."""
        by_name = {f.name: f for f in dataclasses.fields(self)}
        errors: dict[str, str] = {}
        clean: dict[str, Any] = {}
        for given, raw in changes.items():
            name = RENAMED.get(given, given)
            f = by_name.get(name)
            if f is None:
                errors[str(given)[:80]] = "unknown setting"
                continue
            if f.metadata.get("secret") and raw == SECRET:
                continue  # the placeholder a page showed came back: the secret stays as it is
            try:
                clean[name] = _coerce(f, raw)
            except ValueError as exc:
                errors[given] = str(exc)
        if errors:
            raise SettingsError(errors)
        new = dataclasses.replace(self, **clean)
        cross = cross_errors(new)
        if cross:
            raise SettingsError(cross)
        return new

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Settings:
        """Settings from stored values; unknown keys (from a newer version) are ignored."""
        return cls().changed_from(values)

    def changed_from(self, values: dict[str, Any]) -> Settings:
        """A copy with stored ``values`` applied (as :meth:`changed`; names an older station saved
        followed, keys a newer one added ignored): a kept set's settings over these, say."""
        known = {f.name for f in dataclasses.fields(self)}
        return self.changed(**{k: v for k, v in values.items() if RENAMED.get(k, k) in known})

    @classmethod
    def load(cls, values: Any) -> tuple[Settings, dict[str, str]]:
        """Saved settings field by field: a bad value falls back to its default and is named in
        the warnings (field: why); the good ones are kept. Never raises: the station must start."""
        if not isinstance(values, dict):
            return cls(), {"settings": "the saved settings are not readable; all are defaults"}
        by_name = {f.name: f for f in dataclasses.fields(cls)}
        clean: dict[str, Any] = {}
        warnings: dict[str, str] = {}
        for given, raw in values.items():
            f = by_name.get(RENAMED.get(str(given), str(given)))
            if f is None:
                continue  # from a newer version, or removed
            try:
                clean[f.name] = _coerce(f, raw)
            except ValueError as exc:
                warnings[f.name] = f"saved value {str(raw)[:40]!r} refused ({exc}); default used"
        new = dataclasses.replace(cls(), **clean)
        # Fields that clash with each other go back to their defaults, a few at a time; the
        # defaults agree with each other, so this ends within one pass per field.
        for _ in by_name:
            cross = cross_errors(new)
            if not cross:
                break
            for name, why in cross.items():
                warnings[name] = f"saved value refused ({why}); default used"
            defaults: dict[str, Any] = {n: by_name[n].default for n in cross}
            new = dataclasses.replace(new, **defaults)
        return new, warnings


# What cross_errors checks, in words (the API description and the staff page say them).
CROSS_RULES = (
    "each GPIO pin in use (switch when enabled, the three lights, buzzer when enabled) is used once",
    "hinge_start_hip_beyond_standing is larger than lockout_hip_beyond_standing",
    "web_port is free when it is changed (checked by the running station)",
)


def cross_errors(s: Settings) -> dict[str, str]:
    """Rules between fields, by field name: two devices on one GPIO pin crash the station at
    start, and a rep must start further down than where standing tall ends."""
    errors: dict[str, str] = {}
    pins = {"light_red_pin": s.light_red_pin, "light_amber_pin": s.light_amber_pin,
            "light_green_pin": s.light_green_pin}
    if s.switch_enabled:
        pins["switch_pin"] = s.switch_pin
    if s.buzzer_enabled:
        pins["buzzer_pin"] = s.buzzer_pin
    seen: dict[int, str] = {}
    for name, pin in pins.items():
        if pin in seen:
            errors[name] = f"GPIO {pin} is already used by {_plain(seen[pin])}"
            errors.setdefault(seen[pin], f"GPIO {pin} is also used by {_plain(name)}")
        else:
            seen[pin] = name
    if s.lockout_hip_beyond_standing >= s.hinge_start_hip_beyond_standing:
        errors["hinge_start_hip_beyond_standing"] = (
            f"must be larger than {_plain('lockout_hip_beyond_standing')} "
            f"({_fmt(s.lockout_hip_beyond_standing)} deg)")
    return errors


def _plain(name: str) -> str:
    """A label inside a sentence, quoted and without its unit: "Red light pin"."""
    return '"' + Settings.label(name).split(" (")[0] + '"'


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _type_name(f: dataclasses.Field[Any]) -> str:
    return {"int": "int", "float": "float", "bool": "bool", "str": "str"}.get(str(f.type), "str")


def _coerce(f: dataclasses.Field[Any], raw: Any) -> Any:
    kind = _type_name(f)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "on", "yes", "1", "false", "off", "no", "0"):
            return raw.lower() in ("true", "on", "yes", "1")
        raise ValueError("must be true or false")
    if kind in ("int", "float"):
        return _number(f, raw, kind)
    if not isinstance(raw, str):
        raise ValueError("must be text")
    choices = f.metadata.get("choices")
    if choices and raw not in choices:
        raise ValueError("must be one of " + ", ".join(choices))
    pattern = f.metadata.get("pattern")
    if pattern and re.fullmatch(pattern, raw) is None:
        raise ValueError(f"allowed: {f.metadata['rule']}")
    if f.name == "web_host_names":
        return _host_names(raw)
    return raw


def _number(f: dataclasses.Field[Any], raw: Any, kind: str) -> float | int:
    meta = f.metadata
    wanted = "a whole number" if kind == "int" else "a number, like 0.25 or 0,25"
    if isinstance(raw, bool) or (isinstance(raw, str) and len(raw) > MAX_NUMBER_TEXT):
        raise ValueError(f"must be {wanted}")
    if isinstance(raw, str) and raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")  # a decimal comma ("0,25"), as much of the world writes it
    try:
        value = float(raw) if kind == "float" else _as_int(raw)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond a float's range
        raise ValueError(f"must be {wanted}") from None
    if not math.isfinite(value):  # NaN, Infinity, "inf", 1e400
        raise ValueError(f"must be {wanted} (finite)")
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ValueError("must be one of " + ", ".join(str(c) for c in choices))
    unit = f" {meta['unit']}" if meta.get("unit") else ""
    if meta.get("min") is not None and value < meta["min"]:
        raise ValueError(f"must be at least {_fmt(meta['min'])}{unit}")
    if meta.get("max") is not None and value > meta["max"]:
        raise ValueError(f"must be at most {_fmt(meta['max'])}{unit}")
    return value


def _host_names(raw: str) -> str:
    names = [n.strip().lower().rstrip(".") for n in raw.split(",") if n.strip()]
    if len(names) > MAX_HOST_NAMES:
        raise ValueError(f"at most {MAX_HOST_NAMES} names")
    for name in names:
        if not HOST_NAME.fullmatch(name):
            raise ValueError(f"{name[:40]!r} is not a host name (letters, digits, dots and dashes)")
    return ",".join(names)


def _as_int(raw: Any) -> int:
    value = float(raw)
    if not math.isfinite(value) or value != int(value):
        raise ValueError
    return int(value)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
