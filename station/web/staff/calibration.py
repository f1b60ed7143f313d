"""Calibration: the guided steps, the wall measured over a hold (polled by the page), applying
the suggested values through the settings' validation, and the camera preview."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from station.config.settings import Settings, SettingsError
from station.web.auth import login_required, staff_user
from station.web.staff.common import current_station, plain, staff
from station.web.staff.home import milestones, note_here, wall_calibration


@staff.route("/calibrate", methods=["GET", "POST"])
@login_required
def calibrate() -> ResponseReturnValue:
    station = current_station()
    result = None
    if request.method == "POST":
        if request.form.get("apply") == "1":
            return _apply_calibration()
        step = request.form.get("step", "")
        result = station.calibrate(step)
        if step in ("wall", "done"):  # the wall is measured over a hold: the page follows it
            return redirect(url_for("staff.calibrate") + ("#wall-measure" if step == "wall" else ""))
    wall = station.wall_progress()
    state = wall_calibration(station.settings.wall_travel, milestones(station.data_dir).get("calibrated"))
    return render_template("calibrate.html", result=result, demo=station.demo, wall=wall,
                           uncalibrated=None if state["done"] else state["why"],
                           rows=_suggestion_rows((result or {}).get("suggest") or {}),
                           wall_rows=_suggestion_rows(wall.suggest if wall and wall.suggest else {}))


def _suggestion_rows(suggest: dict[str, Any]) -> list[dict[str, Any]]:
    """Each suggested setting beside its current value, as the Apply table shows them."""
    current = current_station().settings.public()
    fields = {f["name"]: f for f in Settings.describe()}
    return [{"name": name, "label": Settings.label(name), "current": plain(current.get(name, "")),
             "value": value, "choices": fields.get(name, {}).get("choices"),
             "range": _range_words(fields.get(name, {}))} for name, value in suggest.items()]


def _range_words(field: dict[str, Any]) -> str:
    """A number's allowed range as the Apply table states it up front ("0.1 to 1.5")."""
    if field.get("min") is None:
        return ""
    return f"{plain(field['min'])} to {plain(field['max'])}"


def _apply_calibration() -> ResponseReturnValue:
    """The suggested values, through the same validation as the settings page."""
    values = {k[4:]: v for k, v in request.form.items() if k.startswith("set_")}
    try:
        current_station().apply_settings(values, by=staff_user())
        if "wall_travel" in values:  # the staff home's checklist: the wall was measured and applied
            note_here("calibrated", wall_travel=values["wall_travel"])
        flash("Calibration applied: " + ", ".join(f"{Settings.label(k)} = {v}" for k, v in values.items()))
    except SettingsError as exc:
        flash("Not applied: " + exc.for_people(), "error")
    return redirect(url_for("staff.calibrate"))


@staff.get("/calibrate/wall.json")
@login_required
def calibrate_wall() -> ResponseReturnValue:
    """The wall measurement as the loop last published it, for the page to poll."""
    progress = current_station().wall_progress()
    off = {"state": "off", "message": "not measuring"}
    return jsonify(progress.as_dict() if progress is not None else off)


@staff.get("/preview.jpg")
@login_required
def preview() -> ResponseReturnValue:
    data = current_station().preview_jpeg()
    if data is None:
        abort(404, description="no preview: turn on calibration or the staff preview")
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})
