"""Staff accounts: the list, adding one, removing one (never the last, and only once confirmed),
changing your password, setting a colleague's, and clearing sign-in locks (web/lockout.py)."""

from __future__ import annotations

import time
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from station.storage import StoreError
from station.web import auth
from station.web.auth import login_required, staff_user
from station.web.humane import ago, duration
from station.web.staff.common import busy, client_address, current_station, staff, wait_page


def account_errors(name: str, password: str, again: str) -> dict[str, str]:
    """What is wrong with a new account's name and password, by form field (empty: nothing)."""
    errors = {}
    problem = auth.name_problem(name, current_station().store.accounts.names())
    if problem:
        errors["name"] = problem
    weak = auth.password_problem(password, name)
    if weak:
        errors["password"] = weak
    elif password != again:
        errors["password2"] = "the two passwords differ"
    return errors


@staff.route("/accounts", methods=["GET", "POST"])
@login_required
def accounts() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    name = ""
    if request.method == "POST":
        name = auth.normal_name(request.form.get("name", ""))
        password = request.form.get("password", "")
        errors = account_errors(name, password, request.form.get("password2", ""))
        if not errors:
            with auth.hashes().slot() as free:
                if not free:
                    return wait_page(2, "Busy", 503)
                try:
                    current_station().store.accounts.add(name, auth.hash_password(password))
                    flash(f"Account {name} added.")
                    return redirect(url_for("staff.accounts"))
                except StoreError as exc:
                    errors["name"] = str(exc)
    return _accounts_page(errors, name, 422 if errors else 200)


def _accounts_page(errors: dict[str, str], name: str = "", status: int = 200) -> ResponseReturnValue:
    listed = [dict(a, created_ago=ago(a["created"]),
                   created_on=time.strftime("%Y-%m-%d", time.localtime(a["created"])))
              for a in current_station().store.accounts.listing()]
    return render_template("accounts.html", errors=errors, name=name, accounts=listed,
                           me=staff_user(), rules=auth.PASSWORD_RULES, locks=_locks()), status


def _locks() -> list[dict[str, Any]]:
    """The sign-in locks now, in words, for the accounts page's "Sign-in locks"."""
    out = []
    for lock in auth.lockout().locks():
        until = time.strftime("%H:%M", time.localtime(time.time() + lock.wait_s))
        who = lock.account if lock.account is not None else f"every account from {lock.address}"
        where = f" from {lock.address}" if lock.account is not None and lock.address else (
            " from the network" if lock.address is None else "")
        what = f"{lock.failures} wrong passwords{where}; waits {duration(lock.wait_s)} (until {until})"
        out.append({"account": lock.account, "address": lock.address, "who": who, "what": what})
    return out


@staff.post("/accounts/unlock")
@login_required
def account_unlock() -> ResponseReturnValue:
    """A colleague's way back: clear an account's sign-in locks (or an address's)."""
    account = request.form.get("account") or None
    address = request.form.get("address") or None
    if account is None and address is None:
        flash("Name an account or an address to clear.", "error")
    else:
        auth.lockout().clear(account=account, address=None if account else address)
        flash(f"Sign-in locks of {account or address} cleared; they can try again now.")
    return redirect(url_for("staff.accounts"))


@staff.post("/accounts/remove")
@login_required
def account_remove() -> ResponseReturnValue:
    """Remove an account (never the last), once confirmed: the first post shows what is lost and
    asks; the second (``confirm=yes``) removes. Its sessions end with it, and removing your own
    signs you out here too."""
    name = request.form.get("name", "")
    store = current_station().store
    if store.accounts.get(name) is None:
        flash(f"There is no account named {name[:40]!r}.", "error")
    elif request.form.get("confirm") != "yes":
        last = store.accounts.count() <= 1
        return render_template("remove_account.html", name=name, me=name == staff_user(), last=last,
                               others=[n for n in store.accounts.names() if n != name]), 409 if last else 200
    elif not store.accounts.remove(name):
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
    new = request.form.get("new_password", "")
    refused = _set_password(name, name, new, _new_password_problem(new, name), "password_change",
                            "the current password is wrong")
    if refused is not None:
        return refused
    auth.sign_in(name)  # this browser stays signed in, with the new generation
    flash("Password changed; every other sign-in of this account has ended.")
    return redirect(url_for("staff.accounts"))


@staff.post("/accounts/reset")
@login_required
def account_reset() -> ResponseReturnValue:
    """A colleague's forgotten password: a signed-in staff member sets a new one (their own
    password confirms it is them). The colleague's sign-ins end and their locks are cleared;
    no other account changes."""
    me = staff_user() or ""
    name = request.form.get("name", "")
    new = request.form.get("new_password", "")
    problem = ("there is no account of that name" if current_station().store.accounts.get(name) is None
               else "to change your own password use the form below" if name == me
               else _new_password_problem(new, name))
    refused = _set_password(me, name, new, problem, "reset", "your own password is wrong")
    if refused is not None:
        return refused
    auth.lockout().clear(account=name)
    flash(f"New password set for {name}; tell them in person. Their other sign-ins have ended.")
    return redirect(url_for("staff.accounts"))


def _new_password_problem(new: str, name: str) -> str | None:
    """Why ``new`` cannot be ``name``'s password (the rule, or the two copies typed differ)."""
    return auth.password_problem(new, name) or (
        "the two new passwords differ" if new != request.form.get("new_password2") else None)


def _set_password(checker: str, target: str, new: str, problem: str | None, error_key: str,
                  wrong: str) -> ResponseReturnValue | None:
    """``target``'s password set to ``new`` once ``checker``'s password in the form is right and
    there is no ``problem``: None when done, else the page to answer with (``wrong`` its words
    for a wrong password). Both forms count against one throttle per computer."""
    store = current_station().store
    account = store.accounts.get(checker)
    key = f"password:{client_address()}"
    wait = auth.throttle().attempt(key)
    if wait:
        return wait_page(wait)
    with auth.hashes().slot() as free:
        if not free:
            return busy(key)
        right = account is not None and auth.check_password(request.form.get("password", ""),
                                                            account["password_hash"])
        if right and not problem:
            store.accounts.set_password_hash(target, auth.hash_password(new))
    if not right or problem:
        return _accounts_page({error_key: problem or wrong}, "", 422)
    auth.throttle().reset(key)
    return None
