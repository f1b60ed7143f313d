"""Staff pages: first account with the setup code, sign-in, accounts, settings, calibration,
history, health with backup and restore."""

from __future__ import annotations

import io
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from station.config.settings import GROUP_TITLES, GROUPS, SECRET, Settings, SettingsError
from station.runtime.restart import STARTED
from station.storage import backup, periods
from station.storage.replog import StoreError
from station.web import auth
from station.web import history as history_view
from station.web.auth import login_required, staff_user
from station.web.guard import MAX_RESTORE_BODY
from station.web.humane import ago, duration

if TYPE_CHECKING:
    from station.runtime.restart import Restarter
    from station.runtime.station import Station

staff = Blueprint("staff", __name__)


def _station() -> Station:
    return current_app.extensions["hinge_station"]


def _client() -> str:
    return request.remote_addr or "?"


def _wait(seconds: int, title: str = "Too many tries", status: int = 429) -> Response:
    message = (f"Too many failed attempts. Try again in {seconds} s." if status == 429
               else f"The station is busy. Try again in {seconds} s.")
    body = render_template("message.html", title=title, message=message)
    return Response(body, status=status, headers={"Retry-After": str(seconds)})


def _busy(key: str) -> Response:
    """Every hashing slot is taken (a burst of sign-ins): come back, and this try does not count."""
    auth.throttle().refund(key)
    return _wait(2, "Busy", 503)


@staff.get("/")
def home() -> ResponseReturnValue:
    if _station().store.account_count() == 0:
        return redirect(url_for("staff.setup"))
    if staff_user() is None:
        return redirect(url_for("staff.signin"))
    return redirect(url_for("staff.settings"))


# ------------------------------------------------------------------ accounts
@staff.route("/setup", methods=["GET", "POST"])
def setup() -> ResponseReturnValue:
    station = _station()
    if station.store.account_count() > 0:
        return redirect(url_for("staff.signin"))
    if request.method == "GET":
        return render_template("setup.html", errors={}, name="")
    key = f"setup:{_client()}"
    wait = auth.throttle().attempt(key)  # counted before the code is looked at
    if wait:
        return _wait(wait)
    code = current_app.config.get("SETUP_CODE") or ""
    name = auth.normal_name(request.form.get("name", ""))
    password = request.form.get("password", "")
    errors = _account_errors(name, password, request.form.get("password2", ""))
    given = request.form.get("setup_code", "").strip()
    if not code or not auth.hmac.compare_digest(given.encode(), code.encode()):
        errors["setup_code"] = "wrong setup code (it was printed when the station started)"
        return render_template("setup.html", errors=errors, name=name), 403
    if errors:
        auth.throttle().refund(key)  # the right code: typing a weak password is not an attack
        return render_template("setup.html", errors=errors, name=name), 422
    with auth.hashes().slot() as free:
        if not free:
            return _busy(key)
        station.store.add_account(name, auth.hash_password(password))
    auth.use_setup_code(current_app.config["DATA_DIR"])
    current_app.config["SETUP_CODE"] = None
    auth.sign_in(name)
    flash(f"Account {name} created; you are signed in.")
    return redirect(url_for("staff.settings"))


def _account_errors(name: str, password: str, again: str) -> dict[str, str]:
    errors = {}
    problem = auth.name_problem(name, _station().store.account_names())
    if problem:
        errors["name"] = problem
    weak = auth.password_problem(password, name)
    if weak:
        errors["password"] = weak
    elif password != again:
        errors["password2"] = "the two passwords differ"
    return errors


