"""The fleet: MQTT rep events against a real Mosquitto, /metrics against promtool and a real
Prometheus, the deploy/fleet files against promtool, write-only MQTT secrets on the pages."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import TypeVar

import pytest

from station.config.settings import SECRET
from station.fleet.attach import Fleet
from station.runtime.station import Station
from tests.helpers.accounts import create_account
from tests.helpers.engines import MOSQUITTO, Listener, Mosquitto, Prometheus, make_certs
from tests.helpers.fleet import eventually, log_ids, sim_station
from tests.helpers.paths import missing
from tests.helpers.served import ServedStation

ROOT = Path(__file__).resolve().parents[2]
FLEET = ROOT / "deploy" / "fleet"
T = TypeVar("T")


@pytest.fixture(scope="module")
def mosquitto_bin() -> str:
    if not MOSQUITTO or not shutil.which("mosquitto_passwd"):
        missing("mosquitto is not installed (apt-get install mosquitto)")
    return str(MOSQUITTO)


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        missing("promtool is not installed (apt-get install prometheus)")
    return str(path)


def test_reps_arrive_once_in_order_with_the_logs_ids_and_status_is_retained(mosquitto_bin, tmp_path) -> None:
    with Mosquitto(tmp_path / "broker") as broker:
        listener = Listener(broker.port, "hinge-station/test-wall/#")
        station = sim_station(tmp_path / "data", reps=4)
        fleet = Fleet(station, f"mqtt://127.0.0.1:{broker.port}")
        station.start()
        fleet.start()
        assert station.wait(60)
        assert listener.wait(lambda: len(listener.rep_ids()) >= 4)
        ids = log_ids(station)
        assert listener.rep_ids() == ids and len(ids) == 4
        first = json.loads(listener.payloads("/rep")[0])
        stored = station.store.reps.newest_first(limit=10**6)[-1]
        assert (first["station"], first["set"], first["verdict"], first["t"]) == (
            "test-wall", stored["set_id"], stored["verdict"], stored["t"])
        assert station.health()["mqtt"]["state"] == "connected"
        # A newcomer gets the retained status at once: the station is online.
        late = Listener(broker.port, "hinge-station/test-wall/status", client_id="late")
        assert late.wait(lambda: late.messages != []) and late.messages[0][1:] == (b"online", True)
        station.stop()
        fleet.stop()
        assert listener.wait(lambda: listener.payloads("/status")[-1:] == [b"offline"])
        listener.close()
        late.close()


def test_store_and_forward_over_an_outage_and_a_restart_loses_nothing(mosquitto_bin, tmp_path) -> None:
    broker = Mosquitto(tmp_path / "broker")
    url = f"mqtt://127.0.0.1:{broker.port}"
    # The broker is away: reps wait in the log and health says why.
    station = sim_station(tmp_path / "data", reps=3)
    fleet = Fleet(station, url)
    station.start()
    fleet.start()
    assert station.wait(60)
    # The publisher counts waiting reps between its retries: wait for the count, do not guess its timing.
    mqtt = eventually(lambda: station.health()["mqtt"],
                      lambda m: m["state"] == "retrying" and m["reps_waiting"] == 3)
    assert mqtt["state"] == "retrying" and "cannot reach" in mqtt["reason"]
    assert mqtt["reps_waiting"] == 3 and mqtt["last_ack_id"] == 0
    # Staff see it on the health page and beside the fleet settings, with the reason.
    from station.web import create_app

    app = create_app(station, metrics=fleet.metrics)
    client = app.test_client()
    create_account(client, app)
    for page in ("/staff/health", "/staff/settings"):
        html = client.get(page).get_data(as_text=True)
        assert "cannot reach mqtt://127.0.0.1" in html and "3 reps waiting" in html, page
    fleet.stop()
    station.stop()
    # A second run (a restart) adds reps; now the broker is back: all six go out, in order.
    station = sim_station(tmp_path / "data", reps=3, seed=6)
    with broker:
        listener = Listener(broker.port, "hinge-station/test-wall/rep")
        fleet = Fleet(station, url)
        station.start()
        fleet.start()
        assert station.wait(60)
        ids = log_ids(station)
        assert len(ids) == 6
        assert listener.wait(lambda: listener.rep_ids() == ids), listener.rep_ids()
        assert listener.wait(lambda: station.health()["mqtt"]["reps_waiting"] == 0)
        fleet.stop()
        station.stop()
        listener.close()
    # The mark survived: a third run against a broker sends nothing old again.
    station = sim_station(tmp_path / "data", reps=0)
    assert Fleet(station, url).publisher.last_ack_id == ids[-1]
    station.stop()


def test_refused_credentials_and_a_bad_certificate_show_on_health_with_the_reason(
        mosquitto_bin, tmp_path) -> None:
    certs = make_certs(tmp_path / "certs", "good")
    other = make_certs(tmp_path / "other", "other")  # a CA that did not sign the broker's certificate
    with Mosquitto(tmp_path / "broker", password=("wall", "s3cret-pass"),
                   tls=(certs["cert"], certs["key"])) as broker:
        cases = [({"mqtt_user": "wall", "mqtt_password": "wrong", "mqtt_ca_file": str(certs["ca"])},
                  "refused", "connected"),
                 ({"mqtt_user": "wall", "mqtt_password": "s3cret-pass", "mqtt_ca_file": str(other["ca"])},
                  "certificate failed verification", None),
                 ({"mqtt_user": "wall", "mqtt_password": "s3cret-pass",
                   "mqtt_ca_file": str(tmp_path / "none.pem")}, "cannot be used", None),
                 ({"mqtt_user": "wall", "mqtt_password": "s3cret-pass", "mqtt_ca_file": str(certs["ca"])},
                  None, None)]
        for settings, reason, _ in cases:
            station = sim_station(tmp_path / "data", reps=1,
                                  mqtt_url=f"mqtts://127.0.0.1:{broker.port}", **settings)
            fleet = Fleet(station)
            fleet.start()
            deadline = time.monotonic() + 10
            while (station.health()["mqtt"]["state"] in ("disabled", "connecting")
                   and time.monotonic() < deadline):
                time.sleep(0.05)
            mqtt = station.health()["mqtt"]
            if reason is None:
                assert mqtt["state"] == "connected", mqtt
            else:
                assert mqtt["state"] in ("retrying", "error") and reason in mqtt["reason"], mqtt
            fleet.stop()
            station.stop()


def _served_metrics(tmp_path: Path) -> tuple[Station, bytes]:
    from station.web import create_app

    station = sim_station(tmp_path / "data", reps=3)
    fleet = Fleet(station)
    app = create_app(station, metrics=fleet.metrics)
    station.start()
    assert station.wait(60)
    response = app.test_client().get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    station.stop()
    return station, response.data


def test_metrics_are_clean_for_promtool_and_count_the_logs_reps(tmp_path) -> None:
    station, body = _served_metrics(tmp_path)
    text = body.decode()
    good = sum(1 for r in station.store.reps.newest_first() if r["verdict"] == "good")
    assert f'hinge_reps_total{{verdict="good"}} {float(good)}' in text
    assert "hinge_sets_total 1.0" in text and "hinge_camera_up" in text and "hinge_build_info{" in text
    assert "hinge_mqtt_enabled 0.0" in text and 'hinge_station_info{name="test-wall"} 1.0' in text
    # A restart carries on from the rep log's totals instead of starting again at zero.
    from station.fleet.prometheus import StationMetrics

    again = StationMetrics(station).exposition().decode()
    assert f'hinge_reps_total{{verdict="good"}} {float(good)}' in again and "hinge_sets_total 1.0" in again
    lint = subprocess.run([promtool(), "check", "metrics"], input=body, capture_output=True)
    assert lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(), lint


def test_metrics_token_is_needed_only_once_set(tmp_path) -> None:
    from station.web import create_app

    station = sim_station(tmp_path / "data", reps=0)
    client = create_app(station).test_client()
    assert client.get("/metrics").status_code == 200
    station.apply_settings({"metrics_token": "t0ken-for-prometheus"})
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer t0ken-for-prometheus"}).status_code == 200
    station.stop()


def test_prometheus_scrapes_a_running_station_and_answers_its_rep_count(tmp_path) -> None:
    if shutil.which("prometheus") is None:
        missing("prometheus is not installed (apt-get install prometheus)")
    station = sim_station(tmp_path / "data", reps=3)
    fleet = Fleet(station)
    with ServedStation(station, start=True, metrics=fleet.metrics) as served:
        assert station.wait(60)
        reps = len(station.store.reps.newest_first())
        rules = tmp_path / "alerts.yml"
        shutil.copy(FLEET / "alerts.yml", rules)
        with Prometheus(tmp_path / "prom", [f"127.0.0.1:{served.port}"], rules) as prom:
            deadline, answer = time.monotonic() + 30, []
            while time.monotonic() < deadline and not answer:
                answer = prom.query('sum(hinge_reps_total{job="hinge-station", station="test-wall"})')
                time.sleep(0.5)
            assert answer and float(answer[0]["value"][1]) == reps == 3
            assert float(prom.query('up{job="hinge-station"}')[0]["value"][1]) == 1
            names = {r["name"] for g in prom.api("/api/v1/rules")["data"]["groups"] for r in g["rules"]}
            assert {"HingeStationDown", "HingeStationCameraDown", "HingeStationSwitchStuck",
                    "HingeStationRepsNotPublished"} <= names


def test_shipped_rules_and_scrape_configuration_pass_promtool(tmp_path) -> None:
    tool = promtool()
    rules = subprocess.run([tool, "check", "rules", str(FLEET / "alerts.yml")], capture_output=True,
                           text=True)
    assert rules.returncode == 0 and "SUCCESS: 6 rules found" in rules.stdout, rules
    # The scrape configuration with its paths pointed into a scratch folder.
    (tmp_path / "rules").mkdir()
    shutil.copy(FLEET / "alerts.yml", tmp_path / "rules" / "hinge-station-alerts.yml")
    config = (FLEET / "prometheus.yml").read_text().replace("/etc/prometheus/", f"{tmp_path}/")
    (tmp_path / "prometheus.yml").write_text(config)
    check = subprocess.run([tool, "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    dashboard = json.loads((FLEET / "grafana-dashboard.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in ("hinge_reps_total", "hinge_rep_faults_total", "hinge_loop_fps", "hinge_camera_up"):
        assert metric in exprs


def test_the_mqtt_password_is_write_only_on_the_api_and_the_pages(tmp_path) -> None:
    from station.web import create_app

    station = sim_station(tmp_path / "data", reps=0)
    app = create_app(station)
    client = app.test_client()
    create_account(client, app)
    token = client.get("/api/session").get_json()["csrf_token"]
    put = client.put("/api/settings", json={"values": {"mqtt_password": "pa55-word-x", "mqtt_user": "w"}},
                     headers={"X-CSRF-Token": token})
    assert put.status_code == 200 and put.get_json()["values"]["mqtt_password"] == SECRET
    assert client.get("/api/settings").get_json()["values"]["mqtt_password"] == SECRET
    for page in ("/staff/settings", "/staff/settings/export", "/api/settings"):
        assert b"pa55-word-x" not in client.get(page).data
    # Sending the placeholder back changes nothing; the station still has the password.
    client.put("/api/settings", json={"values": {"mqtt_password": SECRET}}, headers={"X-CSRF-Token": token})
    assert station.settings.mqtt_password == "pa55-word-x"
    bad = client.put("/api/settings", json={"values": {"mqtt_url": "http://broker"}},
                     headers={"X-CSRF-Token": token})
    assert bad.status_code == 422 and "mqtt_url" in bad.get_json()["fields"]
    station.stop()


def test_a_broker_that_refuses_the_rep_topic_keeps_the_reps_and_says_why(mosquitto_bin, tmp_path) -> None:
    acl = "topic readwrite hinge-station/test-wall/status\n"  # anonymous may not publish reps
    with Mosquitto(tmp_path / "broker", acl=acl) as broker:
        station = sim_station(tmp_path / "data", reps=2)
        fleet = Fleet(station, f"mqtt://127.0.0.1:{broker.port}")
        station.start()
        fleet.start()
        assert station.wait(60)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (
                "refused a rep" in (station.health()["mqtt"]["reason"] or "")
                and station.health()["mqtt"]["reps_waiting"] == 2):
            time.sleep(0.05)
        mqtt = station.health()["mqtt"]
        assert "refused a rep" in mqtt["reason"] and mqtt["last_ack_id"] == 0 and mqtt["reps_waiting"] == 2
        fleet.stop()
        station.stop()


def test_a_silent_broker_never_holds_the_loop_up(tmp_path) -> None:
    import socket

    with socket.socket() as silent:  # accepts connections (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        station = sim_station(tmp_path / "data", reps=3)
        fleet = Fleet(station, f"mqtt://127.0.0.1:{silent.getsockname()[1]}")
        fleet.start()
        time.sleep(0.3)
        started = time.monotonic()
        station.start()
        assert station.wait(60)
        took = time.monotonic() - started
        # a 10 s CONNACK wait never reached it
        assert len(station.store.reps.newest_first()) == 3 and took < 10
        assert station.health()["mqtt"]["state"] == "connecting"
        fleet.stop()
        station.stop()


def test_home_assistant_discovery_announces_one_device_with_four_entities(mosquitto_bin, tmp_path) -> None:
    with Mosquitto(tmp_path / "broker") as broker:
        listener = Listener(broker.port, "#")
        station = sim_station(tmp_path / "data", reps=2, home_assistant=True)
        fleet = Fleet(station, f"mqtt://127.0.0.1:{broker.port}")
        station.start()
        fleet.start()
        assert station.wait(60)
        assert listener.wait(lambda: len(listener.rep_ids()) == 2)
        configs = {t: json.loads(p) for t, p, _ in listener.messages if t.startswith("homeassistant/")}
        assert len(configs) == 4
        assert {c["device"]["identifiers"][0] for c in configs.values()} == {"hinge_station_test-wall"}
        assert {c["state_topic"] for c in configs.values()} == {"hinge-station/test-wall/state"}
        assert listener.wait(lambda: json.loads(listener.payloads("/state")[-1])["reps_today"] == 2)
        good = sum(r["verdict"] == "good" for r in station.store.reps.newest_first())
        state = json.loads(listener.payloads("/state")[-1])
        assert state["good_rate_today"] == round(100 * good / 2, 1) and state["camera_up"] is True
        fleet.stop()
        station.stop()
        listener.close()


def test_a_strict_broker_without_retain_and_a_small_receive_maximum_gets_every_rep(
        mosquitto_bin, tmp_path) -> None:
    strict = ("retain_available false", "max_inflight_messages 2")
    with Mosquitto(tmp_path / "broker", extra=strict) as broker:
        listener = Listener(broker.port, "hinge-station/test-wall/#")
        station = sim_station(tmp_path / "data", reps=5, home_assistant=True)
        fleet = Fleet(station, f"mqtt://127.0.0.1:{broker.port}")
        station.start()
        fleet.start()
        assert station.wait(60)
        assert listener.wait(lambda: listener.rep_ids() == log_ids(station)), station.health()["mqtt"]
        assert fleet.publisher.connects >= 1 and not any(retained for _, _, retained in listener.messages)
        fleet.stop()
        station.stop()
        listener.close()


def test_an_mqtt_311_only_broker_is_used_after_it_refuses_mqtt_5(tmp_path) -> None:
    from tests.helpers.engines import Mqtt311Only

    broker = Mqtt311Only()
    station = sim_station(tmp_path / "data", reps=2)
    fleet = Fleet(station, f"mqtt://127.0.0.1:{broker.port}")
    station.start()
    fleet.start()
    assert station.wait(60)
    deadline = time.monotonic() + 15
    while fleet.publisher.last_ack_id < max(log_ids(station)) and time.monotonic() < deadline:
        time.sleep(0.05)
    reps = [json.loads(p)["id"] for t, p in broker.published if t.endswith("/rep")]
    assert broker.refused_levels[:1] == [5] and reps == log_ids(station)
    assert station.health()["mqtt"]["protocol"] == "3.1.1"
    fleet.stop()
    station.stop()
    broker.close()


def test_station_run_refuses_a_wrong_mqtt_url_with_a_usage_error(tmp_path, capsys) -> None:
    from station.cli.main import main

    code = main(["run", "--sim", "--fast", "--headless", "--data", str(tmp_path), "--mqtt", "http://broker"])
    assert code == 2 and "--mqtt http://broker" in capsys.readouterr().err


def test_a_failing_rep_log_shows_in_health_and_metrics(tmp_path, monkeypatch) -> None:
    from station.fleet.prometheus import StationMetrics
    from station.storage import StoreError

    station = sim_station(tmp_path / "data", reps=2)
    metrics = StationMetrics.attach(station)

    def full_disk(*args, **kwargs):
        raise StoreError("database or disk is full")

    monkeypatch.setattr(station.store.db, "write", full_disk)  # every write fails, as on a full disk
    station.start()
    assert station.wait(60)
    assert station.health()["database_ok"] is False
    assert b"hinge_database_ok 0.0" in metrics.exposition()
    assert b'hinge_reps_total{verdict="good"} 0.0' in metrics.exposition()  # counted only once stored
    station.stop()
