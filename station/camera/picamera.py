"""The Raspberry Pi camera through Picamera2 (only on a Pi: imported when opened).

Size and frame rate come from the settings; 180 degrees and flips are done by libcamera's
Transform, 90 and 270 by OpenCV (the sensor cannot transpose).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from station.camera.sources import CameraError, Frame
from station.settings import Settings

if TYPE_CHECKING:
    from picamera2 import Picamera2


def available() -> bool:
    """True when Picamera2 can be imported (a Pi with python3-picamera2)."""
    try:
        import picamera2  # noqa: F401
    except ImportError:
        return False
    return True


class Picamera2Source:
    name = "Pi camera"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._cam: Picamera2 | None = None

    def open(self) -> None:
        try:
            from libcamera import Transform
            from picamera2 import Picamera2
        except ImportError:
            raise CameraError("Picamera2 is not installed (apt install python3-picamera2)") from None
        s = self.settings
        hflip = s.camera_hflip ^ (s.camera_rotation == 180)
        vflip = s.camera_vflip ^ (s.camera_rotation == 180)
        try:
            cam = Picamera2()
            config = cam.create_video_configuration(
                main={"size": (s.camera_width, s.camera_height), "format": "RGB888"},
                transform=Transform(hflip=int(hflip), vflip=int(vflip)),
                controls={"FrameRate": s.camera_fps})
            cam.configure(config)
            cam.start()
        except (RuntimeError, IndexError, OSError) as exc:
            raise CameraError(f"the Pi camera cannot be opened ({exc})") from None
        self._cam = cam

    def read(self, timeout: float) -> Frame | None:
        import cv2

        if self._cam is None:
            raise CameraError("the Pi camera is not open")
        try:
            # RGB888 in libcamera's naming is BGR byte order in memory.
            bgr = self._cam.capture_array("main")
        except RuntimeError as exc:
            raise CameraError(f"the Pi camera stopped ({exc})") from None
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if self.settings.camera_rotation == 90:
            rgb = cv2.rotate(rgb, cv2.ROTATE_90_CLOCKWISE)
        elif self.settings.camera_rotation == 270:
            rgb = cv2.rotate(rgb, cv2.ROTATE_90_COUNTERCLOCKWISE)
        return Frame(time.monotonic(), rgb)

    def close(self) -> None:
        if self._cam is not None:
            try:
                self._cam.stop()
                self._cam.close()
            finally:
                self._cam = None
