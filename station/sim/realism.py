"""How noisy a pose track is, measured the same way on real tracks and on the simulator's, so the
simulator's noise can be held against reality (``benchmarks/coach_suite.py`` prints both).

Movement is told from noise with a local quadratic fit (Savitzky-Golay, 7 frames, 0.23 s at 30 fps):
a hinge's path is smooth on that scale, the detector's frame-to-frame wobble is not. The fit's
residual at the centre frame, divided by sqrt(1 - h) (h the centre frame's own weight in the fit),
is an unbiased sample of the keypoint's noise; its robust spread (1.4826 x the median absolute
residual, so a rare swap does not inflate it) per axis is the jitter, in torso lengths, on the near
side's coach landmarks, by the landmark's speed (the fit's slope). What a quadratic cannot follow
in the fastest swings is counted as noise: the real fast-band figures are an upper bound.

Also measured: how often the near and far side's labels swap between frames (a joint lands nearer
the far side's last place than its own, the two sides well apart), how far apart the two sides
are, visibility on either side, and frames without a pose.

    >>> from station.sim import Body, RepPlan, SetPlan, Trainee
    >>> frames = list(Trainee(Body(), SetPlan(reps=(RepPlan(),), noise_px=2.0), seed=1).frames())
    >>> noise = track_noise([(f.t, f.pose) for f in frames])
    >>> 0.003 < noise.jitter["hip"][0] < 0.03, noise.frames > 100
    (True, True)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from station.coach.posture import near_side
from station.pose.landmarks import INDEX, Pose

JOINTS = ("ear", "shoulder", "hip", "knee", "ankle")
# Landmark speed bands, torso lengths per second: still (a stand, a parked bell), slow (a
# deliberate hinge), moving (a brisk rep), fast (a swing's upper body).
BANDS = (0.25, 1.0, 3.0)
BAND_NAMES = ("still", "slow", "moving", "fast")
HALF = 3  # the fit spans 2 * HALF + 1 frames
MIN_SAMPLES = 20  # fewer frames in a band give no figure (nan)
# Torso lengths: sides closer than this cannot be told swapped from jitter (the worst jitter, a few
# per cent of a torso, crosses 0.05 now and then).
SWAP_APART = 0.1


def _fit_weights(half: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights giving the quadratic fit's value and slope (per frame) at the centre."""
    x = np.arange(-half, half + 1, dtype=float)
    pinv = np.linalg.pinv(np.vstack([np.ones_like(x), x, x * x]).T)
    return pinv[0], pinv[1]


_VALUE, _SLOPE = _fit_weights(HALF)
_LEVERAGE = float(_VALUE[HALF])


@dataclass(frozen=True)
class TrackNoise:
    """Jitter by joint and speed band (torso lengths, one axis; nan where too few frames), the
    frames in each band, label swaps and near/far separation, visibility, drops."""

    jitter: dict[str, tuple[float, ...]]
    band_frames: dict[str, tuple[int, ...]]
    swap_share: float
    side_apart: float  # median distance between the near and far side's joints, torso lengths
    visibility: dict[str, tuple[float, float, float]]  # near median, near 5th percentile, far median
    drop_share: float
    frames: int

    def rows(self, label: str) -> list[str]:
        """The table's lines for this track: one per joint, then one of the rest."""
        lines = []
        for joint in JOINTS:
            cells = " ".join("   -  " if math.isnan(v) else f"{100 * v:6.2f}" for v in self.jitter[joint])
            near, low, far = self.visibility[joint]
            lines.append(f"  {label:30s} {joint:8s} {cells}   vis {near:4.2f} p5 {low:4.2f} far {far:4.2f}")
        lines.append(f"  {label:30s} {'':8s} swaps {100 * self.swap_share:4.1f} %  sides apart "
                     f"{self.side_apart:4.2f}  drops {100 * self.drop_share:4.1f} %  frames {self.frames}")
        return lines


def header() -> str:
    bands = " ".join(f"{name:>6s}" for name in BAND_NAMES)
    return f"  {'track':30s} {'joint':8s} {bands}   (jitter, % torso, by speed band {BANDS} torso/s)"


