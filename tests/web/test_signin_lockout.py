"""Sign-in under attack and the ways back (issues 26 and 27): lockout per account and address, the
account's budget over every address, the known-device lane, a colleague's clear and reset, the
first account and a forgotten password by standing at the station, the setup code used once under
a race, password strength, and session ages on the monotonic clock."""

from __future__ import annotations

import re
import threading
import time

import pytest

from station.runtime.switch_hold import Hold
from station.web import auth
from station.web.guard import HashGate
from station.web.lockout import MAX_KEYS, NAME, NAME_ADDRESS, Budget, Lockout
from tests.helpers.accounts import PASSWORD, csrf_token, sign_in

NEW = "orange dowel forty two"
# Smaller budgets where a test is about which budget counts, not its size: each try is a real
# scrypt hash (a few tenths of a second here).
TWO_TYPOS = Budget(2, NAME_ADDRESS.window_s, NAME_ADDRESS.what)
FOUR_FROM_THE_NETWORK = Budget(4, NAME.window_s, NAME.what)


@pytest.fixture
def sim_station(make_sim_station):
    """A started demo station at a camera's pace (sign-in tests need no sets at full speed, and
    the hashing gets the CPU)."""
    station = make_sim_station(fast=False, press_switch=False)
    station.start()
    return station


