"""Staff pages: first account with the setup code, sign-in, settings, calibration, history, health."""

from __future__ import annotations

import io
import json
import time
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
    url_for,
)
from flask.typing import ResponseReturnValue

from station.coach.faults import FAULTS
from station.settings import GROUPS, SECRET, Settings, SettingsError
from station.store import StoreError
from station.web import auth
from station.web.auth import login_required, staff_user

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
    return render_template("accounts.html", errors=errors, name=name), 422 if errors else 200


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
        return render_template("accounts.html", errors=errors, name=""), 422
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
    return render_template("health.html", h=_station().health())
