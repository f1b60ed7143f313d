"""The coach's fixed numbers, each once, named for what it is measured against.

Staff-tunable thresholds live in :class:`station.config.settings.Settings` (the ``coaching`` group); the
numbers here are not for a gym to change: they describe how BlazePose reads a body, or how a
rep moves. Suffixes say what an angle is relative to:

- ``_ABS``: an absolute angle as BlazePose reads it on one frame (no baseline);
- ``_TURN``: relative to the deepest or highest point of the current stretch of a rep.

Settings relative to the member's own standing baseline end in ``_beyond_standing``.

Angles in degrees, distances in torso lengths (hip to shoulder), times in seconds.
"""

from __future__ import annotations

import math

# --- standing still for a baseline (the start of a set, and between reps)
# BlazePose puts the hip joint so that people standing tall read 5-25 degrees of hip and knee
# flexion (22 and 24 on one of the shared fixture photos); beyond these nobody is standing.
STANDING_HIP_MAX_ABS = 35.0
STANDING_KNEE_MAX_ABS = 35.0
# Standing, the thigh is near vertical, so the trunk leans from vertical by about the hip's own
# flexion: the same limit. A trunk beyond it with straight hips and knees is a body lying, upside
# down or mislabelled (the untrimmed real pistol-squat track: 165-177 deg while the member gets
# into place, with hip and knee readings jumping 3-173 deg frame to frame), never a stand.
STANDING_TORSO_MAX_ABS = STANDING_HIP_MAX_ABS
# Still means no drift between the two halves of the hold: the hip may move this far and bend
# this much more. Keypoint noise on the fixture photos is well under both.
STILL_DRIFT_TORSO = 0.03
STILL_HIP_DEG = 3.0

# A member who goes rep after rep never stands still for ``ready_hold_s``: the set then starts at
# the first hinge from a short stand. The stand is the most upright frames of the last two seconds
# (a rep at a natural pace takes 1-4 s), at least three frames over 0.1 s (the top of a continuous
# rep lasts 0.1-0.4 s at 30 fps), so one upright frame of a stumble is not a set.
UPRIGHT_MEMORY_S = 2.0
MIN_STAND_S = 0.1
MIN_STAND_FRAMES = 3

# --- a set that starts bent over (a bell parked on the floor, a member who walks up stooped)
# The first stand gives the baseline either way. The rise into it is the set's first rep only when
# it is one: from a real rep's depth (the hips at least ``hinge_start_hip_beyond_standing`` +
# ``HIP_TURN`` beyond that stand, what a counted rep must reach and come back from), up to the stand
# within RISE_MAX_S (a rep's way up takes 0.4 s in the real swings and 0.9-1.8 s in the simulator's
# 2-4 s reps), and the member hinges again within TOP_MAX_S of standing (going rep after rep: the
# real swing sets' first tops, lockout to leaving it, last 0.5-0.7 s; a member who walked up bent
# stands to settle the dowel on head, upper back and sacrum, which takes longer). Frames before a
# set are kept for the longest stand (UPRIGHT_MEMORY_S) plus the rise.
RISE_MAX_S = 2.0
TOP_MAX_S = 1.5
BEFORE_SET_MEMORY_S = UPRIGHT_MEMORY_S + RISE_MAX_S

# --- turning points of a rep
# Hip flexion a rep must rise from its deepest point before it counts as coming back up, and
# sink again from its highest point while returning to count as the next descent: three times
# the smoothed keypoint noise seen on real photos.
HIP_TURN = 15.0
# A return that moves less than this is not progress (it does not reset the stall clock).
HIP_PROGRESS_TURN = 2.0
# A rep that stops rising for this long short of standing tall ends as ``no_lockout``.
STALL_S = 1.5
# A rep that ends short of standing tall must still have had a top: the hips came back at least
# this share of the way from its deepest point. The simulator's unlocked reps come back 40-60 %
# (to ~45 deg beyond standing from 85-115); a member parking a bell and shifting at the bottom
# (the real MoveNet swing set's end) comes back 20-25 %, which is no rep.
TOP_RISE_SHARE = 1 / 3

