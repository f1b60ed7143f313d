"""``station evaluate``: labels read, reps paired, precision and recall counted right; and the real
corpus in tests/data/real runs, a row per recording (today's accuracy there is not asserted: the
coach is being changed for real bodies, and this command exists to measure that)."""

from __future__ import annotations

import io
import json
from itertools import pairwise
from pathlib import Path

import pytest

from station.cli.main import main
from station.coach.events import RepFinished
from station.coach.run import reps_over
from station.config.settings import Settings
from station.sim import Body, RepPlan, SetPlan, Trainee
from station.streams.evaluate import (
    CountedRep,
    LabelError,
    Recording,
    Result,
    Score,
    evaluate,
    load_labels,
    pair_reps,
    run,
    run_recording,
    summary_dict,
)
from station.streams.format import StreamFrame, StreamFrames, read_stream, write_frame

REAL = Path(__file__).resolve().parents[1] / "data" / "real"


def _rec(expected: int, judged: set[str], rep_faults: list[set[str]] | None,
         times: list[float] | None = None) -> Recording:
    faults = None if rep_faults is None else [frozenset(f) for f in rep_faults]
    return Recording("r", Path("r"), "hinge", expected, frozenset(judged), faults, rep_times=times)


def _reps(*reps: tuple[str, tuple[str, ...]]) -> list[CountedRep]:
    """The coach's reps, 3 s apart: the first from 1 to 3 s, the next from 4 to 6 s, ..."""
    return [CountedRep(verdict, faults, 1.0 + 3 * i, 3.0 + 3 * i) for i, (verdict, faults) in enumerate(reps)]


def test_exact_sets_pair_reps_and_count_each_fault_once() -> None:
    score = Score()
    score.add(Result(_rec(3, {"squat", "rounded_back"}, [set(), {"squat"}, {"rounded_back"}]),
                     _reps(("fault", ("rounded_back",)), ("fault", ("squat", "too_fast")), ("good", ())),
                     90, 0))
    assert score.exact_sets == 1
    assert (score.tp["squat"], score.fp["squat"], score.fn["squat"]) == (1, 0, 0)
    assert (score.tp["rounded_back"], score.fp["rounded_back"], score.fn["rounded_back"]) == (0, 1, 1)
    assert score.fp["too_fast"] == 0  # not judged in this recording: neither right nor wrong
    assert score.precision("squat") == 1.0 and score.recall("rounded_back") == 0.0
    assert score.precision("rounded_back") == 0.0 and score.recall("squat") == 1.0
    assert score.precision("no_lockout") is None  # never named: no precision to speak of
    assert score.spine_judged_good == 1  # the rounded rep passed: the worst error


def test_a_wrong_count_makes_every_true_fault_a_miss_and_every_named_one_a_false_alarm() -> None:
    score = Score()
    score.add(Result(_rec(2, {"squat"}, [{"squat"}, {"squat"}]), _reps(("fault", ("squat",))), 60, 0))
    score.add(Result(_rec(1, {"squat"}, None), [], 30, 0))  # only the count labelled
    assert (score.sets, score.exact_sets, score.expected_reps, score.counted_reps) == (2, 0, 3, 1)
    assert (score.tp["squat"], score.fp["squat"], score.fn["squat"]) == (0, 1, 2)
    assert score.precision("squat") == 0.0 and score.recall("squat") == 0.0


def test_with_rep_times_reps_pair_by_time_not_by_order() -> None:
    score = Score()
    # Three labelled reps, deepest at 2, 5 and 8 s; the coach missed the middle one and saw
    # one more that nobody labelled (from 10 to 12 s).
    rec = _rec(3, {"squat", "rounded_back"}, [{"squat"}, {"squat"}, {"rounded_back"}], [2.0, 5.2, 8.0])
    coach = [CountedRep("fault", ("squat",), 1.0, 3.0), CountedRep("good", (), 7.5, 9.0),
             CountedRep("fault", ("rounded_back",), 10.0, 12.0)]
    score.add(Result(rec, coach, 300, 0))
    assert score.exact_sets == 1  # the count is right, yet one rep is missed and one made up
    assert (score.tp["squat"], score.fn["squat"], score.fp["squat"]) == (1, 1, 0)
    assert (score.tp["rounded_back"], score.fn["rounded_back"], score.fp["rounded_back"]) == (0, 1, 1)
    assert score.spine_judged_good == 1  # the rounded rep at 8 s was passed


