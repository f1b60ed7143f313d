"""tools/render without Blender or MakeHuman's assets: the skeleton's rotations, the corpus's
definitions, and the labels the renderer writes for ``station evaluate``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from station.streams.evaluate import load_labels
from tools.render.body import BodyShape, read_target, rot_x, rotation_between
from tools.render.corpus import CLIPS, clip
from tools.render.drill import FAULTS, Rep, Shape
from tools.render.label import RENDERED_FAULTS, rep_truth, write_labels


def test_rotations_turn_the_way_the_drill_reads_them() -> None:
    # Positive about x tips up (y) towards forward (z): a trunk leaning into the hinge.
    assert np.allclose(rot_x(90) @ [0, 1.0, 0], [0, 0, 1.0])
    for a, b in (([0, 1.0, 0], [0.3, -0.2, 0.9]), ([1.0, 0, 0], [-1.0, 0, 0]), ([0, 0, 1.0], [0, 0, 1.0])):
        r = rotation_between(np.array(a), np.array(b))
        assert np.allclose(r @ a, np.array(b) / np.linalg.norm(b))
        assert np.allclose(r @ r.T, np.eye(3)) and np.isclose(np.linalg.det(r), 1.0)


def test_a_target_file_reads_as_indices_and_offsets(tmp_path: Path) -> None:
    path = tmp_path / "t.target"
    path.write_text("# a comment\n3 0.1 -0.2 0.3\n7 1 2 3\n")
    idx, off = read_target(path)
    assert idx.tolist() == [3, 7] and off.shape == (2, 3) and off[0].tolist() == [0.1, -0.2, 0.3]
    empty = tmp_path / "e.target"
    empty.write_text("# nothing moves\n")
    assert read_target(empty)[1].shape == (0, 3)


def test_bodies_name_makehumans_macro_targets() -> None:
    assert BodyShape("female", "max", 0.5).targets() == [
        ("caucasian-female-young.target", 1.0),
        ("universal-female-young-averagemuscle-maxweight.target", 1.0),
        ("height/female-young-averagemuscle-maxweight-maxheight.target", 0.5)]
    low = BodyShape(height=-1.0).targets()[-1]
    assert low == ("height/male-young-averagemuscle-averageweight-minheight.target", 1.0)


def test_the_corpus_covers_every_fault_and_reproduces_from_distinct_seeds() -> None:
    planned = {f for c in CLIPS for r in c.plan.reps for f in r.faults}
    assert planned == set(FAULTS) == set(RENDERED_FAULTS)
    assert len({c.seed for c in CLIPS}) == len({c.name for c in CLIPS}) == len(CLIPS)
    assert {c.look.yaw for c in CLIPS} >= {0.0, 25.0} and len({c.shape for c in CLIPS}) >= 4
    assert any(c.plan.walk_in for c in CLIPS) and all(c.fps >= 15 for c in CLIPS)
    with pytest.raises(KeyError, match="good_pauses"):
        clip("nope")
    with pytest.raises(ValueError, match="unknown faults"):
        Rep(frozenset({"slouch"}))
    assert Shape(hip=10).mix(Shape(hip=30, neck=20), 0.5) == Shape(hip=20, neck=10)


def _truth(reps: list[list[str]], touched: list[bool]) -> dict:
    frames = [{"t": i / 15, "rep": i + 1, "phase": "hold", "hip_flexion": 80.0, "knee_flexion": 20.0,
               "shape": {}, "contacts": {"head": True, "upper_back": True, "sacrum": True}, "gaps_m": {},
               "wall_contact": w, "dowel_px": [[0, 0], [1, 1]]} for i, w in enumerate(touched)]
    return {"seed": 1, "fps": 15.0, "notes": "", "body": {"sex": "male", "weight": "average", "height": 0.0},
            "look": {"yaw": 0.0, "distance": 3.0, "camera_z": 1.0},
            "reps": [{"rep": i + 1, "deepest": i / 15, "faults": f} for i, f in enumerate(reps)],
            "frames": frames}


def test_labels_take_the_wall_from_the_pad_and_speak_the_coachs_vocabulary(tmp_path: Path) -> None:
    truth_dir = tmp_path / "truth"
    (truth_dir / "clip").mkdir(parents=True)
    truth = _truth([[], ["squat"], ["rounded_back"]], [True, False, False])
    (truth_dir / "clip" / "truth.json").write_text(json.dumps(truth))
    streams = tmp_path / "streams"
    streams.mkdir()
    line = {"t": 0.0, "size": [640, 360], "landmarks": None, "wall_contact": None}
    (streams / "clip.jsonl").write_text("".join(json.dumps({**line, "t": i / 15}) + "\n" for i in range(3)))
    write_labels(streams, truth_dir)
    [rec] = load_labels(streams)
    assert rec.expected_reps == 3 and rec.judged == frozenset(RENDERED_FAULTS)
    # A squat is not also a missed wall; a rounded rep that never reached the pad is both.
    assert rec.rep_faults == [frozenset(), frozenset({"squat"}), frozenset({"rounded_back", "no_wall_touch"})]
    walls = [json.loads(x)["wall_contact"] for x in (streams / "clip.jsonl").read_text().splitlines()]
    assert walls == [True, False, False]
    assert rep_truth(truth)[0] == []
    (streams / "clip.jsonl").write_text(json.dumps(line) + "\n")  # a stream that lost frames
    with pytest.raises(ValueError, match="1 frames recorded, 3 rendered"):
        write_labels(streams, truth_dir)
