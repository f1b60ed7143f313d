"""Stand-in for Raspberry Pi OS's python3-picamera2, for the arm64 rig and the tests (never on a Pi).

It behaves as picamera2 0.3.20 and later do where the station depends on it (read from
raspberrypi/picamera2 at 0.3.36, picamera2/picamera2.py, controls.py, job.py; no code taken):

* importing it loads a C extension that apt built against the system numpy, as the real
  picamera2 does through simplejpeg: Debian's PyWavelets plays that part, so a numpy 2 in the
  station's venv fails here exactly as it does on Bookworm (``numpy.dtype size changed``);
* the camera is a Camera Module 3 Wide: ``camera_properties["Model"]`` is ``imx708_wide`` (libcamera's
  cam_helper_imx708.cpp registers imx708, imx708_wide, imx708_noir, imx708_wide_noir), or the
  sensor named by ``PICAMERA2_STANDIN_SENSOR`` (``imx219``: Camera Module 2, a fixed-focus lens);
* ``sensor_modes`` lists the sensor's modes with their crop_limits, as a Pi reports them;
* ``configure`` picks the mode as picamera2 does: from ``sensor["output_size"]``, else the raw size,
  else the main size (the raw size follows the main size), scored as libcamera scores formats
  (picamera2.py ``score_mode``: a mode smaller than asked costs 2 per pixel, a larger one 1/4, the
  aspect ratio 1500 per unit, the bit depth 500 per bit), so 1280x720 alone gets the 1536x864 crop;
* controls libcamera does not advertise raise ``RuntimeError("Control AfMode is not advertised by
  libcamera")`` (controls.py), in ``set_controls`` and in a configuration's ``controls``;
* ``capture_array(name, wait=seconds)`` queues a job that the next frame completes; a job that
  times out (``concurrent.futures.TimeoutError``) stays queued and takes the next frame, until
  ``cancel_all_and_flush`` cancels it; ``wait=None`` waits for ever; before ``start()`` no frame
  comes, so a capture waits out its timeout;
* frames are the configured size in libcamera's byte order ("RGB888" is B, G, R in memory;
  "BGR888" is R, G, B; the default "XBGR8888" is R, G, B, 255 in 4 channels), from
  /usr/share/picamera2-standin/frame.npy (an RGB photo) when present, at min(FrameRate, mode fps);
* a second ``Picamera2()`` while one is open fails as libcamera's acquire does (busy);
* a ``lores`` stream (``create_video_configuration(lores={"size": ...})``): YUV420 by default with
  ``preserve_ar`` False, sizes made even (``align_stream(optimal=False)``), refused by ``configure``
  when larger than main ("lores stream dimensions may not exceed main stream"); its array is YUV420
  as ``Request.make_array`` gives it, (h * 3/2, stride) with the luma in the first h rows (BT.601
  luma of the picture; U and V a flat 128), the stride a multiple of 64 bytes (the ISP's alignment
  that ``align_stream(optimal=True)`` mirrors);
* ``capture_arrays(names, wait=...)`` gives ``([array per name], metadata)`` from one request, so
  main and lores are the same frame.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import CancelledError, Future
from pathlib import Path
from typing import Any

import numpy as np
import pywt._extensions._pywt  # noqa: F401  (the simplejpeg of this stand-in: see above)

FRAME = Path("/usr/share/picamera2-standin/frame.npy")

# The sensors' modes as picamera2's sensor_modes reports them on a Pi (2-lane CSI). Camera Module 3:
# the imx708 driver's three modes (raspberrypi/linux drivers/media/i2c/imx708.c), 1536x864 being
# 2x2 binned from the centre 3072x1728 (crop_limits (768, 432, 3072, 1728)), 2304x1296 binned from
# the whole 4608x2592, 4608x2592 full; fps 120.13, 56.03 and 14.35 as picamera2 prints them (and
# rpicam-apps issue 570: "2304x1296 can run at 56fps max", 1536x864 "cropped"). Camera Module 2
# (imx219): the picamera2 manual's listing of its four 10-bit modes.
_FULL_708 = (0, 0, 4608, 2592)
SENSORS: dict[str, dict[str, Any]] = {
    "imx708_wide": {
        "properties": {"Model": "imx708_wide", "PixelArraySize": (4608, 2592), "ColorFilterArrangement": 0,
                       "PixelArrayActiveAreas": [(16, 24, 4608, 2592)], "Location": 2, "Rotation": 180},
        "modes": [((1536, 864), 120.13, (768, 432, 3072, 1728)), ((2304, 1296), 56.03, _FULL_708),
                  ((4608, 2592), 14.35, _FULL_708)],
        "format": "SRGGB10_CSI2P", "focus": True,
    },
    "imx219": {
        "properties": {"Model": "imx219", "PixelArraySize": (3280, 2464), "ColorFilterArrangement": 0,
                       "PixelArrayActiveAreas": [(0, 0, 3280, 2464)], "Location": 2, "Rotation": 180},
        "modes": [((640, 480), 206.65, (1000, 752, 1280, 960)), ((1640, 1232), 41.85, (0, 0, 3280, 2464)),
                  ((1920, 1080), 47.57, (680, 692, 1920, 1080)), ((3280, 2464), 21.19, (0, 0, 3280, 2464))],
        "format": "SBGGR10_CSI2P", "focus": False,
    },
}
_claimed: set[int] = set()  # libcamera lets one process hold a camera at a time


def _controls_for(sensor: dict[str, Any], fps: float, crop: tuple[int, ...]) -> dict[str, tuple]:
    """``camera_controls``: name -> (min, max, default), as libcamera advertises them in a mode."""
    controls: dict[str, tuple] = {
        "FrameDurationLimits": (int(1e6 / fps), 1_000_000_000, None),
        "ScalerCrop": ((0, 0, 64, 64), crop, crop),
        "ExposureTime": (1, 66666, None), "AnalogueGain": (1.0, 16.0, None),
        "NoiseReductionMode": (0, 4, 0), "AeEnable": (False, True, None), "AwbEnable": (False, True, None),
    }
    if sensor["focus"]:  # only a sensor with a lens driver advertises these (Camera Module 3)
        controls |= {"AfMode": (0, 2, 0), "AfTrigger": (0, 1, 0), "LensPosition": (0.0, 32.0, 1.0)}
    return controls


def _score(mode: dict[str, Any], size: tuple[int, int], bit_depth: int) -> float:
    def miss(want: float, got: float) -> float:
        return (want - got) * 2 if want >= got else (got - want) / 4

    aspect = miss(size[0] / size[1], mode["size"][0] / mode["size"][1])
    return (miss(size[0], mode["size"][0]) + miss(size[1], mode["size"][1]) + 1500 * aspect
            + 500 * abs(bit_depth - mode["bit_depth"]))


class Picamera2:
    def __init__(self, camera_num: int = 0) -> None:
        name = os.environ.get("PICAMERA2_STANDIN_SENSOR", "imx708_wide")
        if camera_num in _claimed:
            try:
                raise RuntimeError("Failed to acquire camera: Device or resource busy")
            except RuntimeError as exc:
                raise RuntimeError("Camera __init__ sequence did not complete.") from exc
        _claimed.add(camera_num)
        self.camera_num = camera_num
        self._sensor = SENSORS[name]
        self.camera_properties = dict(self._sensor["properties"])
        self._modes = [{"format": self._sensor["format"], "unpacked": self._sensor["format"].split("_")[0],
                        "bit_depth": 10, "size": size, "fps": fps, "crop_limits": crop}
                       for size, fps, crop in self._sensor["modes"]]
        self._mode = self._modes[0]
        self.camera_controls = _controls_for(self._sensor, self._mode["fps"], self._mode["crop_limits"])
        self.camera_config: dict[str, Any] | None = None
        self.controls: dict[str, Any] = {}
        self.started = False
        self.is_open = True
        self._lock = threading.Lock()
        self._jobs: list[Future] = []
        self._waiting: dict[str, np.ndarray] | None = None  # the newest frame no job took yet
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._frame: dict[str, np.ndarray] | None = None  # each stream's picture
        self.stalled = False  # for the tests: the pipeline stops delivering frames (a loose cable)

    @staticmethod
    def global_camera_info() -> list[dict]:
        name = os.environ.get("PICAMERA2_STANDIN_SENSOR", "imx708_wide")
        return [{"Model": name, "Location": 2, "Rotation": 180, "Num": 0,
                 "Id": f"/base/axi/pcie@120000/rp1/i2c@88000/{name[:6]}@1a"}]

    @property
    def sensor_modes(self) -> list[dict[str, Any]]:
        if self.started:  # upstream reconfigures the camera to list them
            raise RuntimeError("Camera must be stopped before configuring")
        return [dict(m) for m in self._modes]

    def create_video_configuration(self, main: dict | None = None, lores: dict | None = None,
                                   raw: dict | None = None, transform: Any = None, colour_space: Any = None,
                                   buffer_count: int = 6, controls: dict | None = None, display: str = "main",
                                   encode: str = "main", queue: bool = True, sensor: dict | None = None,
                                   use_case: str = "video") -> dict:
        main = {"format": "XBGR8888", "size": (1280, 720), "preserve_ar": True} | dict(main or {})
        w, h = main["size"]
        main["size"] = (w - w % 2, h - h % 2)  # picamera2's align_stream(optimal=False)
        if lores is not None:
            bad = set(lores) - {"format", "size", "stride", "preserve_ar"}
            if bad:  # picamera2's _make_initial_stream_config
                raise ValueError(f"Bad key {sorted(bad)[0]!r}: valid stream configuration keys are "
                                 "('format', 'size', 'stride', 'preserve_ar')")
            lores = {"format": "YUV420", "size": main["size"], "preserve_ar": False} | dict(lores)
            lw, lh = lores["size"]
            lores["size"] = (lw - lw % 2, lh - lh % 2)
        raw = {"format": self._sensor["format"], "size": main["size"]} | dict(raw or {})
        # Upstream adds these defaults when the camera advertises them (create_video_configuration).
        defaults = {"NoiseReductionMode": 1, "FrameDurationLimits": (33333, 33333)}
        return {"use_case": use_case, "transform": transform, "colour_space": colour_space,
                "buffer_count": buffer_count, "queue": queue, "main": main, "lores": lores, "raw": raw,
                "controls": defaults | dict(controls or {}),
                "sensor": dict(sensor or {}), "display": display, "encode": encode}

    def _check_controls(self, controls: dict) -> None:
        for name in controls:
            real = "FrameDurationLimits" if name == "FrameRate" else name  # picamera2's virtual control
            if real not in self.camera_controls:
                raise RuntimeError(f"Control {real} is not advertised by libcamera")

    def configure(self, config: dict) -> None:
        if self.started:
            raise RuntimeError("Camera must be stopped before configuring")
        bad = set(config.get("sensor") or {}) - {"bit_depth", "output_size"}
        if bad:
            raise RuntimeError(f"Unexpected keys {bad} in sensor configuration")
        lores = config.get("lores")
        if lores is not None:
            (mw, mh), (lw, lh) = config["main"]["size"], lores["size"]
            if lw > mw or lh > mh:
                raise RuntimeError("lores stream dimensions may not exceed main stream")
        sensor = config.get("sensor") or {}
        want = sensor.get("output_size") or (config.get("raw") or {}).get("size") or config["main"]["size"]
        bits = sensor.get("bit_depth") or 10
        self._mode = min(self._modes, key=lambda m: _score(m, tuple(want), bits))
        self.camera_controls = _controls_for(self._sensor, self._mode["fps"], self._mode["crop_limits"])
        self.controls = {}
        self._check_controls(config.get("controls") or {})
        self.controls.update(config.get("controls") or {})
        config = dict(config)
        config["sensor"] = {"output_size": self._mode["size"], "bit_depth": self._mode["bit_depth"]}
        config["raw"] = dict(config.get("raw") or {}, size=self._mode["size"])
        self.camera_config = config
        self._frame = {"main": self._picture(config["main"])}
        if lores is not None:
            self._frame["lores"] = self._yuv420(lores)

    @staticmethod
    def _picture(main: dict) -> np.ndarray:
        width, height = main["size"]
        rgb = np.load(FRAME) if FRAME.exists() else np.zeros((height, width, 3), np.uint8)
        rows = np.arange(height) * rgb.shape[0] // height
        cols = np.arange(width) * rgb.shape[1] // width
        rgb = np.ascontiguousarray(rgb[rows][:, cols])
        fmt = main.get("format", "XBGR8888")
        if fmt == "RGB888":
            return rgb[..., ::-1].copy()
        if fmt in ("XBGR8888", "XRGB8888"):
            pixels = rgb if fmt == "XBGR8888" else rgb[..., ::-1]
            return np.concatenate([pixels, np.full((height, width, 1), 255, np.uint8)], axis=2)
        return rgb

    @classmethod
    def _yuv420(cls, lores: dict) -> np.ndarray:
        width, height = lores["size"]
        if lores.get("format", "YUV420") not in ("YUV420", "YVU420"):
            return cls._picture(lores)
        rgb = cls._picture({"size": (width, height), "format": "BGR888"}).astype(np.float32)
        luma = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
        stride = -(-width // 64) * 64
        out = np.full((height * 3 // 2, stride), 128, np.uint8)
        out[:height, :width] = np.clip(luma + 0.5, 0, 255).astype(np.uint8)
        return out

    def set_controls(self, controls: dict) -> None:
        self._check_controls(controls)
        self.controls.update(controls)

    def start(self, config: dict | None = None, show_preview: bool | None = False) -> None:
        if config is not None:
            self.configure(config)
        if self.camera_config is None:
            raise RuntimeError("Camera has not been configured")
        if self.started:
            return
        self.started = True
        self._stop.clear()
        self._thread = threading.Thread(target=self._deliver, name="picamera2-standin", daemon=True)
        self._thread.start()

    def _fps(self) -> float:
        asked = self.controls.get("FrameRate")
        if asked is None:
            asked = 1e6 / self.controls.get("FrameDurationLimits", (33333, 33333))[0]
        return min(float(asked), float(self._mode["fps"]))

    def _deliver(self) -> None:
        while not self._stop.wait(1.0 / self._fps()):
            if self.stalled or self._frame is None:
                continue
            with self._lock:
                frame = {name: array.copy() for name, array in self._frame.items()}
                job = next((j for j in self._jobs if not j.done()), None)
                if job is None:
                    self._waiting = frame
                    continue
                self._jobs.remove(job)
            job.set_result(job.pick(frame))  # type: ignore[attr-defined]

    def _stream(self, name: str) -> None:
        if self.camera_config is None or self.camera_config.get(name) is None:
            raise RuntimeError(f"Stream {name!r} is not defined")  # Request.make_array

    def _dispatch(self, pick: Any, wait: float | bool | None) -> Any:
        job: Future = Future()
        job.pick = pick  # type: ignore[attr-defined]
        with self._lock:
            if self._waiting is not None and not self._jobs:
                job.set_result(pick(self._waiting))
                self._waiting = None
            else:
                self._jobs.append(job)
        if wait is False:
            return job
        return job.result(timeout=None if wait is None or wait is True else float(wait))

    def capture_array(self, name: str = "main", wait: float | bool | None = None) -> Any:
        self._stream(name)
        return self._dispatch(lambda frame: frame[name], wait)

    def capture_arrays(self, names: list[str] | None = None, wait: float | bool | None = None) -> Any:
        names = ["main"] if names is None else list(names)
        for name in names:
            self._stream(name)
        return self._dispatch(lambda frame: ([frame[name] for name in names], {}), wait)

    def cancel_all_and_flush(self) -> None:
        with self._lock:
            jobs, self._jobs = self._jobs, []
        for job in jobs:
            if not job.done():
                job.set_exception(CancelledError())

    def stop(self) -> None:
        if not self.started:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.started = False
        self._waiting = None

    def close(self) -> None:
        self.stop()
        if self.is_open:
            self.is_open = False
            _claimed.discard(self.camera_num)
