"""The resting station: the motion gate on synthetic grey frames, the loop resting on an empty scene
with the real pose engine, and a real pose stream replayed through the gate with the same reps."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from station.camera.sources import EndOfStream, Frame
from station.config.settings import Settings
from station.runtime.rest import DETECT_EVERY_S, MOVED_CELLS, Rest, RestGate
from station.runtime.station import Station

ROOT = Path(__file__).resolve().parents[2]
FPS = 30


def wall(rng: np.random.Generator) -> np.ndarray:
    """A small frame of a plain wall: camera noise of sigma 6 a pixel, 2.1 after the average of 8."""
    return np.clip(rng.normal(140, 2.1, (45, 80)), 0, 255).astype(np.uint8)


def test_the_gate_rests_on_a_still_noisy_wall_and_wakes_on_the_first_moving_frame() -> None:
    rng = np.random.default_rng(3)
    gate = RestGate(still_s=3.0)
    ran = [gate.should_detect(wall(rng), i / FPS) for i in range(10 * FPS)]
    for i, looked in enumerate(ran):
        if looked and i >= 3 * FPS:
            gate.found(False, i / FPS)
    assert all(ran[: 3 * FPS]) and gate.state == Rest.RESTING
    # Resting: the detector once every DETECT_EVERY_S, never on noise alone.
    assert sum(ran[3 * FPS + 1:]) == len(np.arange(3 + DETECT_EVERY_S, 10, DETECT_EVERY_S))
    assert gate.wakes == 0
    # A dark shoulder at the frame's edge, as many cells as MOVED_CELLS: the very frame wakes it.
    shoulder = wall(rng)
    shoulder[20:20 + MOVED_CELLS, 79] = 40
    assert gate.should_detect(shoulder, 10.0) and gate.state == Rest.WATCHING and gate.wakes == 1
    # One cell fewer is the odd flickering cell: still resting (after a still frame as reference).
    gate2 = RestGate(still_s=0.0)
    gate2.should_detect(wall(rng), 0.0)
    gate2.should_detect(wall(rng), 0.1)
    assert gate2.state == Rest.RESTING
    flicker = wall(rng)
    flicker[20:20 + MOVED_CELLS - 1, 79] = 40
    assert not gate2.should_detect(flicker, 0.2)


def test_tracking_runs_every_frame_and_losing_the_person_restarts_the_still_time() -> None:
    rng = np.random.default_rng(4)
    gate = RestGate(still_s=1.0)
    gate.should_detect(wall(rng), 0.0)
    gate.found(True, 0.0)
    assert gate.state == Rest.TRACKING
    assert all(gate.should_detect(wall(rng), i / FPS) for i in range(1, 3 * FPS))  # still, but tracked
    gate.found(False, 3.0)  # the person is lost: watching, still from now on
    assert gate.state == Rest.WATCHING
    assert all(gate.should_detect(wall(rng), 3.0 + i / FPS) for i in range(1, FPS))
    assert gate.state == Rest.WATCHING
    gate.should_detect(wall(rng), 4.1)
    assert gate.state == Rest.RESTING
    off = RestGate(still_s=0.0, enabled=False)  # the setting off: every frame, never resting
    assert all(off.should_detect(wall(rng), i / FPS) for i in range(FPS)) and off.state == Rest.WATCHING


class Pictures:
    """A frame source of RGB frames made in memory, as fast as the loop takes them."""

    name = "pictures"

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = frames
        self.i = 0

    def open(self) -> None:
        self.i = 0

    def read(self, timeout: float) -> Frame | None:
        if self.i >= len(self.frames):
            raise EndOfStream(self.name)
        self.i += 1
        return Frame((self.i - 1) / FPS, self.frames[self.i - 1])

    def close(self) -> None:
        pass


def empty_scene(seconds: float) -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    base = np.full((360, 640, 3), 180, np.uint8)
    base[300:] = 90  # the floor
    return [np.clip(base + rng.normal(0, 3, (360, 640, 1)), 0, 255).astype(np.uint8)
            for _ in range(round(seconds * FPS))]


def test_the_loop_rests_on_an_empty_scene_with_the_real_engine(estimator: Any) -> None:
    """With nobody in view the engine runs on every frame for away_s, then every 2 s; the
    live pages get a snapshot now and then rather than every frame; health says so."""
    from station.runtime.devices import Devices

    settings = Settings().changed(away_s=0.5)
    ran: list[float] = []

    class Counting:
        def process(self, rgb: np.ndarray, t: float | None = None, video: bool = True) -> Any:
            ran.append(t or 0.0)
            return estimator.process(rgb, t, video)

    estimator.reset()
    station = Station(settings, Pictures(empty_scene(3.0)), data_dir=Path(tempfile.mkdtemp()),
                      devices=Devices.open(settings, mock=True), estimator_factory=Counting)
    station.start()
    assert station.wait(60)
    published = station.hub.version
    health = station.health()["rest"]
    from station.fleet.prometheus import StationMetrics

    metrics = StationMetrics(station).exposition().decode()
    station.stop()
    # 0.5 s of watching (frames 0-15), then resting: the engine again at 2.5 s, of 90 frames.
    assert len(ran) == 16 + 1 and ran[-1] == 2.5 and health["state"] == "resting" and health["enabled"]
    assert published < 16 + 5  # the pages heard of the watching frames, then of nothing new
    assert health["loop_cpu_percent"]["watching"] is not None
    assert 'hinge_rest_state{state="resting"} 1.0' in metrics
    assert 'hinge_rest_state{state="tracking"} 0.0' in metrics
    assert 'hinge_loop_cpu_ratio{state="watching"}' in metrics


def load_bench() -> Any:
    spec = importlib.util.spec_from_file_location("rest_walkin", ROOT / "benchmarks" / "rest_walkin.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["rest_walkin"] = module
    spec.loader.exec_module(module)
    return module


def test_a_real_stream_after_an_empty_scene_gets_the_same_reps_resting() -> None:
    """A real pose stream (tests/data/real) after 6 s of nobody: through the gate the station rests,
    wakes on the stick figure's first frame, and the coach's reps and verdicts are the same."""
    bench = load_bench()
    from station.coach.run import Frame as CoachFrame
    from station.streams.format import StreamFrames, read_stream

    with (ROOT / "tests" / "data" / "real" / "kb_swing_4reps.jsonl").open() as fh:
        stream = list(StreamFrames(read_stream(fh)))
    lead = 6.0
    frames = [CoachFrame(i / FPS, None) for i in range(round(lead * FPS))]
    frames += [CoachFrame(f.t - stream[0].t + lead, f.pose, f.dowel, f.wall_contact) for f in stream]
    result = bench.stream_identity([("kb_swing_4reps", frames, Settings())])
    assert result["reps"] >= 4 and result["differ"] == []
    assert result["skipped"] > 2 * FPS and result["skipped_posed"] == 0 and result["wakes"] == 1