def test_a_rep_just_outside_the_coach_rep_still_pairs_but_not_one_far_away() -> None:
    rec = _rec(2, {"squat"}, [{"squat"}, {"squat"}], [3.2, 20.0])
    score = Score()
    score.add(Result(rec, [CountedRep("fault", ("squat",), 1.0, 3.0)], 600, 0))
    assert (score.tp["squat"], score.fn["squat"]) == (1, 1)


def _write_set(folder: Path) -> tuple[list[frozenset[str]], list[RepFinished]]:
    """A simulated set of three reps as a stream, its labels, and what a coach makes of it."""
    plan = SetPlan(reps=(RepPlan(), RepPlan(frozenset({"squat"})), RepPlan(frozenset({"rounded_back"}))),
                   noise_px=0.5)
    trainee = Trainee(Body(), plan, seed=4)
    with (folder / "set.jsonl").open("w", encoding="utf-8") as out:
        for f in trainee.frames():
            size = f.pose.size if f.pose is not None else (1280, 720)
            write_frame(out, StreamFrame(f.t, size, f.pose, f.dowel, f.wall_contact))
    truth = [frozenset(str(c) for c in r.faults) for r in trainee.truth]
    labels = {"recordings": [
        {"name": "sim", "file": "set.jsonl", "movement": "dowel drill", "expected_reps": len(truth),
         "judged": ["squat", "rounded_back", "knees_too_bent"], "rep_faults": [sorted(t) for t in truth],
         "labelled_by": "the simulator"},
        {"name": "count only", "file": "set.jsonl", "expected_reps": 7}]}
    (folder / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    with (folder / "set.jsonl").open(encoding="utf-8") as lines:
        stream = StreamFrames(read_stream(lines))
        reps = reps_over(stream, Settings())
    assert stream.bad_lines == 0
    return truth, reps


def test_a_labelled_stream_is_scored_against_what_the_coach_said(tmp_path: Path) -> None:
    truth, reps = _write_set(tmp_path)
    assert truth == [frozenset(), frozenset({"squat"}), frozenset({"rounded_back"})]
    results, score = evaluate(tmp_path)
    assert [r.recording.expected_reps for r in results] == [3, 7]
    assert [len(r.reps) for r in results] == [len(reps), len(reps)]
    reps0 = results[0].reps
    assert all(a.start < a.end <= b.start for a, b in pairwise(reps0))
    assert score.sets == 2 and score.exact_sets == (len(reps) == 3) + (len(reps) == 7)
    said = [frozenset(str(c) for c in e.faults) & {"squat", "rounded_back"} for e in reps]
    if len(reps) == 3:  # the simulated suite counts these right; the pairing is checked by hand
        expected_tp = sum(len(t & s) for t, s in zip(truth, said, strict=True))
        assert score.tp["squat"] + score.tp["rounded_back"] == expected_tp
        assert score.fn["squat"] == int("squat" not in said[1])
    assert score.fn["knees_too_bent"] == 0 and "knees_too_bent" in score.judged
    assert score.recall("knees_too_bent") is None  # labelled, but in no rep


def test_text_and_json_reports(tmp_path: Path) -> None:
    _write_set(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    assert run(tmp_path, out, err) == 0
    text = out.getvalue()
    assert "sim  (dowel drill" in text and "expected   3" in text and "expected   7" in text
    assert "rep count exact in" in text and "knees_too_bent" in text
    out = io.StringIO()
    assert run(tmp_path, out, err, as_json=True) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["event"] for r in rows] == ["recording", "recording", "summary"]
    assert rows[0]["expected_faults"] == {"rounded_back": 1, "squat": 1}
    assert rows[1]["expected_faults"] is None and rows[1]["count_exact"] is False
    assert set(rows[2]["faults"]) == {"squat", "rounded_back", "knees_too_bent"}


@pytest.mark.parametrize(("labels", "message"), [
    ("not json", "not JSON"),
    ('{"recordings": {}}', '"recordings" list'),
    ('{"recordings": [{"name": "a", "file": "a.jsonl"}]}', "'expected_reps'"),
    ('{"recordings": [{"name": "a", "file": "a", "expected_reps": -1}]}', "whole number"),
    ('{"recordings": [{"name": "a", "file": "a", "expected_reps": 2, "rep_faults": [[]]}]}', "one list per"),
    ('{"recordings": [{"name": "a", "file": "a", "expected_reps": 1, "rep_faults": [["squat"]]}]}',
     "not in judged"),
    ('{"recordings": [{"name": "a", "file": "a", "expected_reps": 1, "rep_times": ["x"]}]}', "rep_times"),
    ('{"recordings": [{"name": "a", "file": "a", "expected_reps": 1, "settings": [1]}]}', "settings must"),
    ('{"recordings": [{"name": "a", "file": "a", "expected_reps": 1, "tags": "side"}]}', "tags must"),
])
def test_unusable_labels_say_why(tmp_path: Path, labels: str, message: str) -> None:
    (tmp_path / "labels.json").write_text(labels, encoding="utf-8")
    with pytest.raises(LabelError, match=message):
        load_labels(tmp_path)
    err = io.StringIO()
    assert run(tmp_path, io.StringIO(), err) == 1 and message in err.getvalue()


def test_a_missing_stream_or_folder_is_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(tmp_path / "nowhere")]) == 1
    (tmp_path / "labels.json").write_text('{"recordings": [{"name": "a", "file": "gone.jsonl", '
                                          '"expected_reps": 1}]}', encoding="utf-8")
    assert main(["evaluate", str(tmp_path)]) == 1
    assert "gone.jsonl" in capsys.readouterr().err


