"""Getting in: the staff home, the first account with the setup code, sign-in and sign-out."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from station.web import auth
from station.web.auth import staff_user
from station.web.staff.accounts import account_errors
from station.web.staff.common import busy, client_address, current_station, staff, wait_page


@staff.get("/")
def home() -> ResponseReturnValue:
    if current_station().store.accounts.count() == 0:
        return redirect(url_for("staff.setup"))
    if staff_user() is None:
        return redirect(url_for("staff.signin"))
    return redirect(url_for("staff.station_home"))


@staff.route("/setup", methods=["GET", "POST"])
def setup() -> ResponseReturnValue:
    station = current_station()
    if station.store.accounts.count() > 0:
        return redirect(url_for("staff.signin"))
    if request.method == "GET":
        return render_template("setup.html", errors={}, name="")
    key = f"setup:{client_address()}"
    wait = auth.throttle().attempt(key)  # counted before the code is looked at
    if wait:
        return wait_page(wait)
    code = current_app.config.get("SETUP_CODE") or ""
    name = auth.normal_name(request.form.get("name", ""))
    password = request.form.get("password", "")
    errors = account_errors(name, password, request.form.get("password2", ""))
    given = request.form.get("setup_code", "").strip()
    if not code or not auth.hmac.compare_digest(given.encode(), code.encode()):
        errors["setup_code"] = "wrong setup code (it was printed when the station started)"
        return render_template("setup.html", errors=errors, name=name), 403
    if errors:
        auth.throttle().refund(key)  # the right code: typing a weak password is not an attack
        return render_template("setup.html", errors=errors, name=name), 422
    with auth.hashes().slot() as free:
        if not free:
            return busy(key)
        station.store.accounts.add(name, auth.hash_password(password))
    auth.use_setup_code(current_app.config["DATA_DIR"])
    current_app.config["SETUP_CODE"] = None
    auth.sign_in(name)
    flash(f"Account {name} created; you are signed in.")
    return redirect(url_for("staff.settings"))


@staff.route("/signin", methods=["GET", "POST"])
def signin() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("signin.html", error=None, name="")
    name = auth.normal_name(request.form.get("name", ""))[:80]
    password = request.form.get("password", "")
    key = f"signin:{client_address()}"
    wait = auth.throttle().attempt(key)  # counted before the password is checked
    if wait:
        return wait_page(wait)
    store = current_station().store
    account = store.accounts.get(name)
    stored = account["password_hash"] if account else auth.dummy_hash()  # same time either way
    with auth.hashes().slot() as free:
        if not free:
            return busy(key)
        right = auth.check_password(password, stored) and account is not None
        if right and auth.needs_rehash(stored):
            store.accounts.set_password_hash(name, auth.hash_password(password), end_sessions=False)
    if not right:
        return render_template("signin.html", error="wrong name or password", name=name), 401
    auth.throttle().reset(key)
    auth.sign_in(name)
    target = request.args.get("next", "")
    return redirect(target if target.startswith("/staff") else url_for("staff.station_home"))


@staff.post("/signout")
def signout() -> ResponseReturnValue:
    auth.sign_out()
    return redirect(url_for("member.page"))
