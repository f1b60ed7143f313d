"""The settings page: every setting by group (basic and advanced), saving with errors at their
fields, reset to default, export and import."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from station.config.settings import GROUP_TITLES, GROUPS, SECRET, Settings, SettingsError
from station.web.auth import login_required, staff_user
from station.web.staff.common import current_station, plain, restart_card, staff

if TYPE_CHECKING:
    from station.runtime.station import Station


def _fields(values: dict[str, Any], errors: dict[str, str], pending: set[str]) -> list[dict[str, Any]]:
    """Every setting as the page shows it: label, value, default, whether it waits for a restart
    (its name in ``pending``)."""
    refused = current_station().settings_warnings
    out = []
    for f in Settings.describe():
        value = values.get(f["name"], f["default"])
        out.append(dict(f, value=_shown(f, value), warning=refused.get(f["name"]),
                        error=errors.get(f["name"]), default_shown=plain(f["default"]),
                        is_default=str(value) == str(f["default"]), pending=f["name"] in pending))
    return out


def _sections(values: dict[str, Any], errors: dict[str, str],
              pending: set[str]) -> dict[str, list[tuple[str, str, list[dict]]]]:
    """The basic and the advanced settings, each as (group, title, fields) for the groups that have any."""
    fields = _fields(values, errors, pending)
    return {kind: [(g, GROUP_TITLES[g], found) for g in GROUPS
                   if (found := [f for f in fields if f["group"] == g and f["basic"] == (kind == "basic")])]
            for kind in ("basic", "advanced")}


def _mqtt(station: Station) -> dict[str, Any] | None:
    """The publisher's state for the fleet settings (None: no publisher in this process)."""
    parts = [part() for part in station.health_parts]
    return next((p["mqtt"] for p in parts if "mqtt" in p), None)


def _shown(field: dict[str, Any], value: Any) -> Any:
    """A secret is never written into a page, not even the one just typed into a refused form."""
    return (SECRET if value else "") if field.get("secret") else value


def _settings_page(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    station = current_station()
    pending = station.restart_pending()
    sections = _sections(values, errors, set(pending))
    # The summary lists the errors in the order the fields are on the page.
    order = [f["name"] for kind in ("basic", "advanced") for _, _, fields in sections[kind] for f in fields]
    summary = sorted(errors.items(), key=lambda e: order.index(e[0]) if e[0] in order else len(order))
    return render_template("settings.html", sections=sections, errors=errors, summary=summary,
                           labels={n: Settings.label(n) for n in errors}, mqtt=_mqtt(station),
                           **restart_card(pending)), status


@staff.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    station = current_station()
    current = station.settings.public()
    if request.method == "GET":
        return _settings_page(current, {})
    changes = _form_changes(current)
    try:
        station.apply_settings(changes, by=staff_user())
    except SettingsError as exc:
        return _settings_page({**current, **changes}, exc.errors, 422)
    flash(_saved_message(changes, request.form.get("reset")))
    return redirect(url_for("staff.settings"))


def _form_changes(current: dict[str, Any]) -> dict[str, Any]:
    """What the settings form changes; a reset button (``reset=<name>``) puts that one back to
    its default, and the rest of the form is saved with it (nothing typed is lost)."""
    reset = request.form.get("reset")
    changes: dict[str, Any] = {}
    for f in Settings.describe():
        name = f["name"]
        if name == reset:
            value: Any = f["default"]
        elif f["type"] == "bool":
            value = request.form.get(name) == "on"
        elif name in request.form:
            value = request.form[name].strip()
        else:
            continue
        if str(value) != str(current[name]):
            changes[name] = value
    return changes


def _saved_message(changes: dict[str, Any], reset: str | None = None) -> str:
    if not changes:
        return "Nothing changed."
    back = f" {Settings.label(reset)} is back to its default." if reset in changes else ""
    later = [f["label"] for f in Settings.describe() if f["restart"] and f["name"] in changes]
    if later:
        return (f"Saved {len(changes)} change(s).{back} These take effect after a restart: "
                + ", ".join(later) + ".")
    return f"Saved {len(changes)} change(s);{back} the coach uses them from the next frame."


@staff.get("/settings/export")
@login_required
def settings_export() -> ResponseReturnValue:
    body = json.dumps(current_station().settings.public(), indent=2)  # no secrets in a download
    stamp = time.strftime("%Y%m%d-%H%M")
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=hinge-settings-{stamp}.json"})


@staff.post("/settings/import")
@login_required
def settings_import() -> ResponseReturnValue:
    upload = request.files.get("file")
    try:
        values = json.loads(upload.read().decode("utf-8")) if upload else None
    except (ValueError, RecursionError):  # not UTF-8 or JSON, a 5000-digit number, deep nesting
        values = None
    station = current_station()
    if not isinstance(values, dict):
        flash("That file is not a settings export (a JSON object).", "error")
        return redirect(url_for("staff.settings"))
    known = {f["name"] for f in Settings.describe()}
    try:
        station.apply_settings({k: v for k, v in values.items() if k in known}, by=staff_user())
    except SettingsError as exc:
        return _settings_page({**station.settings.public(), **values}, exc.errors, 422)
    flash("Settings imported.")
    return redirect(url_for("staff.settings"))