def test_the_real_corpus_runs_with_a_row_per_recording(capsys: pytest.CaptureFixture[str]) -> None:
    labels = json.loads((REAL / "labels.json").read_text(encoding="utf-8"))["recordings"]
    assert len(labels) >= 4
    for item in labels:  # every stream is there, small, and says where it came from
        stream = REAL / item["file"]
        assert stream.stat().st_size < 600_000, stream
        assert item["source"]["licence"] and item["source"]["commit"] and item["labelled_by"]
    assert main(["evaluate", str(REAL), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["name"] for r in rows[:-1]] == [item["name"] for item in labels]
    assert [r["expected_reps"] for r in rows[:-1]] == [item["expected_reps"] for item in labels]
    assert all(r["frames"] > 100 and r["bad_lines"] == 0 for r in rows[:-1])
    assert rows[-1]["event"] == "summary" and rows[-1]["sets"] == len(labels)
    assert main(["evaluate", str(REAL)]) == 0
    text = capsys.readouterr().out
    for item in labels:
        assert f"{item['name']}  (" in text and f"expected {item['expected_reps']:3d}" in text


def _hip_knee(stream: Path) -> list[tuple[float, float, float]]:
    from station.coach.posture import angles_of, facing_of, near_side

    rows = []
    with stream.open(encoding="utf-8") as lines:
        for f in read_stream(lines):
            if isinstance(f, StreamFrame) and f.pose is not None:
                a = angles_of(f.pose, near_side(f.pose), facing_of(f.pose))
                rows.append((f.t, a.hip_flexion, a.knee_flexion))
    return rows


@pytest.mark.parametrize("name", ["kb_swing_1h_igor", "kb_swing_1h_igor_tfjs", "kb_swing_4reps",
                                  "kb_swing_movenet", "pistol_squat"])
def test_each_real_stream_shows_what_its_labels_say(name: str) -> None:
    """The labels' rep times fall on deep points with a standing-up in between, and squats are
    squats: checks on the data and its conversion, not on the coach."""
    labels = json.loads((REAL / "labels.json").read_text(encoding="utf-8"))["recordings"]
    item = next(i for i in labels if i["name"] == name)
    rows = _hip_knee(REAL / item["file"])
    times = item["rep_times"]
    assert times == sorted(times) and len(times) == item["expected_reps"]

    def near(t: float) -> tuple[float, float]:
        window = [r for r in rows if abs(r[0] - t) <= 0.2]
        return max(r[1] for r in window), max(r[2] for r in window)

    for t in times:
        hip, knee = near(t)
        assert hip > 75, (t, hip)
        assert (knee > 85) if "squat" in item["judged"] and item["rep_faults"][0] else (knee < 75), (t, knee)
    for a, b in pairwise(times):  # stood up (a lockout) between two reps
        assert min(r[1] for r in rows if a < r[0] < b) < 15


@pytest.mark.parametrize("name", ["kb_swing_1h_igor", "kb_swing_1h_igor_tfjs", "kb_swing_movenet"])
def test_real_swing_sets_that_start_with_the_bell_parked_count_every_swing(name: str) -> None:
    """The member is bent over at the start (the bell on the floor): the hike and the rise into the
    first stand is the first swing, and parking the bell at the end (a hinge that never comes back
    up) is none. Every labelled swing pairs with one of the coach's, the first included."""
    rec = next(r for r in load_labels(REAL) if r.name == name)
    result = run_recording(rec, Settings())
    assert result.count_exact, (len(result.reps), rec.expected_reps)
    pairs = pair_reps(rec, result.reps)
    assert sorted(pairs) == list(range(rec.expected_reps)) and pairs[0] == 0, pairs
    assert not any("no_lockout" in rep.faults for rep in result.reps)


def test_every_real_set_with_continuous_reps_is_counted_exactly() -> None:
    score = Score()
    for rec in load_labels(REAL):
        score.add(run_recording(rec, Settings()))
    assert (score.exact_sets, score.counted_reps) == (score.sets, score.expected_reps)
    assert score.spine_judged_good == 0


def test_a_recording_replays_with_its_own_settings_and_tags_group_the_summary(tmp_path: Path) -> None:
    _write_set(tmp_path)
    labels = json.loads((tmp_path / "labels.json").read_text(encoding="utf-8"))
    first = labels["recordings"][0]
    # The same stream twice: as recorded, and with the settings of a station where a rep must
    # take 10 s (every simulated rep, 2-4 s, too fast there): the recording's own settings decide.
    slow = {**first, "name": "kept", "settings": {"min_rep_s": 10.0}, "tags": {"camera": "side-on"}}
    labels["recordings"] = [{**first, "tags": {"camera": "side-on"}}, slow]
    (tmp_path / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    results, _ = evaluate(tmp_path)
    fast = [sum("too_fast" in rep.faults for rep in r.reps) for r in results]
    assert fast[0] < len(results[0].reps) and fast[1] == len(results[1].reps) > 0
    out = io.StringIO()
    assert run(tmp_path, out, io.StringIO(), as_json=True) == 0
    summary = json.loads(out.getvalue().splitlines()[-1])
    assert list(summary["by_tag"]) == ["camera"] and summary["by_tag"]["camera"]["side-on"]["sets"] == 2
    bad = {**slow, "settings": {"min_rep_s": -1}}
    (tmp_path / "labels.json").write_text(json.dumps({"recordings": [bad]}), encoding="utf-8")
    with pytest.raises(LabelError, match="kept: its settings are not valid"):
        evaluate(tmp_path)


def test_abstentions_are_counted_apart_from_reps_judged_in_full() -> None:
    rec = Recording("a", Path("a"), "hinge", 3, frozenset({"rounded_back", "squat"}),
                    [frozenset({"rounded_back"}), frozenset(), frozenset({"squat"})],
                    rep_times=[2.0, 5.0, 8.0])
    reps = [CountedRep("unjudged", (), 1.0, 3.0, ("back", "dowel")),  # abstained: neither right nor wrong
            CountedRep("good", (), 4.0, 6.0),
            CountedRep("fault", ("rounded_back",), 7.0, 9.0)]  # judged in full, and wrong
    score = Score()
    score.add(Result(rec, reps, 100, 0))
    assert (score.abstained, score.judged_in_full, score.wrong_in_full) == (1, 2, 1)
    assert score.unseen == {"back": 1, "dowel": 1}
    summary = summary_dict(score)
    assert summary["abstain_rate"] == 0.333 and summary["wrong_rate_in_full"] == 0.5
