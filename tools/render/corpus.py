"""The rendered corpus: every clip named, with its body, set, camera, colours, light and noise, and
the seed that reproduces it. Pure data (no Blender), so the labelling side can read it too.

    >>> [c.name for c in CLIPS][:2]
    ['good_side', 'good_yaw25_high']
    >>> clip("good_side").seed
    101
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.render.body import BodyShape
from tools.render.drill import Plan, Rep
from tools.render.scene_look import Look

FPS = 10.0  # the coach works on timestamps; 10 fps keeps 0.1 s steps at a third of 30 fps's render time


def reps(*faults: tuple[str, ...] | str, duration: float = 2.6, pause: float = 1.0) -> tuple[Rep, ...]:
    """One rep per item: a fault code, a tuple of them, or "" for a good rep."""
    out = []
    for f in faults:
        codes = frozenset((f,) if isinstance(f, str) and f else f if isinstance(f, tuple) else ())
        out.append(Rep(codes, duration, pause))
    return tuple(out)


@dataclass(frozen=True)
class Clip:
    name: str
    seed: int
    plan: Plan
    shape: BodyShape = field(default_factory=BodyShape)
    look: Look = field(default_factory=Look)
    noise: float = 3.0  # camera noise: gaussian, in 8-bit levels (0: none)
    fps: float = FPS
    notes: str = ""
    tags: dict[str, str] = field(default_factory=dict)


ORANGE_SHIRT = (0.85, 0.25, 0.03)  # close to the dowel's orange (linear RGB)

CLIPS: tuple[Clip, ...] = (
    Clip("good_side", 101, Plan(reps("", "", "")), notes="three good reps, side-on, the reference"),
    Clip("good_yaw25_high", 102, Plan(reps("", "")), BodyShape("female", "average", 0.3),
         Look(yaw=25.0, camera_z=1.5, distance=3.4), notes="good reps, camera 25 deg off side-on, high"),
    Clip("rounded", 103, Plan(reps("", "rounded_back", "rounded_back")),
         notes="upper back rounded (spine03-01 flexed 34-40 deg) on reps 2-3"),
    Clip("head_off", 104, Plan(reps("", "head_off_dowel", "head_off_dowel")), BodyShape("male", "max", -0.4),
         notes="neck flexed 28-34 deg on reps 2-3, a heavier shorter man"),
    Clip("sacrum_off", 105, Plan(reps("sacrum_off_dowel", "")),
         BodyShape("female", "min", 0.0),
         notes="the dowel's lower end 5-7 deg off the sacrum on rep 1"),
    Clip("squat", 106, Plan(reps("", "squat", "squat")), BodyShape("male", "min", 0.6),
         Look(yaw=-15.0, distance=3.2), notes="squats on reps 2-3, a tall thin man, camera 15 deg behind"),
    Clip("knees_bent", 107, Plan(reps("knees_too_bent", "")),
         notes="knees 35-55 deg on rep 1"),
    Clip("no_wall", 108, Plan(reps("", "no_wall_touch")), BodyShape("female", "max", -0.3),
         Look(camera_z=0.7, distance=2.7), notes="stops 8-12 cm short of the pad on rep 2; low camera"),
    Clip("no_lockout", 109, Plan(reps("no_lockout", "no_lockout", "")),
         notes="reps 1-2 come up only about half way before the next"),
    Clip("too_fast", 110, Plan(reps("", "too_fast", "too_fast", "")), BodyShape("female", "average", 0.0),
         notes="reps 2-3 take 0.7-0.9 s"),
    Clip("continuous", 111, Plan(reps("", "", "", pause=0.4)), look=Look(yaw=12.0),
         notes="a continuous set: 0.4 s at the top"),
    Clip("pauses", 112, Plan(reps("", "", pause=3.0)), BodyShape("male", "average", 0.5),
         notes="a set with 3 s pauses"),
    Clip("walk_in", 113, Plan(reps("", ""), walk_in=True, settle=True), look=Look(yaw=20.0, distance=3.6),
         notes="walks back into place, stoops to settle the dowel (no rep), then two reps"),
    Clip("orange_shirt", 114, Plan(reps("rounded_back", "")), BodyShape("female", "min", -0.5),
         Look(shirt=ORANGE_SHIRT), notes="a shirt close to the dowel's orange"),
    Clip("dim_noisy", 115, Plan(reps("head_off_dowel", "")),
         look=Look(light="outdoor.sl", light_angle=120.0, shadow=0.8),
         noise=8.0, notes="another light, heavy shadows and strong camera noise"),
    Clip("far_oblique", 116, Plan(reps("", "squat")), look=Look(distance=4.5, yaw=-25.0),
         notes="far away, camera 25 deg behind side-on"),
)


def clip(name: str) -> Clip:
    """The clip called ``name``; KeyError naming the clips there are."""
    for c in CLIPS:
        if c.name == name:
            return c
    raise KeyError(f"no clip {name!r}; there are: {', '.join(c.name for c in CLIPS)}")
