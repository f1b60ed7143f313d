"""The int8 landmark model against the float one and MediaPipe 0.10.14, side by side in one run.

    PYTHONPATH=. .venv/bin/python benchmarks/int8_compare.py \
        --photos ../shared/fixtures/photos --held-out /tmp/fedb [--mp-python PY] \
        [--video pose_world_landmarks.mp4]

``--held-out`` is a checkout of yuhonas/free-exercise-db: the 120 photos listed in
``calibration/landmark/eval.json`` (never calibrated on; the last 40 of them, which did not take
part in choosing what stays float either). Prints:

1. speed: bare landmark invoke and tracking frame, int8 vs float (interleaved, medians), and
   MediaPipe's own video-mode frame on the same photos (target: int8 tracking <= 0.35x MediaPipe);
2. agreement of the int8 engine with the float engine, % of the image diagonal over the 33
   landmarks: photos (static) and a clip of tracking frames (median target <= 0.3 %, p95 stated);
3. the TF truth test with int8 (21 px: at least 33 of 34);
4. presence: frames until a person leaving the clip is let go, int8 vs float;
5. coaching: view, phase and spine of the labelled photos, and the reps of the real movements
   (``station/int8/gate.py``), int8 vs float; every difference is printed.

``--video`` is a real video of a person, tracked by both engines (agreement over its frames,
and each engine's frame-to-frame moves): MediaPipe's own ``pose_world_landmarks.mp4`` (149
frames of a man exercising outdoors, with MediaPipe's skeleton drawn over him: both engines see
the same drawing), from ``docs/images/mobile/`` of google-ai-edge/mediapipe at 139237092fed
(Apache-2.0); the calibration set has a different video of that repository.

The clips: the fixtures have no video of a person, so each fixture photo of a person becomes a
"camera" clip: 60 frames of slow pan, zoom and roll over the photo (the engine tracks), then
the person slides out of the frame over 20 frames, then 10 empty frames.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from station.camera.files import read_image
from station.config.paths import models_dir
from station.int8 import calibset
from station.pose.blazepose import PoseEstimator

# benchmarks/setup_mediapipe_env.sh makes MediaPipe's own environment there.
MP_PYTHON = Path(__file__).resolve().parent.parent / ".cache" / "mpenv" / "bin" / "python"

# A MediaPipe 0.10.14 server in its own environment: one tracking Pose per photo (video mode);
# for each line "i" on stdin it processes photo i once and answers the milliseconds it took. One
# MediaPipe frame per round of ours keeps the comparison interleaved on a shared machine.
MP_SERVER = r"""
import json, sys, time
import cv2, mediapipe as mp
paths = json.loads(sys.argv[1])
images = [cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB) for p in paths]
poses = [mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) for _ in paths]
for pose, rgb in zip(poses, images):
    pose.process(rgb)
print("ready", flush=True)
for line in sys.stdin:
    i = int(line)
    t0 = time.perf_counter(); poses[i].process(images[i])
    print(1000 * (time.perf_counter() - t0), flush=True)
"""
TRACK, LEAVE, EMPTY = 60, 20, 10


def diag_pct(a, b, size: tuple[int, int]) -> np.ndarray:
    """Distances between two poses' 33 landmarks, in % of the image diagonal."""
    return np.hypot(*(a.xy - b.xy).T) / np.hypot(*size) * 100


def clip(rgb: np.ndarray) -> Iterator[np.ndarray]:
    """The synthetic camera clip of one photo (see the module's docstring)."""
    h, w = rgb.shape[:2]
    for i in range(TRACK + LEAVE + EMPTY):
        u = i / TRACK
        angle, zoom = 4 * np.sin(2 * np.pi * u), 1.0 + 0.08 * np.sin(np.pi * u)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom)
        m[0, 2] += 0.04 * w * np.sin(2 * np.pi * u)
        if i >= TRACK:  # slide out to the right, then stay out
            m[0, 2] += 1.2 * w * min(1.0, (i - TRACK + 1) / LEAVE)
        yield cv2.warpAffine(rgb, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=(128, 128, 128))


