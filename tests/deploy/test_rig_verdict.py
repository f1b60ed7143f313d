"""The arm64 rig's verdict (deploy/rig/pi_check.py) on results as its runs report them: strict, so
a station whose pins failed for any reason but the container's missing Pi revision does not pass
(issue 25 item 7). The rig itself needs root and minutes: `make pi-check`."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def rig() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pi_check", ROOT / "deploy" / "rig" / "pi_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def passing(pi: ModuleType, release: str) -> dict[str, Any]:
    """A release's result as a passing run reports it (the shape of a real run's JSON)."""
    numpy = {"bookworm": "1.24.2", "trixie": "2.2.4"}[release]
    probe = {"cwd": "/var/lib/hinge-station", "numpy": f"{numpy} (system)", "picamera2": "ok",
             "proc_model": "absent", "sys_model": pi.MODEL, "cpuinfo": "readable", "on_pi": True,
             "lgpio": "ok", "pins": pi.PROBE_PINS}
    return {"install": "ok", "unit": "active", "health": 200, "pose_ms": 2081.5, "numpy": probe["numpy"],
            "hardening": "ProtectSystem=strict PrivateTmp=yes ProtectProc=invisible "
                         "ProtectKernelTunables=yes, no drop-in",
            "emulator": "qemu 11.1.3, statx mount ids ok", "pins": pi.STATION_PINS, "probe": probe}


@pytest.mark.parametrize("release", ["bookworm", "trixie"])
def test_a_good_run_passes_and_says_why_the_pins_did_not_open(release) -> None:
    pi = rig()
    result = passing(pi, release)
    assert pi.verdict(result, pi.probe_expected(ROOT, release)) == []
    assert result["pins_verdict"].startswith("never opened, as expected here") and "PinUnknownPi" in \
        result["pins_verdict"]
    json.dumps(result)  # stays one JSON object


def test_lgpio_failing_on_its_work_folder_fails_the_verdict() -> None:
    """The defect the rig was built for (no LG_WD: lgpio's pipe in the read-only /): the old verdict
    passed it, as its pins text does not say "mock"."""
    pi = rig()
    result = passing(pi, "trixie")
    oserror = "OSError: [Errno 30] Read-only file system: '/.lgd-nfy-rig412'"
    result["pins"] = f"lgpio: the pins cannot be opened ({oserror}); the lights, switch and buzzer are off"
    result["probe"].update(cwd="/", lgpio=oserror, pins=oserror)
    wrong = pi.verdict(result, pi.probe_expected(ROOT, "trixie"))
    assert any(w.startswith("probe lgpio") for w in wrong), wrong
    assert any(w.startswith("pins wrong") for w in wrong), wrong
    assert result["pins_verdict"].startswith("wrong")


@pytest.mark.parametrize(("key", "value"), [
    ("cpuinfo", "FileNotFoundError: [Errno 2] No such file or directory: '/proc/cpuinfo'"),  # ProcSubset=pid
    ("on_pi", False),
    ("numpy", "2.2.6 (venv)"),  # a pip numpy hiding the system's
    ("picamera2", "ValueError: numpy.dtype size changed"),
    ("sys_model", "absent"),
])
def test_each_probe_result_is_asserted(key, value) -> None:
    pi = rig()
    result = passing(pi, "trixie")
    result["probe"][key] = value
    wrong = pi.verdict(result, pi.probe_expected(ROOT, "trixie"))
    assert [w for w in wrong if w.startswith(f"probe {key} ")], wrong


@pytest.mark.parametrize("pins", [
    "mock: virtual pins (not a Raspberry Pi)",
    "lgpio: the pins cannot be opened (FileNotFoundError: [Errno 2] No such file or directory: "
    "'/proc/cpuinfo'); the lights, switch and buzzer are off",
    "lgpio: the pins cannot be opened (PinUnknownPi: something else); the lights, switch and buzzer are off",
    None,
])
def test_only_the_exact_unknown_pi_reason_is_accepted(pins) -> None:
    pi = rig()
    result = passing(pi, "bookworm")
    result["pins"] = pins
    assert pi.verdict(result, pi.probe_expected(ROOT, "bookworm")), pins


def test_a_missing_pose_figure_says_when_the_model_choice_was_still_measuring() -> None:
    pi = rig()
    result = passing(pi, "trixie")
    result.update(pose_ms=None, pose_model="auto: measuring")
    wrong = pi.verdict(result, pi.probe_expected(ROOT, "trixie"))
    assert wrong == ["the pose models did not run (no figure in time; pose_model auto: measuring: "
                     "the station was still timing the models)"], wrong


def test_the_selftest_may_fail_only_where_the_container_cannot_show_a_pi() -> None:
    pi_check = rig()
    pins_off = f"the pins are not open: lgpio: the pins cannot be opened ({pi_check.UNKNOWN_PI})"
    found = {"outcomes": {"camera": "pass", "pins": "fail", "switch": "fail", "light_red": "fail",
                          "light_amber": "fail", "light_green": "fail", "buzzer": "skipped",
                          "thermal": "skipped", "clock": "warn", "disk": "pass", "pose": "warn",
                          "network": "fail"},
             "details": {"pins": pins_off, "switch": pins_off, "light_red": pins_off,
                         "light_amber": pins_off, "light_green": pins_off,
                         "network": "no network address: is the Wi-Fi set"}}
    assert pi_check.selftest_verdict(found) == []
    found["details"]["switch"] = "the pins are not open: OSError: [Errno 30] Read-only file system"
    found["outcomes"]["disk"] = "fail"
    found["details"]["disk"] = "cannot write to /var/lib/hinge-station"
    wrong = pi_check.selftest_verdict(found)
    assert len(wrong) == 2 and "switch" in wrong[0] and "disk" in wrong[1]
    del found["outcomes"]["camera"]
    assert "selftest lacks camera" in pi_check.selftest_verdict(found)
    assert pi_check.selftest_verdict({"error": "no output"}) == ["selftest did not report: no output"]


def test_the_selftest_report_is_read_from_what_the_unit_printed(monkeypatch) -> None:
    pi_check = rig()
    report = {"counts": {"pass": 1, "fail": 1}, "complete": True,
              "checks": [{"name": "disk", "outcome": "pass", "detail": "8 MiB written"},
                         {"name": "pins", "outcome": "fail", "detail": "not open"}]}
    printed = "a log line first\n" + json.dumps(report, indent=1) + "\n"
    monkeypatch.setattr(pi_check, "under_unit", lambda box, name, command, timeout=0: printed)

    class Box:
        def run(self, *cmd: str, timeout: float = 0) -> None:
            assert cmd[:2] == ("systemctl", "stop")

    found = pi_check.selftest(Box())
    assert found["outcomes"] == {"disk": "pass", "pins": "fail"}
    assert found["details"]["disk"] == "8 MiB written" and found["counts"] == report["counts"]
    monkeypatch.setattr(pi_check, "under_unit", lambda box, name, command, timeout=0: "Traceback: boom")
    assert pi_check.selftest(Box()) == {"error": "Traceback: boom"}
