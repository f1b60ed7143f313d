"""Smoke runs of every script in benchmarks/: each runs on its shortest settings and prints the
figure lines it exists to print, so that a benchmark cannot rot while the station changes under it.

The figures' values are not judged here (a short run on a busy machine proves nothing about a
target); their lines must be there, with numbers in them, and the script must exit 0. Every run is
marked ``bench``, so the quick loop (``-m "not slow and not bench"``) leaves them out.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.paths import FIXTURES, PHOTOS, ROOT, missing

BENCH = ROOT / "benchmarks"
NUM = r"[-+]?\d+(?:\.\d+)?"
# benchmarks/setup_mediapipe_env.sh makes it there; MEDIAPIPE_PYTHON points elsewhere.
MP_PYTHON = Path(os.environ.get("MEDIAPIPE_PYTHON", ROOT / ".cache" / "mpenv" / "bin" / "python"))


def bench(tmp_path: Path, script: str, *args: str, timeout: float = 120) -> str:
    """Run ``benchmarks/<script>`` with this venv's python on this checkout; its stdout.

    TMPDIR is the test's own folder, so the data directories the scripts make are cleaned up."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.stdout


def has_line(out: str, pattern: str) -> re.Match:
    found = re.search(pattern, out, re.M)
    assert found, f"no line matching {pattern!r} in:\n{out}"
    return found


def need_photos() -> None:
    if not PHOTOS.is_dir():
        pytest.skip(f"the shared fixtures are not at {FIXTURES}")


def smoke_problems(source: str, scripts: list[str]) -> list[str]:
    """What is wrong with the smoke runs in a test module's ``source`` against the ``scripts`` of
    benchmarks/: a script that no test runs or checks (a ``bench(...)`` or ``subprocess.run(...)``
    call in a test that names it, in its body or its parametrize list), and a test that calls
    ``bench(...)`` without the ``bench`` marker (the quick loop, ``-m "not bench"``, would run it)."""
    covered: set[str] = set()
    problems = []
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
            continue
        called = {n.func.id if isinstance(n.func, ast.Name) else n.func.attr for n in ast.walk(node)
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Name | ast.Attribute)}
        if "bench" in called and "pytest.mark.bench" not in {ast.unparse(d) for d in node.decorator_list}:
            problems.append(f"{node.name} runs a benchmark without @pytest.mark.bench")
        if called & {"bench", "run"}:
            covered |= {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and n.value in scripts}
    return problems + [f"benchmarks/{s} has no smoke run" for s in scripts if s not in covered]


def test_every_benchmark_script_has_a_marked_smoke_run() -> None:
    """Derived from the benchmarks/ folder: a new script fails here until a test runs it."""
    scripts = sorted(p.name for p in BENCH.iterdir() if p.suffix in (".py", ".sh"))
    assert len(scripts) >= 15
    assert smoke_problems(Path(__file__).read_text(), scripts) == []


def test_the_smoke_run_check_finds_a_missing_run_and_a_missing_marker() -> None:
    source = ('@pytest.mark.bench\ndef test_a(tmp_path):\n    bench(tmp_path, "a.py")\n\n'
              'def test_b(tmp_path):\n    bench(tmp_path, "b.py", "--help")\n\n'
              'def test_names_only():\n    assert "c.py"\n')
    assert smoke_problems(source, ["a.py", "b.py", "c.py"]) == [
        "test_b runs a benchmark without @pytest.mark.bench", "benchmarks/c.py has no smoke run"]


