"""The pose runtime tried in a child first: a native crash becomes a message, not a dead station."""

from __future__ import annotations

import subprocess

import pytest

from station.pose import preflight
from station.pose.models import ModelError
from station.runtime.estimator import LazyEstimator


def test_the_real_models_pass(model_folder) -> None:
    preflight.check_in_child(model_folder, 1)


@pytest.mark.parametrize(("code", "said"), [(-11, "crashed on this machine (SIGSEGV)"),
                                            (-4, "crashed on this machine (SIGILL)"),
                                            (1, "cannot run (boom)")])
def test_a_crashing_runtime_is_a_problem_the_station_reports(monkeypatch, tmp_path, code, said) -> None:
    monkeypatch.setattr(preflight.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a, code, "", "x\nboom\n"))
    with pytest.raises(ModelError, match=said.replace("(", r"\(").replace(")", r"\)")):
        preflight.check_in_child(tmp_path, 1)
    heard: list[str] = []
    lazy = LazyEstimator(lambda: preflight.check_in_child(tmp_path, 1), on_problem=heard.append)
    assert lazy.get() is None and lazy.problem and said in lazy.problem and heard == [lazy.problem]


def test_the_runtimes_stderr_reaches_the_log_without_its_banner(monkeypatch, caplog, tmp_path) -> None:
    import os

    from station.pose import interpreter

    class Chatty:
        def __init__(self, model_path: str, num_threads: int) -> None:
            os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
            os.write(2, b"Error in cpuinfo: failed to parse the list of possible processors\n")

        def allocate_tensors(self) -> None:
            pass

    monkeypatch.setattr(interpreter, "interpreter_class", lambda: Chatty)
    with caplog.at_level("WARNING", logger="station.pose"):
        interpreter.load(tmp_path / "m.tflite", 2)
    said = [r.getMessage() for r in caplog.records]
    assert said == ["LiteRT (m.tflite): Error in cpuinfo: failed to parse the list of possible processors"]


def test_the_child_tries_the_landmark_model_the_station_will_load(model_folder, tmp_path) -> None:
    """With ``pose_model = full_int8`` the int8 model is the one tried: a folder without it fails."""
    from station.pose.models import DETECTOR, LANDMARKER

    for model in (DETECTOR, LANDMARKER):
        (tmp_path / model.name).symlink_to(model_folder / model.name)
    preflight.check_in_child(tmp_path, 1, pose_model="full")
    with pytest.raises(ModelError, match="cannot run"):
        preflight.check_in_child(tmp_path, 1, pose_model="full_int8")
