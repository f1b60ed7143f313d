"""Stand-in for Raspberry Pi OS's python3-picamera2, for the arm64 rig only (never on a Pi).

It behaves as the real package does where the station depends on it:

* importing it loads a C extension that apt built against the system numpy, as the real
  picamera2 does through simplejpeg: Debian's PyWavelets plays that part, so a numpy 2 in the
  station's venv fails here exactly as it does on Bookworm (``numpy.dtype size changed``);
* ``Picamera2`` takes a video configuration and hands out frames of the configured size in
  libcamera's byte order ("RGB888" is B, G, R in memory; "BGR888" is R, G, B), from
  /usr/share/picamera2-standin/frame.npy (an RGB photo) when present, at the configured frame rate;
* ``capture_array(wait=seconds)`` raises TimeoutError when no frame comes in time.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pywt._extensions._pywt  # noqa: F401  (the simplejpeg of this stand-in: see above)

FRAME = Path("/usr/share/picamera2-standin/frame.npy")


class Picamera2:
    def __init__(self, camera_num: int = 0) -> None:
        self.camera_num = camera_num
        self.camera_properties = {"Model": "imx708", "PixelArraySize": (4608, 2592)}
        self.config: dict = {}
        self.controls: dict = {}
        self.started = False
        self._next = 0.0
        self._frame: np.ndarray | None = None

    @staticmethod
    def global_camera_info() -> list[dict]:
        return [{"Model": "imx708", "Num": 0}]

    def create_video_configuration(self, main: dict | None = None, **kwargs: object) -> dict:
        return {"main": dict(main or {}), **kwargs}

    def configure(self, config: dict) -> None:
        self.config = config
        self.controls.update(config.get("controls") or {})
        width, height = config["main"].get("size", (1280, 720))
        rgb = np.load(FRAME) if FRAME.exists() else np.zeros((height, width, 3), np.uint8)
        rows = np.arange(height) * rgb.shape[0] // height
        cols = np.arange(width) * rgb.shape[1] // width
        rgb = np.ascontiguousarray(rgb[rows][:, cols])
        fmt = config["main"].get("format", "XBGR8888")
        self._frame = rgb[..., ::-1].copy() if fmt == "RGB888" else rgb

    def set_controls(self, controls: dict) -> None:
        self.controls.update(controls)

    def start(self) -> None:
        if not self.config:
            raise RuntimeError("Camera has not been configured")
        self.started = True

    def capture_array(self, name: str = "main", wait: float | None = None) -> np.ndarray:
        if not self.started or self._frame is None:
            raise RuntimeError("Camera is not running")
        fps = float(self.controls.get("FrameRate", 30.0))
        now = time.monotonic()
        delay = max(0.0, self._next - now)
        if wait is not None and delay > wait:
            time.sleep(wait)
            raise TimeoutError("no frame in time")
        time.sleep(delay)
        self._next = max(now, self._next) + 1.0 / fps
        return self._frame.copy()

    def cancel_all_and_flush(self) -> None:
        pass

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.started = False
