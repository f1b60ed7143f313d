"""The Raspberry Pi camera through Picamera2 (only on a Pi: imported when opened).

Size and frame rate come from the settings; 180 degrees and flips are done by libcamera's
Transform, 90 and 270 by OpenCV (the sensor cannot transpose).

A capture never waits for ever: ``read(timeout)`` asks Picamera2 with ``wait=timeout`` and gives
None when no frame came (picamera2 issues 794 and 1004: a stalled pipeline otherwise blocks the
loop until the watchdog kills the service). The station's camera keeper then closes and reopens it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from station.camera.sources import CameraError, Frame
from station.config.settings import Settings

# Camera Module 3's sensor: the only one of the Pi cameras with a focus lens.
AUTOFOCUS_SENSORS = ("imx708",)


def available() -> bool:
    """True when Picamera2 is installed (a Pi with python3-picamera2).

    Only whether it is there: importing it can fail for reasons that must be reported, not
    hidden by a fall-back to the demo (e.g. a numpy in the venv that apt's simplejpeg was not
    built for raises ValueError). :meth:`Picamera2Source.open` imports it and says what failed.
    """
    try:
        return importlib.util.find_spec("picamera2") is not None
    except (ImportError, ValueError):
        return False


def _import_picamera2() -> tuple[Any, Any]:
    try:
        import picamera2  # first: it is the one that loads apt's numpy extensions

        picamera2_class = picamera2.Picamera2
        from libcamera import Transform
    except ImportError as exc:
        raise CameraError(f"Picamera2 cannot be imported ({exc}); apt install python3-picamera2") from None
    except Exception as exc:  # e.g. ValueError: numpy.dtype size changed (a numpy 2 hides apt's numpy 1)
        raise CameraError(
            f"Picamera2 cannot be imported ({type(exc).__name__}: {exc}); the station's venv must use "
            "apt's numpy: run deploy/install.sh again") from None
    return picamera2_class, Transform


def focus_controls(settings: Settings, model: str) -> dict[str, Any]:
    """Autofocus for Camera Module 3: continuous, or a fixed lens position for the set distance.

    Its default focus is about 1 m, soft at the 2.5-3.5 m the station stands from the member.
    Other sensors have a fixed lens: nothing to set.
    """
    if model.lower() not in AUTOFOCUS_SENSORS:
        return {}
    if settings.camera_focus_m <= 0:
        return {"AfMode": 2}  # continuous (libcamera's AfModeEnum.Continuous)
    return {"AfMode": 0, "LensPosition": 1.0 / settings.camera_focus_m}  # manual, in dioptres


class Picamera2Source:
    name = "Pi camera"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._cam: Any = None

    def open(self) -> None:
        picamera2_class, transform = _import_picamera2()
        s = self.settings
        hflip = s.camera_hflip ^ (s.camera_rotation == 180)
        vflip = s.camera_vflip ^ (s.camera_rotation == 180)
        cam = None
        try:
            cam = picamera2_class()
            model = str(getattr(cam, "camera_properties", {}).get("Model", ""))
            # "BGR888" is R, G, B in memory (libcamera names formats by word order): the order
            # the engine takes, so the ISP does the conversion and Python never touches a whole frame.
            config = cam.create_video_configuration(
                main={"size": (s.camera_width, s.camera_height), "format": "BGR888"},
                transform=transform(hflip=int(hflip), vflip=int(vflip)),
                controls={"FrameRate": s.camera_fps, **focus_controls(s, model)})
            cam.configure(config)
            cam.start()
        except Exception as exc:  # libcamera raises RuntimeError, IndexError, OSError, ...
            if cam is not None:  # never leave the camera claimed: the next open would find it busy
                _close_quietly(cam)
            raise CameraError(f"the Pi camera cannot be opened ({type(exc).__name__}: {exc})") from None
        self._cam = cam

    def read(self, timeout: float) -> Frame | None:
        """The next frame (R, G, B); None when none came within ``timeout`` seconds."""
        if self._cam is None:
            raise CameraError("the Pi camera is not open")
        try:
            rgb = self._cam.capture_array("main", wait=timeout)
        except (TimeoutError, FutureTimeout):
            return None
        except Exception as exc:
            raise CameraError(f"the Pi camera stopped ({type(exc).__name__}: {exc})") from None
        return Frame(time.monotonic(), _rotate(rgb, self.settings.camera_rotation))

    def close(self) -> None:
        cam, self._cam = self._cam, None
        if cam is not None:
            _close_quietly(cam)


def _rotate(image: Any, rotation: int) -> Any:
    if rotation not in (90, 270):
        return image
    import cv2

    return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE if rotation == 90 else cv2.ROTATE_90_COUNTERCLOCKWISE)


def _close_quietly(cam: Any) -> None:
    """Drop queued requests, stop and release the camera, whatever state it is in."""
    for step in ("cancel_all_and_flush", "stop", "close"):
        method = getattr(cam, step, None)
        if method is not None:
            with contextlib.suppress(Exception):
                method()
