"""The staff home, where sign-in lands: the station's state now, in words, from the same live
figures as the health page (camera, wall switch, lights, pose speed, throttling, disk, the last
backup's age, the fleet link, the wall's calibration), refreshed in place; and the first-run
checklist, in order (first account, hardware bring-up, wall calibration, a first backup), each
step ticked from the station's own records, never from a box staff tick themselves.

Two of those records are made here, as :mod:`station.storage.documents` in the data folder
(``milestones.json``): when the wall was last calibrated through the calibration page and when a
backup was last downloaded (:func:`note`).

    >>> import tempfile, pathlib; folder = pathlib.Path(tempfile.mkdtemp())
    >>> milestones(folder)
    {}
    >>> note(folder, "backup", by="ann", t=1000.0); milestones(folder)["backup"]["by"]
    'ann'
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app, render_template, url_for
from flask.typing import ResponseReturnValue

from station.bringup import report as bringup_report
from station.config.settings import Settings
from station.storage import documents
from station.web.auth import login_required, staff_user
from station.web.humane import ago_words, at_words
from station.web.staff.common import current_station, fresh_json, staff

MILESTONES = "milestones"
# A backup older than a week is flagged: a week of a gym's reps and any new accounts is the most
# we let staff lose without a word (the home page says so; restore brings back the backup's day).
BACKUP_STALE_S = 7 * 86400
# Below this the rep log may soon stop saving reps (about a year of a busy wall's reps is ~50 MB,
# docs/figures.md); staff get a warning well before the card is full.
DISK_LOW_MB = 500
# The default wall travel (torso lengths): uncalibrated, the gauge reads AT THE WALL early. Issue 26
# measured the default 0.2 against a calibrated 0.56 on the demo: about 0.5 s before the switch.
DEFAULT_WALL_TRAVEL = float(Settings().wall_travel)


def milestones(data_dir: Path) -> dict[str, Any]:
    """The records the checklist reads that no other part of the station keeps."""
    return documents.read(data_dir, MILESTONES) or {}


def note(data_dir: Path, name: str, *, by: str | None, t: float | None = None, **extra: Any) -> None:
    """Record that ``name`` ("backup", "calibrated") happened now, by whom."""
    kept = milestones(data_dir)
    kept[name] = {"t": time.time() if t is None else t, "by": by, **extra}
    documents.write(data_dir, MILESTONES, kept)


def note_here(name: str, **extra: Any) -> None:
    """:func:`note` for the station this request is served by, the signed-in staff member its author;
    never fails the request it is part of (the record is a convenience; the action is done)."""
    try:
        note(current_station().data_dir, name, by=staff_user(), **extra)
    except (OSError, ValueError) as exc:
        current_app.logger.warning("could not record %s: %s", name, exc)


@staff.get("/home")
@login_required
def station_home() -> ResponseReturnValue:
    return render_template("home.html", v=home_view())


@staff.get("/home.json")
@login_required
def station_home_json() -> ResponseReturnValue:
    """The home's state and checklist, already in words, for its refresh in place."""
    return fresh_json(home_view())


def home_view() -> dict[str, Any]:
    station = current_station()
    h = station.health()
    kept = milestones(station.data_dir)
    calibration = wall_calibration(station.settings.wall_travel, kept.get("calibrated"))
    return {
        "status": h["status"], "warnings": h["warnings"], "service": h["service"],
        "tiles": _tiles(h, kept.get("backup"), calibration),
        "calibration": calibration,
        "steps": _steps(station.store.accounts.count(), bringup_report.load(station.data_dir),
                        calibration, kept.get("backup")),
    }


def wall_calibration(wall_travel: float, record: dict[str, Any] | None) -> dict[str, Any]:
    """Whether the wall was calibrated, and what an uncalibrated gauge does wrong."""
    if record is not None:
        who = record.get("by") or "staff"
        return {"done": True, "text": f"calibrated {ago_words(record['t'])} by {who}: "
                f"hip travel to the wall {wall_travel} torso lengths"}
    if abs(wall_travel - DEFAULT_WALL_TRAVEL) > 1e-9:
        return {"done": True, "text": f"hip travel to the wall set by hand to {wall_travel} torso lengths "
                "(not measured here; measuring it confirms it)"}
    why = (f"The wall is at the default {DEFAULT_WALL_TRAVEL} torso lengths, not measured on this wall, so "
           "the depth gauge can read AT THE WALL before the hips reach it (about half a second early where "
           "the wall measured 0.56).")
    return {"done": False, "text": "NOT CALIBRATED: the wall is at its default, not measured; the gauge "
            "reads AT THE WALL early until it is", "why": why}


