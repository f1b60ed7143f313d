"""The health page's figures in words and its JSON for the auto-refresh (recent log lines, errors),
and the accounts page: listed, removed (never the last; yourself: signed out; theirs: ended),
passwords changed only with the current one and a strong new one, the rules shown."""

from __future__ import annotations

import logging
import re

from station.web import auth
from station.web.humane import ago, duration
from tests.helpers.accounts import PASSWORD, csrf_token, sign_in


# ---------------------------------------------------------------- humane durations
def test_durations_read_as_words() -> None:
    assert duration(11520.3) == "3 h 12 min"
    assert duration(45) == "45 s" and duration(125) == "2 min 5 s" and duration(7200) == "2 h"
    assert duration(3 * 86400 + 5 * 3600 + 59) == "3 d 5 h"
    assert ago(100.0, now=160.0) == "1 min ago"


# ---------------------------------------------------------------- health
def test_health_shows_uptime_in_words_and_its_json_refreshes_the_figures(staff_client, sim_station) -> None:
    html = staff_client.get("/staff/health").get_data(as_text=True)
    uptime = re.search(r'id="fig-uptime"[^>]*>([^<]+)<', html).group(1)
    assert re.fullmatch(r"\d+ (s|min)( \d+ s)?", uptime), uptime  # words, never "12.3 s"
    assert 'data-refresh="/staff/health.json"' in html and "http-equiv" not in html  # no meta refresh
    logging.getLogger("station").warning("a line for the health page")
    sim_station.errors.add("camera", "no frame for 3 s")
    r = staff_client.get("/staff/health.json")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    v = r.get_json()
    figures = {f["key"]: f for f in v["figures"]}
    assert figures["camera"]["text"].startswith("ok (") and not figures["camera"]["problem"]
    assert re.fullmatch(r"\d+ (s|min)( \d+ s)?", figures["uptime"]["text"])
    assert any(line["message"] == "a line for the health page" and line["level"] == "warning"
               for line in v["log"])
    newest = v["errors"][0]
    assert (newest["source"], newest["message"]) == ("camera", "no frame for 3 s")
    assert re.fullmatch(r"\d+ s ago", newest["when"])


def test_health_json_is_for_staff_only(client) -> None:
    assert client.get("/staff/health.json").status_code == 302


def test_the_log_ring_is_detached_when_the_station_stops(make_sim_station) -> None:
    station = make_sim_station()
    station.start()
    assert station.log_lines in logging.getLogger().handlers
    station.stop()
    assert station.log_lines not in logging.getLogger().handlers


