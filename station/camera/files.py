"""Frames from files: still images, video files and folders of them (for ``analyze`` and ``--video``).

    media_in(Path("photos"))
    [PosixPath('photos/a.jpg'), PosixPath('photos/b.mp4')]
"""

from __future__ import annotations

import os

# FFmpeg inside OpenCV prints decoder noise for broken files; our own message says it better.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".h264"}


class MediaError(Exception):
    """A path that cannot be read as an image, a video or a folder of them."""


@dataclass(frozen=True)
class MediaFrame:
    """A frame read from an image or video file: ``index`` is None for a still image.

    Not the camera sources' :class:`station.camera.sources.Frame`, which carries no path.
    """

    path: Path
    index: int | None
    t: float
    rgb: np.ndarray


def media_in(folder: Path) -> list[Path]:
    """The images and videos directly inside a folder, sorted by name."""
    found = [
        p for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES
    ]
    if not found:
        raise MediaError(f"{folder}: no images or videos in this folder")
    return found


def read_image(path: Path) -> np.ndarray:
    """An RGB image, or MediaError with a one-line reason."""
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if path.is_dir():
        raise MediaError(f"{path}: is a folder")
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise MediaError(f"{path}: not a readable image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def video_frames(path: Path) -> Iterator[MediaFrame]:
    """Every frame of a video file, timed by its frame rate; MediaError if nothing is readable."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise MediaError(f"{path}: not a readable image or video")
        fps = capture.get(cv2.CAP_PROP_FPS)
        fps = fps if fps and 1.0 <= fps <= 1000.0 else 30.0
        index = 0
        while True:
            ok, bgr = capture.read()
            if not ok or bgr is None:
                break
            yield MediaFrame(path, index, index / fps, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            index += 1
        if index == 0:
            raise MediaError(f"{path}: video has no readable frames")
    finally:
        capture.release()


def frames_from(path: Path) -> Iterator[MediaFrame]:
    """The frames of one path: one for an image, all for a video. Raises MediaError."""
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if path.suffix.lower() in VIDEO_SUFFIXES:
        yield from video_frames(path)
        return
    if path.is_dir():
        raise MediaError(f"{path}: is a folder")
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is not None:
        yield MediaFrame(path, None, 0.0, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        return
    if path.suffix.lower() in IMAGE_SUFFIXES:
        raise MediaError(f"{path}: not a readable image or video")
    yield from video_frames(path)  # an odd suffix: OpenCV may still know it as video
