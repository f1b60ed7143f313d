"""The whole chain: frame source -> pose -> coach -> lights on mock pins, rep log, subscriptions."""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from station.camera.sources import CameraError, Frame, OpenCVCamera, VideoFile
from station.coach.vocabulary import Phase
from station.config.settings import Settings
from station.runtime.notify import Notifier
from station.runtime.station import Station
from station.sim import Body, RepPlan, SetPlan

ROOT = Path(__file__).resolve().parents[2]


def test_sim_to_lights_and_rep_log_match_the_true_labels(make_sim_station, pins) -> None:
    reps = (RepPlan(), RepPlan(frozenset({"squat"})), RepPlan(frozenset({"head_off_dowel"})), RepPlan(),
            RepPlan(frozenset({"no_wall_touch"})), RepPlan(frozenset({"rounded_back"})))
    sets = [(Body(height=1.62), SetPlan(reps=reps[:3], facing="left")),
            (Body(height=1.91), SetPlan(reps=reps[3:], facing="right"))]
    station = make_sim_station(sets)
    source = station.source
    red, green = pins.pin(5), pins.pin(13)
    station.start()
    assert station.wait(60)
    stored = list(reversed(station.store.reps.newest_first()))
    truth = source.truth
    assert len(stored) == len(truth) == 6
    assert [set(r["faults"]) for r in stored] == [set(t.faults) for t in truth]
    assert [r["verdict"] for r in stored] == ["good" if not t.faults else "fault" for t in truth]
    assert [s["reps"] for s in reversed(station.store.reps.sets())] == [3, 3]
    # The red light came on once for each faulty rep; the last rep was faulty, so it is still red.
    red_ons = sum(1 for a, b in zip(red.states, red.states[1:], strict=False) if a.state < 1 and b.state == 1)
    assert red_ons == sum(1 for t in truth if t.faults)
    assert red.state == 1 and green.state == 0
    station.stop()


def test_switch_press_lights_at_wall_at_once_while_hinging(make_sim_station, pins) -> None:
    station = make_sim_station([])
    station.lights_policy.after_step((), Phase.HINGING, now=time.monotonic())  # as mid-rep
    assert pins.pin(13).state == 0  # green off before the press
    station.devices.switch.press()
    assert pins.pin(6).state == 1 and pins.pin(13).state == 1  # amber and green: at the wall


def test_a_slow_subscriber_never_holds_the_loop_back(make_sim_station) -> None:
    sets = [(Body(), SetPlan(reps=(RepPlan(), RepPlan())))]
    station = make_sim_station(sets)
    slow = station.subscribe()  # never read while the set runs
    station.start()
    assert station.wait(30)
    events = []
    while (msg := slow.get(timeout=0.1)) is not None and msg["type"] == "event":
        events.append(msg["event"])
    assert events.count("rep_finished") == 2 and "set_started" in events
    assert msg["type"] == "snapshot" and msg["t"] == station.snapshot()["t"]  # the newest one
    assert slow.dropped > 100  # every frame's snapshot but the last went by unread
    station.stop()


def test_settings_change_applies_to_the_running_coach_and_is_saved(make_sim_station) -> None:
    sets = [(Body(), SetPlan(reps=(RepPlan(duration=2.5), RepPlan(duration=2.5))))]
    station = make_sim_station(sets)
    station.apply_settings({"min_rep_s": 6.0}, by="test")
    station.start()
    assert station.wait(30)
    reps = station.store.reps.newest_first()
    assert len(reps) == 2 and all("too_fast" in r["faults"] for r in reps)
    assert station.store.saved_settings.newest()[1]["min_rep_s"] == 6.0
    with pytest.raises(ValueError, match="min_rep_s"):
        station.apply_settings({"min_rep_s": -1})
    assert station.settings.min_rep_s == 6.0
    station.stop()


class Stalling:
    """A source that gives a few blank frames and then nothing (a camera that hung)."""

    name = "stalling camera"

    def __init__(self) -> None:
        self.opens = 0
        self.sent = 0

    def open(self) -> None:
        self.opens += 1
        self.sent = 0

    def read(self, timeout: float):
        if self.sent < 3:
            self.sent += 1
            return Frame(time.monotonic(), np.zeros((48, 64, 3), np.uint8))
        time.sleep(min(timeout, 0.05))
        return None

    def close(self) -> None:
        pass


def watch(station: Station, fold, done, seconds: float):
    """Start the station and fold its messages into a value (``fold(msg, value)``) until
    ``done(value)`` or the deadline; stop it and return the value."""
    sub = station.subscribe()
    station.start()
    deadline = time.monotonic() + seconds
    value = None
    while time.monotonic() < deadline and not done(value):
        msg = sub.get(timeout=0.5)
        if msg is not None:
            value = fold(msg, value)
    station.stop()
    return value


def test_a_stalled_camera_goes_offline_and_is_reopened(tmp_path) -> None:
    source = Stalling()
    settings = Settings().changed(camera_stall_s=0.5)
    station = Station(settings, source, data_dir=tmp_path, demo=True)
    seen = watch(station, lambda msg, seen: seen or msg.get("camera") == "offline",
                 lambda seen: seen and source.opens >= 2, seconds=10)
    assert seen and source.opens >= 2
    assert "no frame from stalling camera" in station.health()["errors"][-1]["message"]
    assert station.store.errors.newest()[0]["source"] == "camera"