@staff.route("/signin", methods=["GET", "POST"])
def signin() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("signin.html", error=None, name="")
    name = auth.normal_name(request.form.get("name", ""))[:80]
    password = request.form.get("password", "")
    key = f"signin:{_client()}"
    wait = auth.throttle().attempt(key)  # counted before the password is checked
    if wait:
        return _wait(wait)
    store = _station().store
    account = store.account(name)
    stored = account["password_hash"] if account else auth.dummy_hash()  # same time either way
    with auth.hashes().slot() as free:
        if not free:
            return _busy(key)
        right = auth.check_password(password, stored) and account is not None
        if right and auth.needs_rehash(stored):
            store.set_password_hash(name, auth.hash_password(password), end_sessions=False)
    if not right:
        return render_template("signin.html", error="wrong name or password", name=name), 401
    auth.throttle().reset(key)
    auth.sign_in(name)
    target = request.args.get("next", "")
    return redirect(target if target.startswith("/staff") else url_for("staff.settings"))


@staff.post("/signout")
def signout() -> ResponseReturnValue:
    auth.sign_out()
    return redirect(url_for("member.page"))


@staff.route("/accounts", methods=["GET", "POST"])
@login_required
def accounts() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    name = ""
    if request.method == "POST":
        name = auth.normal_name(request.form.get("name", ""))
        password = request.form.get("password", "")
        errors = _account_errors(name, password, request.form.get("password2", ""))
        if not errors:
            with auth.hashes().slot() as free:
                if not free:
                    return _wait(2, "Busy", 503)
                try:
                    _station().store.add_account(name, auth.hash_password(password))
                    flash(f"Account {name} added.")
                    return redirect(url_for("staff.accounts"))
                except StoreError as exc:
                    errors["name"] = str(exc)
    return _accounts_page(errors, name, 422 if errors else 200)


def _accounts_page(errors: dict[str, str], name: str = "", status: int = 200) -> ResponseReturnValue:
    listed = [dict(a, created_ago=ago(a["created"]),
                   created_on=time.strftime("%Y-%m-%d", time.localtime(a["created"])))
              for a in _station().store.accounts()]
    return render_template("accounts.html", errors=errors, name=name, accounts=listed,
                           me=staff_user(), rules=auth.PASSWORD_RULES), status


@staff.post("/accounts/remove")
@login_required
def account_remove() -> ResponseReturnValue:
    """Remove an account (never the last); its sessions end with it, and removing your own
    signs you out here too."""
    name = request.form.get("name", "")
    store = _station().store
    if store.account(name) is None:
        flash(f"There is no account named {name[:40]!r}.", "error")
    elif not store.remove_account(name):
        flash(f"{name} is the last account: add another first, or nobody could sign in.", "error")
    elif name == staff_user():
        session.clear()
        flash(f"Your account {name} was removed; you are signed out.")
        return redirect(url_for("staff.signin"))
    else:
        flash(f"Account {name} removed; its sign-ins have ended.")
    return redirect(url_for("staff.accounts"))


@staff.post("/password")
@login_required
def password() -> ResponseReturnValue:
    """A new password for the signed-in account: every other session of it ends."""
    name = staff_user() or ""
    store = _station().store
    account = store.account(name)
    new = request.form.get("new_password", "")
    weak = auth.password_problem(new, name) or (
        "the two new passwords differ" if new != request.form.get("new_password2") else None)
    key = f"password:{_client()}"
    wait = auth.throttle().attempt(key)
    if wait:
        return _wait(wait)
    with auth.hashes().slot() as free:
        if not free:
            return _busy(key)
        right = account is not None and auth.check_password(request.form.get("password", ""),
                                                            account["password_hash"])
        if right and not weak:
            store.set_password_hash(name, auth.hash_password(new))
    if not right or weak:
        errors = {"password_change": weak or "the current password is wrong"}
        return _accounts_page(errors, "", 422)
    auth.throttle().reset(key)
    auth.sign_in(name)  # this browser stays signed in, with the new generation
    flash("Password changed; every other sign-in of this account has ended.")
    return redirect(url_for("staff.accounts"))


