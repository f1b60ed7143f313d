"""The Pi camera path with a stand-in Picamera2 that delivers, stalls, raises and comes back.

The stand-in keeps Picamera2's contract as far as the station uses it: ``capture_array(name,
wait=seconds)`` blocks at most ``wait`` and then raises TimeoutError (without ``wait`` it would
block for ever, as the real one does on a stalled pipeline); ``cancel_all_and_flush``, ``stop``
and ``close`` release it; a second instance cannot be made while one is open (the camera is busy).
"""

from __future__ import annotations

import importlib.machinery
import sys
import threading
import time
import types

import numpy as np
import pytest

from station.camera import picamera
from station.camera.sources import CameraError
from station.config.settings import Settings
from station.runtime.station import Station


class World:
    """What the fake camera does now: "ok", "stall" or "raise"; and what was done to it."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.claimed = 0
        self.opens = 0
        self.flushes = 0
        self.fail_start = False
        self.waits: list[float | None] = []
        self.config: dict = {}


def fake_modules(world: World) -> dict[str, types.ModuleType]:
    class Picamera2:
        def __init__(self) -> None:
            if world.claimed:
                raise RuntimeError("Failed to acquire camera: Device or resource busy")
            world.claimed += 1
            world.opens += 1
            self.camera_properties = {"Model": "imx708"}
            self.open = True

        def create_video_configuration(self, main, transform=None, controls=None):
            return {"main": main, "controls": controls or {}}

        def configure(self, config) -> None:
            world.config = config

        def start(self) -> None:
            if world.fail_start:
                raise RuntimeError("start failed")

        def capture_array(self, name="main", wait=None):
            world.waits.append(wait)
            if world.mode == "stall":
                if wait is None:  # the real one waits for ever; 10 s is enough to fail the tests
                    time.sleep(10)
                    raise RuntimeError("waited without a timeout")
                time.sleep(wait)
                raise TimeoutError
            if world.mode == "raise":
                raise RuntimeError("Camera frontend has timed out!")
            time.sleep(0.01)
            w, h = world.config["main"]["size"]
            return np.zeros((h, w, 3), np.uint8)

        def cancel_all_and_flush(self) -> None:
            world.flushes += 1

        def stop(self) -> None:
            pass

        def close(self) -> None:
            if self.open:
                self.open = False
                world.claimed -= 1

    cam = types.ModuleType("picamera2")
    cam.Picamera2 = Picamera2  # type: ignore[attr-defined]
    lib = types.ModuleType("libcamera")
    lib.Transform = lambda hflip=0, vflip=0: (hflip, vflip)  # type: ignore[attr-defined]
    return {"picamera2": cam, "libcamera": lib}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    w = World()
    for name, module in fake_modules(w).items():
        monkeypatch.setitem(sys.modules, name, module)
    return w


def small() -> Settings:
    return Settings().changed(camera_width=320, camera_height=240, camera_stall_s=0.5)


def test_a_stalled_read_returns_within_its_timeout(world: World) -> None:
    source = picamera.Picamera2Source(small())
    source.open()
    assert world.config["main"]["format"] == "BGR888"  # R, G, B in memory: no conversion in Python
    assert source.read(0.5).rgb.shape == (240, 320, 3)
    world.mode = "stall"
    t0 = time.monotonic()
    assert source.read(0.2) is None
    assert time.monotonic() - t0 < 1.0 and world.waits[-1] == 0.2
    world.mode = "raise"
    with pytest.raises(CameraError, match="timed out"):
        source.read(0.2)
    source.close()
    assert world.claimed == 0 and world.flushes == 1


def test_a_failed_open_leaves_the_camera_free(world: World) -> None:
    world.fail_start = True
    source = picamera.Picamera2Source(small())
    with pytest.raises(CameraError, match="start failed"):
        source.open()
    assert world.claimed == 0  # released, so the next open is not "busy"
    world.fail_start = False
    source.open()
    source.close()


def test_an_import_that_fails_oddly_is_reported_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = types.ModuleType("picamera2")

    def boom(name: str):
        raise ValueError("numpy.dtype size changed, may indicate binary incompatibility")

    broken.__getattr__ = boom  # type: ignore[attr-defined]
    broken.__spec__ = importlib.machinery.ModuleSpec("picamera2", None)
    monkeypatch.setitem(sys.modules, "picamera2", broken)
    lib = types.ModuleType("libcamera")
    lib.Transform = object  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "libcamera", lib)
    assert picamera.available()  # installed: the station must not fall back to its demo
    with pytest.raises(CameraError, match=r"ValueError: numpy\.dtype size changed.*deploy/install\.sh"):
        picamera.Picamera2Source(small()).open()


def test_autofocus_for_camera_module_3_only() -> None:
    assert picamera.focus_controls(Settings(), "imx708") == {"AfMode": 2}
    fixed = picamera.focus_controls(Settings().changed(camera_focus_m=3.0), "imx708")
    assert fixed["AfMode"] == 0 and fixed["LensPosition"] == pytest.approx(1 / 3)
    assert picamera.focus_controls(Settings(), "imx219") == {}


def test_the_station_rides_out_a_stall_and_an_error_and_is_back_within_5_s(world: World, tmp_path) -> None:
    station = Station(small(), picamera.Picamera2Source(small()), data_dir=tmp_path)
    states: list[tuple[float, str]] = []
    sub = station.subscribe()
    station.start()
    stop = threading.Event()

    def follow() -> None:
        while not stop.is_set():
            msg = sub.get(timeout=0.2)
            if msg is not None:
                states.append((time.monotonic(), msg.get("camera")))

    follower = threading.Thread(target=follow)
    follower.start()
    try:
        for bad in ("stall", "raise"):
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and station.camera != "ok":
                time.sleep(0.05)
            assert station.camera == "ok"
            world.mode = bad
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and station.camera != "offline":
                time.sleep(0.05)
            assert station.camera == "offline", bad
            time.sleep(2.5)  # a few failed reopens: the back-off grows
            world.mode = "ok"
            back = time.monotonic()
            while time.monotonic() - back < 5 and station.camera != "ok":
                time.sleep(0.05)
            assert station.camera == "ok", f"not back within 5 s after {bad}"
    finally:
        stop.set()
        follower.join()
        station.stop()
    assert world.claimed == 0 and world.flushes >= 2  # every close flushed and released it
