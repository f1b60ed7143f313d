"""Frame sources: one small interface for the Pi camera, a USB camera, files and the simulator.

Every source has ``open()``, ``read(timeout)`` and ``close()``. ``read`` gives a :class:`Frame`
(pixels for cameras and files; pose, dowel and switch for the simulator, which has no pixels),
None when nothing came within the timeout, raises :class:`CameraError` when the source broke and
:class:`EndOfStream` at the end of a file.

    >>> source = SimSource(seed=1, fast=True)
    >>> source.open()
    >>> frame = source.read(1.0)
    >>> frame.rgb is None, frame.t >= 0
    (True, True)
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np

from station.coach.geometry import Line
from station.pose.landmarks import Pose

if TYPE_CHECKING:  # imported when used: OpenCV is slow to load and the simulator needs none of it
    import cv2

    from station.camera.files import MediaFrame
    from station.sim import Body, RepTruth, SetPlan, SimFrame


class CameraError(Exception):
    """A source cannot be opened or stopped working; the message is one line for staff."""


class EndOfStream(Exception):
    """A file source has no more frames."""


class Frame(NamedTuple):
    t: float  # seconds, increasing
    rgb: np.ndarray | None
    pose: Pose | None = None  # the simulator's own pose (no pixels to run the model on)
    dowel: Line | None = None
    wall_contact: bool | None = None
    # The motion gate's small grey frame when the camera makes one itself (a Pi's lores stream,
    # station/camera/small.py); None: the station makes it from ``rgb``.
    small: np.ndarray | None = None


class FrameSource(Protocol):
    name: str

    def open(self) -> None: ...

    def read(self, timeout: float) -> Frame | None: ...

    def close(self) -> None: ...


class OpenCVCamera:
    """A USB (UVC) camera through OpenCV, by its index."""

    def __init__(self, index: int, width: int = 1280, height: int = 720, fps: int = 30) -> None:
        self.index, self.width, self.height, self.fps = index, width, height, fps
        self.name = f"camera {index}"
        self._cap: cv2.VideoCapture | None = None

    def open(self) -> None:
        import cv2

        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # our message says it better
        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"camera {self.index} does not exist or cannot be opened")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        self._cap = cap

    def read(self, timeout: float) -> Frame | None:
        import cv2

        if self._cap is None:
            raise CameraError(f"{self.name} is not open")
        ok, bgr = self._cap.read()
        if not ok or bgr is None:
            raise CameraError(f"{self.name} stopped delivering frames")
        return Frame(time.monotonic(), cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class VideoFile:
    """A video file, at its own pace (``realtime``) or as fast as the station can take it."""

    def __init__(self, path: Path, realtime: bool = True, loop: bool = False) -> None:
        self.path, self.realtime, self.loop = Path(path), realtime, loop
        self.name = f"video {self.path.name}"
        self._frames: Iterator[MediaFrame] | None = None
        self._first: MediaFrame | None = None
        self._start = 0.0
        self._offset = 0.0
        self._last = 0.0

    def open(self) -> None:
        self._first = self._begin()

    def _begin(self) -> MediaFrame:
        """Start the file over; its first frame (read now, so a broken file fails at once)."""
        from station.camera.files import MediaError, frames_from

        if not self.path.is_file():
            raise CameraError(f"{self.path}: no such video file")
        self._frames = frames_from(self.path)
        try:
            first = next(self._frames)
        except MediaError as exc:
            raise CameraError(str(exc)) from None
        except StopIteration:
            raise CameraError(f"{self.path}: no frames") from None
        self._start = time.monotonic() - self._offset  # a loop carries on the same clock
        return first

    def read(self, timeout: float) -> Frame | None:
        from station.camera.files import MediaError

        if self._frames is None:
            raise CameraError(f"{self.name} is not open")
        if self._first is not None:
            item, self._first = self._first, None
        else:
            try:
                item = next(self._frames)
            except StopIteration:
                if not self.loop:
                    raise EndOfStream(self.name) from None
                self._offset = self._last + 1 / 30
                item = self._begin()
            except MediaError as exc:
                raise CameraError(str(exc)) from None
        t = self._offset + item.t
        if self.realtime:
            wait = self._start + t - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self._last = t
        return Frame(t, item.rgb)

    def close(self) -> None:
        self._frames = None


class ImageFolder:
    """The images of a folder in name order, ten a second (or as fast as possible)."""

    def __init__(self, path: Path, realtime: bool = True, fps: float = 10.0) -> None:
        self.path, self.realtime, self.fps = Path(path), realtime, fps
        self.name = f"folder {self.path.name}"
        self._files: list[Path] = []
        self._i = 0

    def open(self) -> None:
        from station.camera.files import IMAGE_SUFFIXES

        if not self.path.is_dir():
            raise CameraError(f"{self.path}: no such folder")
        self._files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self._files:
            raise CameraError(f"{self.path}: no images in this folder")
        self._i = 0
        self._start = time.monotonic()

    def read(self, timeout: float) -> Frame | None:
        from station.camera.files import MediaError, read_image

        if self._i >= len(self._files):
            raise EndOfStream(self.name)
        path = self._files[self._i]
        t = self._i / self.fps
        self._i += 1
        if self.realtime:
            wait = self._start + t - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        try:
            return Frame(t, read_image(path))
        except MediaError as exc:
            raise CameraError(str(exc)) from None

    def close(self) -> None:
        self._files = []


class SimSource:
    """The simulated trainee doing demo sets forever: poses, dowel and the wall switch, no pixels.

    ``press`` is called with True/False when the sim's buttocks reach or leave the wall, so a
    station with mock pins reads the switch from its pin, as it would on a Pi.
    """

    name = "simulated trainee"

    def __init__(self, seed: int = 0, fast: bool = False, sets: Iterator[tuple[Body, SetPlan]] | None = None,
                 press: Callable[[bool], None] | None = None) -> None:
        self.seed, self.fast = seed, fast
        self.press = press
        self._sets = sets
        self._frames: Iterator[tuple[float, SimFrame]] | None = None
        self._offset = 0.0
        self._contact: bool | None = None
        self.truth: list[RepTruth] = []  # RepTruth of every rep played so far, with set offsets applied
        self._hold_asked = False
        self.wall_truth: float | None = None  # the hip travel to the wall of the last member asked to hold

    def open(self) -> None:
        from station.sim import demo_sets

        if self._sets is None:
            self._sets = demo_sets(self.seed)
        self._start = time.monotonic()
        self._n = 0
        self._frames = self._play()

    def _play(self) -> Iterator[tuple[float, SimFrame]]:
        from station.sim import Trainee

        assert self._sets is not None
        for body, plan in self._sets:
            seed = self.seed + self._n
            trainee = Trainee(body, plan, seed=seed)
            self._n += 1
            offset = self._offset
            self.truth.extend(replace(r, t_start=r.t_start + offset, t_end=r.t_end + offset)
                              for r in trainee.truth)
            last = offset
            for f in trainee.frames():
                if self._hold_asked and f.rep == 0:
                    self._hold_asked = False
                    self.truth = [r for r in self.truth if r.t_start <= last]  # the reps not done
                    last = yield from self._hold(body, plan, seed, last + 1.0 / plan.fps)
                    break
                last = offset + f.t
                yield last, f
            self._offset = last + 1.0

    def hold_at_wall(self) -> None:
        """Staff ask the member to hold at the wall (calibration): once the rep in progress is
        done, the simulated member stands tall, pushes the hips back to the wall and holds there
        for 3 s; the set's other reps are dropped and the demo goes on after."""
        self._hold_asked = True

    def _hold(self, body: Body, plan: SetPlan, seed: int, t0: float
              ) -> Generator[tuple[float, SimFrame], None, float]:
        """The calibration rep by the same member (same body and seed: the same standing pose
        and distance to the camera), from ``t0``; returns the time of its last frame."""
        from station.sim import RepPlan, SetPlan, Trainee

        ask = SetPlan(reps=(RepPlan(duration=3.0, pause_after=1.0, hold_s=3.0),), facing=plan.facing,
                      switch=plan.switch, noise_px=plan.noise_px, approach_s=1.5)
        trainee = Trainee(body, ask, seed=seed)
        self.wall_truth = trainee.wall_travel
        frames = list(itertools.dropwhile(lambda f: f.pose is None, trainee.frames()))  # already here
        shift = t0 - frames[0].t
        self.truth.extend(replace(r, t_start=r.t_start + shift, t_end=r.t_end + shift) for r in trainee.truth)
        for f in frames:
            yield f.t + shift, f
        return frames[-1].t + shift

    def read(self, timeout: float) -> Frame | None:
        if self._frames is None:
            raise CameraError("the simulator is not open")
        try:
            t, f = next(self._frames)
        except StopIteration:
            raise EndOfStream(self.name) from None
        if not self.fast:
            wait = self._start + t - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        if self.press is not None and f.wall_contact is not None and f.wall_contact != self._contact:
            self.press(f.wall_contact)
        self._contact = f.wall_contact
        return Frame(t, None, f.pose, f.dowel, f.wall_contact)

    def close(self) -> None:
        self._frames = None
