"""The Raspberry Pi camera through Picamera2 (only on a Pi: imported when opened).

Size and frame rate come from the settings; 180 degrees and flips are done by libcamera's
Transform, 90 and 270 by OpenCV (the sensor cannot transpose).

A capture never waits for ever: ``read(timeout)`` asks Picamera2 with ``wait=timeout`` and gives
None when no frame came (picamera2 issues 794 and 1004: a stalled pipeline otherwise blocks the
loop until the watchdog kills the service). The station's camera keeper then closes and reopens it.
That needs picamera2 0.3.20 or newer: before it a numeric ``wait`` was taken as "wait for ever"
(``dispatch_functions`` passed no timeout to ``job.get_result``) and ``cancel_all_and_flush`` did
not exist (picamera2 CHANGELOG 0.3.20, commit ddd2ca3). :meth:`Picamera2Source.open` refuses older.

The sensor mode is chosen here, not left to picamera2: given only the main size, picamera2 sets the
raw size to it and picks the nearest mode (``configure``, ``score_mode`` in picamera2.py), which for
a Camera Module 3 at 1280x720 is the 1536x864 mode, a centre crop of 2/3 of the sensor each way.
:func:`choose_sensor_mode` takes the widest field that reaches the frame rate; the ISP scales it.

Beside the main picture the ISP makes a low-resolution ("lores") stream, a quarter of the size each
way, in YUV420 (the only lores format a Pi 4's ISP makes: picamera2's ``check_camera_config``
refuses others on VC4). Both come from one request (``capture_arrays(["main", "lores"])``), so they
are the same moment; the lores luma becomes the motion gate's small frame
(:mod:`station.camera.small`), scaled in hardware rather than on the CPU.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import logging
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from station.camera.small import SCALE, small_from_luma
from station.camera.sources import CameraError, Frame
from station.config.settings import Settings

log = logging.getLogger(__name__)

# The first picamera2 whose capture honours a numeric ``wait`` and that has cancel_all_and_flush
# (CHANGELOG 0.3.20: "Improved handling of timeouts when cameras stop responding").
MIN_PICAMERA2 = (0, 3, 20)
UPGRADE_HINT = ("sudo apt update && sudo apt install --only-upgrade python3-picamera2 "
                "(or run deploy/install.sh again)")


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


def installed_version() -> str | None:
    """picamera2's version: its package metadata, else apt's python3-picamera2; None if unknown.

    Upstream has no ``__version__``; Debian's package installs the metadata, and dpkg knows the
    package's version where the metadata is missing (e.g. a package built without it).
    """
    try:
        return importlib.metadata.version("picamera2")
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-picamera2"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def version_problem(version: str | None) -> str | None:
    """Why this picamera2 cannot be used (older than :data:`MIN_PICAMERA2`), or None.

    An unknown version is not refused (it is logged and shown on the health page): a picamera2
    installed some other way still works, and refusing it would leave the station without a camera.

        >>> version_problem("0.3.19-1") is not None, version_problem("0.3.27-1~bookworm")
        (True, None)
    """
    if version is None:
        return None
    found = tuple(int(n) for n in re.findall(r"\d+", version.split("-")[0].split("~")[0])[:3])
    if found >= MIN_PICAMERA2:
        return None
    need = ".".join(map(str, MIN_PICAMERA2))
    return (f"picamera2 {version} is installed; the station needs {need} or newer (a capture that "
            f"can time out, and cancel_all_and_flush, to recover from a stalled camera): {UPGRADE_HINT}")


def _area(rect: Sequence[int]) -> int:
    return int(rect[2]) * int(rect[3])


def choose_sensor_mode(modes: Sequence[Mapping[str, Any]], size: tuple[int, int],
                       fps: float) -> Mapping[str, Any] | None:
    """The sensor mode with the widest field of view that reaches ``fps``; None if none is known.

    ``modes`` is ``Picamera2.sensor_modes`` (size, fps, crop_limits = the part of the sensor the mode
    reads, bit_depth). Among the widest, the smallest mode at least ``size`` in both axes (less to
    read and scale), else the largest. When no mode is fast enough, the fastest: the coach needs
    its frame rate more than the edges of the picture.

        >>> cm3 = [{"size": (1536, 864), "fps": 120.13, "crop_limits": (768, 432, 3072, 1728)},
        ...        {"size": (2304, 1296), "fps": 56.03, "crop_limits": (0, 0, 4608, 2592)},
        ...        {"size": (4608, 2592), "fps": 14.35, "crop_limits": (0, 0, 4608, 2592)}]
        >>> choose_sensor_mode(cm3, (1280, 720), 30)["size"]
        (2304, 1296)
        >>> choose_sensor_mode(cm3, (1280, 720), 100)["size"]  # only the centre crop is that fast
        (1536, 864)
    """
    raw = [m for m in modes if m.get("size") and m.get("crop_limits") and m.get("fps")]
    if not raw:
        return None  # not a raw sensor (e.g. a USB camera): nothing to choose
    fast = [m for m in raw if float(m["fps"]) >= fps]
    if not fast:
        return max(raw, key=lambda m: float(m["fps"]))
    widest = max(_area(m["crop_limits"]) for m in fast)
    wide = [m for m in fast if _area(m["crop_limits"]) == widest]
    big = [m for m in wide if m["size"][0] >= size[0] and m["size"][1] >= size[1]]
    if big:
        return min(big, key=lambda m: m["size"][0] * m["size"][1])
    return max(wide, key=lambda m: m["size"][0] * m["size"][1])


def field_of_view(crop: Sequence[int], full: Sequence[int], size: tuple[int, int]) -> tuple[float, float]:
    """The share (0-1) of the sensor's width and height that reaches a ``size`` picture.

    ``crop`` is the mode's crop_limits, ``full`` the widest crop of any mode. The ISP keeps the
    picture's aspect ratio, cutting the mode's field to it (picamera2's ``preserve_ar``).

        >>> field_of_view((768, 432, 3072, 1728), (0, 0, 4608, 2592), (1280, 720))
        (0.667, 0.667)
        >>> field_of_view((0, 0, 3280, 2464), (0, 0, 3280, 2464), (1280, 720))
        (1.0, 0.749)
    """
    w, h = float(crop[2]), float(crop[3])
    aspect = size[0] / size[1]
    if w / h > aspect:
        w = h * aspect
    else:
        h = w / aspect
    return round(w / float(full[2]), 3), round(h / float(full[3]), 3)


def focus_controls(settings: Settings, camera_controls: Mapping[str, Any]) -> dict[str, Any]:
    """Autofocus where the camera has it: continuous, or a fixed lens position for the set distance.

    Decided by what the camera advertises, not by its name: the Camera Module 3 reports imx708,
    imx708_wide, imx708_noir or imx708_wide_noir (libcamera's cam_helper_imx708.cpp registers all
    four), and a name list misses the ones it does not spell. Its default focus is about 1 m, soft
    at the 2.5-3.5 m the station stands from the member. A fixed lens advertises no AfMode, and
    picamera2 raises for a control libcamera does not advertise: nothing to set.
    """
    if "AfMode" not in camera_controls:
        return {}
    if settings.camera_focus_m <= 0 or "LensPosition" not in camera_controls:
        return {"AfMode": 2}  # continuous (libcamera's AfModeEnum.Continuous)
    return {"AfMode": 0, "LensPosition": 1.0 / settings.camera_focus_m}  # manual, in dioptres


class Picamera2Source:
    name = "Pi camera"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._cam: Any = None
        self._modes: list[dict[str, Any]] | None = None  # read once: listing them reconfigures the camera
        self._info: dict[str, Any] = {}

    def open(self) -> None:
        picamera2_class, transform = _import_picamera2()
        version = installed_version()
        self._info = {"picamera2": version or "unknown"}
        problem = version_problem(version)
        if problem:
            raise CameraError(problem)
        if version is None:
            log.warning("picamera2's version is unknown: stall recovery needs 0.3.20 or newer")
        s = self.settings
        hflip = s.camera_hflip ^ (s.camera_rotation == 180)
        vflip = s.camera_vflip ^ (s.camera_rotation == 180)
        size = (s.camera_width, s.camera_height)
        cam = None
        try:
            cam = picamera2_class()
            model = str(getattr(cam, "camera_properties", {}).get("Model", ""))
            controls = dict(getattr(cam, "camera_controls", {}) or {})
            if self._modes is None:
                self._modes = [dict(m) for m in cam.sensor_modes]
            mode = choose_sensor_mode(self._modes, size, s.camera_fps)
            # Only the sensor's output: picamera2 picks the mode from it, and the ISP scales to main.
            sensor: dict[str, Any] = {}
            if mode is not None:
                sensor["output_size"] = tuple(mode["size"])
                if mode.get("bit_depth"):
                    sensor["bit_depth"] = int(mode["bit_depth"])
            focus = focus_controls(s, controls)
            # "BGR888" is R, G, B in memory (libcamera names formats by word order): the order
            # the engine takes, so the ISP does the conversion and Python never touches a whole frame.
            config = cam.create_video_configuration(
                main={"size": size, "format": "BGR888"}, lores={"size": lores_size(size)}, sensor=sensor,
                transform=transform(hflip=int(hflip), vflip=int(vflip)),
                controls={"FrameRate": s.camera_fps, **focus})
            cam.configure(config)
            cam.start()
        except Exception as exc:  # libcamera raises RuntimeError, IndexError, OSError, ...
            if cam is not None:  # never leave the camera claimed: the next open would find it busy
                _close_quietly(cam)
            raise CameraError(f"the Pi camera cannot be opened ({type(exc).__name__}: {exc})") from None
        self._cam = cam
        self._info.update(self._describe_mode(model, mode, size, focus))

    def _describe_mode(self, model: str, mode: Mapping[str, Any] | None, size: tuple[int, int],
                       focus: Mapping[str, Any]) -> dict[str, Any]:
        if focus.get("AfMode") == 2:
            focus_text = "continuous autofocus"
        elif focus:
            focus_text = f"focus fixed at {self.settings.camera_focus_m:g} m"
        else:
            focus_text = "fixed-focus lens"
        info: dict[str, Any] = {"model": model or "unknown", "focus": focus_text}
        if mode is None:
            info.update(sensor_mode="chosen by libcamera", field_of_view=None)
            return info
        full = max((m["crop_limits"] for m in self._modes or [] if m.get("crop_limits")), key=_area)
        fov = field_of_view(mode["crop_limits"], full, size)
        w, h = mode["size"]
        info.update(sensor_mode=f"{w}x{h} {mode.get('bit_depth', '?')}-bit, up to {float(mode['fps']):g} fps",
                    field_of_view={"width": fov[0], "height": fov[1]})
        return info

    def describe(self) -> dict[str, Any]:
        """What the health page shows of the camera: model, sensor mode, field of view (shares of
        the sensor's width and height), focus, picamera2's version. Empty before the first open."""
        return dict(self._info)

    def read(self, timeout: float) -> Frame | None:
        """The next frame (R, G, B); None when none came within ``timeout`` seconds."""
        if self._cam is None:
            raise CameraError("the Pi camera is not open")
        try:
            (rgb, yuv), _metadata = self._cam.capture_arrays(["main", "lores"], wait=timeout)
        except (TimeoutError, FutureTimeout):
            return None
        except Exception as exc:
            raise CameraError(f"the Pi camera stopped ({type(exc).__name__}: {exc})") from None
        rotation = self.settings.camera_rotation
        small = None
        lores = (self._cam.camera_config or {}).get("lores") or {}
        if lores.get("format", "YUV420") in ("YUV420", "YVU420") and lores.get("size"):
            # YUV420 comes as (h * 3/2, stride): the luma is the first h rows, w columns of them.
            lw, lh = lores["size"]
            small = small_from_luma(yuv[:lh, :lw], (self.settings.camera_width, self.settings.camera_height))
        return Frame(time.monotonic(), _rotate(rgb, rotation), small=_rotate(small, rotation))

    def close(self) -> None:
        cam, self._cam = self._cam, None
        if cam is not None:
            _close_quietly(cam)


def lores_size(size: tuple[int, int]) -> tuple[int, int]:
    """The lores stream's size for a main picture of ``size``: a quarter each way (the small frame
    averages it 4x4 more), even numbers as picamera2 aligns a YUV420 stream.

        >>> lores_size((1280, 720))
        (320, 180)
    """
    part = SCALE // 4
    return (size[0] // part) // 2 * 2, (size[1] // part) // 2 * 2


def _rotate(image: Any, rotation: int) -> Any:
    if image is None or rotation not in (90, 270):
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


def describe_words(info: Mapping[str, Any] | None) -> str:
    """A camera's :meth:`PiCameraSource.describe` in words, for the health page and the bring-up.

        >>> describe_words({"model": "imx708_wide", "field_of_view": {"width": 1.0, "height": 0.75},
        ...                 "focus": "continuous autofocus", "picamera2": "0.3.36"})
        'imx708_wide, field of view 100% x 75% of the sensor, continuous autofocus, picamera2 0.3.36'
    """
    if not info:
        return ""
    words = [str(info[k]) for k in ("model", "sensor_mode") if info.get(k)]
    fov = info.get("field_of_view")
    if fov:
        words.append(f"field of view {fov['width']:.0%} x {fov['height']:.0%} of the sensor")
    if info.get("focus"):
        words.append(str(info["focus"]))
    if info.get("picamera2"):
        words.append(f"picamera2 {info['picamera2']}")
    return ", ".join(words)