def track_noise(track: Iterable[tuple[float, Pose | None]]) -> TrackNoise:
    """The noise of one continuous track of (time, pose) frames."""
    frames = list(track)
    seen = [(t, p) for t, p in frames if p is not None]
    nan3 = (math.nan,) * 3
    if len(seen) < 4 * HALF:
        return TrackNoise({j: (math.nan,) * 4 for j in JOINTS}, {j: (0,) * 4 for j in JOINTS}, 0.0,
                          math.nan, dict.fromkeys(JOINTS, nan3), 0.0, len(frames))
    side = statistics.mode(near_side(p) for _, p in seen)
    far = "left" if side == "right" else "right"
    torso = statistics.median(float(np.hypot(*(p.xy[INDEX[f"{side}_shoulder"]] - p.xy[INDEX[f"{side}_hip"]])))
                              for _, p in seen) or 1.0
    times = np.array([t for t, _ in seen])
    step = float(np.median(np.diff(times)))
    jitter, counts, vis = {}, {}, {}
    for joint in JOINTS:
        near_i, far_i = INDEX[f"{side}_{joint}"], INDEX[f"{far}_{joint}"]
        path = np.array([p.xy[near_i] for _, p in seen]) / torso
        jitter[joint], counts[joint] = _jitter(path, times, step)
        near_vis = np.array([p.visibility[near_i] for _, p in seen])
        far_vis = np.array([p.visibility[far_i] for _, p in seen])
        vis[joint] = (float(np.median(near_vis)), float(np.percentile(near_vis, 5)),
                      float(np.median(far_vis)))
    swaps, apart = _swaps(seen, side, far, torso, step)
    # Drops count between the first and the last pose: walking in and out of view is no dropout.
    span = [t for t, _ in frames if times[0] <= t <= times[-1]]
    return TrackNoise(jitter, counts, swaps, apart, vis, 1 - len(seen) / len(span), len(frames))


def _jitter(path: np.ndarray, times: np.ndarray, step: float) -> tuple[tuple[float, ...], tuple[int, ...]]:
    n = len(path)
    span = (2 * HALF + 0.5) * step  # no frame missing inside the window
    windows = [k for k in range(HALF, n - HALF) if times[k + HALF] - times[k - HALF] <= span]
    if not windows:
        return (math.nan,) * 4, (0,) * 4
    stack = np.stack([path[k - HALF:k + HALF + 1] for k in windows])  # (w, 7, 2)
    residual = (stack[:, HALF] - np.einsum("i,wij->wj", _VALUE, stack)) / math.sqrt(1 - _LEVERAGE)
    speed = np.hypot(*np.einsum("i,wij->wj", _SLOPE, stack).T) / step
    band = np.searchsorted(BANDS, speed, side="right")
    sigmas, counts = [], []
    for b in range(len(BANDS) + 1):
        r = residual[band == b]
        counts.append(len(r))
        if len(r) < MIN_SAMPLES:
            sigmas.append(math.nan)
            continue
        per_axis = 1.4826 * np.median(np.abs(r), axis=0)
        sigmas.append(float(np.sqrt(np.mean(per_axis**2))))
    return tuple(sigmas), tuple(counts)


def _swaps(seen: list[tuple[float, Pose]], side: str, far: str, torso: float,
           step: float) -> tuple[float, float]:
    """Share of frame pairs where at least two of the body's joints swapped sides, and how far
    apart the two sides' joints lie (median)."""
    joints = ("shoulder", "hip", "knee", "ankle")
    near_i = [INDEX[f"{side}_{j}"] for j in joints]
    far_i = [INDEX[f"{far}_{j}"] for j in joints]
    swaps = pairs = 0
    apart = []
    for (t0, a), (t1, b) in pairwise(seen):
        if t1 - t0 > 1.5 * step:
            continue
        pairs += 1
        gap = np.hypot(*(a.xy[near_i] - a.xy[far_i]).T) / torso
        apart.extend(gap.tolist())
        crossed = np.hypot(*(b.xy[near_i] - a.xy[far_i]).T) < np.hypot(*(b.xy[near_i] - a.xy[near_i]).T)
        swaps += int(np.sum(crossed & (gap > SWAP_APART)) >= 2)
    return swaps / max(pairs, 1), float(np.median(apart)) if apart else math.nan
