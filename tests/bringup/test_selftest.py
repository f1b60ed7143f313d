"""``station selftest --json`` in the demo (virtual pins, the simulated trainee): every check's
outcome, the report kept in the data folder, the exit code. The machine's own clock, heat and
network are replaced by fakes at their edges so the outcomes do not depend on where tests run;
the pose engine is timed for real."""

from __future__ import annotations

import json

from station.bringup import checks, report
from station.cli.main import main
from station.runtime.thermal import Thermal


def test_selftest_json_in_the_demo_gives_every_checks_outcome(tmp_path, model_folder, monkeypatch,
                                                              capsys) -> None:
    monkeypatch.setattr(checks, "_run", lambda argv: "yes\n")
    monkeypatch.setattr(checks, "read_thermal", lambda root: Thermal(48.3, 0, (), ()))
    monkeypatch.setattr(checks, "lan_addresses", lambda: ["192.168.1.20"])
    code = main(["selftest", "--json", "--data", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    outcomes = {c["name"]: c["outcome"] for c in out["checks"]}
    # The pose check grades this machine's speed against the camera's frame interval: what it
    # should say follows from its own figures (a busy machine is slower), never from a clock here.
    pose = next(c for c in out["checks"] if c["name"] == "pose")["figures"]
    chosen_ms = pose["int8_ms"] if pose["model"] == "full_int8" else pose["float_ms"]
    assert outcomes.pop("pose") == ("pass" if chosen_ms <= pose["frame_budget_ms"] else "warn")
    assert outcomes == {
        "camera": "skipped",  # the simulated trainee: no camera here
        "pins": "warn",  # virtual pins are never a silent pass
        "switch": "pass", "light_red": "pass", "light_amber": "pass", "light_green": "pass",
        "buzzer": "skipped",  # not fitted by default
        "thermal": "pass", "clock": "pass", "disk": "pass", "network": "pass",
    }
    by_name = {c["name"]: c for c in out["checks"]}
    assert by_name["light_red"]["detail"].startswith("virtual pins: checked by reading the pin")
    assert by_name["pose"]["figures"]["float_ms"] > 0 and by_name["pose"]["figures"]["model"]
    assert "http://192.168.1.20:8000/" in by_name["network"]["detail"]
    assert (out["passed"], out["complete"], code) == (True, True, 0)
    assert report.load(tmp_path)["checks"] == out["checks"]


def test_selftest_exits_1_when_a_check_fails(tmp_path, model_folder, monkeypatch, capsys) -> None:
    monkeypatch.setattr(checks, "lan_addresses", lambda: [])  # no network: members cannot reach it
    code = main(["selftest", "--data", str(tmp_path)])
    text = capsys.readouterr().out
    assert code == 1 and "FAIL  Network address: no network address" in text
    assert text.splitlines()[-1].startswith("FAILED")
