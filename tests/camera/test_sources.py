"""File sources: a video plays once, or loops on one clock."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from station.camera.sources import EndOfStream, VideoFile


@pytest.fixture
def video(tmp_path):
    path = tmp_path / "three.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for shade in (20, 100, 180):
        writer.write(np.full((48, 64, 3), shade, np.uint8))
    writer.release()
    return path


def test_a_video_plays_once_then_ends(video) -> None:
    source = VideoFile(video, realtime=False)
    source.open()
    frames = [source.read(1.0) for _ in range(3)]
    assert [round(f.t, 3) for f in frames] == [0.0, 0.1, 0.2]
    assert [int(f.rgb.mean()) // 80 for f in frames] == [0, 1, 2]  # MJPG is lossy; the shades stay apart
    with pytest.raises(EndOfStream):
        source.read(1.0)
    source.close()


def test_a_looping_video_starts_over_with_time_running_on(video) -> None:
    source = VideoFile(video, realtime=False, loop=True)
    source.open()
    frames = [source.read(1.0) for _ in range(7)]
    times = [f.t for f in frames]
    assert all(b > a for a, b in itertools.pairwise(times))
    assert [int(f.rgb.mean()) // 80 for f in frames] == [0, 1, 2, 0, 1, 2, 0]
    source.close()