# --- the head on the dowel, when no dowel is seen
# The back of the head touches the dowel at the occiput; flexing the neck turns the head about the
# base of the neck (C7, which lies on the dowel line at the upper back), so the occiput leaves a
# straight dowel by r * sin(angle), r the C7-to-occiput distance: about 11-14 cm in adults, a
# quarter of the hip-to-shoulder torso length (some 0.29 of stature, ~50 cm, by Drillis and
# Contini's segment proportions). The head is off the dowel once that gap passes the contact
# tolerance: asin(0.07 / 0.25) = 16 deg of neck flexion beyond standing.
OCCIPUT_TO_NECK_PIVOT_TORSO = 0.25


# Without a dowel the head counts as off it only when the neck flexed about its base, which turns
# the face's axis (``head_pitch``) and carries the ear (``head_spine``) forward alike, both by the
# flexion: 25-26 deg each for the rendered 28 deg neck (tests/data/rendered, spine_side rep 2). A
# nod (the upper neck alone) turns the face and leaves the ear; BlazePose's ear wanders alone by up
# to 15 deg at the bottom of neutral rendered reps (fast_sacrum rep 2, face 2 deg): either alone is
# no head off the dowel.


def head_off_dowel_deg(contact_tolerance: float) -> float:
    """Neck flexion beyond standing (deg) that takes the back of the head ``contact_tolerance``
    torso lengths off a straight dowel.

        >>> round(head_off_dowel_deg(0.07), 1)
        16.3
    """
    return math.degrees(math.asin(min(1.0, contact_tolerance / OCCIPUT_TO_NECK_PIVOT_TORSO)))


# With the dowel in view the back of the head is found from the ear and the face's axis (see
# FACE_ACROSS_DOWEL_MIN); that axis is short, and a noisy tracker turns it 15-20 deg on a still head
# (the simulator's MoveNet profile), which alone would move the back of the head off the dowel. A
# neck flexed about its base carries the ear too: the ear, some 10 cm (0.20 torso lengths) above the
# base of the neck and the head's depth (0.20-0.29 torso lengths standing on the rendered bodies,
# 0.25 typical) in front of the back of the head, leaves the dowel by
# 0.20 sin(a) - 0.25 (1 - cos(a)) at a flexion a.
EAR_ABOVE_NECK_PIVOT_TORSO = 0.20
HEAD_DEPTH_TORSO = 0.25


def ear_off_dowel(contact_tolerance: float) -> float:
    """How far the ear itself leaves the dowel (torso lengths) when the back of the head leaves it
    by ``contact_tolerance`` in a neck flexed about its base.

        >>> round(ear_off_dowel(0.07), 3)
        0.046
    """
    a = math.radians(head_off_dowel_deg(contact_tolerance))
    return EAR_ABOVE_NECK_PIVOT_TORSO * math.sin(a) - HEAD_DEPTH_TORSO * (1.0 - math.cos(a))


# --- the dowel's contacts in the image (coach/signals.py)
# The dowel lies on the spine, the back's midline; the near side's shoulder and hip sit half the
# body's width off it, which a camera y off profile sees as a sideways shift of half-width * sin y
# (0.07 torso lengths for the hip at 20 deg): as much as the contact tolerance, and it changes as
# the dowel tilts from vertical to near horizontal, so oblique good reps read a contact off. The
# shoulders' pair shows that shift (the far shoulder stands clear of the back; the far hip hides
# behind the near one and is a guess): each point moves by half the pair's separation, the hip's
# scaled by the hips' width per the shoulders' face-on (0.36-0.47 against 0.58-0.70 torso
# lengths by BlazePose on the labelled fixture photos, see FACE_ON_WIDTH_TORSO).
HIP_PER_SHOULDER_WIDTH = 0.42 / 0.64
# BlazePose's hip is not the sacrum: it rides on the top of the thigh, so as the hips flex to the
# drill's depth it drifts off the dowel's line while the sacrum stays on it. Against the renderer's
# own dowel, on the 14 rendered reps whose sacrum stayed on it (7 bodies, side-on to 25 deg off) the
# hip read -0.008 to 0.074 torso lengths off at the bottom (median 0.035); the sacrum is off only
# beyond the contact tolerance plus that median drift. (The reps drawn with the sacrum off, by
# 4.9-7 cm, read 0.106-0.175.)
HIP_DRIFT_TORSO = 0.03
# The back of the head is found from the ear along the face's axis; with that axis less than this
# across the dowel standing (a face turned along the dowel, a pose far from the drill's), the
# head's depth is not known and the ear's own distance stands for the head's.
FACE_ACROSS_DOWEL_MIN = 0.5

