"""pose_model = auto (issue 25): the rule with fake timings, the real timing on the real models
(with and without the int8 one), the saved choice reused and measured again when the models or
threads change, the settings, the health page, and a demo that never times anything."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from station.config.settings import Settings, SettingsError
from station.pose import models
from station.runtime import model_choice
from station.runtime.model_choice import DOCUMENT, FLOAT, INT8, AutoModel, choose_model, pick
from station.storage import documents


# ---------------------------------------------------------------- the rule, pure
def test_the_faster_model_wins_and_a_tie_keeps_the_float_one() -> None:
    assert pick(30.0, 20.0)[0] == INT8
    assert pick(20.0, 30.0)[0] == FLOAT
    assert pick(25.0, 25.0)[0] == FLOAT
    assert pick(25.0, None) == (FLOAT, "int8 not built")


@pytest.fixture
def fake_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """A models folder of fake bytes that counts as verified, and timings that are made up."""
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / models.LANDMARKER.name).write_bytes(b"float")
    (folder / models.LANDMARKER_INT8.name).write_bytes(b"int8")
    state: dict[str, object] = {"folder": folder, "calls": 0, "ms": {FLOAT: 30.0, INT8: 20.0}}

    def timings(folder: Path, threads: int, names: list[str], **_: object) -> dict[str, float]:
        state["calls"] = int(state["calls"]) + 1  # type: ignore[call-overload]
        return {n: state["ms"][n] for n in names}  # type: ignore[index]

    monkeypatch.setattr(model_choice, "time_models", timings)
    monkeypatch.setattr(models, "require", lambda folder, name="full": (folder, folder))
    monkeypatch.setattr(models, "check_int8", lambda folder: None if (folder / models.LANDMARKER_INT8.name)
                        .is_file() else models.Problem("int8", folder, "missing"))
    return state


def test_a_choice_is_saved_with_its_figures_and_reused_until_the_models_or_threads_change(
        tmp_path: Path, fake_models: dict[str, object]) -> None:
    data, folder = tmp_path / "data", fake_models["folder"]
    assert isinstance(folder, Path)
    first = AutoModel(data, 2, "auto", folder)
    assert first.resolve() == INT8 and fake_models["calls"] == 1
    saved = documents.read(data, DOCUMENT)
    assert saved is not None
    assert (saved["float_ms"], saved["int8_ms"], saved["threads"]) == (30.0, 20.0, 2)
    assert saved["reason"].startswith("int8 is faster") and saved["measured_at"] > 0

    again = AutoModel(data, 2, "auto", folder)  # the next start: read, not measured
    assert again.resolve() == INT8 and fake_models["calls"] == 1
    assert again.health()["pose_model"]["int8_ms"] == 20.0

    assert again.health()["pose_model"]["restart_to"] is None
    fake_models["ms"] = {FLOAT: 10.0, INT8: 20.0}
    choose_model(data, 2, folder=folder)  # the bring-up page measures again while it runs
    shown = again.health()["pose_model"]
    assert (shown["model"], shown["restart_to"], shown["float_ms"]) == (INT8, FLOAT, 10.0)
    assert model_choice.words(shown).endswith("; measured again: float after a restart")
    fake_models["ms"] = {FLOAT: 30.0, INT8: 20.0}

    assert AutoModel(data, 3, "auto", folder).resolve() == INT8 and fake_models["calls"] == 3  # threads
    fake_models["ms"] = {FLOAT: 10.0, INT8: 20.0}
    (folder / models.LANDMARKER_INT8.name).write_bytes(b"int8, built again")  # other bytes
    assert AutoModel(data, 3, "auto", folder).resolve() == FLOAT and fake_models["calls"] == 4
    (folder / models.LANDMARKER_INT8.name).unlink()
    chooser = AutoModel(data, 3, "auto", folder)
    assert chooser.resolve() == FLOAT and fake_models["calls"] == 5
    assert chooser.choice is not None and chooser.choice["int8_ms"] is None
    assert chooser.choice["reason"].startswith("int8 not built")


def test_an_explicit_model_overrides_and_one_off_commands_do_not_measure(
        tmp_path: Path, fake_models: dict[str, object]) -> None:
    folder = fake_models["folder"]
    assert isinstance(folder, Path)
    assert AutoModel(tmp_path, 2, "full_int8", folder).resolve() == INT8
    assert AutoModel(tmp_path, 2, "full", folder).resolve() == FLOAT
    assert AutoModel(tmp_path, 2, "auto", folder).resolve(measure=False) == FLOAT  # nothing saved yet
    assert fake_models["calls"] == 0


def test_an_int8_model_that_fails_its_preflight_is_not_timed(
        tmp_path: Path, fake_models: dict[str, object]) -> None:
    def check(name: str) -> None:
        if name == INT8:
            raise models.ModelError("the pose runtime crashed on this machine (SIGILL)")

    chooser = AutoModel(tmp_path, 2, "auto", fake_models["folder"])  # type: ignore[arg-type]
    assert chooser.resolve(check=check) == FLOAT and chooser.checked == {FLOAT}
    assert chooser.choice is not None and "cannot run here" in chooser.choice["reason"]


def test_the_health_line_says_measuring_then_the_model_and_both_figures() -> None:
    measuring = model_choice.words({"setting": "auto", "state": "measuring"})
    assert measuring == "measuring float and int8 on this CPU"
    line = model_choice.words({"setting": "auto", "state": "chosen", "model": FLOAT, "float_ms": 31.0,
                               "int8_ms": 40.0, "reason": "float is faster on this CPU", "threads": 4})
    assert line == "float (auto: float is faster on this CPU; float 31.0 ms, int8 40.0 ms, 4 threads)"


# ---------------------------------------------------------------- the real models
def test_both_real_models_are_timed_and_the_faster_kept(tmp_path: Path, model_folder: Path) -> None:
    choice = choose_model(tmp_path, 2, folder=model_folder, frames=5)
    assert choice["float_ms"] > 0 and choice["threads"] == 2 and choice["frames"] == 5
    assert documents.read(tmp_path, DOCUMENT) == choice
    if models.check_int8(model_folder) is None:
        assert choice["int8_ms"] > 0
        assert choice["model"] == (INT8 if choice["int8_ms"] < choice["float_ms"] else FLOAT)
    else:  # no int8 model here: the absent case below still runs
        assert choice["model"] == FLOAT and choice["int8_ms"] is None


def test_without_an_int8_model_the_float_one_is_kept(tmp_path: Path, model_folder: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    for model in models.MODELS:  # the detector and the float model, not the int8 one
        (folder / model.name).symlink_to(model_folder / model.name)
    choice = choose_model(tmp_path, 1, folder=folder, frames=2)
    assert (choice["model"], choice["int8_ms"]) == (FLOAT, None)
    assert choice["reason"].startswith("int8 not built") and choice["hashes"][INT8] is None


def test_the_live_engine_measures_at_its_first_load_then_reads_the_choice(
        tmp_path: Path, model_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from station.runtime.estimator import estimator_factory, model_chooser

    settings = Settings()
    assert settings.pose_model == "auto"
    monkeypatch.setattr(model_choice, "FRAMES", 3)
    monkeypatch.setattr(model_choice, "WARMUP", 1)
    chooser = model_chooser(tmp_path, settings, threads=1)
    factory = estimator_factory(tmp_path, settings, threads=1, chooser=chooser)
    assert chooser.state == "waiting" and documents.read(tmp_path, DOCUMENT) is None  # nothing yet
    engine = factory()
    saved = documents.read(tmp_path, DOCUMENT)
    assert saved is not None and chooser.state == "chosen" and chooser.model == saved["model"]
    assert engine.hold_roi == (saved["model"] == INT8)  # the int8 engine, as full_int8 loads it

    def no_measuring(*args: object, **kwargs: object) -> None:
        raise AssertionError("measured again")

    monkeypatch.setattr(model_choice, "choose_model", no_measuring)
    later = model_chooser(tmp_path, settings, threads=1)
    estimator_factory(tmp_path, settings, threads=1, chooser=later)()
    assert later.model == saved["model"] and later.health()["pose_model"]["float_ms"] == saved["float_ms"]


# ---------------------------------------------------------------- settings, pages, the demo
def test_settings_accept_auto_and_the_two_models_and_refuse_junk() -> None:
    assert Settings().pose_model == "auto"
    for name in ("auto", "full", "full_int8"):
        assert Settings.from_dict({"pose_model": name}).pose_model == name
    with pytest.raises(SettingsError) as caught:
        Settings().changed(pose_model="fastest")
    assert list(caught.value.errors) == ["pose_model"]
    settings, warnings = Settings.load({"pose_model": "lite"})
    assert settings.pose_model == "auto" and "pose_model" in warnings


def test_the_health_page_shows_the_chosen_model_and_both_figures(staff_client, sim_station,
                                                                  tmp_path: Path) -> None:
    chooser = AutoModel(tmp_path, 4, "auto", tmp_path)
    sim_station.health_parts.append(chooser.health)
    chooser.state = "measuring"
    html = staff_client.get("/staff/health").get_data(as_text=True)
    assert re.search(r'id="fig-pose-model"[^>]*>measuring float and int8 on this CPU<', html)
    chooser.choice = {"float_ms": 31.25, "int8_ms": 19.5, "threads": 4,
                      "reason": "int8 is faster on this CPU (19.5 ms against 31.2 ms)"}
    chooser.model, chooser.state = INT8, "chosen"
    figures = {f["key"]: f["text"] for f in staff_client.get("/staff/health.json").get_json()["figures"]}
    assert figures["pose-model"] == ("int8 (auto: int8 is faster on this CPU (19.5 ms against 31.2 ms); "
                                     "float 31.2 ms, int8 19.5 ms, 4 threads)")


def test_the_demo_times_no_model(tmp_path: Path) -> None:
    from station.runtime.build import RunOptions, build_station

    built = build_station(RunOptions(data=str(tmp_path), sim=True))
    try:
        assert built.station.estimator.pending is False  # no engine: the trainee brings its poses
        assert "pose_model" not in built.station.health()
        assert documents.read(tmp_path, DOCUMENT) is None
    finally:
        built.station.stop()


def test_a_slow_cpu_stops_at_the_time_budget_with_the_fewest_rounds(model_folder: Path) -> None:
    # A budget already spent (as on a CPU far slower than a Pi, e.g. the rig's emulator): one
    # warm-up round, then MIN_FRAMES timed rounds, not FRAMES.
    timed = model_choice.time_models(model_folder, 1, [FLOAT], budget_s=0.0, warmup_budget_s=0.0)
    assert timed["rounds"] == model_choice.MIN_FRAMES < model_choice.FRAMES
    assert timed[FLOAT] > 0
    # With room in the budget every round is timed.
    assert model_choice.time_models(model_folder, 1, [FLOAT], frames=4, budget_s=60.0)["rounds"] == 4
