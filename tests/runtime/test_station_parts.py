"""The small classes the station's loop is made of, each on its own: the vocabulary, settings
renamed, the lights policy, the rep recorder, the lazy estimator, the calibration's snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.coach.events import RepFinished, SetEnded, SetStarted, WallTouched
from station.coach.faults import FAULTS
from station.coach.vocabulary import Contact, FaultCode, Phase, Side, TouchedBy, Verdict
from station.config.settings import RENAMED, Settings, SettingsError
from station.pose.models import ModelError
from station.runtime.devices import Devices, pin_factory
from station.runtime.estimator import LazyEstimator
from station.runtime.lights import LightPolicy
from station.runtime.rep_recorder import RepRecorder
from station.storage.replog import RepLog


def rep(verdict: Verdict, faults: tuple[FaultCode, ...] = ()) -> RepFinished:
    return RepFinished(t=1.0, set_no=1, rep=1, verdict=verdict, faults=faults, metrics={"duration_s": 2.0})


def test_every_fault_code_has_one_description_in_cue_order() -> None:
    assert list(FAULTS) == list(FaultCode)
    assert all(FAULTS[code].code is code for code in FaultCode)
    assert {c.fault for c in Contact} <= set(FaultCode)


def test_an_event_without_a_verdict_is_an_error_not_a_good_rep() -> None:
    with pytest.raises(TypeError, match="verdict"):
        RepFinished(t=1.0, set_no=1, rep=1, faults=(), metrics={})  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        RepFinished(1.0, 1, 1, Verdict.GOOD, (), {})  # type: ignore[misc]  # keywords only


def test_vocabulary_crosses_into_json_as_plain_strings() -> None:
    data = rep(Verdict.FAULT, (FaultCode.SQUAT,)).as_dict()
    assert json.loads(json.dumps(data)) == {
        "event": "rep_finished", "t": 1.0, "set_no": 1, "rep": 1, "verdict": "fault",
        "faults": ["squat"], "metrics": {"duration_s": 2.0}, "unseen": []}
    assert json.dumps({Contact.UPPER_BACK: True}) == '{"upper_back": true}'


def test_renamed_settings_still_load_from_old_saved_values_and_api_callers() -> None:
    old = {"squat_knee": 50, "stand_hip_max": 15, "rounded_head_spine": 25}
    s = Settings.from_dict(old)
    assert (s.squat_knee_beyond_standing, s.lockout_hip_beyond_standing,
            s.rounded_head_drop_beyond_standing) == (50.0, 15.0, 25.0)
    with pytest.raises(SettingsError) as caught:
        Settings().changed(hinge_start=500)
    assert list(caught.value.errors) == ["hinge_start"]  # the caller's own name, with the reason
    assert set(RENAMED.values()) <= set(Settings().to_dict())


@pytest.fixture
def devices():
    devices = Devices.from_settings(Settings(), factory=pin_factory(mock=True))
    yield devices
    devices.close()


def test_a_rep_result_holds_on_the_lights_then_follows_the_phase(devices) -> None:
    policy = LightPolicy(devices, hold_s=1.5)
    policy.after_step((rep(Verdict.FAULT, (FaultCode.SQUAT,)),), Phase.READY, now=10.0)
    assert devices.lights.values()["red"] == 1
    policy.after_step((), Phase.READY, now=11.4)  # still within the hold
    assert devices.lights.values()["red"] == 1
    policy.after_step((), Phase.READY, now=11.6)
    assert devices.lights.values()["red"] == 0 and devices.lights.values()["green"] > 0
    policy.after_step((rep(Verdict.UNJUDGED),), Phase.READY, now=11.7)
    assert devices.lights.pattern == "unjudged"
    policy.after_step((rep(Verdict.GOOD),), Phase.READY, now=12.0)
    policy.after_step((), Phase.HINGING, now=12.1)  # a new rep ends the hold at once
    assert devices.lights.values() == {"red": 0.0, "amber": 1.0, "green": 0.0}
    policy.after_step((WallTouched(t=2.0, set_no=1, rep=2, by=TouchedBy.SWITCH),), Phase.AT_WALL, now=12.2)
    assert devices.lights.values() == {"red": 0.0, "amber": 1.0, "green": 1.0}


def test_the_switch_lights_the_wall_touch_only_while_hinging(devices) -> None:
    policy = LightPolicy(devices, hold_s=1.5)
    policy.after_step((), Phase.READY, now=0.0)
    policy.switch_changed(True)
    assert devices.lights.values()["amber"] == 0  # standing and leaning on the wall: no touch
    policy.after_step((), Phase.HINGING, now=0.1)
    policy.switch_changed(True)
    assert devices.lights.values() == {"red": 0.0, "amber": 1.0, "green": 1.0}


def test_the_recorder_stores_before_telling_and_survives_a_failing_store(tmp_path: Path) -> None:
    store = RepLog.open(tmp_path)
    errors: list[tuple[str, str]] = []
    heard: list[dict] = []

    def listener(message: dict) -> None:
        assert store.reps.newest_first(limit=10)[0]["id"] == message["id"]  # on disk before anyone hears
        heard.append(message)

    recorder = RepRecorder(store, lambda source, why: errors.append((source, why)), listener)
    recorder.record(SetStarted(t=0.0, set_no=1, facing=Side.LEFT))
    message = recorder.record(rep(Verdict.GOOD))
    assert message["type"] == "event" and message["verdict"] == "good"
    assert [h["id"] for h in heard] == [message["id"]]
    recorder.record(SetEnded(t=3.0, set_no=1, reps=1, good=1))
    assert store.reps.sets()[0]["reps"] == 1 and store.reps.sets()[0]["t_end"] is not None
    store.close()
    message = recorder.record(rep(Verdict.FAULT, (FaultCode.TOO_FAST,)))
    assert "id" not in message and errors and errors[0][0] == "store"  # not stored: it waits
    assert recorder.waiting_reps == 1 and recorder.failed and len(heard) == 1


def test_a_broken_listener_is_reported_and_the_rep_is_kept(tmp_path: Path) -> None:
    store = RepLog.open(tmp_path)
    errors: list[tuple[str, str]] = []

    def broken(message: dict) -> None:
        raise RuntimeError("listener down")

    recorder = RepRecorder(store, lambda source, why: errors.append((source, why)), broken)
    recorder.record(rep(Verdict.GOOD))
    assert len(store.reps.newest_first(limit=10)) == 1
    assert errors == [("output", "rep listener failed: listener down")]


def test_the_estimator_is_loaded_once_and_a_failure_is_said_once() -> None:
    calls: list[str] = []
    said: list[str] = []

    def missing():
        calls.append("load")
        raise ModelError("pose_detection.tflite is missing")

    lazy = LazyEstimator(missing, on_problem=said.append)
    assert lazy.get() is None and lazy.get() is None
    assert calls == ["load"] and len(said) == 1 and "pose_detection.tflite is missing" in said[0]
    sentinel = object()
    loaded = LazyEstimator(lambda: sentinel)  # type: ignore[arg-type,return-value]
    assert loaded.get() is sentinel and loaded.get() is sentinel and loaded.problem is None


def test_every_label_names_its_unit_once() -> None:
    """The unit is added to the label in one place; a label written with its own unit showed it
    twice ("Keep sets for (days) (days)")."""
    for f in Settings.describe():
        label = Settings.label(f["name"])
        if f["unit"]:
            unit = label[label.rindex(" ("):]
            assert label.count(unit) == 1, label