# --- the spine judged only while the trunk is nearly still
# BlazePose's landmarks reach the coach through One Euro filters (station/pose/blazepose.py) that
# lag a moving point, the dowel finder's line does not: on the rendered corpus's good reps the ear
# and shoulder read 0.06-0.10 torso lengths off the renderer's own dowel while the trunk turns at
# 150 deg/s on the way down (and as much the other way on the way up), a lag of some 0.03 s at the
# ear 1.2-1.3 torso lengths from the hips; the ear also swings ahead of the shoulder (+13-20 deg of
# head_spine in the same frames). At 45 deg/s that lag moves the ear 1.3 * 0.79 rad/s * 0.033 s =
# 0.034 torso lengths, half the 0.07 contact tolerance; the bottom of every rep, where the spine is
# loaded most and a fault is held, is slower than that (9-15 such frames at 15 fps in each rendered
# rep, also in the continuous set).
SPINE_STILL_DEG_S = 45.0
# A rounded back with the dowel in view: the sacrum leaves it while the face turns towards the
# chest and the back of the head comes away from the dowel (coach/rules.py, medians over the still
# frames with the sacrum off). Thoracic flexion A turns the hip -> shoulder chord by A / 2 from the
# pelvis and the top of the thoracic spine (and the head with it) by A, so the face turns A / 2 on
# the trunk. Rounding counts from 25 deg of thoracic flexion beyond standing, over half the
# thoracic spine's flexion (White and Panjabi's segmental ranges sum to some 30-45 deg of flexion
# T1-T12) and beyond the 15-20 deg a member may round unawares: a face turned 12.5 deg. Rendered:
# 13.4-19.4 deg for the 36-39 deg roundings, 0.3-0.5 where the dowel alone was tilted off the
# sacrum; a mild 20 deg rounding turns it up to 14 deg but keeps the sacrum on the dowel (0.073).
ROUNDED_HEAD_PITCH = 25.0 / 2

