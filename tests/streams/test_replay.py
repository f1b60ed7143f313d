"""Pose streams and replay: bad lines are reported and skipped, never fatal."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest

from station.coach.geometry import Line
from station.config.settings import Settings
from station.pose.landmarks import NUM_LANDMARKS, Pose
from station.streams.format import BadLine, StreamFrame, parse_frame, read_stream, write_frame
from station.streams.replay import replay


def _pose() -> Pose:
    rng = np.random.default_rng(3)
    return Pose(rng.uniform(0, 600, (NUM_LANDMARKS, 2)), rng.uniform(0, 1, NUM_LANDMARKS), size=(640, 480))


def test_frame_round_trip_keeps_pose_dowel_and_switch() -> None:
    out = io.StringIO()
    pose = _pose()
    write_frame(out, StreamFrame(1.25, (640, 480), pose, Line((1.0, 2.0), (3.0, 40.0)), True))
    frame = parse_frame(out.getvalue())
    assert frame.t == 1.25 and frame.size == (640, 480) and frame.wall_contact is True
    assert frame.dowel is not None and frame.dowel.p1 == (3.0, 40.0)
    assert frame.pose is not None
    np.testing.assert_allclose(frame.pose.xy, pose.xy, atol=0.051)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"size": [1, 2]}', '"t" must be a number'),
        ('{"t": "soon"}', '"t" must be a number'),
        ('{"t": 1, "size": [1]}', '"size"'),
        ('{"t": 1, "wall_contact": "yes"}', '"wall_contact"'),
        ('{"t": 1, "landmarks": [1, 2]}', '"landmarks" must be an object'),
        ('{"t": 1, "landmarks": {"tail": [1, 2, 1]}}', "unknown landmark 'tail'"),
        ('{"t": 1, "landmarks": {"nose": [1, "x", 1]}}', "could not convert"),
        ('{"t": 1, "dowel": [[1, 1], [1, 1]]}', '"dowel"'),
    ],
)
def test_bad_lines_say_what_is_wrong(line: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_frame(line)


def test_reader_skips_bad_lines_and_time_going_back_and_carries_on() -> None:
    lines = ['{"t": 0}', "garbage", '{"t": 2}', '{"t": 1}', "", '{"t": 3, "landmarks": null}']
    items = list(read_stream(lines))
    assert [type(i).__name__ for i in items] == ["StreamFrame", "BadLine", "StreamFrame", "BadLine",
                                                 "StreamFrame"]
    bad = [i for i in items if isinstance(i, BadLine)]
    assert [b.line for b in bad] == [2, 4]
    assert "not after 2 s" in str(bad[1])


def test_replay_prints_warnings_and_a_json_summary() -> None:
    out, err = io.StringIO(), io.StringIO()
    text = '{"t": 0}\n{oops\n{"t": 0.5, "landmarks": {"nose": [1, 2]}}\n'
    assert replay(io.StringIO(text), Settings(), out, err, as_json=True) == 0
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary == {"event": "summary", "reps": 0, "good": 0, "faults": {}, "frames": 2, "bad_lines": 1}
    assert "line 2: not JSON" in err.getvalue()


def test_replay_command_on_a_missing_file_is_one_line(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "station", "replay", str(tmp_path / "nope.jsonl")],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "nope.jsonl" in done.stderr
