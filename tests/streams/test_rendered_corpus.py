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
            if not faults:
                assert max(bottom["gaps_m"].values()) <= limit and bottom["wall_contact"], (rec.name, rep)


def test_the_coach_counts_the_rendered_sets_exactly_but_legs(results: dict[str, Result]) -> None:
    """Exact counts in 7 of 8 sets: pauses, a continuous set, a walk-in with a stoop to settle the
    dowel (no rep), reps cut short or not stood up from; ``legs`` is a known miss (below)."""
    score = Score()
    for name, r in results.items():
        if name != "legs":
            score.add(r)
    assert score.sets >= 7
    assert (score.exact_sets, score.counted_reps) == (score.sets, score.expected_reps), {
        name: len(r.reps) for name, r in results.items()}


def test_good_reps_pass_and_the_faults_the_coach_sees_today_are_called(results: dict[str, Result]) -> None:
    for name in ("good_pauses", "continuous", "walk_in"):  # 7 good reps, side-on to 20 deg off
        assert all(rep.faults == () for rep in results[name].reps), name
    assert [rep.faults for rep in results["wall_lockout"].reps] == [("no_wall_touch",), ("no_lockout",), ()]
    assert results["fast_sacrum"].reps[0].faults == ("too_fast",)
    assert "head_off_dowel" in results["spine_side"].reps[1].faults
    assert any("knees_too_bent" in rep.faults for rep in results["legs"].reps)


@pytest.mark.xfail(strict=True, reason="issue 28: a rounded upper back (34-40 deg thoracic flexion) "
                   "reads as the head off the dowel, not rounded_back")
def test_a_rounded_upper_back_side_on_is_called_rounded(results: dict[str, Result]) -> None:
    assert "rounded_back" in results["spine_side"].reps[0].faults


@pytest.mark.xfail(strict=True, reason="issue 28: the dowel's lower end 5-7 deg off the sacrum passes")
def test_the_sacrum_off_the_dowel_is_called(results: dict[str, Result]) -> None:
    assert "sacrum_off_dowel" in results["fast_sacrum"].reps[1].faults


@pytest.mark.xfail(strict=True, reason="issue 28: 25 deg off side-on, a dropped head and a rounded "
                   "back pass (the rounded rep reads knees_too_bent)")
def test_spine_faults_25_degrees_off_side_on_are_called(results: dict[str, Result]) -> None:
    faults = [rep.faults for rep in results["spine_oblique"].reps]
    assert "head_off_dowel" in faults[0] and "rounded_back" in faults[1]


@pytest.mark.xfail(strict=True, reason="issue 28: the engine finds nobody in the tall man's first "
                   "second standing still, so his first rep, a squat, is never counted")
def test_a_squat_as_the_first_rep_is_counted_and_called(results: dict[str, Result]) -> None:
    assert len(results["legs"].reps) == 2 and "squat" in results["legs"].reps[0].faults


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
    assert all(not any(backs) for yaw, backs in seen.values() if yaw >= 30), seen
    assert sum(yaw >= 30 for yaw, _ in seen.values()) >= 4 and sum(yaw <= 20 for yaw, _ in seen.values()) >= 7


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
