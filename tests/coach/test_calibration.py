"""The wall calibration: the hold found and averaged in a stream of hip travels (pure), and the
station measuring its simulated member, who holds at the wall when asked."""

from __future__ import annotations

import random
import time

import pytest

from station.coach.calibration import HOLD_S, HOLD_SPREAD, HOLD_WAIT_S, WALL_SHARE, average_hold

FPS = 30.0


def stream(*parts: tuple[float, float, float], noise: float = 0.0, seed: int = 0
           ) -> list[tuple[float, float | None]]:
    """Hip travels at 30 fps: each part goes from one travel to another over some seconds."""
    rng = random.Random(seed)
    out: list[tuple[float, float | None]] = []
    t = 0.0
    for seconds, start, end in parts:
        n = round(seconds * FPS)
        for i in range(n):
            out.append((round(t, 4), start + (end - start) * i / max(n - 1, 1) + rng.gauss(0, noise)))
            t += 1 / FPS
    return out


def test_a_hold_at_the_wall_is_averaged_and_suggests_a_little_short_of_it() -> None:
    # Down to 0.25 torso lengths, held 1.3 s with jitter of 1 % of a torso (real hips: 0.6-1.6 %).
    samples = stream((1.0, 0.0, 0.25), (1.3, 0.25, 0.25), (1.0, 0.25, 0.0), noise=0.01)
    p = average_hold(samples)
    assert p.state == "done" and p.frames >= HOLD_S * FPS
    assert p.travel == pytest.approx(0.25, abs=0.006)  # the mean of 30 frames: sd 0.01 / sqrt(30)
    assert p.suggest == {"wall_travel": round(WALL_SHARE * p.travel, 2)}
    assert p.held_s >= HOLD_S and p.spread is not None


def test_no_result_from_a_short_hold_moving_hips_a_gap_or_standing_still() -> None:
    short = stream((0.4, 0.0, 0.25), (0.6, 0.25, 0.25), (0.4, 0.25, 0.0))  # brisk: in the spread 0.8 s
    assert average_hold(short).state == "hold"
    # The hips still going back, 0.1 torso lengths a second: over a second that is twice the spread.
    moving = stream((3.0, 0.1, 0.4))
    assert HOLD_SPREAD < 0.3 / 3.0 and average_hold(moving).state == "hold"
    standing = stream((3.0, 0.0, 0.0))
    assert average_hold(standing).state == "hold"
    # Two 0.6 s holds with the member unseen for half a second between them are not one hold.
    hold = stream((0.6, 0.25, 0.25))
    gap = [(t + 0.6, None) for t, _ in stream((0.5, 0, 0))]
    later = [(t + 1.1, v) for t, v in stream((0.6, 0.25, 0.25))]
    assert average_hold(hold + gap + later).state == "hold"
    # A single dropped frame does not break it.
    dropped = stream((1.3, 0.25, 0.25))
    dropped[15] = (dropped[15][0], None)
    assert average_hold(dropped).state == "done"


def test_the_switch_must_be_closed_when_one_is_fitted() -> None:
    samples = stream((1.5, 0.3, 0.3))
    open_switch = average_hold(samples, [False] * len(samples))
    assert open_switch.state == "hold" and "wall switch is open" in open_switch.message()
    assert average_hold(samples, [True] * len(samples)).state == "done"
    assert average_hold(samples, [None] * len(samples)).state == "done"  # no switch: travel alone


def test_nobody_standing_ready_and_a_timeout() -> None:
    assert average_hold([(t / FPS, None) for t in range(30)]).state == "stand"
    late = [(0.0, 0.0), (HOLD_WAIT_S + 1, 0.0)]
    assert average_hold(late).state == "timeout"


def test_the_station_measures_its_simulated_member_holding_at_the_wall(make_sim_station) -> None:
    station = make_sim_station(seed=4)  # the endless demo sets, as fast as the loop goes
    station.start()
    deadline = time.monotonic() + 5
    while station.view.baseline is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert station.wall_progress() is None
    station.calibrate("wall")
    deadline = time.monotonic() + 60
    progress = station.wall_progress()
    while progress is not None and progress.state != "done" and time.monotonic() < deadline:
        time.sleep(0.05)
        progress = station.wall_progress()
    assert progress is not None and progress.state == "done", progress
    truth = station.source.wall_truth
    # The sim's bottom goes 1 cm past the wall and its torso angle there varies (62-82 deg against
    # the 75 the truth is taken at): a few hundredths of a torso length either way.
    assert truth is not None and progress.travel == pytest.approx(truth, abs=0.05)
    print(f"wall hold: measured {progress.travel:.3f}, truth {truth:.3f} torso lengths")
    station.calibrate("done")
    assert station.wall_progress() is None