# ------------------------------------------------------------------ settings
def _fields(values: dict[str, Any], errors: dict[str, str], pending: set[str]) -> list[dict[str, Any]]:
    """Every setting as the page shows it: label, value, default, whether it waits for a restart
    (its name in ``pending``)."""
    refused = _station().settings_warnings
    out = []
    for f in Settings.describe():
        value = values.get(f["name"], f["default"])
        out.append(dict(f, value=_shown(f, value), warning=refused.get(f["name"]),
                        error=errors.get(f["name"]), default_shown=_plain(f["default"]),
                        is_default=str(value) == str(f["default"]), pending=f["name"] in pending))
    return out


def _sections(values: dict[str, Any], errors: dict[str, str],
              pending: set[str]) -> dict[str, list[tuple[str, str, list[dict]]]]:
    """The basic and the advanced settings, each as (group, title, fields) for the groups that have any."""
    fields = _fields(values, errors, pending)
    return {kind: [(g, GROUP_TITLES[g], found) for g in GROUPS
                   if (found := [f for f in fields if f["group"] == g and f["basic"] == (kind == "basic")])]
            for kind in ("basic", "advanced")}


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if value != "" else "empty"


def _mqtt(station: Station) -> dict[str, Any] | None:
    """The publisher's state for the fleet settings (None: no publisher in this process)."""
    parts = [part() for part in station.health_parts]
    return next((p["mqtt"] for p in parts if "mqtt" in p), None)


def _shown(field: dict[str, Any], value: Any) -> Any:
    """A secret is never written into a page, not even the one just typed into a refused form."""
    return (SECRET if value else "") if field.get("secret") else value


