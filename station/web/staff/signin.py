"""Getting in: the staff home, the first account, sign-in and sign-out.

Sign-in spends the budgets of web/lockout.py: a browser that has signed in to the account before
has a lane of its own (its known-device cookie), so a distributed attack on an account never
locks its staff out of the browsers they use; anyone else shares the account's budget.
"""

from __future__ import annotations

import time

from flask import Response, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from station.runtime.switch_hold import HOLD_S
from station.storage import StoreError
from station.web import auth
from station.web.auth import staff_user
from station.web.humane import duration
from station.web.staff.accounts import account_errors
from station.web.staff.common import busy, client_address, current_station, staff, wait_page
from station.web.staff.recover import presence_code_taken


@staff.get("/")
def home() -> ResponseReturnValue:
    if current_station().store.accounts.count() == 0:
        return redirect(url_for("staff.setup"))
    if staff_user() is None:
        return redirect(url_for("staff.signin"))
    return redirect(url_for("staff.station_home"))


def _setup_page(errors: dict[str, str], name: str = "", code: str = "",
                status: int = 200) -> ResponseReturnValue:
    page = render_template("setup.html", errors=errors, name=name, code=code, rules=auth.PASSWORD_RULES,
                           hold_s=round(HOLD_S))
    return page, status


@staff.route("/setup", methods=["GET", "POST"])
def setup() -> ResponseReturnValue:
    """The first account, with the setup code an installer gave (first-boot settings) or the one
    the station's own screen shows after a long hold of the wall switch. The code is used up in
    one step with the check (:func:`auth.take_setup_code`), and the account is added only while
    there is none: of eight setups at once, one account."""
    station = current_station()
    if station.store.accounts.count() > 0:
        return redirect(url_for("staff.signin"))
    if request.method == "GET":
        return _setup_page({})
    key = f"setup:{client_address()}"
    wait = auth.throttle().attempt(key)  # counted before the code is looked at
    if wait:
        return wait_page(wait)
    name = auth.normal_name(request.form.get("name", ""))
    password = request.form.get("password", "")
    given = request.form.get("setup_code", "").strip()[:80]
    errors = account_errors(name, password, request.form.get("password2", ""))
    if errors:  # the code is not looked at (nor used up) until the rest is right
        auth.throttle().refund(key)  # typing a weak password is not an attack
        return _setup_page(errors, name, given, 422)
    with auth.hashes().slot() as free:
        if not free:
            return busy(key)
        from_installer = auth.take_setup_code(given)
        if not from_installer and not presence_code_taken(given):
            errors["setup_code"] = (f"wrong or expired code: hold the wall switch for {round(HOLD_S)} "
                                    "seconds while nobody is training, and type the code the wall "
                                    "screen shows")
            return _setup_page(errors, name, given, 403)
        try:
            made = station.store.accounts.add_first(name, auth.hash_password(password))
        except StoreError:
            made = False
    if not made:  # another setup made the first account meanwhile
        if from_installer:
            auth.give_back_setup_code()
        flash("The first account exists already; sign in, or ask whoever made it.", "error")
        return redirect(url_for("staff.signin"))
    auth.sign_in(name)
    flash(f"Account {name} created; you are signed in.")
    return auth.remember_device(make_response(redirect(url_for("staff.station_home"))), name)


@staff.route("/signin", methods=["GET", "POST"])
def signin() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("signin.html", error=None, name="")
    name = auth.normal_name(request.form.get("name", ""))[:80]
    password = request.form.get("password", "")
    address = client_address()
    store = current_station().store
    account = store.accounts.get(name)
    device = auth.device_for(name) if account is not None else None
    exists = account is not None
    verdict = auth.lockout().attempt(name, address, device, exists=exists)  # before the password is checked
    if verdict.wait_s:
        return locked_page(name, verdict.kind, verdict.wait_s)
    stored = account["password_hash"] if account else auth.dummy_hash()  # same time either way
    with auth.hashes().slot(priority=device is not None) as free:
        if not free:
            auth.lockout().give_back(name, address, device, exists=exists)
            return wait_page(2, "Busy", 503)
        right = auth.check_password(password, stored) and account is not None
        if right and auth.needs_rehash(stored):
            store.accounts.set_password_hash(name, auth.hash_password(password), end_sessions=False)
    if not right:
        return render_template("signin.html", error="wrong name or password", name=name), 401
    auth.lockout().succeeded(name, address, device)
    auth.sign_in(name)
    target = request.args.get("next", "")
    landing = target if target.startswith("/staff") else url_for("staff.station_home")
    response = make_response(redirect(landing))
    return auth.remember_device(response, name)


def locked_page(name: str, kind: str, wait_s: float) -> Response:
    """Why this sign-in waits (``kind``: the budget spent, web/lockout.py), until when in words,
    and the ways back (429)."""
    until = time.strftime("%H:%M", time.localtime(time.time() + wait_s))
    when = f"Try again in {duration(wait_s)} (at {until})"
    if kind in ("name_address", "device"):
        where = "browser" if kind == "device" else "computer"
        why = f"Too many wrong passwords for {name} from this {where}."
        others = "Other accounts can still sign in here."
    elif kind == "address":
        why = "Too many wrong passwords from this computer, for several accounts."
        others = "A browser that has signed in before can still sign in."
    elif kind == "name":
        why = (f"The account {name} has had too many wrong passwords from the network in the last hour "
               "(someone may be guessing).")
        others = "It can still sign in from a browser that has signed in to it before."
    else:
        why, others = "Too many wrong passwords.", ""
    body = render_template("locked.html", why=why, when=when, others=others, name=name)
    return Response(body, status=429, headers={"Retry-After": str(int(wait_s))})


@staff.post("/signout")
def signout() -> ResponseReturnValue:
    auth.sign_out()
    return redirect(url_for("member.page"))

