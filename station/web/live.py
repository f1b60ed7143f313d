"""The member page's live stream in a compact form: only what the page draws, only what changed.

A full snapshot (``/api/snapshot``) holds 33 landmarks with three decimals of visibility, the
coach's time and every field every time. The page draws one side's ten points, whole pixels, and
most fields stay the same for seconds. :func:`member_view` makes the page's view of one snapshot
(once, however many pages read it); :func:`changes` is what one page has not seen yet.

    >>> a = member_view({"phase": "ready", "reps": 2, "depth": 0.1234, "t": 5.0}, None, 0.35)
    >>> a["depth"], "t" in a
    (0.12, False)
    >>> b = member_view({"phase": "hinging", "reps": 2, "depth": 0.5}, None, 0.35)
    >>> changes(a, b)
    {'phase': 'hinging', 'depth': 0.5}
    >>> changes(b, b)
    {}
"""

from __future__ import annotations

from typing import Any

from station.coach.signals import Baseline
from station.coach.vocabulary import Side

# The near side's points the page draws, in this order (then the nose, for the way the face points).
DRAWN = ("ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index")
MIN_VISIBILITY = 0.3  # a point seen less surely than this is sent as null (not drawn)
KEPT = ("phase", "set_no", "reps", "good", "cue", "last_verdict", "last_faults", "contacts", "camera",
        "service", "facing", "size", "keep_sets_days")


def member_view(snap: dict[str, Any], baseline: Baseline | None, wall_travel: float) -> dict[str, Any]:
    """What the member page draws of one snapshot: its fields, depth to 0.01, the lights to 0.05,
    the near side's points in whole pixels (``pose``: side, then x, y pairs, null when unseen),
    the dowel's two ends and the wall's x in the frame (from the set's standing baseline)."""
    view: dict[str, Any] = {k: snap[k] for k in KEPT if k in snap}
    view["depth"] = round(float(snap.get("depth") or 0.0), 2)
    if snap.get("lights"):
        view["lights"] = {k: round(v * 20) / 20 for k, v in snap["lights"].items()}
    marks = snap.get("landmarks")
    view["pose"] = pose_points(marks, baseline.side if baseline else None) if marks else None
    dowel = snap.get("dowel")
    view["dowel"] = [round(v) for v in dowel] if dowel else None
    view["wall"] = _wall_x(baseline, wall_travel) if baseline and marks else None
    return view


def pose_points(marks: dict[str, list[float]], side: str | None) -> list[Any]:
    """One side's drawn points as the pages draw them: the side, then whole-pixel x, y pairs (null
    when seen less surely than MIN_VISIBILITY), then the nose; ``side`` None: the side seen better."""
    if side is None:  # before a set: the side the camera sees better
        seen = {s: sum(marks.get(f"{s}_{n}", (0, 0, 0))[2] for n in DRAWN) for s in Side}
        side = max(seen, key=lambda s: seen[s])
    out: list[Any] = [str(side)]
    for name in (*(f"{side}_{n}" for n in DRAWN), "nose"):
        m = marks.get(name)
        if m and (len(m) < 3 or m[2] >= MIN_VISIBILITY):
            out += [round(m[0]), round(m[1])]
        else:
            out += [None, None]
    return out


def _wall_x(base: Baseline, wall_travel: float) -> int:
    """Where the coach puts the wall: the hips' x when they have travelled ``wall_travel`` torso
    lengths back from the standing baseline (behind the member: facing left, the wall is right)."""
    toward = 1.0 if base.facing == Side.LEFT else -1.0
    return round(base.hip_x + toward * wall_travel * base.torso_px)


def changes(before: dict[str, Any] | None, now: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``now`` that differ from ``before`` (all of them when there is no before)."""
    if before is None:
        return dict(now)
    return {k: v for k, v in now.items() if before.get(k, _MISSING) != v}


_MISSING = object()


def trim_event(event: dict[str, Any]) -> dict[str, Any]:
    """An event as the page needs it: without its metrics and times."""
    return {k: v for k, v in event.items() if k not in ("metrics", "t")}