def station_imports(script: str) -> list[tuple[str, str]]:
    """(module, name) of every ``from station... import name`` in a script, inside functions too."""
    tree = ast.parse((BENCH / script).read_text(), filename=script)
    return [(node.module, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module and node.module.split(".")[0] == "station" for alias in node.names]


def test_every_station_name_the_benchmarks_import_exists() -> None:
    """The imports a short run does not reach (mediapipe_compare's, without MediaPipe) are checked too."""
    checked = {script: station_imports(script) for script in sorted(p.name for p in BENCH.glob("*.py"))}
    assert len(checked["mediapipe_compare.py"]) >= 3 and checked["web_load.py"]
    for script, imported in checked.items():
        for module, name in imported:
            found = (hasattr(importlib.import_module(module), name)  # a function, class or constant
                     or importlib.util.find_spec(f"{module}.{name}") is not None)  # or a submodule
            assert found, f"{script}: {module}.{name} is gone"


@pytest.mark.bench
def test_coach_suite(tmp_path) -> None:
    out = bench(tmp_path, "coach_suite.py", "--sets", "6", "--seed", "7")
    has_line(out, r"^6 sets, [1-9]\d* reps, [1-9]\d* frames$")
    has_line(out, rf"^rep count exact in {NUM} % of sets \(target >= 99 %\)$")
    has_line(out, r"^reps with a spine fault judged good: \d+ \(target 0\)$")
    has_line(out, rf"^good reps judged good: {NUM} %$")
    has_line(out, rf"^coach time per frame: {NUM} ms \(target < 0.2 ms\)$")
    has_line(out, r"^fault\s+true\s+precision\s+recall$")
    from station.coach.faults import FAULTS

    for code in FAULTS:
        has_line(out, rf"^{code}\s+\d+\s+{NUM}\s+{NUM}$")
    # The noise table: real tracks beside the old gaussian levels, then beside each measured profile.
    has_line(out, r"^keypoint noise BEFORE")
    has_line(out, r"^keypoint noise AFTER")
    for profile in ("mediapipe", "tfjs", "movenet", "pistol"):
        has_line(out, rf"^  sim {profile}\s+hip\s+{NUM}")


@pytest.mark.bench
def test_coach_suite_json(tmp_path) -> None:
    figures = json.loads(bench(tmp_path, "coach_suite.py", "--sets", "6", "--json"))
    assert figures["sets"] == 6 and figures["reps"] > 0 and figures["frames"] > 0
    assert 0 <= figures["count_exact_pct"] <= 100 and figures["coach_ms_per_frame"] > 0
    assert isinstance(figures["spine_fault_reps_judged_good"], int)
    from station.coach.faults import FAULTS

    assert set(figures["faults"]) == set(FAULTS)
    assert all(set(f) == {"precision", "recall", "true"} for f in figures["faults"].values())


@pytest.mark.bench
def test_set_keeping(tmp_path) -> None:
    out = bench(tmp_path, "set_keeping.py", "--reps", "3", "--sets", "2")
    has_line(out, rf"^2 sets of 3 reps kept, \d+ frames each \({NUM} s at 30 fps\), 2 written")
    has_line(out, rf"^loop per frame \(keeping on\): mean {NUM} us, p99 {NUM} us$")
    has_line(out, rf"^set write \(lines, compress, insert\): median {NUM} ms, max {NUM} ms")
    has_line(out, rf"^set size: {NUM} KB of pose-stream lines, {NUM} KB kept \({NUM}x smaller\)$")
    has_line(out, rf"^loop rep write alone: p99 {NUM} ms, max {NUM} ms \(\d+ writes\)$")
    has_line(out, rf"^loop rep write while sets are written: p99 {NUM} ms, max {NUM} ms \(\d+ writes\)$")
    has_line(out, rf"^  the same without the shared lock: p99 {NUM} ms, max {NUM} ms \(\d+ writes\)$")


@pytest.mark.bench
def test_runtime_latency(tmp_path) -> None:
    out = bench(tmp_path, "runtime_latency.py", "--presses", "20")
    has_line(out, rf"^switch -> light over 20 presses: median {NUM} ms, p99 {NUM} ms \(target < 10 ms\)$")


@pytest.mark.bench
@pytest.mark.parametrize("script", ["int8_compare.py", "int8_presence.py", "int8_sensitivity.py",
                                    "int8_sets.py"])
def test_int8_scripts_parse_their_arguments(tmp_path, script: str) -> None:
    # Their full runs need a free-exercise-db checkout and the quantize extra; their help must run.
    assert "usage:" in bench(tmp_path, script, "--help")


@pytest.mark.bench
def test_int8_compare_speed(tmp_path, model_folder) -> None:
    from station.pose.models import check_int8

    if check_int8(model_folder) is not None:  # missing, or built before the recorded sha256
        missing("no verified int8 landmark model: `station models quantize` builds it (quantize extra)")
    out = bench(tmp_path, "int8_compare.py", "--speed-only", "--frames", "20")
    for engines in ("as the station runs them", "whole graph"):  # without and with the mask decoder
        section = out[out.index(engines):]
        has_line(section, rf"^    landmark invoke: int8 {NUM}, float {NUM} = {NUM}x$")
        has_line(section, rf"^    tracking frame:  int8 {NUM}, float {NUM} = {NUM}x(; MediaPipe .*)?$")


@pytest.mark.bench
def test_int8_presence_short(tmp_path, model_folder) -> None:
    from station.pose.models import check_int8

    need_photos()
    if check_int8(model_folder) is not None:
        missing("no verified int8 landmark model: `station models quantize` builds it (quantize extra)")
    out = bench(tmp_path, "int8_presence.py", "--photos-dir", str(PHOTOS), "--photos", "2")
    for label in ("int8 engine (as the station runs it)", "float engine, sensor noise sigma 2"):
        found = has_line(out, rf"^  {re.escape(label)}: (\d+) clips, same frame \d+, earlier \d+, later \d+")
        assert int(found.group(1)) == 4  # two photos, two directions


@pytest.mark.bench
def test_lan_attacks_short(tmp_path) -> None:
    out = bench(tmp_path, "lan_attacks.py", "--port", "0", "--only", "3,6,12")
    has_line(out, r"^\| 3 \| POST with Content-Length 300 MB \| HTTP/1.1 413 .* after 0 KiB sent \| ok")
    has_line(out, r"^\| 6 \| Host: evil.example .* \| \[421, 421, 421, 421\]; Host: localhost 200 \| ok")
    has_line(out, r"^\| 12 \| .* \| reps 401; health 200 \{\"status\":\"(up|degraded)\"\} \| ok")
    has_line(out, r"^station peak: \d+ MiB resident, \d+ threads$")


@pytest.mark.bench
def test_signin_attack_short(tmp_path) -> None:
    out = bench(tmp_path, "signin_attack.py", "--addresses", "50", "--seconds", "5", "--threads", "4")
    has_line(out, rf"^guesses checked: \d+ in \d+ s = {NUM}/s .*; against ann: \d+$")
    has_line(out, r"^ann from her browser \(signed in before\): \d+/\d+ signed in")
    has_line(out, r"^ann from a new browser each time \(never signed in\): \d+/\d+ signed in")


@pytest.mark.bench
def test_mqtt_outage(tmp_path) -> None:
    from tests.helpers.engines import MOSQUITTO

    if MOSQUITTO is None:
        missing("mosquitto is not installed (Debian's package; `make test` installs it in CI)")
    out = bench(tmp_path, "mqtt_outage.py", "--outage", "2", "--before", "1", "--after", "3", "--pairs", "1",
                "--rate-s", "0.5", "--camera-s", "1", "--rounds", "1")
    found = has_line(out, r"^reps in the log (\d+), received (\d+) \((\d+) distinct, (\d+) duplicates\), "
                          r"missing (\d+), first arrivals in id order: (True|False)$")
    assert int(found[1]) > 0 and found[5] == "0" and found[6] == "True", found[0]
    has_line(out, rf"^loop rate at camera pace \(30 fps simulator\), publishing on vs off: "
                  rf"{NUM} vs {NUM} fps")


@pytest.mark.bench
def test_crash_soak(tmp_path) -> None:
    out = bench(tmp_path, "crash_soak.py", "--kills", "2", "--seed", "1")
    found = has_line(out, r"^2 SIGKILLs: integrity_check failed (\d+) times; (\d+) reps reported, "
                          r"(\d+) of them missing from the log$")
    assert int(found[2]) > 0, "no rep was reported before the kills: nothing was checked"


def consumers_figures(out: str, what: str) -> None:
    has_line(out, rf"^loop capacity \({what}\): {NUM} frames/s alone, {NUM} frames/s with 4 slow "
                  rf"consumers \({NUM} % lower; target <= 5 %\)$")
    has_line(out, rf"^windows alone: {NUM}; with consumers: {NUM}$")
    has_line(out, r"^snapshots the slow consumers never saw \(dropped for them, not for the loop\): \d+$")


@pytest.mark.bench
def test_consumers_on_the_simulator(tmp_path) -> None:
    out = bench(tmp_path, "consumers.py", "--sim", "--consumers", "4", "--seconds", "0.5", "--rounds", "1",
                "--warmup", "0.5")
    consumers_figures(out, "simulator")


@pytest.mark.bench
def test_consumers_on_the_pose_engine(tmp_path, model_folder) -> None:
    need_photos()  # the looping video is made of a fixture photo (without it the script falls back)
    out = bench(tmp_path, "consumers.py", "--consumers", "4", "--seconds", "0.5", "--rounds", "1",
                "--warmup", "1")
    consumers_figures(out, "pose engine on a looping video")


@pytest.mark.bench
def test_web_load_on_the_simulator(tmp_path) -> None:
    out = bench(tmp_path, "web_load.py", "--sim", "--clients", "3", "--seconds", "1", "--warmup", "0.5")
    has_line(out, rf"^loop \(simulator at 30 fps\): {NUM} frames/s alone \({NUM} before, {NUM} after\), "
                  rf"{NUM} frames/s with 3 live pages \({NUM} % lower; target <= 5 %\)$")
    found = has_line(out, rf"^live pages: (\d+) messages in 3 s \({NUM}/s per page, fewest (\d+)\), "
                          r"(\d+) errors \(target 0\)$")
    assert int(found[2]) > 0, "a page got no message at all"
    has_line(out, rf"^the \d+ clients themselves used {NUM} s of CPU")


@pytest.mark.bench
def test_stream_bytes(tmp_path) -> None:
    out = bench(tmp_path, "stream_bytes.py", "--seconds", "3", "--screens", "1")
    full = float(has_line(out, rf"^full /api/stream: ({NUM}) bytes/s per screen").group(1))
    compact = float(has_line(out, rf"^compact /api/stream\?compact=1: ({NUM}) bytes/s per screen").group(1))
    assert 0 < compact < full  # the page's stream is the smaller, and both carried something


@pytest.mark.bench
def test_backup_size(tmp_path) -> None:
    out = bench(tmp_path, "backup_size.py", "--reps", "300", "--runs", "2")
    reps = int(has_line(out, r"^log: (\d+) reps in the last snapshot").group(1))
    assert reps >= 300  # the filled log, and whatever the loop wrote before the snapshot
    has_line(out, r"^snapshot integrity: ok$")
    has_line(out, rf"^backup time: median {NUM} ms")
    has_line(out, rf"^backup size: {NUM} KiB zipped, log {NUM} KiB")
    has_line(out, rf"^restore: check {NUM} ms, swap {NUM} ms; {reps} reps restored")


@pytest.mark.bench
def test_restore_attacks_short(tmp_path) -> None:
    out = bench(tmp_path, "restore_attacks.py", "--crafted", "1", "--kills", "3", "--reps", "300",
                "--bodies", "3")
    has_line(out, r"^\| trigger adding a staff account \| 422 nothing was changed: station.db holds trigger "
                  r"'mallory'.* \| reps stored in 8 s: \d+; accounts: ann; ann signs in: yes \|$")
    has_line(out, rf"^kill during restore: 3 kills over a {NUM} ms swap of a 300-rep log .*"
                  r"next rep id at or below one already published: 0 of 3$")
    has_line(out, rf"^anonymous restore bodies: 3 POSTs of 32 MiB .* answers \{{'403': 3\}}; clients sent "
                  rf"{NUM} MiB; station temp files peak 0.0 MiB, left after 0.0 MiB$")


@pytest.mark.bench
def test_history_page(tmp_path) -> None:
    out = bench(tmp_path, "history_page.py", "--reps", "800", "--runs", "1")
    for unit in ("week", "month", "day"):
        has_line(out, rf"^800 reps: history by {unit}: {NUM} ms \(median of 1\)$")
    has_line(out, rf"^800 reps: history by month without the trend index: {NUM} ms$")


@pytest.mark.bench
def test_mediapipe_compare_without_its_environment_says_how_to_make_one(tmp_path) -> None:
    help_text = bench(tmp_path, "mediapipe_compare.py", "--help")
    assert "--mp-python" in help_text and "--frames" in help_text
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(BENCH / "mediapipe_compare.py"), "x.jpg", "--mp-python",
                           str(tmp_path / "no-such-python")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 3 and "run benchmarks/setup_mediapipe_env.sh first" in done.stderr


@pytest.mark.bench
def test_mediapipe_compare(tmp_path, model_folder) -> None:
    if not MP_PYTHON.exists():
        missing(f"no MediaPipe environment at {MP_PYTHON} (make one with "
                 "benchmarks/setup_mediapipe_env.sh, or point MEDIAPIPE_PYTHON at its python)")
    need_photos()
    photos = [str(PHOTOS / "tf_image1.png"), str(PHOTOS / "Good_Morning__0.jpg")]
    out = bench(tmp_path, "mediapipe_compare.py", *photos, "--mp-python", str(MP_PYTHON), "--frames", "3")
    for name in ("tf_image1.png", "Good_Morning__0.jpg"):
        has_line(out, rf"^{re.escape(name)}\s+(?:{NUM}%\s+{NUM}%|person: ours \w+, mediapipe \w+)$")
    has_line(out, rf"^worst median distance: {NUM}% of the diagonal \(target <= 1%\)$")
    has_line(out, rf"^static images: ours {NUM} ms, mediapipe {NUM} ms = {NUM}x \(target <= 0.6x\)$")
    has_line(out, rf"^video/tracking: ours {NUM} ms, mediapipe {NUM} ms = {NUM}x \(target <= 0.6x\)$")


def test_setup_mediapipe_env_script_parses() -> None:
    bash = shutil.which("bash")
    assert bash, "bash is needed to check the script"
    done = subprocess.run([bash, "-n", str(BENCH / "setup_mediapipe_env.sh")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.bench
def test_storage_faults(tmp_path) -> None:
    out = bench(tmp_path, "storage_faults.py", "--seconds", "1", "--hold", "2")
    found = has_line(out, r"^disk full \((a real tmpfs filled to its last byte|PRAGMA max_page_count)\) for "
                          rf"{NUM} s: (\d+) reps made while full, health said (\d+) waiting; (\d+) reps made "
                          r"in all, (\d+) in the log after space returned, lost (\d+)$")
    assert int(found[4]) > 0, "no rep was made: nothing was checked"
    has_line(out, rf"^rep log's lock held {NUM} s, 96 anonymous health requests: slowest health {NUM} s; "
                  rf"member page {NUM} s \(HTTP \d+\); sign-in page {NUM} s \(HTTP \d+\)$")
    has_line(out, r"^data folder deleted while running: \d+ reps before, \d+ after; health status \w+; "
                  r"\d+ of \d+ in the log a restart finds, lost \d+$")
    has_line(out, rf"^reps waiting in memory: \d+ \(the bound\), \d+ beyond it not kept; {NUM} MiB held, "
                  r"\d+ bytes a rep$")


@pytest.mark.bench
def test_stale_notice(tmp_path) -> None:
    from tests.helpers.browser import chromium_path

    chromium_path()  # Debian's Chromium, or a skip that says so (a failure in CI)
    out = bench(tmp_path, "stale_notice.py", "--rounds", "1")
    # Each page noticed by itself (the script fails when a banner does not come within 30 s).
    has_line(out, rf"^round 1: home {NUM} s, health {NUM} s$")
    has_line(out, rf"^stale banner after the station stopped: median {NUM} s, worst {NUM} s over 2 pages$")


@pytest.mark.bench
def test_memory_attacks_short(tmp_path) -> None:
    out = bench(tmp_path, "memory_attacks.py", "--only", "broker")
    has_line(out, r"^station from .*, MALLOC_ARENA_MAX=2; MiB resident, half the cap 320$")
    has_line(out, r"^\| broker \| \d+ \| \d+ \| \d+ \| (held|NOT held) \| 3 connections; MiB of the PUBLISH "
                  r"sent before the station closed: ")


@pytest.mark.bench
def test_rest_walkin(tmp_path, model_folder) -> None:
    need_photos()
    out = bench(tmp_path, "rest_walkin.py", "--quick", timeout=600)
    has_line(out, rf"^decoding alone: {NUM} % of one core")
    has_line(out, rf"^nobody in view, CPU per second: before {NUM} %, after {NUM} % of one core")
    has_line(out, r"^walk-in, resting on: engine ran on \d+ of \d+ frames; entry at frame \d+, "
                  rf"first pose after \d+ frames \({NUM} s\)")
    has_line(out, r"^walk-in identical with and without resting: yes$")
    found = has_line(out, r"^real corpus: (\d+) streams, [1-9]\d* reps .* woke (\d+) times; streams with "
                          r"other reps or verdicts: 0")
    assert found[1] == found[2], found.group(0)  # each stream woke the station once
    has_line(out, r"^simulator suite: 3 streams, .* woke 3 times; streams with other reps or verdicts: 0")


@pytest.mark.bench
def test_memory_compare(tmp_path, model_folder) -> None:
    need_photos()
    python = MP_PYTHON if MP_PYTHON.exists() else tmp_path / "no-mediapipe"
    out = bench(tmp_path, "memory_compare.py", "--frames", "5", "--mp-python", str(python), timeout=300)
    has_line(out, rf"^  detector interpreter \(pose_detection, XNNPACK\) +{NUM} +{NUM}")
    has_line(out, rf"^  the station's loop over 5 frames: threads, frame buffers, coach, rep log +{NUM}")
    if MP_PYTHON.exists():
        has_line(out, rf"^resident memory: station {NUM} MB, MediaPipe {NUM} MB = {NUM}x \(target <= 0.6x\)")
    else:
        has_line(out, r"^MediaPipe: skipped, no environment at")


@pytest.mark.bench
def test_view_from_profile(tmp_path) -> None:
    rendered = tmp_path / "rendered"
    rendered.mkdir()
    for name in ("good_pauses", "squat_45"):  # side-on, and 45 deg off
        for suffix in (".jsonl", ".truth.json"):
            shutil.copy(ROOT / "tests" / "data" / "rendered" / f"{name}{suffix}", rendered)
    out = bench(tmp_path, "view_from_profile.py", "--rendered", str(rendered))
    has_line(out, rf"^\| 0 \| `good_pauses` \| .* \| {NUM} \| {NUM} \| {NUM} / {NUM} \| {NUM} / {NUM} \| "
                  r"judged / judged \|$")
    three = rf"({NUM} / ){{2}}{NUM}"
    has_line(out, rf"^\| 45 \| `squat_45` \| .* \| {NUM} \| {NUM} \| {three} \| {three} "
                  r"\| (not seen|judged)( / (not seen|judged)){2} \|$")
    has_line(out, r"^\| `kb_swing_4reps` \| .* \| \d+ of 4 \|$")
    has_line(out, rf"^  upright  median {NUM}  range {NUM}-{NUM}$")
    doc = json.loads(bench(tmp_path, "view_from_profile.py", "--rendered", str(rendered), "--json"))
    assert [c["yaw"] for c in doc["clips"]] == [0.0, 45.0] and doc["limit"] > 0


@pytest.mark.bench
def test_dowel_on_renders(tmp_path) -> None:
    """On frames drawn from a rendered clip's truth (a grey picture with the dowel where the renderer
    put it, five frames), with the clip's recorded poses: the finder finds it where it was drawn."""
    import cv2
    import numpy as np

    rendered = tmp_path / "rendered"
    clip = rendered / "good_pauses"
    (clip / "frames").mkdir(parents=True)
    (rendered / "streams").mkdir()
    truth = json.loads((ROOT / "tests" / "data" / "rendered" / "good_pauses.truth.json").read_text())
    (clip / "truth.json").write_text(json.dumps(truth))
    shutil.copy(ROOT / "tests" / "data" / "rendered" / "good_pauses.jsonl", rendered / "streams")
    w, h = 640, 360
    for i, frame in enumerate(truth["frames"][:5]):
        picture = np.full((h, w, 3), 120, np.uint8)
        a, b = (tuple(round(v) for v in p) for p in frame["dowel_px"])
        cv2.line(picture, a, b, (0, 100, 255), 4)  # BGR: the dowel's orange
        cv2.imwrite(str(clip / "frames" / f"{i:06d}.png"), picture)
    out = bench(tmp_path, "dowel_on_renders.py", str(rendered))
    row = has_line(out, rf"^good_pauses\s+(\d+)\s+(\d+)%\s+(\d+)%\s+{NUM}\s+{NUM}\s+{NUM}$")
    assert row.group(1) == "5" and row.group(2) == row.group(3) == "100"


@pytest.mark.bench
def test_dowel_false_finds(tmp_path) -> None:
    """On a two-exercise copy of free-exercise-db's layout (two of tests/data/photos, no dowel)."""
    repo = tmp_path / "db"
    for i, photo in enumerate(sorted((ROOT / "tests" / "data" / "photos").glob("*.jpg"))[:2]):
        (repo / "exercises" / f"E{i}").mkdir(parents=True)
        shutil.copy(photo, repo / "exercises" / f"E{i}" / "0.jpg")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "photos"], check=True)
    out = bench(tmp_path, "dowel_false_finds.py", str(repo), "--every", "1")
    found = has_line(out, rf"^photos 2, with a person (\d), a dowel found in (\d) \({NUM}%\) where there is "
                          r"none$")
    assert found.group(1) == "2" and found.group(2) == "0"


@pytest.mark.bench
def test_photo_spine(tmp_path) -> None:
    out = bench(tmp_path, "photo_spine.py", str(ROOT / "tests" / "data" / "photos"))
    has_line(out, r"^\d+ of \d+ agree\.$")
@pytest.mark.bench
def test_contact_gaps_on_renders(tmp_path) -> None:
    """The silhouette experiment (a no-go, docs/figures.md) needs rendered MP4s, which no checkout
    holds (``make render-corpus``): its command line is what is checked here."""
    out = bench(tmp_path, "contact_gaps_on_renders.py", "--help")
    has_line(out, r"^usage: contact_gaps_on_renders\.py")
    assert "--cost" in out and "--frames" in out
