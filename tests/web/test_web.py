"""The web app through Flask's test client, on a real Station, real rep log and real settings."""

from __future__ import annotations

import io
import json

from tests.helpers.accounts import LEGACY, PASSWORD, create_account
from tests.helpers.accounts import csrf_token as token

# The station (``sim_station``: demo sets as fast as they go), its ``app``, an anonymous ``client``
# and a signed-in ``staff_client`` come from conftest.py.


def test_member_page_has_the_live_parts_and_the_demo_switch(client) -> None:
    html = client.get("/").get_data(as_text=True)
    for part in ('id="reps"', 'id="cue"', 'id="contact-head"', 'id="contact-upper_back"',
                 'id="contact-sacrum"', 'id="depth"', 'id="skeleton"', 'id="press-switch"',
                 'id="light-green"'):
        assert part in html
    assert client.get("/static/member.js").status_code == 200


def test_setup_code_creates_the_first_account_once(client, app, sim_station) -> None:
    station, code = sim_station, sim_station.data_dir / "setup_code"
    assert code.stat().st_mode & 0o777 == 0o600
    t = token(client)
    wrong = client.post("/staff/setup", data={"csrf_token": t, "setup_code": "nope", "name": "ann",
                                              "password": PASSWORD, "password2": PASSWORD})
    assert wrong.status_code == 403 and "wrong or expired code" in wrong.get_data(as_text=True)
    assert station.store.accounts.count() == 0
    create_account(client, app)
    assert station.store.accounts.count() == 1 and not code.exists()
    assert client.get("/staff/setup").status_code == 302  # gone for good
    assert client.get("/staff/settings").status_code == 200  # and signed in


def test_forms_without_the_csrf_token_are_refused(client, app, sim_station) -> None:
    r = client.post("/staff/setup", data={"setup_code": app.config["SETUP_CODE"], "name": "eve",
                                          "password": PASSWORD, "password2": PASSWORD})
    assert r.status_code == 403 and sim_station.store.accounts.count() == 0


