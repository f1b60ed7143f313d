"""Record a pose stream (JSON Lines, see :mod:`station.streams.format`) from frames of any source.

Poses come from the pose engine for pictures, or straight from the simulated trainee, so a real
session can be kept and replayed as a regression test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from station.config.settings import Settings
from station.streams.format import StreamFrame, write_frame

if TYPE_CHECKING:
    from station.camera.sources import FrameSource
    from station.pose.blazepose import PoseEstimator


def from_files(paths: list[Path], estimator: PoseEstimator, settings: Settings) -> Iterator[StreamFrame]:
    """Frames of videos or images run through the pose engine and the dowel finder."""
    from station.camera.files import frames_from, media_in
    from station.coach.dowel import find_dowel

    offset = 0.0
    for path in paths:
        files = media_in(path) if path.is_dir() else [path]
        for i, file in enumerate(files):
            last = offset
            for frame in frames_from(file):
                # Stills in a folder play as 10 frames per second; videos keep their own clock.
                t = offset + (frame.t if frame.index is not None else i * 0.1)
                pose = estimator.process(frame.rgb, t, video=True)
                dowel = find_dowel(frame.rgb, pose, settings)
                h, w = frame.rgb.shape[:2]
                last = t
                yield StreamFrame(t, (w, h), pose, dowel, None)
            offset = last + 0.1


def from_source(source: FrameSource, estimator: PoseEstimator, settings: Settings,
                seconds: float) -> Iterator[StreamFrame]:
    """Frames of a live source (a camera) for ``seconds``, through the pose engine and dowel finder."""
    import time

    from station.camera.sources import EndOfStream
    from station.coach.dowel import find_dowel

    source.open()
    try:
        start = time.monotonic()
        t0 = None
        while time.monotonic() - start < seconds:
            try:
                frame = source.read(timeout=1.0)
            except EndOfStream:
                return
            if frame is None or frame.rgb is None:
                continue
            t0 = frame.t if t0 is None else t0
            t = frame.t - t0
            pose = estimator.process(frame.rgb, t, video=True)
            h, w = frame.rgb.shape[:2]
            yield StreamFrame(t, (w, h), pose, find_dowel(frame.rgb, pose, settings), None)
    finally:
        source.close()


def from_sim(seed: int, sets: int) -> Iterator[StreamFrame]:
    """The simulated trainee doing ``sets`` demo sets, one after another."""
    from station.sim import Trainee, demo_sets

    offset = 0.0
    for n, (body, plan) in enumerate(demo_sets(seed)):
        if n >= sets:
            return
        last = offset
        for f in Trainee(body, plan, seed=seed + n).frames():
            last = offset + f.t
            size = f.pose.size if f.pose is not None else (1280, 720)
            yield StreamFrame(last, size, f.pose, f.dowel, f.wall_contact)
        offset = last + 1.0


def record(frames: Iterable[StreamFrame], out: TextIO,
           progress: Callable[[int], None] | None = None) -> int:
    """Write every frame as one line; the count written. Each line is flushed: a crash loses none."""
    n = 0
    for frame in frames:
        write_frame(out, frame)
        out.flush()
        n += 1
        if progress is not None:
            progress(n)
    return n