def _tiles(h: dict[str, Any], backup: dict[str, Any] | None,
           calibration: dict[str, Any]) -> list[dict[str, Any]]:
    """The station's state, a tile a part: key, label, words, whether it needs attention, where to fix it."""
    switch = h["switch"]
    if not switch["enabled"]:
        wall = ("not fitted: reps are judged by the camera alone", False)
    elif switch["stuck"]:
        wall = ("STUCK closed: check the pad and its cable", True)
    else:
        wall = ("pressed now" if switch["pressed"] else "fitted, open", False)
    lights = h.get("lights") or {}
    on = [name for name, level in lights.items() if level > 0]
    pins_bad = "cannot be opened" in str(h.get("pins", ""))
    light_words = ("pins cannot be opened: " + str(h["pins"])) if pins_bad else (
        (", ".join(on) + " on now") if on else "all off now")
    heat = h.get("thermal") or {}
    if heat.get("throttled") is None:
        throttling = ("not known on this machine (no firmware flags)", False)
    elif heat.get("now"):
        throttling = ("NOW: " + ", ".join(heat["now"]).replace("_", " ") + ": use the official power "
                      "supply and cooling", True)
    else:
        since = ", ".join(heat.get("since_boot") or []).replace("_", " ")
        throttling = ("none now" + (f"; since boot: {since}" if since else ""), bool(since))
    disk = h.get("disk_free_mb")
    disk_words = ("not known", True) if disk is None else (
        f"{disk / 1024:.1f} GB free" if disk >= 1024 else f"{disk} MB free", disk < DISK_LOW_MB)
    if backup is None:
        backup_words = ("never: download one (Health, Backup)", True)
    else:
        age = time.time() - backup["t"]
        backup_words = (f"{ago_words(backup['t'])} ({at_words(backup['t'])})"
                        + (": over a week old, download a new one" if age > BACKUP_STALE_S else ""),
                        age > BACKUP_STALE_S)
    mqtt = h.get("mqtt")
    if not mqtt or mqtt["state"] == "disabled":
        fleet = ("off (no broker set): this station works alone", False)
    else:
        reason = f" ({mqtt['reason']})" if mqtt.get("reason") else ""
        fleet = (f"{mqtt['state']}{reason}; {mqtt['reps_waiting']} reps waiting to be sent",
                 mqtt["state"] not in ("connected",))
    camera_bad = h["camera"] != "ok"
    rows = [
        ("camera", "Camera", (f"{h['camera']} ({h['camera_name']})", camera_bad), "staff.health"),
        ("switch", "Wall switch", wall, "staff.bringup_page"),
        ("lights", "Lights", (light_words, pins_bad), "staff.bringup_page"),
        ("pose", "Pose speed", (_pose_words(h), False), "staff.health"),
        ("throttling", "Throttling", throttling, "staff.health"),
        ("disk", "Disk", disk_words, "staff.health"),
        ("backup", "Last backup", backup_words, "staff.health"),
        ("fleet", "Fleet link", fleet, "staff.settings"),
        ("calibration", "Wall calibration", (calibration["text"], not calibration["done"]),
         "staff.calibrate"),
    ]
    return [{"key": key, "label": label, "text": text, "problem": bad, "href": url_for(where)}
            for key, label, (text, bad), where in rows]


def _pose_words(h: dict[str, Any]) -> str:
    """The pose engine's time a frame and the frames a second reached."""
    if not h.get("inference_ms"):
        engine = "no pose engine: the demo's simulated trainee gives the poses" if h.get("demo") else (
            "not measured yet")
        return f"{engine}; {h['fps']} frames a second"
    return f"{h['inference_ms']} ms a frame, {h['fps']} frames a second"


def _steps(accounts: int, bringup: dict[str, Any] | None, calibration: dict[str, Any],
           backup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The first-run checklist in its order; the first step not done is the next one."""
    if bringup is None:
        bring = (False, "Not run yet: check the camera, the wall switch, each light and the buzzer on site.")
    elif bringup.get("passed"):
        bring = (True, f"{bringup_report.summary(bringup)}, {iso_words(bringup.get('updated'))}.")
    else:
        bring = (False, f"{bringup_report.summary(bringup)}: fix what failed and run it again.")
    steps = [
        ("account", "First staff account", (accounts > 0,
         f"{accounts} account{'s' if accounts != 1 else ''}; add one for each colleague."),
         "staff.accounts", "Accounts"),
        ("bringup", "Hardware bring-up", bring, "staff.bringup_page", "Open the bring-up"),
        ("calibration", "Wall calibration", (calibration["done"], calibration["text"]), "staff.calibrate",
         "Calibrate the wall"),
        ("backup", "A first backup", (backup is not None, "Downloaded " + ago_words(backup["t"]) + "."
                                      if backup else "None yet: download one and keep it off the station."),
         "staff.health", "Back up now"),
    ]
    out, next_found = [], False
    for key, title, (done, text), where, action in steps:
        is_next = not done and not next_found
        next_found = next_found or is_next
        href = url_for(where) + ("#backup" if key == "backup" else "")
        out.append({"key": key, "title": title, "done": done, "text": text, "next": is_next,
                    "href": href, "action": action})
    return out


@staff.app_template_filter("iso_words")
def iso_words(stamp: str | None) -> str:
    """The bring-up report's ISO time in words ("3 days ago")."""
    try:
        return ago_words(datetime.fromisoformat(str(stamp)).timestamp())
    except ValueError:
        return "at an unknown time"


@staff.get("/guide")
@login_required
def guide() -> ResponseReturnValue:
    """The staff guide: what staff do, in their words (set up, calibrate, back up, restore, read
    health); the README's "Using it" keeps the technical parts."""
    return render_template("guide.html")