# --- what the camera can judge (the verdict abstains rather than guess; coach/rules.py)
# How far from profile the camera sees the member, from the image alone (posture.view_yaw): the
# shoulders' and hips' widths in torso lengths against their width face-on. Face-on they average
# 0.52 torso lengths: shoulders 0.58-0.70 and hips 0.36-0.47 by BlazePose's world landmarks on the
# labelled fixture photos. The image alone, so a recorded stream (no world landmarks) replays the
# same.
FACE_ON_WIDTH_TORSO = 0.52
# The spine's checks need the back in profile. A sagittal angle t seen y off profile reads
# atan(tan t * cos y): 25 deg off, a 45 deg angle reads 42 (3 deg short); 30 deg off, 41; 45 deg
# off it reads 35, and a squat filmed that way read as a rounded back. The view read below is
# calibrated (see the table) but scatters 4-8 deg by body and camera, so the limit sits midway
# between the 20 deg at which the back must still be judged and the 30 at which it must not: on the
# rendered drills every rep 30 deg or more off reads 25.8-44.8, every rep 20 or less 18.4 or less;
# the real side-on tracks read 21 or less but for one pistol-squat rep that begins turned (31; see
# docs/figures.md "View from profile, fitted on renders").
SPINE_MAX_YAW = 25.0
# How the view is read. BlazePose reads it well only while the member stands upright: bent over,
# it draws the far shoulder (and less so the far hip) onto the near one. Each rendered clip's
# median posture.view_yaw (tools/render; the camera's yaw known; benchmarks/view_from_profile.py):
#     true yaw (deg)                0 (4 clips)  12   15   20   25   30     35   40   45
#     trunk within 15 of vertical   1.1-9.3      7.8  5.5  18   29   30-33  30   44   40-45
#     trunk 45-60 deg forward       5.4-10       9.6  8.7  10   12   14-15  11   35   21-30
# so a rep's own frames (mostly bent) read a 25 deg camera as 12 and a 45 deg one as 14-37. Upright,
# the geometry alone (asin of the width over FACE_ON_WIDTH_TORSO) is calibrated: over the clips 20
# deg or more off, sin(read) / sin(true) is 0.86-1.16, median 1.0 (one body turned round reads 2.9,
# 29.8 and 44.8 at 0, 30 and 45), so no mapping is added. The upright view is the median of the
# set's latest upright frames (the camera and the member's place at the wall stay put in a set).
VIEW_UPRIGHT_TORSO_MAX = 15.0  # deg from vertical: standing with the dowel reads 2-8 on renders
VIEW_FRAMES = 30  # the most recent upright frames of the set: 1-2 s of standing at 15-30 fps
VIEW_MIN_FRAMES = 5  # fewer upright frames than this: the hips in the rep decide alone
# A real swing's top twists the trunk (the one-handed swing's shoulders read 0.3-0.4 torso lengths
# apart for a moment, 0.0-0.1 at the bottom), so the upright view alone would leave side-on swings
# unjudged (it reads them 10-28 deg); the hips through the rep veto it (they read them 4-15). The
# hips' width in a rep over sin(true yaw), on the renders 20-45 deg off: median 0.40 torso lengths
# (0.21-0.49 over 18 reps), within BlazePose's face-on hips by world landmarks (0.36-0.47, see
# FACE_ON_WIDTH_TORSO).
HIPS_WIDTH_TORSO_IN_REP = 0.40
# A check is made for a rep when what it needs was seen in at least this share of the rep's
# frames: a rep seen for less may hide its bottom, where the spine is loaded most and faults show.
JUDGED_SHARE = 0.5

# --- hinge or squat: the pattern, as coaches tell them apart (hips back vs hips down)
# In a squat the knees bend about as much as the hips (both near 100 deg at parallel in published
# sagittal kinematics of the back squat); a hinge keeps the knee to a fraction of the hip (15-30
# deg of knee at 70-90 deg of hip in the Romanian deadlift; 40-50 deg for a soft-kneed member).
# Knee flexion at or beyond this share of hip flexion (both beyond standing) is a squat.
SQUAT_KNEE_PER_HIP = 0.7

# --- one photo, no baseline (``station analyze``): coarse phase and spine of a single frame
# Standing tall reads 5-25 degrees of hip flexion on real photos; a trunk still near vertical
# keeps a little more than that upright too.
PHOTO_UPRIGHT_HIP_MAX_ABS = 30.0
PHOTO_UPRIGHT_TORSO_MAX_ABS = 20.0
PHOTO_UPRIGHT_LEANING_HIP_MAX_ABS = 45.0
PHOTO_SQUAT_KNEE_MIN_ABS = 60.0
# A hip hinge with a flat back and straight-ish legs stops near a horizontal torso (the
# hamstrings end it); shoulders well below the hips mean the spine flexed to get there.
PHOTO_ROUNDED_TORSO_ABS = 100.0
# Standing, the ear sits some 20-30 degrees in front of the hip -> shoulder line; a head
# dropped well beyond that is a flexed neck and upper back.
PHOTO_ROUNDED_HEAD_SPINE_ABS = 55.0
# The back's outline from just above the hip to just below the shoulder (coach/back_shape.py: the
# lumbar curve and the thoracic one up to the shoulder line): an arc that turns through an angle A
# stands out of its chord by tan(A / 4) / 2 of the chord's length. A neutral back bulges outwards
# only along the thoracic kyphosis, 20-40 deg (Cobb) in healthy adults (the lumbar lordosis curves
# inwards); a back that bulges more than 40 deg of arc has flexed: tan(10 deg) / 2 = 0.088.
PHOTO_ROUNDED_BACK_BULGE = math.tan(math.radians(40.0) / 4) / 2