def test_signin_is_throttled_after_five_failures(staff_client) -> None:
    client = staff_client
    out = client.post("/staff/signout", data={"csrf_token": token(client, "/staff/settings")})
    assert out.status_code == 302 and client.get("/staff/settings").status_code != 200  # signed out
    t = token(client, "/staff/signin")
    wrong = {"csrf_token": t, "name": "ann", "password": "wrong"}
    codes = [client.post("/staff/signin", data=wrong).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    r = client.post("/staff/signin", data={"csrf_token": t, "name": "ann", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_invalid_setting_shows_at_the_field_and_changes_nothing(staff_client, sim_station) -> None:
    client, station = staff_client, sim_station
    t = token(client, "/staff/settings")
    before = station.store.saved_settings.newest()
    r = client.post("/staff/settings",
                    data={"csrf_token": t, "min_rep_s": "fast", "squat_knee_beyond_standing": "50"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="error-min_rep_s"' in html and "must be a number" in html
    assert station.settings.squat_knee_beyond_standing == 45.0
    assert station.store.saved_settings.newest() == before
    r = client.post("/staff/settings", data={"csrf_token": t, "squat_knee_beyond_standing": "50"})
    assert r.status_code == 302 and station.settings.squat_knee_beyond_standing == 50.0
    assert station.store.saved_settings.newest()[1]["squat_knee_beyond_standing"] == 50.0


def test_settings_export_and_import(staff_client, sim_station) -> None:
    client, station = staff_client, sim_station
    exported = json.loads(client.get("/staff/settings/export").data)
    exported["min_rep_s"] = 2.0
    t = token(client, "/staff/settings")
    r = client.post("/staff/settings/import", data={"csrf_token": t, "file": (io.BytesIO(
        json.dumps(exported).encode()), "s.json")}, content_type="multipart/form-data")
    assert r.status_code == 302 and station.settings.min_rep_s == 2.0
    exported["min_rep_s"] = 99
    r = client.post("/staff/settings/import", data={"csrf_token": t, "file": (io.BytesIO(
        json.dumps(exported).encode()), "s.json")}, content_type="multipart/form-data")
    assert r.status_code == 422 and station.settings.min_rep_s == 2.0


def test_api_settings_need_staff_and_csrf_and_report_fields(client, staff_client, sim_station) -> None:
    assert client.get("/api/settings").status_code == 401
    assert client.put("/api/settings", json={"values": {"min_rep_s": 2}}).status_code in (401, 403)
    client, station = staff_client, sim_station
    csrf = client.get("/api/session").get_json()["csrf_token"]
    assert client.put("/api/settings", json={"min_rep_s": 2}).status_code == 403
    bad = client.put("/api/settings", json={"values": {"min_rep_s": -1, "bogus": 1}},
                     headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"min_rep_s", "bogus"}
    ok = client.put("/api/settings", json={"values": {"min_rep_s": 2}}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and station.settings.min_rep_s == 2
    assert client.get("/api/settings").get_json()["values"]["min_rep_s"] == 2


def test_api_errors_are_json_with_the_right_status(client, app) -> None:
    nope = client.get("/api/nope")
    assert nope.status_code == 404 and nope.get_json()["error"]
    assert client.get("/api/reps").status_code == 401  # the log is staff's
    create_account(client, app)
    r = client.get("/api/reps?limit=lots")
    assert r.status_code == 400 and "limit" in r.get_json()["error"]
    csrf = client.get("/api/session").get_json()["csrf_token"]
    big = client.post("/api/demo/switch", data=b"x" * 100_000, headers={"X-CSRF-Token": csrf,
                                                                        "Content-Type": "application/json"})
    assert big.status_code == 413 and big.get_json()["error"]
    r = client.post("/api/demo/switch", json={"pressed": "yes"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 400
    assert client.delete("/api/snapshot").status_code == 405


def test_demo_switch_presses_the_virtual_pin(client, sim_station) -> None:
    station = sim_station
    assert not station.devices.switch.pressed  # the trainee leaves the switch alone here
    csrf = client.get("/api/session").get_json()["csrf_token"]
    r = client.post("/api/demo/switch", json={"pressed": True}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert station.devices.switch.pressed
    client.post("/api/demo/switch", json={"pressed": False}, headers={"X-CSRF-Token": csrf})
    assert not station.devices.switch.pressed


def test_history_health_and_csv_after_a_session(staff_client, sim_station) -> None:
    client, station = staff_client, sim_station
    sub = station.subscribe()
    while (msg := sub.get(timeout=10)) is not None:
        if msg.get("event") == "rep_finished" and msg["rep"] >= 3:
            break
    assert msg is not None, "no third rep in the first set within 10 s"
    assert "Good rate" in client.get("/staff/history").get_data(as_text=True)
    csv_text = client.get("/staff/history.csv").get_data(as_text=True)
    assert csv_text.startswith("time,set_id,rep,verdict,faults") and len(csv_text.splitlines()) >= 4
    health = client.get("/staff/health").get_data(as_text=True)
    assert "simulated trainee" in health and "Needs attention" not in health
    station.estimator.problem = "the pose models cannot be loaded; run `station models fetch`"
    assert "Needs attention:</b> the pose models" in client.get("/staff/health").get_data(as_text=True)
    assert client.get("/staff/preview.jpg").status_code == 404  # no picture leaves without the preview
    assert len(client.get("/api/reps").get_json()["reps"]) >= 3


def test_openapi_describes_every_api_route(app) -> None:
    spec = app.test_client().get("/api/openapi.json").get_json()
    routes = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/")}
    assert routes == set(spec["paths"])


def test_a_legacy_hash_signs_in_and_is_upgraded_and_wrong_passwords_are_refused(client, sim_station) -> None:
    station = sim_station
    station.store.accounts.add("ann", LEGACY)
    t = token(client, "/staff/signin")
    wrong = client.post("/staff/signin", data={"csrf_token": t, "name": "ann", "password": "not it at all"})
    assert wrong.status_code == 401 and station.store.accounts.get("ann")["password_hash"] == LEGACY
    r = client.post("/staff/signin", data={"csrf_token": t, "name": "ann", "password": PASSWORD})
    assert r.status_code == 302 and client.get("/staff/settings").status_code == 200
    upgraded = station.store.accounts.get("ann")["password_hash"]
    assert upgraded.startswith("scrypt:") and upgraded != LEGACY
    client.post("/staff/signout", data={"csrf_token": token(client, "/staff/settings")})
    t = token(client, "/staff/signin")
    wrong = client.post("/staff/signin", data={"csrf_token": t, "name": "ann", "password": "not it at all"})
    assert wrong.status_code == 401 and client.get("/staff/settings").status_code == 302
    r = client.post("/staff/signin", data={"csrf_token": t, "name": "ann", "password": PASSWORD})
    assert r.status_code == 302 and client.get("/staff/settings").status_code == 200
    assert station.store.accounts.get("ann")["password_hash"] == upgraded  # a current hash is left as it is


def test_the_accounts_page_has_a_plain_title_and_one_password_form(staff_client) -> None:
    html = staff_client.get("/staff/accounts").get_data(as_text=True)
    assert "<title>Staff accounts</title>" in html
    assert html.count('name="new_password"') == 1
