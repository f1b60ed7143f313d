"""station record: pose streams from a video (real pose engine) and from the simulator, replayable."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2


def station(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "station", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_record_a_video_of_a_person_then_replay_it(tmp_path, photos, model_folder) -> None:
    img = cv2.imread(str(photos / "Good_Morning__0.jpg"))
    video = tmp_path / "person.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (img.shape[1], img.shape[0]))
    for _ in range(5):
        writer.write(img)
    writer.release()
    out = tmp_path / "stream.jsonl"
    done = station("record", str(video), "-o", str(out))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 5 and all(line["landmarks"] for line in lines)
    assert [line["t"] for line in lines] == sorted({line["t"] for line in lines})
    assert set(lines[0]) >= {"t", "size", "landmarks", "wall_contact"}
    replayed = station("replay", str(out), "--json")
    assert replayed.returncode == 0
    assert json.loads(replayed.stdout.splitlines()[-1]) == {
        "event": "summary", "reps": 0, "good": 0, "faults": {}, "frames": 5, "bad_lines": 0}


def test_recorded_simulator_replays_to_its_reps(tmp_path) -> None:
    out = tmp_path / "sim.jsonl"
    assert station("record", "--sim", "--sets", "1", "--seed", "4", "-o", str(out)).returncode == 0
    summary = json.loads(station("replay", str(out), "--json").stdout.splitlines()[-1])
    assert summary["reps"] >= 4 and summary["bad_lines"] == 0


def test_record_without_a_source_or_from_a_missing_camera_says_so(tmp_path) -> None:
    none = station("record", "-o", str(tmp_path / "x.jsonl"))
    assert none.returncode == 2 and "say what to record" in none.stderr
    cam = station("record", "--camera", "9", "-o", str(tmp_path / "x.jsonl"))
    assert cam.returncode == 1 and "camera 9 does not exist" in cam.stderr
