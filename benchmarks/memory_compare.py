"""Where the station's resident memory goes, beside MediaPipe 0.10.14's own pose pipeline, in one run.

    .venv/bin/python benchmarks/memory_compare.py [--frames 150] [--mp-python PY]

Two fresh processes, one after the other, track a person in the same 1280x720 frames (the fixture
photo ``Standing_Toe_Touches__0.jpg`` scaled to the camera's size): the station (its code, both
models, then its real loop with threads, rep log and coach on those frames) and MediaPipe's
``solutions.pose`` (model_complexity=1, video mode). Each reads its own /proc/self/status after
every step, so the table says what each step added: imports, interpreters, threads, buffers.
Prints both tables and the ratio of the totals (target: the station at most 0.6x MediaPipe).

MediaPipe runs in an environment of its own (`benchmarks/setup_mediapipe_env.sh`); without it
only the station's table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT.parent / "shared" / "fixtures" / "photos" / "Standing_Toe_Touches__0.jpg"
# benchmarks/setup_mediapipe_env.sh makes it there; MEDIAPIPE_PYTHON points elsewhere.
MP_PYTHON = Path(os.environ.get("MEDIAPIPE_PYTHON", ROOT / ".cache" / "mpenv" / "bin" / "python"))

# Both children: ``step(name)`` records what /proc/self/status says now.
COMMON = r"""
import json, os, sys
rows = []
def step(name):
    got = {}
    for line in open("/proc/self/status"):
        key = line.split(":")[0]
        if key in ("VmRSS", "RssAnon", "RssFile"):
            got[key] = int(line.split()[1]) / 1024
    got["threads"] = len(os.listdir("/proc/self/task"))
    rows.append([name, got])
step("Python interpreter")
import numpy as np
step("numpy")
import cv2
step("OpenCV")
photo, frames = sys.argv[1], int(sys.argv[2])
rgb = cv2.cvtColor(cv2.resize(cv2.imread(photo), (1280, 720)), cv2.COLOR_BGR2RGB)
"""

STATION_CHILD = COMMON + r"""
import ai_edge_litert.interpreter
step("LiteRT runtime")
import tempfile
from pathlib import Path
from station.camera.sources import EndOfStream, Frame
from station.config.settings import Settings
from station.runtime.devices import Devices
from station.runtime.station import Station
step("station code (loop, coach, rep log, pins)")
if os.environ.get("WITH_WEB"):
    import station.web.server, station.fleet.prometheus
    step("web pages and metrics code (Flask)")
from station.pose import blazepose
from station.runtime.estimator import load_estimator

class Landmarker(blazepose.Landmarker):  # the detector is made first: its share ends here
    def __init__(self, *args, **kwargs):
        step("detector interpreter (pose_detection, XNNPACK)")
        super().__init__(*args, **kwargs)

blazepose.Landmarker = Landmarker
settings = Settings()
engine = load_estimator(None, settings)
step("landmark interpreter (pose_landmark_full, mask decoder cut)")
for i in range(3):
    engine.process(rgb, i / 30)
step("first frames: both models' tensors touched")

class Pictures:
    name = "pictures"
    def open(self): self.i = 0
    def read(self, timeout):
        if self.i >= frames:
            raise EndOfStream(self.name)
        self.i += 1
        return Frame(self.i / 30, rgb.copy())  # a new frame each time, as a camera gives
    def close(self): pass

station = Station(settings, Pictures(), data_dir=Path(tempfile.mkdtemp()),
                  devices=Devices.open(settings, mock=True), estimator_factory=lambda: engine)
station.start()
station.wait(600)
step(f"the station's loop over {frames} frames: threads, frame buffers, coach, rep log")
station.stop()
print(json.dumps(rows))
"""

MP_CHILD = COMMON + r"""
import mediapipe as mp
step("MediaPipe package")
pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1)
step("pose graph (detector + landmark full, TFLite)")
for i in range(frames):
    found = pose.process(rgb.copy()).pose_landmarks is not None
step(f"tracking {frames} frames")
print(json.dumps(rows))
"""


def run_child(python: str, script: str, frames: int, env: dict[str, str] | None = None) -> list:
    done = subprocess.run([python, "-c", script, str(PHOTO), str(frames)], capture_output=True, text=True,
                          env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{python} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(title: str, rows: list) -> float:
    print(f"\n{title}")
    print(f"  {'step':66s} {'adds MB':>8s} {'RSS MB':>7s} {'anon':>6s} {'file':>6s} {'threads':>7s}")
    last = 0.0
    for name, got in rows:
        rss = got["VmRSS"]
        print(f"  {name:66s} {rss - last:8.1f} {rss:7.1f} {got['RssAnon']:6.1f} {got['RssFile']:6.1f} "
              f"{got['threads']:7d}")
        last = rss
    return last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--mp-python", default=str(MP_PYTHON))
    args = parser.parse_args()
    if not PHOTO.exists():
        print(f"error: the fixture photo is not at {PHOTO}", file=sys.stderr)
        return 3
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    ours = print_table("station (as `station run --headless` holds it)",
                       run_child(sys.executable, STATION_CHILD, args.frames, env))
    web = run_child(sys.executable, STATION_CHILD, args.frames, {**env, "WITH_WEB": "1"})
    print(f"\n  with the web pages' and metrics' code loaded too: {web[-1][1]['VmRSS']:.1f} MB")
    if not Path(args.mp_python).exists():
        print(f"\nMediaPipe: skipped, no environment at {args.mp_python} (benchmarks/setup_mediapipe_env.sh)")
        return 0
    theirs = print_table("MediaPipe 0.10.14 solutions.pose, model_complexity=1",
                         run_child(args.mp_python, MP_CHILD, args.frames))
    print(f"\nresident memory: station {ours:.1f} MB, MediaPipe {theirs:.1f} MB = {ours / theirs:.2f}x "
          f"(target <= 0.6x); with the web code {web[-1][1]['VmRSS'] / theirs:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
