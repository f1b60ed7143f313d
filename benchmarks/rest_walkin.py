"""A station that rests: CPU with nobody in view, waking on a walk-in, and results unchanged.

    .venv/bin/python benchmarks/rest_walkin.py [--seconds 20] [--sets 40] [--quick]

1. **Empty scene.** A 1280x720 video of a bare wall and floor with a camera's noise (made here from
   a fixed seed, 10 s at 30 fps, looped): ``station run --video FILE --loop --headless`` with
   resting off (before) and on (after), CPU of one core over ``--seconds`` after a warm-up, read from
   /proc. The same video read alone (decoding only, at its own pace) is measured the same way and
   taken out of the reported figure: a Pi's camera frames cost the CPU nothing.
2. **Walk-in.** The same empty scene for 6 s, then a real person walks in and hinges 4 times: the
   person is cut out of the fixture photo ``Standing_Toe_Touches__0.jpg`` (free-exercise-db, public
   domain) with the landmark model's own segmentation, and hinges by turning the upper body about
   the hip while the hips go back over planted feet (a piecewise-affine warp of the one photo).
   The real station loop runs over it (every frame, as fast as it can) with and without resting:
   frames from the first frame showing the person to the first tracked pose, and the reps
   (verdict, faults) of both runs, which must be identical.
3. **Pose streams.** The real corpus (tests/data/real) and the simulator's suite
   (benchmarks/coach_suite.py's sets) have poses, not pictures: each comes after 6 s of nobody (so
   the station rests, then must wake), the gate sees each pose drawn as a stick figure on a noisy
   wall (:func:`stick_frame`), and a frame it skips reaches the coach as "nobody". Reps and
   verdicts with and without resting must be identical.

Needs the pose models (``station models fetch``) and ../shared/fixtures for part 2.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from station.camera.small import small_grey
from station.coach.run import Frame as CoachFrame
from station.coach.run import reps_over
from station.config.settings import Settings
from station.pose.landmarks import Pose
from station.runtime.rest import DIFF_LEVEL, RestGate

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT.parent / "shared" / "fixtures" / "photos" / "Standing_Toe_Touches__0.jpg"
SIZE = (1280, 720)
FPS = 30
SEED = 29
# Camera noise of the empty scene, grey levels (sigma a pixel): a flat wall in a lit room through a
# small sensor's denoised video shows a few levels; 3 is chosen, half the gate's design figure.
NOISE = 3.0


# ---------------------------------------------------------------- the scene
def empty_wall(seed: int = SEED) -> np.ndarray:
    """A bare wall over a floor, RGB: a pale wall with a soft light gradient and faint texture, a
    skirting board and a darker floor (fixed by ``seed``)."""
    w, h = SIZE
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h)[:, None]
    x = np.linspace(0, 1, w)[None, :]
    wall = 196 - 25 * x - 10 * y  # a window on the left
    texture = cv2.GaussianBlur(rng.normal(0, 4, (h, w)), (0, 0), 6)
    grey = wall + texture
    floor = int(0.82 * h)
    grey[floor:] = 92 + 12 * (y[floor:] - 0.82) / 0.18 + texture[floor:]
    grey[floor - 10:floor] = 232  # skirting board
    tint = np.array([1.0, 0.97, 0.9])  # a warm white
    return np.clip(grey[..., None] * tint, 0, 255).astype(np.uint8)


NOISE_BANK = 48  # noise frames made once, then drawn at random (seeded): 48 x 3.5 MB


class Noise:
    """Frames of ``base`` with camera noise: luma noise of sigma :data:`NOISE`, one of a bank of
    frames drawn at random per frame (making fresh noise for every frame costs more than the
    station does)."""

    def __init__(self, base: np.ndarray, rng: np.random.Generator) -> None:
        self.rng = rng
        self.base = base.astype(np.int16)
        shape = base.shape
        self.bank = [cv2.merge([np.rint(rng.standard_normal(shape[:2], dtype=np.float32) * NOISE)
                                .astype(np.int16)] * 3) for _ in range(NOISE_BANK)]

    def __call__(self) -> np.ndarray:
        # int16 in, uint8 out: OpenCV saturates to 0-255.
        return cv2.add(self.base, self.bank[int(self.rng.integers(NOISE_BANK))], dtype=cv2.CV_8U)


def write_video(path: Path, frames: Iterable[np.ndarray]) -> int:
    """RGB frames to an mp4 (OpenCV's mp4v); the number written."""
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    n = 0
    for rgb in frames:
        out.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        n += 1
    out.release()
    return n


def empty_frames(seconds: float, seed: int = SEED) -> Iterator[np.ndarray]:
    noisy = Noise(empty_wall(seed), np.random.default_rng(seed + 1))
    for _ in range(round(seconds * FPS)):
        yield noisy()


# ---------------------------------------------------------------- the person
class Person:
    """The person of one photo, cut out with the landmark model's segmentation: RGBA, with the
    hip and ankle points (pixels of the cut-out) the hinge turns about."""

    def __init__(self, photo: Path) -> None:
        from station.config.paths import models_dir
        from station.pose.blazepose import PoseEstimator

        rgb = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
        engine = PoseEstimator.from_folder(models_dir(None), threads=1, segmentation=True)
        pose = engine.process(rgb, video=False)
        silhouette = engine.silhouette()
        if pose is None or silhouette is None:
            raise SystemExit(f"{photo}: the pose engine finds nobody to cut out")
        h, w = rgb.shape[:2]
        ys, xs = np.mgrid[0:h, 0:w]
        points = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], axis=1)
        mask = silhouette.covers(points).reshape(h, w).astype(np.uint8) * 255
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
        alpha = cv2.GaussianBlur(mask, (0, 0), 1.5)
        side = "left" if pose["left_hip"].visibility >= pose["right_hip"].visibility else "right"
        hip = np.array(pose[f"{side}_hip"][:2])
        ankle = np.array(pose[f"{side}_ankle"][:2])
        nose = np.array(pose["nose"][:2])
        self.facing = -1.0 if nose[0] < hip[0] else 1.0  # -1: faces left
        # Scale: hip to ankle a third of the frame's height (a member 3 m away fills ~2/3 of it).
        k = (SIZE[1] / 3) / float(np.linalg.norm(hip - ankle))
        ys_, xs_ = np.nonzero(mask)
        x0, x1, y0, y1 = xs_.min(), xs_.max() + 1, ys_.min(), ys_.max() + 1
        pad = 40
        x0, y0, x1, y1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
        crop = np.dstack([rgb, alpha])[y0:y1, x0:x1]
        self.rgba = cv2.resize(crop, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
        self.hip = (hip - (x0, y0)) * k
        self.ankle = (ankle - (x0, y0)) * k

    def layer(self, angle_deg: float, hips_back: float, at: tuple[float, float]) -> np.ndarray:
        """The person as an RGBA frame-sized layer: ankle at ``at`` (frame px), upper body turned
        ``angle_deg`` forward about the hip, the hip moved back ``hips_back`` px (the shins lean,
        the feet stay)."""
        w, h = SIZE
        ax, ay = at
        back = -self.facing * hips_back  # behind the member
        shift = np.array([ax, ay]) - self.ankle
        hx, hy = self.hip + shift
        # Legs: a shear that keeps the ankle's row in place and moves the hip's row back.
        span = max(ay - hy, 1.0)
        shear = back / span
        legs_m = np.array([[1.0, -shear, shift[0] + shear * self.ankle[1]], [0.0, 1.0, shift[1]]])
        legs = cv2.warpAffine(self.rgba, legs_m, (w, h), flags=cv2.INTER_LINEAR)
        legs[: int(hy), :, 3] = 0
        # Upper body: turned about the hip (forward = the way the face points), then moved back.
        turn = cv2.getRotationMatrix2D((float(hx), float(hy)), -self.facing * angle_deg, 1.0)
        up_m = np.vstack([np.array([[1, 0, shift[0]], [0, 1, shift[1]]], float), [0, 0, 1]])
        top_m = (np.vstack([turn, [0, 0, 1]]) @ up_m)[:2]
        top_m[0, 2] += back
        src_top = self.rgba.copy()
        src_top[int(self.hip[1]) + 1:, :, 3] = 0
        top = cv2.warpAffine(src_top, top_m, (w, h), flags=cv2.INTER_LINEAR)
        over = (top[..., 3] >= legs[..., 3]).astype(np.uint8)  # the upper body in front where surer
        cv2.copyTo(top, over, legs)
        return legs


def composite(background: np.ndarray, layer: np.ndarray) -> np.ndarray:
    """``layer`` (RGBA) over ``background`` (RGB), blended only where the layer has pixels."""
    x0, y0, bw, bh = cv2.boundingRect(layer[..., 3])
    if bw == 0:
        return background
    x1, y1 = x0 + bw, y0 + bh
    part = layer[y0:y1, x0:x1]
    a = part[..., 3:4].astype(np.float32) / 255
    out = background.copy()
    out[y0:y1, x0:x1] = (part[..., :3] * a + background[y0:y1, x0:x1] * (1 - a)).astype(np.uint8)
    return out


def walkin_frames(person: Person, empty_s: float = 6.0, reps: int = 4) -> tuple[list[np.ndarray], int]:
    """The walk-in clip's frames and the index of the first frame showing the person: ``empty_s``
    of empty scene, 1.5 s walking in from the side the person faces away from, 2 s standing, then
    ``reps`` hinges (1.2 s down to 75 degrees, 0.3 s there, 1.2 s up, 1.5 s standing), 2 s standing."""
    noisy = Noise(empty_wall(), np.random.default_rng(SEED + 1))
    w, h = SIZE
    ground = 0.9 * h
    stand_x = 0.5 * w
    start_x = stand_x - person.facing * 0.75 * w  # out of the frame behind them... walking forward
    path: list[tuple[float, float, float]] = []  # (x, angle, hips_back)
    path += [(float("nan"), 0, 0)] * round(empty_s * FPS)
    n = round(1.5 * FPS)
    path += [(start_x + (stand_x - start_x) * (i + 1) / n, 0, 0) for i in range(n)]
    path += [(stand_x, 0, 0)] * (2 * FPS)
    torso = float(np.linalg.norm(person.hip - person.ankle))  # hip-ankle, as a length to scale by
    for _ in range(reps):
        down, hold, rest = round(1.2 * FPS), round(0.3 * FPS), round(1.5 * FPS)
        curve = [0.5 - 0.5 * np.cos(np.pi * (i + 1) / down) for i in range(down)]
        path += [(stand_x, 75 * c, 0.35 * torso * c) for c in curve]
        path += [(stand_x, 75, 0.35 * torso)] * hold
        path += [(stand_x, 75 * c, 0.35 * torso * c) for c in curve[::-1]]
        path += [(stand_x, 0, 0)] * rest
    path += [(stand_x, 0, 0)] * (2 * FPS)
    frames, entry = [], -1
    layers: dict[tuple[float, float, float], np.ndarray] = {}  # standing still repeats a layer
    for i, (x, angle, back) in enumerate(path):
        frame = noisy()
        if x == x:  # not NaN: the person is somewhere on the line
            key = (x, angle, back)
            if key not in layers:
                layers[key] = person.layer(angle, back, (x, ground))
            layer = layers[key]
            if entry < 0 and layer[..., 3].any():
                entry = i
            frame = composite(frame, layer)
        frames.append(frame)
    return frames, entry


# ---------------------------------------------------------------- part 1: CPU with nobody in view
# Each runs in a fresh process and prints, for a window after its warm-up: the process's CPU
# seconds (all threads), the frames it took and the wall time, then its resident memory. CPU per
# frame is what a busy machine cannot bend (a starved process takes fewer frames a second, each
# costing the same); times 30 it is the CPU per second of a 30 fps camera.
MEASURE = r"""
import json, os, sys, time
warm, seconds = float(sys.argv[2]), float(sys.argv[3])
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
def cpu():
    t = os.times()
    return t.user + t.system
"""

STATION_RUN = MEASURE + r"""
from station.runtime.build import RunOptions, build_station
built = build_station(RunOptions(video=sys.argv[1], loop=True, data=sys.argv[4]))  # as `station run`
station = built.station
station.start()
time.sleep(warm)
c0, f0, t0 = cpu(), station.frames, time.monotonic()
time.sleep(seconds)
c1, f1, t1 = cpu(), station.frames, time.monotonic()
state = station.resting.state
station.stop()
print(json.dumps({"cpu": c1 - c0, "frames": f1 - f0, "wall": t1 - t0, "rss": rss(), "state": str(state)}))
"""

DECODE_ONLY = MEASURE + r"""
from pathlib import Path
from station.camera.sources import VideoFile
source = VideoFile(Path(sys.argv[1]), realtime=True, loop=True)
source.open()
end = time.monotonic() + warm
while time.monotonic() < end:
    source.read(1.0)
c0, t0, n = cpu(), time.monotonic(), 0
while time.monotonic() < t0 + seconds:
    source.read(1.0)
    n += 1
c1, t1 = cpu(), time.monotonic()
print(json.dumps({"cpu": c1 - c0, "frames": n, "wall": t1 - t0, "rss": rss(), "state": "decoding"}))
"""


def measure(script: str, video: Path, warm_s: float, seconds: float,
            data: Path | None = None) -> dict[str, Any]:
    """One measuring child's figures, with ``percent``: CPU per second of 30 fps video, % of one core."""
    done = subprocess.run([sys.executable, "-c", script, str(video), str(warm_s), str(seconds), str(data)],
                          capture_output=True, text=True, check=False, timeout=warm_s + seconds + 300)
    if done.returncode != 0:
        raise SystemExit(f"a measuring run failed:\n{done.stderr[-3000:]}")
    got: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    got["percent"] = 100 * got["cpu"] / max(got["frames"], 1) * FPS
    got["fps"] = got["frames"] / got["wall"]
    return got


def empty_cpu(video: Path, seconds: float, warm_s: float) -> dict[str, dict[str, Any]]:
    """Part 1: decoding alone, then the station with resting off (before) and on (after)."""
    from station.storage.replog import RepLog

    out = {"decode": measure(DECODE_ONLY, video, 2.0, seconds)}
    for rest in (False, True):
        data = Path(tempfile.mkdtemp(prefix="rest-data-"))
        log = RepLog.open(data)
        log.saved_settings.add(Settings().changed(rest_when_empty=rest).to_dict(), "benchmark")
        log.close()
        out["after" if rest else "before"] = measure(STATION_RUN, video, warm_s, seconds, data)
    return out


# ---------------------------------------------------------------- part 2: the walk-in
def walkin_run(video: Path, rest: bool) -> dict[str, Any]:
    """The real station loop over the clip, every frame, resting or not: the frames the engine
    ran on, the first frame with a pose, and the reps."""
    from station.camera.sources import VideoFile
    from station.runtime.devices import Devices
    from station.runtime.estimator import load_estimator
    from station.runtime.station import Station

    settings = Settings().changed(rest_when_empty=rest, switch_enabled=False)
    ran: list[int] = []
    posed: list[int] = []
    reps: list[tuple[str, tuple[str, ...]]] = []

    class Counting:
        def __init__(self) -> None:
            self.engine = load_estimator(None, settings)

        def process(self, rgb: np.ndarray, t: float | None = None, video: bool = True) -> Pose | None:
            pose = self.engine.process(rgb, t, video)
            index = round((t or 0.0) * FPS)
            ran.append(index)
            if pose is not None:
                posed.append(index)
            return pose

    data = Path(tempfile.mkdtemp(prefix="rest-walkin-"))
    station = Station(settings, VideoFile(video, realtime=False), data_dir=data,
                      devices=Devices.open(settings, mock=True), estimator_factory=Counting,
                      on_rep=lambda rep: reps.append((rep["verdict"], tuple(rep["faults"]))))
    station.start()
    station.wait(600)
    station.stop()
    return {"ran": ran, "first_pose": posed[0] if posed else None, "reps": reps,
            "wakes": station.resting.gate.wakes}


# ---------------------------------------------------------------- part 3: pose streams
BONES = (("shoulder", "elbow"), ("elbow", "wrist"), ("shoulder", "hip"), ("hip", "knee"),
         ("knee", "ankle"), ("ankle", "foot_index"), ("ear", "shoulder"))


def stick_frame(pose: Pose | None, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """The gate's small frame for a pose stream's frame: a noisy wall (camera noise, after the
    small frame's averaging) with the pose drawn on it as a thick stick figure, 2 cells wide."""
    w, h = size[0] // 16, size[1] // 16
    small = np.clip(rng.normal(150, NOISE / 4, (h, w)), 0, 255).astype(np.uint8)
    if pose is None:
        return small
    sx, sy = w / pose.size[0], h / pose.size[1]
    for side in ("left", "right"):
        for a, b in BONES:
            pa, pb = pose[f"{side}_{a}"], pose[f"{side}_{b}"]
            cv2.line(small, (round(pa.x * sx), round(pa.y * sy)), (round(pb.x * sx), round(pb.y * sy)),
                     60, 2)
    return small


def gated(frames: Iterable[Any], gate: RestGate, seed: int = SEED) -> Iterator[tuple[CoachFrame, bool]]:
    """A pose stream as the coach sees it through ``gate``, each frame with whether the engine
    ran: a frame the gate skips has no pose (nor dowel), as when the detector found nobody. Where
    the engine runs, the recorded pose is what it finds."""
    rng = np.random.default_rng(seed)
    size: tuple[int, int] = SIZE
    for f in frames:
        if f.pose is not None:
            size = f.pose.size
        if gate.should_detect(stick_frame(f.pose, size, rng), f.t):
            gate.found(f.pose is not None, f.t)
            yield CoachFrame(f.t, f.pose, f.dowel, f.wall_contact), True
        else:
            yield CoachFrame(f.t, None, None, f.wall_contact), False


Recordings = list[tuple[str, list[Any], Settings]]


def rep_list(frames: Iterable[Any], settings: Settings) -> list[tuple[Any, ...]]:
    """Each rep a coach finishes over ``frames``: set, rep, verdict, faults, time."""
    return [(r.set_no, r.rep, str(r.verdict), tuple(map(str, r.faults)), round(r.t, 4))
            for r in reps_over(frames, settings)]


def stream_identity(recordings: Recordings) -> dict[str, Any]:
    """Each stream's reps at full rate and through the gate: how many streams and reps, frames
    the gate skipped (and of them, frames that had a pose: those would be missed), wakes, and the
    streams whose reps differ."""
    out: dict[str, Any] = {"streams": len(recordings), "reps": 0, "frames": 0, "skipped": 0,
                           "skipped_posed": 0, "wakes": 0, "differ": []}
    for name, frames, settings in recordings:
        full = rep_list(frames, settings)
        gate = RestGate(still_s=settings.away_s)
        seen = list(gated(frames, gate))
        rested = rep_list([g for g, _ in seen], settings)
        out["reps"] += len(full)
        out["frames"] += len(frames)
        out["skipped"] += sum(1 for _, ran in seen if not ran)
        out["skipped_posed"] += sum(1 for f, (_, ran) in zip(frames, seen, strict=True)
                                    if not ran and f.pose is not None)
        out["wakes"] += gate.wakes
        if full != rested:
            out["differ"].append(name)
    return out


LEAD_S = 6.0  # nobody in view before each stream: longer than away_s (3 s), so the station rests


def with_lead(frames: list[Any], lead_s: float = LEAD_S) -> list[Any]:
    """``frames`` after ``lead_s`` of nobody at the stream's own frame rate: the member walks in."""
    step = float(np.median(np.diff([f.t for f in frames]))) if len(frames) > 1 else 1 / FPS
    n = round(lead_s / step)
    start = frames[0].t - n * step
    lead = [CoachFrame(start + i * step, None) for i in range(n)]
    return lead + [CoachFrame(f.t, f.pose, f.dowel, f.wall_contact) for f in frames]


def corpus() -> Recordings:
    """The real corpus's streams, each after an empty lead."""
    from station.streams.evaluate import load_labels
    from station.streams.format import StreamFrames, read_stream

    real = ROOT / "tests" / "data" / "real"
    out = []
    for rec in load_labels(real):
        with rec.path.open() as fh:
            out.append((rec.name, with_lead(list(StreamFrames(read_stream(fh)))), Settings()))
    return out


def sim_suite(n_sets: int, seed: int = 7) -> Recordings:
    """The first ``n_sets`` of benchmarks/coach_suite.py's sets, each after an empty lead, with the
    settings the suite coaches them by."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from coach_suite import suite

    from station.sim import Trainee
    from station.sim.score import settings_for

    out = []
    for i, (body, plan, set_seed) in enumerate(suite(n_sets, seed)):
        trainee = Trainee(body, plan, seed=set_seed)
        out.append((f"sim set {i}", with_lead(list(trainee.frames())), settings_for(trainee, plan)))
    return out


# ---------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="CPU measuring window, s")
    parser.add_argument("--warm", type=float, default=12.0, help="warm-up before measuring, s")
    parser.add_argument("--sets", type=int, default=40, help="simulated sets compared")
    parser.add_argument("--reps", type=int, default=4, help="hinges in the walk-in clip")
    parser.add_argument("--empty", type=float, default=6.0, help="empty scene before the walk-in, s")
    parser.add_argument("--quick", action="store_true", help="a smoke run: short windows, few sets")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warm, args.sets, args.reps, args.empty = 2.0, 6.0, 3, 1, 4.0
    with tempfile.TemporaryDirectory(prefix="rest-bench-") as tmp:
        folder = Path(tmp)
        video = folder / "empty.mp4"
        write_video(video, empty_frames(4.0 if args.quick else 10.0))
        noise = [small_grey(f) for f in empty_frames(1.0)]
        spread = max(int(cv2.absdiff(a, b).max()) for a, b in itertools.pairwise(noise))
        print(f"empty scene: 1280x720 at {FPS} fps, camera noise sigma {NOISE:g} grey levels; the gate's "
              f"small frame moves by at most {spread} levels frame to frame (threshold {DIFF_LEVEL})")
        cpu = empty_cpu(video, args.seconds, args.warm)
        for key, what in (("decode", "decoding alone"), ("before", "station, resting off"),
                          ("after", "station, resting on")):
            c = cpu[key]
            print(f"  {what}: {c['cpu']:.2f} s CPU for {c['frames']} frames in {c['wall']:.1f} s "
                  f"({c['fps']:.1f} frames/s), {c['percent']:.1f} % of one core at {FPS} fps, RSS "
                  f"{c['rss']:.0f} MB, ended {c['state']}")
        decode = cpu["decode"]["percent"]
        print(f"decoding alone: {decode:.1f} % of one core (left out below)")
        before, after = cpu["before"]["percent"] - decode, cpu["after"]["percent"] - decode
        print(f"nobody in view, CPU per second: before {before:.1f} %, after {after:.1f} % of one core "
              f"(decoding left out; with it {cpu['before']['percent']:.1f} % and "
              f"{cpu['after']['percent']:.1f} %; target <= 5 %)")

        if PHOTO.exists():
            person = Person(PHOTO)
            frames, entry = walkin_frames(person, empty_s=args.empty, reps=args.reps)
            clip = folder / "walkin.mp4"
            write_video(clip, frames)
            runs = {rest: walkin_run(clip, rest) for rest in (False, True)}
            full, rested = runs[False], runs[True]
            for rest, run in runs.items():
                first = run["first_pose"]
                lag = "never" if first is None else f"{first - entry} frames ({(first - entry) / FPS:.2f} s)"
                print(f"walk-in, resting {'on' if rest else 'off'}: engine ran on {len(run['ran'])} of "
                      f"{len(frames)} frames; entry at frame {entry}, first pose after {lag}; "
                      f"reps {len(run['reps'])}: {json.dumps(run['reps'])}")
            same = full["reps"] == rested["reps"] and full["first_pose"] == rested["first_pose"]
            print(f"walk-in identical with and without resting: {'yes' if same else 'NO'}")
        else:
            print(f"walk-in: skipped, the fixture photo is not at {PHOTO}")

        for what, recordings in (("real corpus", corpus()), ("simulator suite", sim_suite(args.sets))):
            r = stream_identity(recordings)
            print(f"{what}: {r['streams']} streams, {r['reps']} reps at full rate; resting skipped "
                  f"{r['skipped']} of {r['frames']} frames ({r['skipped_posed']} with a pose), woke "
                  f"{r['wakes']} times; streams with other reps or verdicts: {len(r['differ'])} "
                  f"{' '.join(r['differ'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
