"""Dowel contacts from the silhouette vs from the landmarks, against the renderer's truth (issue 28).

A coach sees the dowel's contacts directly: light between it and the back of the head, the upper
back, the sacrum. The experiment: read each contact's gap from BlazePose's segmentation (the
person's outline) instead of from landmark distances, and keep it only if it tells the renderer's
contact-on frames from its contact-off frames clearly better than today's landmark gaps. It did
not (docs/figures.md, "Dowel contacts from the silhouette"): the arms and hands holding the
dowel lie between it and the back in the camera's view, and the segmentation takes the held
dowel in with the person, so the outline reaches the dowel's line whether the body touches it
or not. The gap function stays here, with the numbers it gave, not in the station.

For each rendered clip (``NAME.mp4`` with ``streams/NAME.truth.json``, ``NAME/truth.json`` or
``NAME.truth.json`` beside it) the station's estimator (full model, one thread, with its
segmentation) and dowel finder run over the MP4, and each frame's three contact gaps are measured
against the standing baseline (the clip's first second standing with the dowel found), in torso
lengths:

- landmarks: today's coach, ``signals.measure`` / ``relative`` (midline points, the back of the
  head from the ear and the face's axis);
- silhouette: :func:`silhouette_gaps` over the torso length, three ways (``VARIANTS``).

Frames are split by the truth's gap beyond its own standing gap: ON (within 1 cm: the contact
kept) and OFF (3.5 cm or more: 0.07 of a ~50 cm torso, the staff's contact tolerance). Printed
per contact and view (side-on: yaw 0; oblique: 12-25 deg): each method's gap for ON and OFF
frames (median [10th..90th percentile], frames read), the share of frames it could read at all,
and the ROC area (the chance an OFF frame reads further off than an ON one: 0.5 none, 1 clean).

    .venv/bin/python benchmarks/contact_gaps_on_renders.py /work/rendered2
    .venv/bin/python benchmarks/contact_gaps_on_renders.py /work/rendered2 --hand-clear 0.08
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from station.camera.files import frames_from
from station.coach.dowel import find_dowel
from station.coach.geometry import Line
from station.coach.posture import facing_of, near_side
from station.coach.signals import Baseline, Raw, measure, relative
from station.coach.vocabulary import CONTACTS, Contact, Side
from station.config.paths import models_dir
from station.config.settings import Settings
from station.pose.blazepose import PoseEstimator
from station.pose.landmarks import Pose
from station.pose.silhouette import PERSON, Silhouette

# --- The silhouette gap, as tried ---------------------------------------------------------------
# The windows along the dowel, in torso lengths (hip to shoulder, ~50 cm) from each landmark's
# projection onto it, positive towards the head. The back of the head (its most posterior point,
# near the inion) lies 2-4 cm above the ear canal's level, the skull's back rounded over some
# +-8 cm around it: +-0.15. The thoracic contact is the kyphosis's apex between the shoulder
# blades (T4-T8), 5-20 cm below the shoulder joints' level: -0.45..0. The sacrum lies behind the
# hip joints' level, from the coccyx 4-5 cm below to S1 ~8 cm above: -0.15..+0.2.
WINDOWS = {Contact.HEAD: (-0.15, 0.15), Contact.UPPER_BACK: (-0.45, 0.0), Contact.SACRUM: (-0.15, 0.2)}
# Stations closer than this (torso lengths, along the dowel) to a hand landmark's projection are
# the hand's: a fist is 8-9 cm broad around the dowel and its landmarks lie at its edges (wrist,
# knuckles), so 0.15 torso (7.5 cm) past any of them clears it. ``--hand-clear`` tries others.
HAND_CLEAR = 0.15
# ... when that hand lies within this many torso lengths of the dowel's line (a hand at the side
# or on the thigh holds nothing).
HAND_NEAR_LINE = 0.3
HANDS = tuple(f"{s}_{p}" for s in ("left", "right") for p in ("wrist", "thumb", "index", "pinky"))
# The outline is traced from at least this deep inside the body (torso lengths off the dowel),
# deeper where the contact's landmark lies deeper: the back of the head lies ~10 cm behind the
# ear, the upper back 6-8 cm behind the shoulder, the sacrum 10-15 cm behind the hip joint.
MIN_DEPTH = 0.2
# A window needs this share of its stations (not a hand's, on the person at the start) to be read.
MIN_STATIONS = 0.4


def edge_gap(silhouette: Silhouette, stations: np.ndarray, toward: np.ndarray, depth: float) -> np.ndarray:
    """For each station (k, 2) on the dowel's line, how far from it (frame px, along ``toward``,
    the unit normal towards the body) the silhouette's outline lies, traced from ``depth`` px
    inside out to the line; NaN where the start is not on the person, 0 where the person reaches
    the line. The mask is read bilinearly and the edge put where it crosses MediaPipe's 0.5.

        >>> from station.pose.roi import Roi
        >>> mask = np.zeros((256, 256), np.float32); mask[:, 100:] = 1.0  # a body right of x = 100
        >>> sil = Silhouette(mask, Roi(128.0, 128.0, 256.0, 0.0, 204.8))
        >>> edge_gap(sil, np.array([[90.0, 60.0], [90.0, 120.0]]), np.array([1.0, 0.0]), 40.0).tolist()
        [10.0, 10.0]
    """
    step = 0.5 * silhouette.roi.side / silhouette.size  # half a mask pixel, in frame pixels
    r = np.arange(depth, -step, -step)  # from inside the body out to the line
    pts = stations[:, None, :] + r[None, :, None] * toward
    uv = silhouette.to_mask(pts.reshape(-1, 2)).astype(np.float32) - 0.5  # mask pixel centres
    shape = (len(stations), len(r))
    p = cv2.remap(silhouette.mask.astype(np.float32, copy=False), uv[:, 0].reshape(shape),
                  uv[:, 1].reshape(shape), cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    inside = p >= PERSON
    out = np.full(len(stations), np.nan)
    for i, row in enumerate(inside):
        if not row[0]:
            continue
        first_out = int(np.argmin(row))
        if row[first_out]:  # on the person all the way to the line
            out[i] = 0.0
            continue
        a, b = p[i, first_out - 1], p[i, first_out]
        frac = (a - PERSON) / (a - b) if a != b else 0.0
        out[i] = max(float(r[first_out - 1] - frac * step), 0.0)
    return out


def silhouette_gaps(silhouette: Silhouette, dowel: Line, pose: Pose, side: Side, *, arms: bool = False,
                    statistic: str = "min") -> dict[Contact, float] | None:
    """Each contact's gap off the dowel's line (frame px): the outline's nearest approach
    (``statistic="min"``) or its median over the window's stations. Stations at a hand holding
    the dowel are left out, and with ``arms`` those along either arm near the line too. None when
    the line is a point or the trunk unseen; a contact whose window is mostly left out is absent."""
    (x0, y0), (x1, y1) = dowel.p0, dowel.p1
    p0 = np.array([x0, y0], float)
    d = np.array([x1 - x0, y1 - y0], float)
    length = float(np.hypot(*d))
    hip, shoulder, ear = (pose.point(f"{side}_{n}") for n in ("hip", "shoulder", "ear"))
    torso = float(np.hypot(*(shoulder - hip)))
    if length <= 0 or torso < 1.0:
        return None
    d /= length
    n = np.array([-d[1], d[0]])
    if float((hip - p0) @ n) < 0:
        n = -n
    if float((shoulder - hip) @ d) < 0:  # positive along the dowel = towards the head
        d = -d
    held = [pose.point(h) for h in HANDS]
    if arms:  # points along each upper arm and forearm
        u = np.linspace(0.0, 1.0, 8)[:, None]
        for s in ("left", "right"):
            sh, el, wr = (pose.point(f"{s}_{j}") for j in ("shoulder", "elbow", "wrist"))
            held += list(sh + u * (el - sh)) + list(el + u * (wr - el))
    pts = np.array(held)
    near = np.abs((pts - p0) @ n) <= HAND_NEAR_LINE * torso
    hand_at = (pts[near] - p0) @ d
    step = silhouette.roi.side / silhouette.size  # one mask pixel, frame px
    out: dict[Contact, float] = {}
    for contact, mark in ((Contact.HEAD, ear), (Contact.UPPER_BACK, shoulder), (Contact.SACRUM, hip)):
        lo, hi = WINDOWS[contact]
        at = float((mark - p0) @ d)
        s_ = np.arange(at + lo * torso, at + hi * torso, step)
        total = len(s_)
        if hand_at.size:
            s_ = s_[(np.abs(s_[:, None] - hand_at[None, :]) > HAND_CLEAR * torso).all(axis=1)]
        if total == 0 or len(s_) < MIN_STATIONS * total:
            continue
        depth = max(float((mark - p0) @ n), MIN_DEPTH * torso)
        gaps = edge_gap(silhouette, p0 + s_[:, None] * d, n, depth)
        read = gaps[~np.isnan(gaps)]
        if len(read) < MIN_STATIONS * total:
            continue
        out[contact] = float(read.min() if statistic == "min" else np.median(read))
    return out


# --- The measurement ------------------------------------------------------------------------------
CLIPS = ("spine_side", "spine_oblique", "spine_mild", "fast_sacrum", "continuous", "good_pauses",
         "legs", "walk_in", "wall_lockout")
ON_M, OFF_M = 0.01, 0.035
BASE_FRAMES = 15  # one second standing, as the coach's own baseline
# The silhouette read three ways: hands left out or the whole arms too; the window's nearest
# station (min) or its median.
VARIANTS = {"sil hands/min": (False, "min"), "sil arms/min": (True, "min"),
            "sil hands/median": (False, "median")}


def truth_of(root: Path, name: str) -> dict[str, Any]:
    for p in (root / "streams" / f"{name}.truth.json", root / name / "truth.json",
              root / f"{name}.truth.json"):
        if p.exists():
            data = json.loads(p.read_text())
            if isinstance(data.get("frames"), list):
                return data
    raise SystemExit(f"no per-frame truth for {name} under {root}")


def clip_rows(root: Path, name: str, timing: list[float], limit: int | None = None) -> list[dict[str, Any]]:
    """One row per frame and contact: the truth's gap beyond standing (m) and each method's."""
    frames = truth_of(root, name)["frames"]
    est = PoseEstimator.from_folder(models_dir(), threads=1, segmentation=True)
    settings = Settings()
    rows: list[dict[str, Any]] = []
    base_raw: list[Raw] = []
    base_sil: dict[str, list[dict[Contact, float]]] = {v: [] for v in VARIANTS}
    side = facing = None
    for i, fr in enumerate(frames_from(root / f"{name}.mp4")):
        if i >= len(frames) or (limit is not None and i >= limit):
            break
        pose = est.process(fr.rgb, fr.t, video=True)
        if pose is None:
            continue
        sil = est.silhouette()
        dowel = find_dowel(fr.rgb, pose, settings)
        if side is None or facing is None:
            side, facing = near_side(pose), facing_of(pose)
        raw = measure(pose, side, facing, dowel)
        gaps: dict[str, dict[Contact, float] | None] = {}
        if sil is not None and dowel is not None:
            t0 = time.perf_counter()
            for v, (arms, stat) in VARIANTS.items():
                gaps[v] = silhouette_gaps(sil, dowel, pose, side, arms=arms, statistic=stat)
            timing.append((time.perf_counter() - t0) * 1000 / len(VARIANTS))
        torso = raw.torso_px
        # The baseline: the first standing frames with the dowel seen (a clip may start unseen).
        if frames[i]["phase"] == "stand" and raw.dowel_dist is not None and len(base_raw) < BASE_FRAMES:
            base_raw.append(raw)
            for v, g in gaps.items():
                if g is not None:
                    base_sil[v].append({c: x / torso for c, x in g.items()})
        rows.append({"truth": frames[i]["gaps_m"], "raw": raw, "sil": gaps, "torso": torso})
    if not base_raw or side is None or facing is None:
        print(f"{name}: the dowel is never found standing: no baseline, clip left out")
        return []
    base = Baseline.average(side, facing, base_raw)
    stand = {c: float(np.median([f["gaps_m"][c] for f in frames if f["phase"] == "stand"]))
             for c in frames[0]["gaps_m"]}
    sil0 = {v: {c: float(np.median([b[c] for b in bs if c in b])) for c in CONTACTS
                if any(c in b for b in bs)} for v, bs in base_sil.items()}
    out = []
    for r in rows:
        sig = relative(r["raw"], base)
        for c in CONTACTS:
            row = {"clip": name, "contact": c.value, "truth": r["truth"][c.value] - stand[c.value],
                   "landmarks": sig.gaps[c] if sig.gaps is not None else None}
            for v in VARIANTS:
                g = r["sil"].get(v) or {}
                row[v] = g[c] / r["torso"] - sil0[v][c] if c in g and c in sil0[v] else None
            out.append(row)
    return out


def decoder_cost(root: Path, name: str, n: int) -> None:
    """The pose engine's time a frame with and without its segmentation decoder (the live loop
    loads the model without it), over a clip's first ``n`` frames, three rounds interleaved."""
    frames = [f for _, f in zip(range(n), frames_from(root / f"{name}.mp4"), strict=False)]
    times: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(3):
        for seg in (False, True):
            est = PoseEstimator.from_folder(models_dir(), threads=1, segmentation=seg)
            for k, f in enumerate(frames):
                t0 = time.perf_counter()
                est.process(f.rgb, f.t, video=True)
                if seg:
                    est.silhouette()
                if k >= min(10, n // 2):  # after the first frames' detector runs and warm-up
                    times[seg].append((time.perf_counter() - t0) * 1000)
    off, on = (float(np.median(times[s])) for s in (False, True))
    print(f"pose engine, one thread, {name} frames: without segmentation {off:.1f} ms, with it and the "
          f"silhouette {on:.1f} ms a frame (+{on - off:.1f} ms)")


def auc(on: list[float], off: list[float]) -> float:
    """The chance an OFF frame's gap exceeds an ON frame's (ties count half)."""
    if not on or not off:
        return float("nan")
    a, b = np.array(on)[:, None], np.array(off)[None, :]
    return float(((b > a).sum() + 0.5 * (b == a).sum()) / (a.size * b.size))


def spread(v: list[float]) -> str:
    if not v:
        return f"{'-':>30s}"
    lo, hi = np.percentile(v, 10), np.percentile(v, 90)
    return f"{np.median(v):+.3f} [{lo:+.3f}..{hi:+.3f}] n={len(v):<4d}"


def main() -> None:
    global HAND_CLEAR
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("root", type=Path, help="the rendered clips' folder (MP4s and truth)")
    ap.add_argument("--clips", nargs="*", default=list(CLIPS))
    ap.add_argument("--hand-clear", type=float, default=HAND_CLEAR, help="torso lengths past a hand")
    ap.add_argument("--frames", type=int, help="only each clip's first frames (a smoke run)")
    ap.add_argument("--cost", type=int, default=0, metavar="N",
                    help="also time the pose engine with and without segmentation over N frames")
    ap.add_argument("--dump", type=Path, help="write every frame's rows as JSON here")
    args = ap.parse_args()
    HAND_CLEAR = args.hand_clear
    rows: list[dict[str, Any]] = []
    timing: list[float] = []
    yaws = {}
    for name in args.clips:
        rows += clip_rows(args.root, name, timing, args.frames)
        yaws[name] = truth_of(args.root, name)["look"]["yaw"]
    if args.cost:
        decoder_cost(args.root, args.clips[0], args.cost)
    if args.dump:
        args.dump.write_text(json.dumps(rows))
    if timing:
        print(f"silhouette gaps (one way): {np.median(timing):.2f} ms median, "
              f"{np.percentile(timing, 99):.2f} ms p99 a frame ({len(timing)} frames)")
    print(f"ON: truth within {ON_M} m of its standing gap; OFF: {OFF_M} m or more beyond it.")
    print("Measured gap beyond standing, torso lengths: median [10th..90th], frames; read = share of the "
          "view's frames the method could read; AUC = P(OFF reads further than ON)")
    for view, pick in (("side-on", lambda n: yaws[n] == 0), ("oblique", lambda n: yaws[n] != 0)):
        for c in CONTACTS:
            sel = [r for r in rows if pick(r["clip"]) and r["contact"] == c.value]
            if not sel:
                continue
            n_on = sum(r["truth"] <= ON_M for r in sel)
            n_off = sum(r["truth"] >= OFF_M for r in sel)
            print(f"{view} {c.value} (truth: {n_on} ON, {n_off} OFF frames)")
            for method in ("landmarks", *VARIANTS):
                on = [r[method] for r in sel if r["truth"] <= ON_M and r[method] is not None]
                off = [r[method] for r in sel if r["truth"] >= OFF_M and r[method] is not None]
                read = sum(r[method] is not None for r in sel) / len(sel)
                same = ""
                if method != "landmarks":  # the landmarks' AUC on the frames this way read too
                    both = [r for r in sel if r[method] is not None and r["landmarks"] is not None]
                    lm_on = [r["landmarks"] for r in both if r["truth"] <= ON_M]
                    lm_off = [r["landmarks"] for r in both if r["truth"] >= OFF_M]
                    same = f" (landmarks on the same frames {auc(lm_on, lm_off):.3f})"
                print(f"  {method:16s} ON {spread(on)} OFF {spread(off)} read {read:4.0%}  "
                      f"AUC {auc(on, off):.3f}{same}")


if __name__ == "__main__":
    main()