def _settings_page(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    station = _station()
    pending = station.restart_pending()
    sections = _sections(values, errors, set(pending))
    # The summary lists the errors in the order the fields are on the page.
    order = [f["name"] for kind in ("basic", "advanced") for _, _, fields in sections[kind] for f in fields]
    summary = sorted(errors.items(), key=lambda e: order.index(e[0]) if e[0] in order else len(order))
    return render_template("settings.html", sections=sections, errors=errors, summary=summary,
                           labels={n: Settings.label(n) for n in errors}, mqtt=_mqtt(station),
                           **_restart_card(pending)), status


def _restart_card(pending: list[str]) -> dict[str, Any]:
    """What ``_restart.html`` shows: the settings waiting for a restart, by label, and whether
    this process can restart itself."""
    return {"pending": [Settings.label(n) for n in pending], "can_restart": _restarter() is not None}


@staff.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    station = _station()
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


# ------------------------------------------------------------------ restart
def _restarter() -> Restarter | None:
    return current_app.extensions.get("hinge_restarter")


@staff.post("/restart")
@login_required
def restart() -> ResponseReturnValue:
    """Restart the station (settings read only at start take effect); the answer is a page that
    waits for it to come back."""
    restarter = _restarter()
    if restarter is None:
        body = render_template("message.html", title="Cannot restart", message=(
            "This station was not started with `station run`, so it cannot restart itself; "
            "restart it the way it was started."))
        return body, 503
    why = restarter.refused()
    if why:
        flash(f"Not restarted: {why}.", "error")
        return redirect(url_for("staff.settings"))
    current_app.logger.warning("restart asked for by %s", staff_user())
    restarter.request()
    return render_template("restarting.html", started=STARTED, back=url_for("staff.settings"))


@staff.get("/settings/export")
@login_required
def settings_export() -> ResponseReturnValue:
    body = json.dumps(_station().settings.public(), indent=2)  # no secrets in a download
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
    station = _station()
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


# ------------------------------------------------------------------ calibration
@staff.route("/calibrate", methods=["GET", "POST"])
@login_required
def calibrate() -> ResponseReturnValue:
    station = _station()
    result = None
    if request.method == "POST":
        if request.form.get("apply") == "1":
            return _apply_calibration()
        step = request.form.get("step", "")
        result = station.calibrate(step)
        if step in ("wall", "done"):  # the wall is measured over a hold: the page follows it
            return redirect(url_for("staff.calibrate") + ("#wall-measure" if step == "wall" else ""))
    wall = station.wall_progress()
    return render_template("calibrate.html", result=result, demo=station.demo, wall=wall,
                           rows=_suggestion_rows((result or {}).get("suggest") or {}),
                           wall_rows=_suggestion_rows(wall.suggest if wall and wall.suggest else {}))


def _suggestion_rows(suggest: dict[str, Any]) -> list[dict[str, Any]]:
    """Each suggested setting beside its current value, as the Apply table shows them."""
    current = _station().settings.public()
    return [{"name": name, "label": Settings.label(name), "current": _plain(current.get(name, "")),
             "value": value} for name, value in suggest.items()]


def _apply_calibration() -> ResponseReturnValue:
    """The suggested values, through the same validation as the settings page."""
    values = {k[4:]: v for k, v in request.form.items() if k.startswith("set_")}
    try:
        _station().apply_settings(values, by=staff_user())
        flash("Calibration applied: " + ", ".join(f"{Settings.label(k)} = {v}" for k, v in values.items()))
    except SettingsError as exc:
        flash("Not applied: " + exc.for_people(), "error")
    return redirect(url_for("staff.calibrate"))


@staff.get("/calibrate/wall.json")
@login_required
def calibrate_wall() -> ResponseReturnValue:
    """The wall measurement as the loop last published it, for the page to poll."""
    progress = _station().wall_progress()
    off = {"state": "off", "message": "not measuring"}
    return jsonify(progress.as_dict() if progress is not None else off)


@staff.get("/preview.jpg")
@login_required
def preview() -> ResponseReturnValue:
    data = _station().preview_jpeg()
    if data is None:
        abort(404, description="no preview: turn on calibration or the staff preview")
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------ history and health
@staff.get("/history")
@login_required
def history() -> ResponseReturnValue:
    unit = request.args.get("by", history_view.DEFAULT)
    if unit not in periods.UNITS:
        abort(400, description=f"by must be one of {', '.join(periods.UNITS)} (got {unit[:20]!r})")
    return render_template("history.html", h=history_view.view(_station().store, unit, time.time()))


@staff.get("/history.csv")
@login_required
def history_csv() -> ResponseReturnValue:
    out = io.StringIO()
    _station().store.export_csv(out)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=hinge-reps.csv"})


@staff.get("/health")
@login_required
def health() -> ResponseReturnValue:
    return _health_page()


def _health_page(restore_error: str | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template("health.html", v=_health_view(), restore_error=restore_error,
                           max_mb=MAX_RESTORE_BODY // 2**20,
                           **_restart_card(_station().restart_pending())), status


@staff.get("/health.json")
@login_required
def health_json() -> ResponseReturnValue:
    """The health page's figures, already in words, for its auto-refresh."""
    response = current_app.json.response(_health_view())
    response.headers["Cache-Control"] = "no-store"
    return response


def _health_view() -> dict[str, Any]:
    """Everything the health page shows, as the words it shows (durations humane)."""
    station = _station()
    h = station.health()
    clock = "%H:%M:%S"
    return {
        "status": h["status"], "service": h["service"], "warnings": h["warnings"],
        "figures": _figures(h),
        "errors": [{"when": ago(e["t"]), "source": e["source"], "message": e["message"]}
                   for e in h["errors"]],
        "log": [dict(line, when=time.strftime(clock, time.localtime(line["t"])))
                for line in station.log_lines.lines(50)],
    }


def _figures(h: dict[str, Any]) -> list[dict[str, Any]]:
    """(key, label, text, problem) rows of the health table."""
    switch = h["switch"]
    if switch["enabled"]:
        wall = ("pressed" if switch["pressed"] else "open") + (
            ": STUCK closed, check the pad" if switch["stuck"] else "")
    else:
        wall = "not fitted"
    rows = [
        ("camera", "Camera", f"{h['camera']} ({h['camera_name']})", h["camera"] != "ok"),
        ("fps", "Frames per second", f"{h['fps']}", False),
        ("inference", "Pose inference", f"{h['inference_ms']} ms", False),
        ("coach", "Coach", f"{h['coach_ms']} ms", False),
        ("frames", "Frames / missed reads / dropped snapshots",
         f"{h['frames']} / {h['missed_reads']} / {h['dropped_snapshots']}", False),
        ("switch", "Wall switch", wall, bool(switch["stuck"])),
        ("database", "Rep log", "ok" if h["database_ok"] else "FAILING: see the errors below",
         not h["database_ok"]),
        ("disk", "Disk free", f"{h['disk_free_mb']} MB (rep log {h['db_size_mb']} MB)", False),
        ("uptime", "Uptime", duration(h["uptime_s"]), False),
        ("version", "Version", h["version"] + (" (demo)" if h["demo"] else ""), False),
    ]
    if h.get("mqtt"):
        rows.insert(7, ("mqtt", "MQTT", _mqtt_words(h["mqtt"]), h["mqtt"]["state"] not in
                        ("connected", "disabled")))
    return [{"key": k, "label": label, "text": text, "problem": bad} for k, label, text, bad in rows]


def _mqtt_words(m: dict[str, Any]) -> str:
    if m["state"] == "disabled":
        return "off (no broker set)"
    reason = f" ({m['reason']})" if m.get("reason") else ""
    return (f"{m['state']} {m.get('broker') or ''}{reason}; {m['reps_waiting']} reps waiting, last "
            f"acknowledged rep {m['last_ack_id']}")


# ------------------------------------------------------------------ backup and restore
def _restart_note(before: Settings, after: Settings) -> str:
    """Restored settings that only take effect after a restart, named (empty: none changed)."""
    later = [name.replace("_", " ") for name in after.restart_changes(before)]
    return f" These restored settings take effect after a restart: {', '.join(later)}." if later else ""


_RESTORING = threading.Lock()  # one restore at a time: each unpacks to the same file


@staff.get("/backup")
@login_required
def backup_download() -> ResponseReturnValue:
    """A zip of the rep log (a consistent snapshot), the settings and a manifest."""
    station = _station()
    out = tempfile.SpooledTemporaryFile(max_size=8 * 2**20, dir=str(station.data_dir))  # noqa: SIM115
    backup.write(station.store, station.settings, out, station.data_dir)  # closed by send_file
    out.seek(0)
    name = f"hinge-backup-{time.strftime('%Y%m%d-%H%M')}.zip"
    response = send_file(out, mimetype="application/zip", as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"  # password hashes: never kept by a cache
    return response


@staff.post("/restore")
@login_required
def restore() -> ResponseReturnValue:
    """Check an uploaded backup whole, then swap it in; every sign-in ends (its accounts
    replace the current ones), and staff are told which accounts to sign in with."""
    upload = request.files.get("backup")
    if upload is None or not upload.filename:
        return _health_page("choose a backup file (.zip) to restore", 422)
    if not _RESTORING.acquire(blocking=False):
        return _health_page("another restore is under way; try again when it is done", 409)
    station = _station()
    before = station.settings
    try:
        checked = backup.check(upload.stream, Path(str(station.store.path)))
        try:
            aside = station.restore(checked, by=staff_user())
        except StoreError:
            checked.discard()
            raise
    except (backup.BackupError, StoreError) as exc:
        return _health_page(f"nothing was changed: {exc}", 422)
    finally:
        _RESTORING.release()
    current_app.secret_key = auth.renew_secret_key(current_app.config["DATA_DIR"])
    session.clear()  # this browser's sign-in ends too: it belonged to the replaced accounts
    flash(f"Restored the backup made {checked.manifest.get('created')}: {checked.reps} reps, its settings "
          f"and its staff accounts. Every sign-in has ended: sign in with an account from the backup "
          f"({', '.join(checked.accounts)}). The replaced rep log is kept as {aside.name}."
          + _restart_note(before, checked.settings))
    return redirect(url_for("staff.signin"))
