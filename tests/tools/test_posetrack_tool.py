"""tools/posetrack_to_stream.py: a ``.posetrack.json`` becomes a pose stream the station reads."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from station.pose.landmarks import LANDMARK_NAMES
from station.streams.format import BadLine, StreamFrame, read_stream
from tools.posetrack_to_stream import KEEP, convert, main


def _frame(t: float, shift: float = 0.0, keypoints: bool = True) -> dict:
    kps = [{"x": 100.0 + i + shift, "y": 200.26 + i, "z": 0.1, "score": 0.876, "name": name}
           for i, name in enumerate(LANDMARK_NAMES)] if keypoints else []
    return {"frameIndex": int(t * 30), "videoTime": t, "keypoints": kps}


TRACK = {"metadata": {"videoWidth": 1920, "videoHeight": 1080},
         "frames": [_frame(0.0), _frame(0.5, 10), _frame(1.0, keypoints=False), _frame(1.0, 99),
                    _frame(1.5, 20)]}


def test_frames_become_stream_lines_with_the_landmarks_the_coach_reads() -> None:
    lines = list(convert(TRACK))
    frames = list(read_stream(io.StringIO("".join(json.dumps(line) + "\n" for line in lines))))
    assert not [f for f in frames if isinstance(f, BadLine)]
    assert [f.t for f in frames] == [0.0, 0.5, 1.0, 1.5]  # the repeated time is dropped
    first = frames[0]
    assert isinstance(first, StreamFrame) and first.size == (1920, 1080) and first.wall_contact is None
    assert first.pose is not None
    hip = first.pose["left_hip"]
    assert (hip.x, hip.y, hip.visibility) == (123.0, 223.0, 0.88)  # whole pixels, score as visibility
    assert first.pose["left_pinky"].visibility == 0.0  # not kept: read back as unseen
    assert frames[2].pose is None  # nobody in that frame
    assert set(lines[0]["landmarks"]) == set(KEEP)
    for needed in ("nose", "left_ear", "right_shoulder", "left_heel", "right_foot_index", "left_ankle"):
        assert needed in KEEP


def test_a_cut_restarts_the_clock(tmp_path: Path) -> None:
    src = tmp_path / "t.posetrack.json"
    src.write_text(json.dumps(TRACK), encoding="utf-8")
    out = tmp_path / "t.jsonl"
    assert main([str(src), "-o", str(out), "--start", "0.5", "--end", "1.2"]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["t"] for line in lines] == [0.0, 0.5]
    assert lines[0]["landmarks"]["left_hip"][0] == 133


def test_a_track_without_frames_is_an_error() -> None:
    with pytest.raises(KeyError):
        list(convert({"metadata": {}}))
