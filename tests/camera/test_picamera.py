"""The Pi camera path with the rig's stand-in Picamera2 (deploy/rig/standins), made to stall and raise.

The stand-in behaves as picamera2 0.3.20 and later do (its docstring says where each part comes
from): a Camera Module 3 Wide (``imx708_wide``) with its three sensor modes, unknown controls that
raise, ``capture_array(name, wait=seconds)`` that leaves a timed-out job queued until
``cancel_all_and_flush``, no frame before ``start()``, one holder of the camera at a time. The tests
add the faults: a stall (no frames), a capture that raises, a start that fails.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading
import time
import types
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import pytest

from station.camera import picamera
from station.camera.sources import CameraError
from station.config.settings import Settings
from station.runtime.station import Station

STANDINS = Path(__file__).resolve().parents[2] / "deploy" / "rig" / "standins"


def load_standins(monkeypatch: pytest.MonkeyPatch) -> tuple[types.ModuleType, types.ModuleType]:
    """The rig's picamera2 and libcamera as ``picamera2`` and ``libcamera`` (PyWavelets stubbed)."""
    for name in ("pywt", "pywt._extensions", "pywt._extensions._pywt"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    modules = []
    for name in ("libcamera", "picamera2"):
        spec = importlib.util.spec_from_file_location(name, STANDINS / name / "__init__.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, name, module)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules[0], modules[1]


class World:
    """What the camera does now: "ok", "stall" or "raise"; and what was done to it."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.opens = 0
        self.flushes = 0
        self.fail_start = False
        self.waits: list[float | None] = []
        self.cams: list[Any] = []

    @property
    def claimed(self) -> int:
        return sum(1 for cam in self.cams if cam.is_open)

    @property
    def config(self) -> dict:
        return self.cams[-1].camera_config


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    monkeypatch.setattr(picamera, "installed_version", lambda: "0.3.36", raising=False)
    return load_standins(monkeypatch)[1]


@pytest.fixture
def world(standin: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> World:
    w = World()
    upstream = standin.Picamera2

    class Picamera2(upstream):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            w.opens += 1
            w.cams.append(self)
            self.stalled = w.mode == "stall"

        def start(self, *args: Any, **kwargs: Any) -> None:
            if w.fail_start:
                raise RuntimeError("start failed")
            super().start(*args, **kwargs)

        def capture_arrays(self, names: Any = None, wait: Any = None) -> Any:
            w.waits.append(wait)
            self.stalled = w.mode == "stall"
            if w.mode == "raise":
                raise RuntimeError("Camera frontend has timed out!")
            return super().capture_arrays(names, wait=wait)

        def cancel_all_and_flush(self) -> None:
            w.flushes += 1
            super().cancel_all_and_flush()

    monkeypatch.setattr(standin, "Picamera2", Picamera2)
    return w


def small() -> Settings:
    return Settings().changed(camera_width=320, camera_height=240, camera_stall_s=0.5)


def test_a_stalled_read_returns_within_its_timeout(world: World) -> None:
    source = picamera.Picamera2Source(small())
    source.open()
    assert world.config["main"]["format"] == "BGR888"  # R, G, B in memory: no conversion in Python
    frame = source.read(0.5)
    assert frame is not None and frame.rgb.shape == (240, 320, 3)
    world.mode = "stall"
    t0 = time.monotonic()
    assert source.read(0.2) is None
    assert time.monotonic() - t0 < 1.0 and world.waits[-1] == 0.2
    assert len(world.cams[-1]._jobs) == 1  # the timed-out capture is still queued, as upstream's is
    world.mode = "raise"
    with pytest.raises(CameraError, match="timed out"):
        source.read(0.2)
    source.close()
    assert world.claimed == 0 and world.flushes == 1
    assert world.cams[-1]._jobs == []  # flushed before it was closed


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


# ---------------------------------------------------------------- issue 25: items 1, 2, 3


def test_the_camera_module_3_wide_gets_its_focus(world: World) -> None:
    """Item 1: the Wide reports imx708_wide; the old exact match on "imx708" set no focus at all."""
    source = picamera.Picamera2Source(Settings().changed(camera_focus_m=3.0))
    source.open()
    try:
        assert world.cams[-1].camera_properties["Model"] == "imx708_wide"
        assert world.cams[-1].controls["AfMode"] == 0
        assert world.cams[-1].controls["LensPosition"] == pytest.approx(1 / 3)
        assert source.describe()["focus"] == "focus fixed at 3 m"
    finally:
        source.close()


def test_a_fixed_focus_camera_is_asked_for_no_focus(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PICAMERA2_STANDIN_SENSOR", "imx219")
    source = picamera.Picamera2Source(small())
    source.open()  # AfMode would raise: "Control AfMode is not advertised by libcamera"
    try:
        assert "AfMode" not in world.cams[-1].controls
        assert source.describe()["focus"] == "fixed-focus lens"
    finally:
        source.close()


def test_focus_is_decided_by_what_the_camera_advertises() -> None:
    af = {"AfMode": (0, 2, 0), "LensPosition": (0.0, 32.0, 1.0)}
    assert picamera.focus_controls(Settings(), af) == {"AfMode": 2}
    fixed = picamera.focus_controls(Settings().changed(camera_focus_m=3.0), af)
    assert fixed["AfMode"] == 0 and fixed["LensPosition"] == pytest.approx(1 / 3)
    assert picamera.focus_controls(Settings(), {"FrameDurationLimits": (1, 2, None)}) == {}


def test_the_whole_sensor_is_seen_not_the_centre_crop(world: World) -> None:
    """Item 2: 1280x720 alone gets the 1536x864 mode (2/3 of the sensor each way): ask for the full field."""
    source = picamera.Picamera2Source(Settings())  # 1280x720 at 30 fps
    source.open()
    try:
        cam = world.cams[-1]
        assert cam.camera_config["sensor"]["output_size"] == (2304, 1296)
        assert cam.camera_controls["ScalerCrop"][1] == (0, 0, 4608, 2592)
        assert cam.camera_config["main"]["size"] == (1280, 720)  # the ISP scales
        info = source.describe()
        assert info["sensor_mode"] == "2304x1296 10-bit, up to 56.03 fps"
        assert info["field_of_view"] == {"width": 1.0, "height": 1.0}
        assert info["model"] == "imx708_wide" and info["picamera2"] == "0.3.36"
    finally:
        source.close()


def test_a_frame_rate_only_the_crop_reaches_gets_the_crop(world: World) -> None:
    source = picamera.Picamera2Source(Settings().changed(camera_fps=100))
    source.open()
    try:
        assert world.cams[-1].camera_config["sensor"]["output_size"] == (1536, 864)
        assert source.describe()["field_of_view"] == {"width": 0.667, "height": 0.667}
    finally:
        source.close()


def test_an_old_picamera2_is_refused_with_what_to_run(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 3: 0.3.19 takes wait=0.5 as "wait for ever": a stall would hang the loop."""
    monkeypatch.setattr(picamera, "installed_version", lambda: "0.3.19-1", raising=False)
    source = picamera.Picamera2Source(small())
    with pytest.raises(CameraError, match=r"0\.3\.19-1 .*0\.3\.20 or newer.*apt install --only-upgrade"):
        source.open()
    assert world.opens == 0 and source.describe() == {"picamera2": "0.3.19-1"}
    monkeypatch.setattr(picamera, "installed_version", lambda: "0.3.20", raising=False)
    source.open()
    source.close()


def test_the_version_reaches_the_health_page(world: World, tmp_path: Path) -> None:
    from station.runtime import health
    from station.web.staff.health import _camera_words

    source = picamera.Picamera2Source(small())
    station = Station(small(), source, data_dir=tmp_path)
    station.start()
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and station.camera != "ok":
            time.sleep(0.05)
        info = health.report(station)["camera_info"]
        assert info["picamera2"] == "0.3.36" and info["model"] == "imx708_wide"
        words = _camera_words(info)
        assert "picamera2 0.3.36" in words and "field of view 75% x 100%" in words  # 4:3 from a 16:9 sensor
    finally:
        station.stop()


# ---------------------------------------------------------------- the stand-in is upstream's


def test_standin_sensor_modes_and_mode_choice_follow_upstream(standin: types.ModuleType) -> None:
    cam = standin.Picamera2()
    try:
        modes = cam.sensor_modes
        assert [(m["size"], m["fps"], m["crop_limits"]) for m in modes] == [
            ((1536, 864), 120.13, (768, 432, 3072, 1728)), ((2304, 1296), 56.03, (0, 0, 4608, 2592)),
            ((4608, 2592), 14.35, (0, 0, 4608, 2592))]
        cam.configure(cam.create_video_configuration(main={"size": (1280, 720)}))  # raw follows main
        assert cam.camera_config["sensor"]["output_size"] == (1536, 864)
        cam.configure(cam.create_video_configuration(main={"size": (1920, 1080)}))
        assert cam.camera_config["sensor"]["output_size"] == (2304, 1296)
        with pytest.raises(RuntimeError, match="Unexpected keys"):
            cam.configure(cam.create_video_configuration(sensor={"size": (1, 1)}))
    finally:
        cam.close()


def test_standin_controls_captures_and_queue_follow_upstream(standin: types.ModuleType,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    cam = standin.Picamera2()
    with pytest.raises(RuntimeError, match="Camera __init__ sequence did not complete"):
        standin.Picamera2()  # busy: one holder at a time
    try:
        cam.configure(cam.create_video_configuration(main={"size": (320, 240)}, controls={"FrameRate": 30}))
        t0 = time.monotonic()
        with pytest.raises(FutureTimeout):
            cam.capture_array("main", wait=0.2)  # not started: no frame comes
        assert time.monotonic() - t0 >= 0.2 and len(cam._jobs) == 1  # still queued
        cam.cancel_all_and_flush()
        assert cam._jobs == []
        cam.start()
        rgbx = cam.capture_array("main", wait=1.0)
        assert rgbx.shape == (240, 320, 4) and (rgbx[..., 3] == 255).all()  # XBGR8888: R, G, B, 255
        job = cam.capture_array("main", wait=False)
        cam.stalled = True
        time.sleep(0.05)
        cam.cancel_all_and_flush()
        with pytest.raises(CancelledError):
            job.result(timeout=0.1)
        cam.stalled = False
        cam.set_controls({"AnalogueGain": 2.0})
    finally:
        cam.close()
    monkeypatch.setenv("PICAMERA2_STANDIN_SENSOR", "imx219")
    fixed = standin.Picamera2()
    try:
        assert fixed.camera_properties["Model"] == "imx219"
        with pytest.raises(RuntimeError, match=r"^Control AfMode is not advertised by libcamera$"):
            fixed.set_controls({"AfMode": 2})
    finally:
        fixed.close()


def test_the_small_frame_is_the_lores_luma_of_the_same_request(world: World,
                                                               standin: types.ModuleType) -> None:
    """The source asks for a quarter-size YUV420 lores stream beside main and reads both from one
    request; the gate's small frame is its luma, averaged to 1/16 of main each way."""
    source = picamera.Picamera2Source(small())
    source.open()
    try:
        config = world.config
        assert config["lores"]["format"] == "YUV420" and config["lores"]["size"] == (80, 60)
        frame = source.read(1.0)
        assert frame is not None and frame.small is not None
        assert frame.small.shape == (15, 20) and frame.small.dtype.name == "uint8"
        assert world.waits[-1] == 1.0  # capture_arrays with the timeout, as capture_array was
    finally:
        source.close()
    cam = standin.Picamera2()
    try:
        too_big = cam.create_video_configuration(main={"size": (320, 240)}, lores={"size": (640, 480)})
        with pytest.raises(RuntimeError, match="lores stream dimensions may not exceed main stream"):
            cam.configure(too_big)
        cam.configure(cam.create_video_configuration(main={"size": (320, 240)}, lores={"size": (80, 60)}))
        cam.start()
        (main, yuv), metadata = cam.capture_arrays(["main", "lores"], wait=1.0)
        assert main.shape == (240, 320, 4) and yuv.shape == (90, 128)  # (h * 3/2, stride of 64 bytes)
        assert (yuv[60:] == 128).all() and isinstance(metadata, dict)
        with pytest.raises(RuntimeError, match="Stream 'other' is not defined"):
            cam.capture_arrays(["main", "other"], wait=1.0)
    finally:
        cam.close()