def visitor(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def try_sign_in(client, name: str, password: str):
    return client.post("/staff/signin", data={"csrf_token": csrf_token(client, "/staff/signin"), "name": name,
                                              "password": password})


def test_five_wrong_passwords_lock_that_account_from_that_computer_only(app, staff_client,
                                                                        sim_station) -> None:
    sim_station.store.accounts.add("bob", auth.hash_password(PASSWORD))
    desk = visitor(app, "10.0.0.5")
    codes = [try_sign_in(desk, "ann", "wrong password").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    locked = try_sign_in(desk, "ann", PASSWORD)
    page = locked.get_data(as_text=True)
    assert locked.status_code == 429 and "Too many wrong passwords for ann from this computer" in page
    assert re.search(r"Try again in 1[45] min( \d+ s)? \(at \d\d:\d\d\)", page), page
    assert "Other accounts can still sign in here" in page and "/staff/recover" in page
    assert try_sign_in(desk, "bob", PASSWORD).status_code == 302  # a colleague at the same computer
    assert try_sign_in(visitor(app, "10.0.0.6"), "ann", PASSWORD).status_code == 302  # ann elsewhere


def test_an_accounts_guesses_are_bounded_whatever_the_number_of_addresses(app, staff_client,
                                                                          monkeypatch) -> None:
    app.extensions["hinge_lockout"] = budget = Lockout(name=FOUR_FROM_THE_NETWORK)
    limit = budget._w["name"].budget.limit
    own = visitor(app, "10.0.9.9")
    sign_in(own, "ann")  # this browser has signed in before: it is known for ann
    checked = []
    real = auth.check_password
    monkeypatch.setattr(auth, "check_password", lambda p, h: checked.append(p) or real(p, h))
    codes = [try_sign_in(visitor(app, f"10.1.{i // 250}.{i % 250 + 1}"), "ann", f"guess {i}").status_code
             for i in range(limit + 10)]
    assert codes == [401] * limit + [429] * 10 and len(checked) == limit
    late = try_sign_in(visitor(app, "10.2.0.1"), "ann", PASSWORD)  # right, but from a new browser
    assert late.status_code == 429
    assert "too many wrong passwords from the network" in late.get_data(as_text=True)
    assert try_sign_in(own, "ann", PASSWORD).status_code == 302  # ann's own browser: its own lane


def test_a_flood_of_made_up_names_never_pushes_out_an_accounts_count() -> None:
    lock = Lockout(name=FOUR_FROM_THE_NETWORK)
    for i in range(4):
        lock.attempt("ann", f"10.3.0.{i + 1}", now=float(i))
    for i in range(MAX_KEYS + 10):  # more made-up names than any budget remembers
        lock.attempt(f"nobody{i}", f"10.4.{i // 250}.{i % 250 + 1}", now=10.0, exists=False)
    verdict = lock.attempt("ann", "10.5.0.1", now=11.0)
    assert verdict.wait_s > 0 and verdict.kind == "name"
    made_up = [lock.attempt("nobody-new", f"10.6.0.{i + 1}", now=12.0, exists=False).kind for i in range(5)]
    assert made_up == ["", "", "", "", "name"]  # the same budget and answer as a real name's


def test_a_known_browser_gets_a_hashing_slot_when_a_flood_holds_the_others(app, staff_client) -> None:
    own = visitor(app, "10.0.9.9")
    sign_in(own, "ann")
    app.extensions["hinge_hashes"] = HashGate(running=1, waiting=0, wait_s=0.1)
    with app.extensions["hinge_hashes"].slot() as held:  # the flood's guess being hashed
        assert held
        assert try_sign_in(visitor(app, "10.0.3.3"), "ann", PASSWORD).status_code == 503
        assert try_sign_in(own, "ann", PASSWORD).status_code == 302


def test_a_forged_known_device_cookie_gets_no_lane(app, staff_client) -> None:
    own = visitor(app, "10.0.9.9")
    sign_in(own, "ann")
    cookie = own.get_cookie(auth.DEVICE_COOKIE, path="/staff")
    assert cookie is not None and cookie.http_only and cookie.expires.timestamp() - time.time() > 300 * 86400
    thief = visitor(app, "10.0.7.7")
    thief.set_cookie(auth.DEVICE_COOKIE, cookie.value[:-2] + "xx", path="/staff")
    app.extensions["hinge_lockout"] = Lockout(name_address=TWO_TYPOS)
    for _ in range(2):
        try_sign_in(thief, "ann", "wrong password")
    assert try_sign_in(thief, "ann", PASSWORD).status_code == 429  # the typo budget of an unknown browser


def test_a_colleague_sees_and_clears_a_lock(app, staff_client) -> None:
    app.extensions["hinge_lockout"] = Lockout(name_address=TWO_TYPOS)
    desk = visitor(app, "10.0.0.5")
    for _ in range(2):
        try_sign_in(desk, "ann", "wrong password")
    assert try_sign_in(desk, "ann", PASSWORD).status_code == 429
    page = staff_client.get("/staff/accounts").get_data(as_text=True)
    assert "2 wrong passwords from 10.0.0.5; waits 1" in page
    token = csrf_token(staff_client, "/staff/accounts")
    r = staff_client.post("/staff/accounts/unlock", data={"csrf_token": token, "account": "ann"})
    assert r.status_code == 302
    assert 'id="no-locks"' in staff_client.get("/staff/accounts").get_data(as_text=True)
    assert try_sign_in(desk, "ann", PASSWORD).status_code == 302


def test_a_colleague_sets_a_new_password_with_their_own(app, staff_client, sim_station) -> None:
    app.extensions["hinge_lockout"] = Lockout(name_address=TWO_TYPOS)
    sim_station.store.accounts.add("bob", auth.hash_password("bob forgot this one long ago"))
    bob = visitor(app, "10.0.0.8")
    for _ in range(2):
        try_sign_in(bob, "bob", "wrong password")
    assert try_sign_in(bob, "bob", "bob forgot this one long ago").status_code == 429
    token = csrf_token(staff_client, "/staff/accounts")
    form = {"csrf_token": token, "name": "bob", "new_password": NEW, "new_password2": NEW, "password": "nope"}
    assert staff_client.post("/staff/accounts/reset", data=form).status_code == 422  # ann's own, wrong
    form["password"] = PASSWORD
    assert staff_client.post("/staff/accounts/reset", data=form).status_code == 302
    assert try_sign_in(bob, "bob", NEW).status_code == 302  # and bob's lock went with it
    assert auth.check_password(PASSWORD, sim_station.store.accounts.get("ann")["password_hash"])


def test_a_forgotten_password_is_reset_by_standing_at_the_station(app, staff_client, sim_station) -> None:
    sim_station.store.accounts.add("bob", auth.hash_password(PASSWORD))
    phone = visitor(app, "192.168.1.20")
    assert phone.get("/staff/presence/code").status_code == 403  # only the station's own screen
    wall = visitor(app, "127.0.0.1")
    assert wall.get("/staff/presence/code").get_json()["code"] is None  # no hold yet
    assert 'id="presence-code"' in wall.get("/").get_data(as_text=True)
    assert 'id="presence-code"' not in phone.get("/").get_data(as_text=True)
    sim_station.switch_hold.last = Hold(1, time.monotonic())  # what the loop publishes for a long hold
    shown = wall.get("/staff/presence/code").get_json()
    assert re.fullmatch(r"\d{4} \d{4}", shown["code"]) and 0 < shown["expires_in_s"] <= 300

    def recover(code: str, password: str = NEW):
        return phone.post("/staff/recover", data={"csrf_token": csrf_token(phone, "/staff/recover"),
                                                  "name": "ann", "code": code, "password": password,
                                                  "password2": password})

    assert recover(shown["code"], "Password1!").status_code == 422  # a weak one does not use the code
    assert recover("0000 0000" if shown["code"] != "0000 0000" else "1111 1111").status_code == 403
    assert recover(shown["code"]).status_code == 302
    assert auth.check_password(NEW, sim_station.store.accounts.get("ann")["password_hash"])
    assert sim_station.store.accounts.names() == ["ann", "bob"]  # nobody else touched
    assert staff_client.get("/staff/settings").status_code == 302  # ann's old sign-in ended
    assert recover(shown["code"]).status_code == 403  # used once


def test_eight_concurrent_setups_make_one_account(app, sim_station) -> None:
    clients = [visitor(app, f"10.0.5.{i + 1}") for i in range(8)]
    forms = [{"csrf_token": csrf_token(c), "setup_code": app.config["SETUP_CODE"], "name": f"staff{i}",
              "password": PASSWORD, "password2": PASSWORD} for i, c in enumerate(clients)]
    codes: list[int] = []
    start = threading.Barrier(8)

    def setup(i: int) -> None:
        start.wait()
        codes.append(clients[i].post("/staff/setup", data=forms[i]).status_code)

    threads = [threading.Thread(target=setup, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sim_station.store.accounts.count() == 1 and codes.count(302) >= 1
    assert not (sim_station.data_dir / "setup_code").exists()


def test_setup_states_the_rules_up_front_keeps_the_code_and_refuses_guessable_passwords(client, app) -> None:
    assert auth.PASSWORD_RULES in client.get("/staff/setup").get_data(as_text=True)
    for weak in ("Password1!", "Summer2024!"):
        r = client.post("/staff/setup", data={"csrf_token": csrf_token(client), "name": "ann",
                                              "setup_code": app.config["SETUP_CODE"], "password": weak,
                                              "password2": weak})
        page = r.get_data(as_text=True)
        assert r.status_code == 422 and "too easy to guess" in page, weak
        assert f'value="{app.config["SETUP_CODE"]}"' in page  # the typed code is kept
    assert auth.password_problem(NEW, "ann") is None


def test_a_sign_in_ages_by_the_monotonic_clock_not_the_wall_clock(app, staff_client, monkeypatch) -> None:
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3 * 3600)  # network time arrives: 3 h ahead
    assert staff_client.get("/staff/settings").status_code == 200  # the sign-in did not age 3 h
    monkeypatch.undo()
    with staff_client.session_transaction() as s:
        s["since"] = real()  # what the wall clock says (the old key) no longer decides...
        s["mono"] = time.monotonic() - 15 * 3600  # ...the monotonic age does: longer than a long day
    assert staff_client.get("/staff/settings").status_code == 302
    sign_in(staff_client, "ann")
    with staff_client.session_transaction() as s:
        s["boot"] = "another boot"  # signed in before a reboot: its monotonic age means nothing now
    assert staff_client.get("/staff/settings").status_code == 302
