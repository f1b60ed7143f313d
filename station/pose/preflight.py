"""Run each pose model once in a child process before the station loads them itself.

A native crash in the runtime (a segmentation fault in LiteRT's kernels, an illegal instruction
on a CPU the wheel was not built for) would otherwise kill the station: systemd restarts it five
times and gives up, and the page is gone. In a child, the crash becomes a message the station
keeps serving with (health, the staff banner). ``python -m station.pose.preflight FOLDER THREADS [MODEL]``
is the child (``MODEL``: the landmark model the station will load, ``full`` unless given).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from station.pose.models import ModelError

TIMEOUT_S = 300.0  # generous: a slow CPU, or emulation in the arm64 rig


def check_in_child(folder: Path, threads: int, timeout: float = TIMEOUT_S, pose_model: str = "full") -> None:
    """Return when both models (the detector and ``pose_model``'s landmark model, the ones the
    station will load) ran once in a child; :class:`ModelError` saying how it failed."""
    cmd = [sys.executable, "-m", "station.pose.preflight", str(folder), str(threads), pose_model]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ModelError(f"the pose models did not run within {timeout:g} s") from None
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        raise ModelError(f"the pose runtime crashed on this machine ({name}); the station cannot coach here")
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or [f"exit {done.returncode}"]
        raise ModelError(f"the pose models cannot run ({lines[-1]})")


def run_once(folder: Path, threads: int, pose_model: str = "full") -> None:
    """Load each model as the station will (the landmark model without its segmentation
    decoder) and invoke it once on zeros (what the child does)."""
    import numpy as np

    from station.pose import interpreter, landmarker, models

    detector, landmarks = models.require(folder, pose_model)
    for model in (interpreter.load(detector, threads), landmarker.load_model(landmarks, threads, False)[0]):
        for detail in model.get_input_details():
            model.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
        model.invoke()


if __name__ == "__main__":
    run_once(Path(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:4])
