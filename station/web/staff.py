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
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from station import backup
from station.coach.faults import FAULTS
from station.settings import GROUPS, SECRET, Settings, SettingsError
from station.store import StoreError
from station.web import auth
from station.web.auth import login_required, staff_user
from station.web.guard import MAX_RESTORE_BODY
from station.web.humane import ago, duration

if TYPE_CHECKING:
    from station.station import Station

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
def _groups(values: dict[str, Any]) -> list[tuple[str, list[dict]]]:
    fields = Settings.describe()
    refused = _station().settings_warnings
    return [(g, [dict(f, value=_shown(f, values.get(f["name"], f["default"])), warning=refused.get(f["name"]))
                 for f in fields if f["group"] == g])
            for g in GROUPS]


def _mqtt(station: Station) -> dict[str, Any] | None:
    """The publisher's state for the fleet settings (None: no publisher in this process)."""
    parts = [part() for part in station.health_parts]
    return next((p["mqtt"] for p in parts if "mqtt" in p), None)


def _shown(field: dict[str, Any], value: Any) -> Any:
    """A secret is never written into a page, not even the one just typed into a refused form."""
    return (SECRET if value else "") if field.get("secret") else value


@staff.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    station = _station()
    current = station.settings.public()
    if request.method == "GET":
        return render_template("settings.html", groups=_groups(current), errors={}, mqtt=_mqtt(station))
    changes: dict[str, Any] = {}
    for f in Settings.describe():
        name = f["name"]
        if f["type"] == "bool":
            value: Any = request.form.get(name) == "on"
        elif name in request.form:
            value = request.form[name].strip()
        else:
            continue
        if str(value) != str(current[name]):
            changes[name] = value
    try:
        station.apply_settings(changes, by=staff_user())
    except SettingsError as exc:
        shown = {**current, **changes}
        return render_template("settings.html", groups=_groups(shown), errors=exc.errors,
                               mqtt=_mqtt(station)), 422
    flash(_saved_message(changes))
    return redirect(url_for("staff.settings"))


def _saved_message(changes: dict[str, Any]) -> str:
    if not changes:
        return "Nothing changed."
    later = [f["name"] for f in Settings.describe() if f["restart"] and f["name"] in changes]
    if later:
        return (f"Saved {len(changes)} change(s). These take effect after a restart: "
                + ", ".join(n.replace("_", " ") for n in later) + ".")
    return f"Saved {len(changes)} change(s); the coach uses them from the next frame."


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
        shown = {**station.settings.to_dict(), **values}
        return render_template("settings.html", groups=_groups(shown), errors=exc.errors,
                               mqtt=_mqtt(station)), 422
    flash("Settings imported.")
    return redirect(url_for("staff.settings"))


# ------------------------------------------------------------------ calibration
@staff.route("/calibrate", methods=["GET", "POST"])
@login_required
def calibrate() -> ResponseReturnValue:
    station = _station()
    result = None
    if request.method == "POST":
        step = request.form.get("step", "")
        if request.form.get("apply") == "1":
            values = {k[4:]: v for k, v in request.form.items() if k.startswith("set_")}
            try:
                station.apply_settings(values, by=staff_user())
                flash("Calibration applied: " + ", ".join(f"{k} = {v}" for k, v in values.items()))
            except SettingsError as exc:
                flash("Not applied: " + str(exc), "error")
            return redirect(url_for("staff.calibrate"))
        result = station.calibrate(step)
    return render_template("calibrate.html", result=result, demo=station.demo)


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
    store = _station().store
    days = store.days(30)
    faults = store.fault_counts(since=time.time() - 30 * 86400)
    names = {code: fault.staff for code, fault in FAULTS.items()}
    return render_template("history.html", days=days, faults=faults, names=names,
                           chart=_chart(list(reversed(days))))


@staff.get("/history.csv")
@login_required
def history_csv() -> ResponseReturnValue:
    out = io.StringIO()
    _station().store.export_csv(out)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=hinge-reps.csv"})


def _chart(days: list[dict]) -> dict:
    """Bars of reps per day (good in green over faulty in red), as numbers the template draws."""
    top = max([d["reps"] for d in days] + [1])
    bars = []
    for i, d in enumerate(days):
        bars.append({"x": 10 + i * 24, "day": d["day"][5:], "good": 150 * d["good"] / top,
                     "fault": 150 * (d["reps"] - d["good"]) / top, "reps": d["reps"]})
    return {"bars": bars, "width": max(300, 20 + 24 * len(days)), "top": top}


@staff.get("/health")
@login_required
def health() -> ResponseReturnValue:
    return _health_page()


def _health_page(restore_error: str | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template("health.html", v=_health_view(), restore_error=restore_error,
                           max_mb=MAX_RESTORE_BODY // 2**20), status


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
    later = [f["name"].replace("_", " ") for f in Settings.describe()
             if f["restart"] and getattr(before, f["name"]) != getattr(after, f["name"])]
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