def speed(engines: dict[str, PoseEstimator], images: list[np.ndarray], frames: int,
          mp: subprocess.Popen | None) -> dict[str, dict[str, float | None]]:
    """Interleaved medians (ms) of each engine's bare landmark invoke (``lm``) and tracking frame
    (``track``), and MediaPipe's tracking frame on the same photo (``mp``)."""
    times: dict[str, dict[str, list[float]]] = {n: {"lm": [], "track": []} for n in engines}
    mp_times: list[float] = []
    per = max(1, frames // len(images))
    for i in range(frames):
        rgb = images[(i // per) % len(images)]
        if mp is not None and mp.stdin is not None and mp.stdout is not None:
            mp.stdin.write(f"{(i // per) % len(images)}\n")
            mp.stdin.flush()
            mp_times.append(float(mp.stdout.readline()))
        for name, est in engines.items():
            if i % per == 0:
                est.reset()
                est.process(rgb, t=0.0)
            t0 = time.perf_counter()
            est.process(rgb, t=(i % per + 1) / 30)
            t1 = time.perf_counter()
            est.landmarker.invoke()
            t2 = time.perf_counter()
            if not est.timing.detected:
                times[name]["track"].append((t1 - t0) * 1000)
            times[name]["lm"].append((t2 - t1) * 1000)
    out: dict[str, dict[str, float | None]] = {
        n: {k: statistics.median(v) if v else None for k, v in t.items()} for n, t in times.items()}
    out["mp"] = {"track": statistics.median(mp_times) if mp_times else None}
    return out


def report_speed(s: dict[str, dict[str, float | None]]) -> None:
    """Section 1's lines: the station's engines (no segmentation decoder), then both models as
    MediaPipe runs them (the whole graph)."""
    mp = s["mp"]["track"]
    for int8, full, how in (("int8", "full", "as the station runs them (no segmentation decoder)"),
                            ("int8+seg", "full+seg", "whole graph, segmentation decoder too (as MediaPipe)")):
        a, b = s[int8], s[full]
        print(f"  {how}:")
        print(f"    landmark invoke: int8 {a['lm']:.2f}, float {b['lm']:.2f} = {a['lm'] / b['lm']:.2f}x")
        line = (f"    tracking frame:  int8 {a['track']:.2f}, float {b['track']:.2f} "
                f"= {a['track'] / b['track']:.2f}x")
        if mp:
            line += f"; MediaPipe {mp:.2f}: int8 {a['track'] / mp:.2f}x, float {b['track'] / mp:.2f}x"
        print(line)
    print("  target: the station's int8 tracking frame <= 0.35x MediaPipe's")


def mediapipe_server(mp_python: str, paths: list[str]) -> subprocess.Popen | None:
    if not Path(mp_python).exists():
        print(f"(no mediapipe environment at {mp_python}: benchmarks/setup_mediapipe_env.sh)")
        return None
    server = subprocess.Popen([mp_python, "-c", MP_SERVER, json.dumps(paths)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    return server


def static_agreement(full: PoseEstimator, int8: PoseEstimator, images: dict[str, np.ndarray]) -> list:
    """Per photo: (name, distances in % of the diagonal) or (name, None) when one finds nobody."""
    out = []
    for name, rgb in images.items():
        a, b = full.process(rgb, video=False), int8.process(rgb, video=False)
        if (a is None) != (b is None):
            print(f"  DIFFERENCE {name}: person found by full {a is not None}, by int8 {b is not None}")
        out.append((name, None if a is None or b is None else diag_pct(a, b, a.size)))
    return out


def video_agreement(full: PoseEstimator, int8: PoseEstimator, rgb: np.ndarray) -> tuple[list, int, int]:
    """Distances on the clip's tracking frames, and the frame each engine lets the person go."""
    full.reset()
    int8.reset()
    dists, gone = [], {"full": -1, "int8": -1}
    for i, frame in enumerate(clip(rgb)):
        a, b = full.process(frame, t=i / 30), int8.process(frame, t=i / 30)
        if i < TRACK and a is not None and b is not None:
            dists.append(diag_pct(a, b, a.size))
        for name, pose in (("full", a), ("int8", b)):
            if i >= TRACK and pose is None and gone[name] < 0:
                gone[name] = i - TRACK
    return dists, gone["full"], gone["int8"]


def jitter(est: PoseEstimator, images: dict[str, np.ndarray], frames: int = 90,
           noise: float = 0.0) -> tuple[float, float]:
    """Each photo tracked as a still video for 3 s: the landmarks' frame-to-frame moves (px)
    over the last second, median over photos of the median move, and the largest move (the
    int8 engine's held ROI takes up to about 2 s to come to rest: the auxiliary landmarks'
    filter converges slowly, and each step of the ROI re-draws the int8 model's noise).
    ``noise``: a camera's sensor noise, Gaussian with this many grey levels, new every frame."""
    medians, worst = [], 0.0
    for rgb in images.values():
        est.reset()
        rng = np.random.default_rng(0)  # the same noise for both engines
        poses = [est.process(rgb if noise == 0 else np.clip(rgb + rng.normal(0, noise, rgb.shape), 0, 255)
                             .astype(np.uint8), t=i / 30) for i in range(frames)]
        found = [p for p in poses[frames - 30 :] if p is not None]
        moves = np.array([np.hypot(*(a.xy - b.xy).T) for a, b in itertools.pairwise(found)])
        medians.append(float(np.median(moves)))
        worst = max(worst, float(moves.max()))
    return float(np.median(medians)), worst


def summary(label: str, dists: list[np.ndarray]) -> None:
    pooled = np.concatenate(dists) if dists else np.zeros(1)
    per = [float(np.median(d)) for d in dists]
    print(f"  {label}: {len(dists)} frames; landmarks median {np.median(pooled):.3f} %, "
          f"p95 {np.percentile(pooled, 95):.3f} %, max {pooled.max():.2f} %; "
          f"worst per-frame median {max(per, default=0):.3f} %")


def tf_truth(est: PoseEstimator, photos: Path) -> tuple[int, float]:
    from station.int8.gate import TF_IMAGES, TF_TOLERANCE_PX
    from station.int8.gate import tf_truth as truth_of
    from station.pose.landmarks import COCO_TO_BLAZEPOSE

    truth, within, worst = truth_of(photos), 0, 0.0
    for name in TF_IMAGES:
        pose = est.process(read_image(photos / name), video=False)
        err = np.abs(pose.xy[list(COCO_TO_BLAZEPOSE)] - truth[name]).max(axis=1) if pose else np.full(17, 1e9)
        within += int((err <= TF_TOLERANCE_PX).sum())
        worst = max(worst, float(err.max()))
    return within, worst


def coaching(full: PoseEstimator, int8: PoseEstimator, photos: Path) -> int:
    """Differences in posture of the labelled photos and in the reps of the real movements,
    measured as the gate measures them (``station/int8/gate.py``); each one printed."""
    from station.int8.gate import REAL_MOVEMENTS, movement_differences, posture_differences

    labels = json.loads((photos / "labels.json").read_text())
    differences = posture_differences(full, int8, {n: read_image(photos / n) for n in sorted(labels)})
    names = {n for start, end, _ in REAL_MOVEMENTS for n in (start, end)}
    poses = {n: (full.process(rgb, video=False), int8.process(rgb, video=False))
             for n, rgb in ((n, read_image(photos / n)) for n in sorted(names))}
    differences += movement_differences(poses)
    for d in differences:
        print(f"  DIFFERENCE {d}")
    return len(differences)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=Path("../shared/fixtures/photos"))
    parser.add_argument("--held-out", type=Path, help="a checkout of yuhonas/free-exercise-db")
    parser.add_argument("--mp-python", default=str(MP_PYTHON))
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--speed-only", action="store_true", help="section 1 only")
    parser.add_argument("--video", type=Path, help="a real video of a person (see above)")
    args = parser.parse_args()
    full = PoseEstimator.from_folder(models_dir(None), 2, pose_model="full", segmentation=False)
    int8 = PoseEstimator.from_folder(models_dir(None), 2, pose_model="full_int8", segmentation=False)
    paths = sorted(p for p in args.photos.iterdir() if p.suffix in (".jpg", ".png", ".jpeg"))
    fixtures = {p.name: read_image(p) for p in paths}
    print("1. speed (ms, medians, 2 threads)")
    server = mediapipe_server(args.mp_python, [str(p.resolve()) for p in paths])
    engines = {"int8": int8, "full": full}
    engines.update({f"{m}+seg": PoseEstimator.from_folder(models_dir(None), 2, pose_model=model)
                    for m, model in (("int8", "full_int8"), ("full", "full"))})
    s = speed(engines, list(fixtures.values()), args.frames, server)
    if server is not None:
        server.terminate()
    report_speed(s)
    if args.speed_only:
        return 0
    print("2. agreement int8 vs float engine, % of the image diagonal (target median <= 0.3 %)")
    report_agreement(full, int8, fixtures, args.held_out)
    print("3. TF truth (21 px), int8 / float: {} of 34, worst {:.1f} px / {} of 34, worst {:.1f} px".format(
        *tf_truth(int8, args.photos), *tf_truth(full, args.photos)))
    for noise in (0.0, 2.0):
        print(f"  still photos tracked as video, sensor noise {noise} grey levels, frame-to-frame moves: "
              "int8 median {:.2f} px, max {:.1f} px; float median {:.2f} px, max {:.1f} px".format(
                  *jitter(int8, fixtures, noise=noise), *jitter(full, fixtures, noise=noise)))
    if args.video is not None:
        real_video(full, int8, args.video)
    print("4-5. presence and coaching")
    differences = coaching(full, int8, args.photos)
    print(f"  coaching differences: {differences}")
    return 0


def real_video(full: PoseEstimator, int8: PoseEstimator, path: Path) -> None:
    """Both engines track a real video: agreement over the frames both track, and each one's
    frame-to-frame moves of the landmarks it sees (visibility > 0.5)."""
    from station.camera.files import video_frames

    full.reset()
    int8.reset()
    dists, moves, last = [], {"full": [], "int8": []}, {}
    for f in video_frames(path):
        poses = {"full": full.process(f.rgb, t=f.t), "int8": int8.process(f.rgb, t=f.t)}
        if poses["full"] is not None and poses["int8"] is not None:
            dists.append(diag_pct(poses["full"], poses["int8"], poses["full"].size))
        for k, pose in poses.items():
            if pose is not None and last.get(k) is not None:
                seen = pose.visibility > 0.5
                moves[k].append(np.hypot(*(pose.xy - last[k].xy).T)[seen])
            last[k] = pose
    summary(f"real video {path.name}", dists)
    m = {k: np.concatenate(v) for k, v in moves.items()}
    print("  its frame-to-frame moves of visible landmarks: int8 median {:.2f} px, p95 {:.2f}; "
          "float median {:.2f} px, p95 {:.2f}".format(np.median(m["int8"]), np.percentile(m["int8"], 95),
                                                       np.median(m["full"]), np.percentile(m["full"], 95)))


def report_agreement(full: PoseEstimator, int8: PoseEstimator, fixtures: dict[str, np.ndarray],
                     held_out: Path | None) -> None:
    found = [d for _, d in static_agreement(full, int8, fixtures) if d is not None]
    summary("fixture photos (static)", found)
    if held_out is not None:
        # The first 80 chose what stays float (int8_sensitivity.py): only the last 40 are unseen.
        names = calibset.held_out_photos()[80:]
        images = {n: read_image(held_out / n) for n in names}
        found = [d for _, d in static_agreement(full, int8, images) if d is not None]
        summary(f"{len(names)} held-out photos (static)", found)
    frames, lets_go = [], []
    for name, rgb in fixtures.items():
        dists, gone_full, gone_int8 = video_agreement(full, int8, rgb)
        frames += dists
        lets_go.append((name, gone_full, gone_int8))
    summary(f"clips of tracking frames ({len(fixtures)} clips)", frames)
    for name, a, b in lets_go:
        mark = "" if a == b else "   DIFFERENCE"
        print(f"  let go after the person starts leaving {name}: float frame {a}, int8 frame {b}{mark}")


if __name__ == "__main__":
    sys.exit(main())
