"""Compare the station's pose engine with MediaPipe 0.10.14's own ``solutions.pose``.

MediaPipe is not a dependency of the station: this script runs it in a separate environment
(`benchmarks/setup_mediapipe_env.sh` makes one at <checkout>/.cache/mpenv) as a subprocess, and compares
landmarks and time per frame on the same photos and machine.

    .venv/bin/python benchmarks/mediapipe_compare.py ../shared/fixtures/photos/*.jpg \
        ../shared/fixtures/photos/*.png ../shared/fixtures/photos/*.jpeg [--mp-python PY]

Prints, per photo, the median landmark distance as a percentage of the image diagonal (target:
at most 1 %), and the per-frame times of both in static-image and video (tracking) mode.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# benchmarks/setup_mediapipe_env.sh makes MediaPipe's own environment there.
MP_PYTHON = Path(__file__).resolve().parent.parent / ".cache" / "mpenv" / "bin" / "python"

# Runs inside the mediapipe environment: landmarks of each photo (static mode) and timings.
MP_SCRIPT = r"""
import json, sys, time
import cv2, mediapipe as mp
paths, frames = json.loads(sys.argv[1]), int(sys.argv[2])
out = {"landmarks": {}, "static_ms": None, "video_ms": None}
images = [cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB) for p in paths]
with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
    for p, rgb in zip(paths, images):
        r = pose.process(rgb)
        h, w = rgb.shape[:2]
        out["landmarks"][p] = None if r.pose_landmarks is None else [
            [l.x * w, l.y * h] for l in r.pose_landmarks.landmark]
    times = []
    for i in range(frames):
        t0 = time.perf_counter(); pose.process(images[i % len(images)])
        times.append(time.perf_counter() - t0)
    times.sort(); out["static_ms"] = 1000 * times[len(times) // 2]
with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
    times = []
    for i in range(frames):
        t0 = time.perf_counter(); pose.process(images[0]); times.append(time.perf_counter() - t0)
    times.sort(); out["video_ms"] = 1000 * times[len(times) // 2]
print(json.dumps(out))
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", nargs="+")
    parser.add_argument("--mp-python", default=str(MP_PYTHON))
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    if not Path(args.mp_python).exists():
        print(f"error: no mediapipe environment at {args.mp_python}; "
              "run benchmarks/setup_mediapipe_env.sh first", file=sys.stderr)
        return 3

    from station.camera.files import read_image
    from station.config.paths import models_dir
    from station.pose.blazepose import PoseEstimator

    paths = [str(Path(p).resolve()) for p in args.photos]
    print(f"running mediapipe 0.10.14 on {len(paths)} photos ...", file=sys.stderr)
    done = subprocess.run([args.mp_python, "-c", MP_SCRIPT, json.dumps(paths), str(args.frames)],
                          capture_output=True, text=True, check=True)
    theirs = json.loads(done.stdout.strip().splitlines()[-1])

    est = PoseEstimator.from_folder(models_dir(None))
    images = [read_image(Path(p)) for p in paths]
    print(f"{'photo':32s} {'median % diag':>14s} {'max % diag':>11s}")
    worst = 0.0
    for p, rgb in zip(paths, images, strict=True):
        ours = est.process(rgb, video=False)
        ref = theirs["landmarks"][p]
        if ours is None or ref is None:
            print(f"{Path(p).name:32s} person: ours {ours is not None}, mediapipe {ref is not None}")
            continue
        h, w = rgb.shape[:2]
        d = np.hypot(*(ours.xy - np.asarray(ref)).T) / np.hypot(w, h) * 100
        worst = max(worst, float(np.median(d)))
        print(f"{Path(p).name:32s} {np.median(d):13.3f}% {d.max():10.2f}%")

    def timed(video: bool) -> float:
        times = []
        for i in range(args.frames):
            rgb = images[0] if video else images[i % len(images)]
            t0 = time.perf_counter()
            est.process(rgb, t=i / 30, video=video)
            times.append(time.perf_counter() - t0)
        return 1000 * statistics.median(times)

    est.reset()
    ours_static, ours_video = timed(False), timed(True)
    print(f"worst median distance: {worst:.3f}% of the diagonal (target <= 1%)")
    print(f"static images: ours {ours_static:.1f} ms, mediapipe {theirs['static_ms']:.1f} ms "
          f"= {ours_static / theirs['static_ms']:.2f}x (target <= 0.6x)")
    print(f"video/tracking: ours {ours_video:.1f} ms, mediapipe {theirs['video_ms']:.1f} ms "
          f"= {ours_video / theirs['video_ms']:.2f}x (target <= 0.6x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
