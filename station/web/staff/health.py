"""The health page: the station's figures in words (refreshed in place from its JSON), recent
errors and log lines; the backup and restore forms sit on it (:mod:`.backup_restore`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue

from station.bringup import report as bringup_report
from station.camera.picamera import describe_words
from station.runtime.model_choice import words as model_words
from station.web.auth import login_required
from station.web.guard import MAX_RESTORE_BODY
from station.web.humane import ago, duration
from station.web.staff.common import current_station, fresh_json, restart_card, staff
from station.web.staff.home import iso_words


@staff.get("/health")
@login_required
def health() -> ResponseReturnValue:
    """The health page; a refused restore's reason is put at its form by restore.js."""
    return render_template("health.html", v=_health_view(), max_mb=MAX_RESTORE_BODY // 2**20,
                           **restart_card(current_station().restart_pending()))


@staff.get("/health.json")
@login_required
def health_json() -> ResponseReturnValue:
    """The health page's figures, already in words, for its auto-refresh."""
    return fresh_json(_health_view())


def _health_view() -> dict[str, Any]:
    """Everything the health page shows, as the words it shows (durations humane)."""
    station = current_station()
    h = station.health()
    clock = "%H:%M:%S"
    return {
        "status": h["status"], "service": h["service"], "warnings": h["warnings"],
        "figures": _figures(h),
        "bringup": _bringup_words(station.data_dir),
        "errors": [{"when": ago(e["t"]), "source": e["source"], "message": e["message"]}
                   for e in h["errors"]],
        "log": [dict(line, when=time.strftime(clock, time.localtime(line["t"])))
                for line in station.log_lines.lines(50)],
    }


def _bringup_words(data_dir: Path) -> str:
    """The kept bring-up report in a few words (station/bringup/report.py)."""
    kept = bringup_report.load(data_dir)
    if kept is None:
        return "not run yet on this station"
    return f"{bringup_report.summary(kept)} ({iso_words(kept.get('updated'))})"


def _figures(h: dict[str, Any]) -> list[dict[str, Any]]:
    """(key, label, text, problem) rows of the health table."""
    switch = h["switch"]
    if switch["enabled"]:
        wall = ("pressed" if switch["pressed"] else "open") + (
            ": STUCK closed, check the pad" if switch["stuck"] else "")
    else:
        wall = "not fitted"
    rows = [
        ("camera", "Camera", f"{h['camera']} ({h['camera_name']}{_camera_words(h.get('camera_info'))})",
         h["camera"] != "ok"),
        ("fps", "Frames per second", f"{h['fps']}", False),
        ("inference", "Pose inference", f"{h['inference_ms']} ms", False),
        ("coach", "Coach", f"{h['coach_ms']} ms", False),
        ("frames", "Frames / missed reads / dropped snapshots",
         f"{h['frames']} / {h['missed_reads']} / {h['dropped_snapshots']}", False),
        ("switch", "Wall switch", wall, bool(switch["stuck"])),
        ("database", "Rep log", "ok" if h["database_ok"] else "FAILING: see the errors below",
         not h["database_ok"]),
        ("disk", "Disk free", f"{h['disk_free_mb']} MB (rep log {h['db_size_mb']} MB)", False),
        ("temperature", "CPU temperature", _thermal_words(h.get("thermal")),
         bool(h.get("thermal", {}).get("throttling"))),
        ("pins", "Pins", h["pins"], "cannot be opened" in h["pins"]),
        ("uptime", "Uptime", duration(h["uptime_s"]), False),
        ("version", "Version", h["version"] + (" (demo)" if h["demo"] else ""), False),
    ]
    if h.get("mqtt"):
        rows.insert(7, ("mqtt", "MQTT", _mqtt_words(h["mqtt"]), h["mqtt"]["state"] not in
                        ("connected", "disabled")))
    # Inserted after the MQTT row, whose index counts from the rows above; a station with a pose
    # engine says which landmark model it uses and why (station/runtime/model_choice.py).
    if h.get("pose_model"):
        rows.insert(3, ("pose-model", "Pose landmark model", model_words(h["pose_model"]),
                        h["pose_model"]["state"] == "failed"))
    return [{"key": k, "label": label, "text": text, "problem": bad} for k, label, text, bad in rows]


def _camera_words(info: dict[str, Any] | None) -> str:
    """The Pi camera's model, sensor mode, field of view, focus and picamera2 (issue 25)."""
    words = describe_words(info)
    return f": {words}" if words else ""


def _thermal_words(heat: dict[str, Any] | None) -> str:
    """Temperature and the firmware's throttled flags, now and since boot (runtime/thermal.py)."""
    if not heat:
        return "not known"
    temp = "not known" if heat["temp_c"] is None else f"{heat['temp_c']} °C"
    if heat["throttled"] is None:
        return f"{temp}; throttling not known (no firmware flags on this machine)"
    now = ", ".join(heat["now"]).replace("_", " ") or "none"
    since = ", ".join(heat["since_boot"]).replace("_", " ") or "none"
    return f"{temp}; limits now: {now}; since boot: {since}"


def _mqtt_words(m: dict[str, Any]) -> str:
    if m["state"] == "disabled":
        return "off (no broker set)"
    reason = f" ({m['reason']})" if m.get("reason") else ""
    return (f"{m['state']} {m.get('broker') or ''}{reason}; {m['reps_waiting']} reps waiting, last "
            f"acknowledged rep {m['last_ack_id']}")
