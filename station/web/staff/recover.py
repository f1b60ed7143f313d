"""Recovery by standing at the station: a forgotten password reset with the one-time code the
station's own screen shows after a long hold of the wall switch (web/presence.py). Only the named
account changes; no other account is touched.

    GET  /staff/presence/code   the code, for the station's own screen only (loopback): JSON
    GET  /staff/recover         the form: account, code, new password
    POST /staff/recover         resets the password, clears the account's sign-in locks, signs in
"""

from __future__ import annotations

import time

from flask import current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from station.runtime.switch_hold import HOLD_S
from station.web import auth
from station.web.guard import own_screen
from station.web.presence import PresenceCodes
from station.web.staff.common import busy, client_address, current_station, staff, wait_page


def codes() -> PresenceCodes:
    return current_app.extensions["hinge_presence"]


def presence_code_taken(given: str) -> bool:
    """Whether ``given`` is the live presence code, used up in the same step."""
    return bool(given) and codes().take(given, current_station().hold, time.monotonic())


@staff.get("/presence/code")
def presence_code() -> ResponseReturnValue:
    """The code for the newest hold of the wall switch, to the station's own screen only."""
    if not own_screen(request.remote_addr):
        return jsonify({"error": "shown only on the station's own screen", "status": 403}), 403
    hold, now = current_station().hold, time.monotonic()
    code = codes().shown(hold, now)
    body = {"code": code, "hold": hold.count,
            "expires_in_s": round(codes().expires_in(hold, now)) if code else None}
    return jsonify(body), 200, {"Cache-Control": "no-store"}


def _page(errors: dict[str, str], name: str = "", status: int = 200) -> ResponseReturnValue:
    return render_template("recover.html", errors=errors, name=name, rules=auth.PASSWORD_RULES,
                           hold_s=round(HOLD_S)), status


@staff.route("/recover", methods=["GET", "POST"])
def recover() -> ResponseReturnValue:
    store = current_station().store
    if store.accounts.count() == 0:
        return redirect(url_for("staff.setup"))
    if request.method == "GET":
        return _page({}, request.args.get("name", "")[:80])
    key = f"recover:{client_address()}"
    wait = auth.throttle().attempt(key)  # counted before the code is looked at
    if wait:
        return wait_page(wait)
    name = auth.normal_name(request.form.get("name", ""))[:80]
    password = request.form.get("password", "")
    errors: dict[str, str] = {}
    if store.accounts.get(name) is None:
        errors["name"] = "there is no account of that name (the accounts page lists them once you are in)"
    weak = auth.password_problem(password, name)
    if weak:
        errors["password"] = weak
    elif password != request.form.get("password2", ""):
        errors["password2"] = "the two passwords differ"
    if errors:  # the code is not used up by a form that is wrong elsewhere
        auth.throttle().refund(key)
        return _page(errors, name, 422)
    with auth.hashes().slot() as free:
        if not free:
            return busy(key)
        if not presence_code_taken(request.form.get("code", "")[:80]):
            errors["code"] = (f"wrong or expired code: hold the wall switch for {round(HOLD_S)} seconds "
                              "while nobody is training, and type the code the wall screen shows")
            return _page(errors, name, 403)
        store.accounts.set_password_hash(name, auth.hash_password(password))  # its other sessions end
    auth.throttle().reset(key)
    auth.lockout().clear(account=name)
    current_app.logger.warning("password of %s reset at the station (wall switch held) from %s", name,
                               client_address())
    auth.sign_in(name)
    flash(f"The password of {name} is reset; you are signed in. Every other sign-in of {name} has ended.")
    return auth.remember_device(make_response(redirect(url_for("staff.station_home"))), name)