def test_missing_camera_index_is_reported_and_the_station_keeps_serving(tmp_path) -> None:
    with pytest.raises(CameraError, match="camera 97 does not exist"):
        OpenCVCamera(97).open()
    station = Station(Settings(), OpenCVCamera(97), data_dir=tmp_path, demo=True)
    sub = station.subscribe()
    station.start()
    msgs = [sub.get(timeout=1.0) for _ in range(3)]
    station.stop()
    assert any(m and m.get("camera") == "offline" for m in msgs)
    assert "camera 97" in station.health()["last_error"]


def test_video_with_nobody_runs_through_the_real_pose_engine(tmp_path, estimator) -> None:
    path = tmp_path / "empty.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for i in range(15):
        writer.write(np.full((240, 320, 3), 40 + i, np.uint8))
    writer.release()
    station = Station(Settings(), VideoFile(path, realtime=False), data_dir=tmp_path,
                      estimator_factory=lambda: estimator, demo=True)
    station.start()
    assert station.wait(30)
    assert station.frames == 15 and station.store.reps.newest_first() == []
    assert station.snapshot()["phase"] == "away"
    station.stop()


def test_corrupt_video_is_one_clear_error(tmp_path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(os.urandom(2048))
    with pytest.raises(CameraError, match=r"bad\.mp4"):
        VideoFile(bad).open()
    done = subprocess.run([sys.executable, "-m", "station", "run", "--video", str(bad), "--headless",
                           "--data", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.strip().startswith("error: ")
    assert "Traceback" not in done.stderr


def test_notify_speaks_systemds_protocol(tmp_path) -> None:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    notifier = Notifier(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"})
    assert notifier.ready() and sock.recv(64) == b"READY=1"
    assert notifier.watchdog(now=10.0) and sock.recv(64) == b"WATCHDOG=1"
    assert not notifier.watchdog(now=10.5)  # within half the interval: no second ping
    assert notifier.stopping() and sock.recv(64) == b"STOPPING=1"
    sock.close()


@pytest.mark.slow  # about 11 s: five rounds of starting `station run` and killing it after 1-3 s
def test_station_run_survives_sigkill_with_every_reported_rep_on_disk(tmp_path) -> None:
    rng = random.Random(1)
    reported: set[int] = set()
    for kill in range(5):
        proc = subprocess.Popen(
            [sys.executable, "-m", "station", "run", "--sim", "--fast", "--headless", "--print-reps",
             "--seed", str(kill), "--data", str(tmp_path)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        assert proc.stdout.readline().startswith("Hinge Station")
        deadline = time.monotonic() + rng.uniform(1.0, 3.0)
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("{"):
                reported.add(int(line.split('"id": ')[1].split(",")[0]))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        db = sqlite3.connect(tmp_path / "station.db")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = {row[0] for row in db.execute("SELECT id FROM reps")}
        db.close()
        assert reported <= ids, f"kill {kill}: reported reps missing from the log"
    assert len(reported) > 10


def test_missing_models_keep_the_page_up_and_say_what_to_fix(tmp_path) -> None:
    from station.pose.models import ModelError

    def no_models():
        raise ModelError("pose_detection.tflite is missing")

    source = Stalling()
    station = Station(Settings(), source, data_dir=tmp_path, estimator_factory=no_models, demo=True)
    service = watch(station, lambda msg, seen: seen or msg.get("service"),
                    lambda seen: seen and station.frames >= 3, seconds=5)
    assert service and "station models fetch" in service
    # The loop went on past the failed load: every frame was read, and health says what to fix.
    assert station.frames == 3
    assert "station models fetch" in station.health()["service"]


def test_snapshots_carry_the_pose_landmarks_and_the_loop_publishes_what_it_saw(make_sim_station) -> None:
    station = make_sim_station([(Body(), SetPlan(reps=(RepPlan(),)))])
    sub = station.subscribe()
    station.start()
    marks = None
    deadline = time.monotonic() + 10
    while marks is None and time.monotonic() < deadline:
        msg = sub.get(timeout=1)
        if msg is not None and msg.get("type") == "snapshot":
            marks = msg.get("landmarks")
    assert marks, "no snapshot with landmarks"
    assert all(len(v) == 3 and all(isinstance(c, float) for c in v) for v in marks.values())
    assert station.wait(30)
    view = station.view  # one immutable value: what the loop saw last, for web threads
    assert view.pose is None and view.baseline is None  # the trainee walked off at the end
    assert view.rgb is None  # the simulator has no pixels
    with pytest.raises(AttributeError):
        view.pose = None  # type: ignore[misc]


def test_a_slow_first_model_load_keeps_the_watchdog_fed(tmp_path) -> None:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.1)
    # A 1 s watchdog (pinged every 0.5 s) and a load of 3 s: unfed, systemd would kill the station.
    notifier = Notifier(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"})

    def slow_load():
        time.sleep(3.0)
        raise RuntimeError("no models here")

    video = tmp_path / "still.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for _ in range(5):
        writer.write(np.zeros((120, 160, 3), np.uint8))
    writer.release()
    station = Station(Settings(), VideoFile(video), data_dir=tmp_path, notifier=notifier,
                      estimator_factory=slow_load)
    station.start()
    pings, t0 = [], time.monotonic()
    while time.monotonic() - t0 < 2.5:
        try:
            if sock.recv(64) == b"WATCHDOG=1":
                pings.append(time.monotonic() - t0)
        except TimeoutError:
            pass
    station.wait(10)
    station.stop()
    sock.close()
    assert len([t for t in pings if 0.8 < t < 2.5]) >= 2, pings  # fed while the load ran
    assert "no models here" in (station.service or "")
