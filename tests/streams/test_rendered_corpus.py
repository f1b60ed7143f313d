"""``station evaluate`` on the rendered dowel drills in tests/data/rendered (issue 28): the corpus
is whole and consistent with its truth, and what the coach gets right there today is asserted;
what it misses is recorded as strict xfails (they pass, and so fail here, once the coach catches it),
with the figures in docs/figures.md ("The coach on rendered drills")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.cli.main import main
from station.config.settings import Settings
from station.streams.evaluate import Result, Score, load_labels, run_recording

RENDERED = Path(__file__).resolve().parents[1] / "data" / "rendered"


def _truth(name: str) -> dict:
    return json.loads((RENDERED / f"{name}.truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def results() -> dict[str, Result]:
    return {rec.name: run_recording(rec, Settings()) for rec in load_labels(RENDERED)}


def test_the_rendered_corpus_is_whole_and_runs(capsys: pytest.CaptureFixture[str]) -> None:
    recordings = load_labels(RENDERED)
    assert len(recordings) >= 8
    for rec in recordings:
        lines = rec.path.read_text(encoding="utf-8").splitlines()
        truth = _truth(rec.name)
        assert len(lines) == len(truth["frames"]) and rec.path.stat().st_size < 600_000
        assert len(truth["reps"]) == rec.expected_reps and truth["fps"] >= 15
        # The stream's wall switch is the pad's truth, frame by frame.
        assert [json.loads(x)["wall_contact"] for x in lines] == [f["wall_contact"] for f in truth["frames"]]
    assert main(["evaluate", str(RENDERED), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["name"] for r in rows[:-1]] == [rec.name for rec in recordings]
    assert all(r["bad_lines"] == 0 for r in rows[:-1])


# Standing, how far the head and upper back may stand off the dowel's line through the sacrum
# after the rest posture fix: within the 1.5 cm contact for the reference body; a body with fuller
# hips keeps up to 2.2 cm (the fix searches thoracic and neck extension only; docs/figures.md).
NEUTRAL_GAP_M = {"good_pauses": 0.015}
ANY_BODY_GAP_M = 0.025


def test_standing_is_neutral_and_each_drawn_fault_shows_in_the_truth() -> None:
    """The rest posture fix: standing, the dowel touches the sacrum and lies within a finger of head
    and upper back; at the bottom of a rep drawn with a spine fault the contact it names is lost."""
    lost = {"head_off_dowel": "head", "sacrum_off_dowel": "sacrum", "rounded_back": "head"}
    for rec in load_labels(RENDERED):
        truth = _truth(rec.name)
        standing = [f for f in truth["frames"] if f["phase"] == "stand"]
        limit = NEUTRAL_GAP_M.get(rec.name, ANY_BODY_GAP_M)
        assert standing and all(max(f["gaps_m"].values()) <= limit for f in standing), rec.name
        for rep, faults in zip(truth["reps"], rec.rep_faults or [], strict=True):
            bottom = min(truth["frames"], key=lambda f: abs(f["t"] - rep["deepest"]))
            for fault in faults & lost.keys():
                assert not bottom["contacts"][lost[fault]], (rec.name, rep, fault)
            if not faults and not bottom["shape"]["thoracic"]:  # a mild rounding lifts the head 2-4 cm
                assert max(bottom["gaps_m"].values()) <= limit and bottom["wall_contact"], (rec.name, rep)


def test_the_coach_counts_the_rendered_sets_exactly(results: dict[str, Result]) -> None:
    """Exact counts in every set: pauses, a continuous set, a walk-in with a stoop to settle the
    dowel (no rep), reps cut short or not stood up from, a squat as the first rep."""
    score = Score()
    for r in results.values():
        score.add(r)
    assert score.sets >= 8
    assert (score.exact_sets, score.counted_reps) == (score.sets, score.expected_reps), {
        name: len(r.reps) for name, r in results.items()}


def test_good_reps_pass_and_the_faults_the_coach_sees_today_are_called(results: dict[str, Result]) -> None:
    for name in ("good_pauses", "continuous", "walk_in"):  # 7 good reps, side-on to 20 deg off
        assert all(rep.faults == () for rep in results[name].reps), name
    assert [rep.faults for rep in results["wall_lockout"].reps] == [("no_wall_touch",), ("no_lockout",), ()]
    assert "too_fast" in results["fast_sacrum"].reps[0].faults
    assert "head_off_dowel" in results["spine_side"].reps[1].faults
    assert any("knees_too_bent" in rep.faults for rep in results["legs"].reps)


def test_a_rounded_upper_back_side_on_is_called_rounded(results: dict[str, Result]) -> None:
    """36 deg of thoracic flexion side-on: the head and the sacrum leave the dowel together."""
    assert "rounded_back" in results["spine_side"].reps[0].faults


def test_the_sacrum_off_the_dowel_is_called(results: dict[str, Result]) -> None:
    """The dowel's lower end 5-7 deg off the sacrum, in an orange shirt close to the dowel's colour:
    seen since the finder joins the pieces the hands cut the dowel into."""
    assert "sacrum_off_dowel" in results["fast_sacrum"].reps[1].faults


def test_spine_faults_25_degrees_off_side_on_are_called_or_their_back_not_seen(
        results: dict[str, Result]) -> None:
    """25 deg off side-on and 1.5 m high, at the edge of what the coach judges (``SPINE_MAX_YAW``):
    each rep's spine fault is called, or its back is said not seen; never passed as good, never
    named as another spine fault."""
    done = results["spine_oblique"].reps
    for rep, fault, other in zip(done, ("head_off_dowel", "rounded_back"), ("rounded_back", "head_off_dowel"),
                                 strict=True):
        assert fault in rep.faults or "back" in rep.unseen, rep
        assert other not in rep.faults and rep.verdict != "good", rep
    drawn = ("head_off_dowel", "rounded_back")
    caught = [fault in rep.faults for rep, fault in zip(done, drawn, strict=True)]
    assert any(caught)


def test_a_squat_as_the_first_rep_is_counted_and_called(results: dict[str, Result]) -> None:
    """The tall man framed from the floor to above his head (his head was cut off at first, and the
    engine found nobody in his first second): his first rep, a squat, is counted and called."""
    assert len(results["legs"].reps) == 2 and "squat" in results["legs"].reps[0].faults


# --- the spine rules with the dowel always seen (the renderer's own dowel in every frame) and never
# seen: independent of how well the dowel finder sees the rendered dowel (docs/figures.md, "Spine
# rules on rendered truth").
SPINE = {"rounded_back", "head_off_dowel", "sacrum_off_dowel", "upper_back_off_dowel"}


def _spine_faults(result: Result) -> list[set[str]]:
    return [set(rep.faults) & SPINE for rep in result.reps]


@pytest.fixture(scope="module")
def truth_dowel(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    from tools.render.truth_dowel import copy_with_truth_dowel

    folder = tmp_path_factory.mktemp("truth_dowel")
    copy_with_truth_dowel(RENDERED, folder)
    return {rec.name: run_recording(rec, Settings()) for rec in load_labels(folder)}


@pytest.fixture(scope="module")
def no_dowel(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    from tools.render.truth_dowel import copy_with_truth_dowel

    folder = tmp_path_factory.mktemp("no_dowel")
    copy_with_truth_dowel(RENDERED, folder, seen=False)
    return {rec.name: run_recording(rec, Settings()) for rec in load_labels(folder)}


def test_with_the_truths_dowel_each_spine_fault_is_called_on_its_rep_and_good_backs_pass(
        truth_dowel: dict[str, Result]) -> None:
    """Rounded backs (34-40 deg of thoracic flexion: side-on, 25 deg off and high, a shorter man
    1.3 m high), flexed necks (28-34 deg), the dowel 5-7 deg off the sacrum (an orange shirt, and
    another body), each its own fault and nothing else of the spine; a mild 15-20 deg rounding and
    every straight back pass, side-on to 25 deg off."""
    spine = {name: _spine_faults(r) for name, r in truth_dowel.items()}
    assert spine["spine_side"] == [{"rounded_back"}, {"head_off_dowel"}]
    assert spine["spine_mild"] == [set(), {"rounded_back"}, {"sacrum_off_dowel"}]
    assert spine["fast_sacrum"][1] == {"sacrum_off_dowel"}
    oblique = spine["spine_oblique"]  # 25 deg off: a back may be left unjudged, never misjudged
    assert oblique[0] <= {"head_off_dowel"} and "rounded_back" in oblique[1]
    for name in ("good_pauses", "continuous", "walk_in", "wall_lockout"):
        assert all(faults == set() for faults in spine[name]), (name, spine[name])
    assert spine["legs"][0] == set()  # rep 1: below
    assert spine["fast_sacrum"][0] == set()
    # Every rep filmed up to 20 deg off is judged in full (beyond, see the view tests below).
    assert all(not r.unseen for name, res in truth_dowel.items() if _truth(name)["look"]["yaw"] <= 20
               for r in res.reps)


@pytest.mark.xfail(strict=True, reason="issue 28: the tall thin man rising from a bent-knee rep: "
                   "his ear reads 0.08-0.09 torso lengths further off the dowel than standing while "
                   "the truth has the head 0.7 cm off (landmark drift as the trunk turns ~35 deg/s)")
def test_with_the_truths_dowel_bent_knees_show_no_spine_fault(truth_dowel: dict[str, Result]) -> None:
    assert _spine_faults(truth_dowel["legs"])[1] == set()


def test_without_any_dowel_the_flexed_neck_is_called_and_no_straight_back_is_faulted(
        no_dowel: dict[str, Result]) -> None:
    """The landmarks alone: a neck flexed 28-34 deg side-on is the head off the dowel; nothing of
    the spine is called on any other rep (the rounded reps too are passed without a dowel: see
    docs/figures.md), and every rep says the dowel was not seen."""
    spine = {name: _spine_faults(r) for name, r in no_dowel.items()}
    assert spine["spine_side"][1] == {"head_off_dowel"}
    called = {(name, k) for name, reps in spine.items() for k, faults in enumerate(reps) if faults}
    assert called == {("spine_side", 1)}
    assert all("dowel" in r.unseen for res in no_dowel.values() for r in res.reps)
def test_a_squat_filmed_45_degrees_off_is_a_squat_and_its_back_not_seen(results: dict[str, Result]) -> None:
    """Issue 28's miss: a squat filmed about 45 deg off side-on was called rounded_back. Bent over,
    the pose model reads that camera as 14-28 deg off; upright it reads 40 (docs/figures.md)."""
    done = results["squat_45"].reps
    assert [("squat" in rep.faults) for rep in done] == [False, True, True]
    assert all("rounded_back" not in rep.faults and "back" in rep.unseen for rep in done)


def test_the_back_is_judged_up_to_20_degrees_off_and_not_from_30(results: dict[str, Result]) -> None:
    seen = {}
    for name, r in results.items():
        yaw = _truth(name)["look"]["yaw"]
        seen[name] = (yaw, ["back" not in rep.unseen for rep in r.reps])
    assert all(all(backs) for yaw, backs in seen.values() if yaw <= 20), seen
    # From 30 deg off the estimate reads 23-46 (bodies and camera heights differ by 4-8 deg): at
    # least 9 in 10 backs are left unjudged.
    beyond = [b for yaw, backs in seen.values() if yaw >= 30 for b in backs]
    assert sum(not b for b in beyond) >= 0.9 * len(beyond), seen
    assert sum(yaw >= 30 for yaw, _ in seen.values()) >= 4 and sum(yaw <= 20 for yaw, _ in seen.values()) >= 7


@pytest.mark.xfail(strict=True, reason="issue 28: good_35's second rep, filmed 35 deg off, reads 23.4 "
                   "(its hips through the rep; 30.1 standing), under SPINE_MAX_YAW = 25, and its "
                   "straight back is called head and upper back off the dowel; a limit of 22 would "
                   "leave it unjudged, but also the simulator's sets with real tracks' far-side noise")
def test_a_back_judged_30_degrees_off_or_more_names_no_spine_fault(results: dict[str, Result]) -> None:
    spine = {"rounded_back", "head_off_dowel", "sacrum_off_dowel", "upper_back_off_dowel"}
    judged = [set(rep.faults) & spine for name, r in results.items() if _truth(name)["look"]["yaw"] >= 30
              for rep in r.reps if "back" not in rep.unseen]
    assert not any(judged)


def test_the_report_splits_the_score_by_camera_and_body_and_says_what_vision_saw() -> None:
    from tools.render.report import report

    doc = report(RENDERED)
    assert set(doc["camera"]) == {"side-on", "10-25 deg off", "over 25 deg off"}
    assert sum(s["sets"] for s in doc["camera"].values()) == doc["all"]["sets"] == len(doc["recordings"])
    assert sum(s["sets"] for s in doc["body"].values()) == doc["all"]["sets"] and len(doc["body"]) >= 5
    vision = doc["vision"]
    assert all(v["person"] <= v["frames"] and v["dowel"] <= v["person"] for v in vision.values())
    # Side-on, the station's own dowel finder sees the rendered dowel in some frames of every clip.
    assert all(vision[name]["dowel"] > 0 for name in ("good_pauses", "spine_side", "wall_lockout"))