# ---------------------------------------------------------------- accounts
def test_accounts_are_listed_with_when_they_were_made(staff_client, sim_station) -> None:
    sim_station.store.accounts.add("bob", auth.hash_password(PASSWORD))
    html = staff_client.get("/staff/accounts").get_data(as_text=True)
    rows = re.findall(r'<tr id="account-\d+">\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>', html)
    assert [name for name, _ in rows] == ["ann (you)", "bob"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \(\d+ s ago\)", made) for _, made in rows)
    assert html.count(auth.PASSWORD_RULES) == 3  # beside every new-password field (a colleague's too)
    assert 'aria-label="Remove bob"' in html


def test_removing_an_account_ends_its_sessions(app, staff_client, sim_station) -> None:
    sim_station.store.accounts.add("bob", auth.hash_password(PASSWORD))
    bob = app.test_client()
    sign_in(bob, "bob")
    assert bob.get("/staff/settings").status_code == 200
    token = csrf_token(staff_client, "/staff/accounts")
    asked = staff_client.post("/staff/accounts/remove", data={"csrf_token": token, "name": "bob"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Remove the account bob?" in page
    assert "It can no longer sign in" in page
    assert sim_station.store.accounts.names() == ["ann", "bob"]  # nothing removed until confirmed
    assert bob.get("/staff/settings").status_code == 200
    confirmed = {"csrf_token": token, "name": "bob", "confirm": "yes"}
    r = staff_client.post("/staff/accounts/remove", data=confirmed)
    assert r.status_code == 302 and sim_station.store.accounts.names() == ["ann"]
    assert "Account bob removed" in staff_client.get("/staff/accounts").get_data(as_text=True)
    assert bob.get("/staff/settings").status_code == 302  # bob's sign-in ended with the account


def test_the_last_account_is_never_removed(staff_client, sim_station) -> None:
    token = csrf_token(staff_client, "/staff/accounts")
    asked = staff_client.post("/staff/accounts/remove", data={"csrf_token": token, "name": "ann"})
    assert asked.status_code == 409
    assert "is the last account and cannot be removed" in asked.get_data(as_text=True)
    assert 'id="confirm-remove"' not in asked.get_data(as_text=True)
    staff_client.post("/staff/accounts/remove", data={"csrf_token": token, "name": "ann", "confirm": "yes"})
    assert sim_station.store.accounts.names() == ["ann"]
    page = staff_client.get("/staff/accounts").get_data(as_text=True)
    assert "ann is the last account: add another first" in page
    assert "the last account cannot be removed" in page  # and the page offers no button for it
    assert staff_client.get("/staff/settings").status_code == 200  # still signed in


def test_removing_yourself_signs_you_out(staff_client, sim_station) -> None:
    sim_station.store.accounts.add("bob", auth.hash_password(PASSWORD))
    token = csrf_token(staff_client, "/staff/accounts")
    asked = staff_client.post("/staff/accounts/remove", data={"csrf_token": token, "name": "ann"}).get_data(
        as_text=True)
    assert "This is your own account: you are signed out at once." in asked
    assert "bob can still sign in" in asked
    confirmed = {"csrf_token": token, "name": "ann", "confirm": "yes"}
    r = staff_client.post("/staff/accounts/remove", data=confirmed)
    assert r.status_code == 302 and r.headers["Location"].endswith("/staff/signin")
    assert sim_station.store.accounts.names() == ["bob"]
    assert "Your account ann was removed; you are signed out" in staff_client.get(
        "/staff/signin").get_data(as_text=True)
    assert staff_client.get("/staff/accounts").status_code == 302


def test_removal_needs_staff_and_the_csrf_token(client, staff_client, sim_station) -> None:
    sim_station.store.accounts.add("bob", auth.hash_password(PASSWORD))
    assert staff_client.post("/staff/accounts/remove", data={"name": "bob"}).status_code == 403
    token = csrf_token(client, "/staff/signin")
    assert client.post("/staff/accounts/remove", data={"csrf_token": token, "name": "bob",
                                                       "confirm": "yes"}).status_code == 302
    assert sim_station.store.accounts.names() == ["ann", "bob"]


def test_a_password_change_needs_the_current_one_and_a_strong_new_one(app, staff_client, sim_station) -> None:
    def change(current: str, new: str):
        token = csrf_token(staff_client, "/staff/accounts")
        return staff_client.post("/staff/password", data={"csrf_token": token, "password": current,
                                                          "new_password": new, "new_password2": new})

    strong = "another quite long phrase"
    wrong = change("not the password", strong)
    assert wrong.status_code == 422 and "the current password is wrong" in wrong.get_data(as_text=True)
    short = change(PASSWORD, "short1")
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    assert auth.PASSWORD_RULES in short.get_data(as_text=True)
    assert change(PASSWORD, strong).status_code == 302
    assert auth.check_password(strong, sim_station.store.accounts.get("ann")["password_hash"])


def test_health_offers_the_same_restart_as_the_settings_page(staff_client, sim_station) -> None:
    for page in ("/staff/health", "/staff/settings"):
        html = staff_client.get(page).get_data(as_text=True)
        form = re.search(r'<form method="post" action="([^"]+)" id="restart-form">(.*?)</form>', html, re.S)
        assert form and form.group(1) == "/staff/restart", page
        assert 'name="csrf_token"' in form.group(2) and 'id="restart"' in form.group(2)
