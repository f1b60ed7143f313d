"""Heat: temperature and the firmware's throttled flags, read from a fake sysfs tree, on the health
report, the staff health page and /metrics (issue 25).

The tree copies Raspberry Pi OS: ``class/thermal/thermal_zone0/temp`` in millidegrees and the
firmware driver's ``get_throttled`` (hex without 0x, e.g. ``50005``) under the firmware device.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from station.runtime import thermal
from station.runtime.thermal import Thermal, read_thermal


def fake_sys(root: Path, *, temp: str | None = "48312\n", throttled: str | None = "0\n",
             firmware: str = "devices/platform/soc/soc:firmware") -> Path:
    if temp is not None:
        zone = root / "class/thermal/thermal_zone0"
        zone.mkdir(parents=True)
        (zone / "temp").write_text(temp)
    if throttled is not None:
        (root / firmware).mkdir(parents=True)
        (root / firmware / "get_throttled").write_text(throttled)
    return root


def test_a_cool_pi_and_a_hot_undervolted_one(tmp_path) -> None:
    cool = read_thermal(fake_sys(tmp_path / "cool"))
    assert cool == Thermal(48.3, 0, (), ()) and not cool.throttling
    assert cool.as_dict() == {"temp_c": 48.3, "throttled": "0x0", "now": [], "since_boot": [],
                              "throttling": False}

    # 0x50005: under-voltage and throttled now, both since boot too (Raspberry Pi's documented example)
    hot = read_thermal(fake_sys(tmp_path / "hot", temp="83950\n", throttled="50005\n"))
    assert hot.temp_c == 84.0 and hot.throttled == 0x50005 and hot.throttling
    assert hot.now == ("under_voltage", "throttled") and hot.since_boot == ("under_voltage", "throttled")

    # 0x80000: the soft temperature limit was reached after boot, nothing now
    past = read_thermal(fake_sys(tmp_path / "past", throttled="80000"))
    assert past.now == () and past.since_boot == ("soft_temperature_limit",) and not past.throttling
    assert thermal.warning(past) is None and "under-voltage" in (thermal.warning(hot) or "")


def test_a_pi_5s_firmware_node_is_found_too(tmp_path) -> None:
    node = "devices/platform/soc@107c000000/soc@107c000000:firmware"
    root = fake_sys(tmp_path, throttled="4", firmware=node)
    assert read_thermal(root).now == ("throttled",)


@pytest.mark.parametrize("temp, throttled", [(None, None), ("", ""), ("warm", "0xzz"), ("\0", "\n")])
def test_missing_or_garbled_files_read_as_unknown_never_raise(tmp_path, temp, throttled) -> None:
    reading = read_thermal(fake_sys(tmp_path, temp=temp, throttled=throttled))
    assert reading == Thermal(None, None, (), ()) and not reading.throttling
    assert read_thermal(tmp_path / "nothing-here") == Thermal(None, None, (), ())


@pytest.fixture
def hot_sys(tmp_path, monkeypatch) -> Path:
    root = fake_sys(tmp_path / "sys", temp="82412\n", throttled="e0006\n")
    monkeypatch.setattr(thermal, "SYS", root)
    return root


def test_health_says_so_when_the_pi_is_throttled(make_sim_station, hot_sys) -> None:
    station = make_sim_station()
    health = station.health()
    capped = ["arm_frequency_capped", "throttled"]
    assert health["thermal"] == {"temp_c": 82.4, "throttled": "0xe0006", "now": capped,
                                 "since_boot": [*capped, "soft_temperature_limit"], "throttling": True}
    assert health["status"] == "degraded"
    assert any("slowed down now" in w and "82.4 °C" in w for w in health["warnings"])

    (hot_sys / "devices/platform/soc/soc:firmware/get_throttled").write_text("e0000\n")  # cooled down
    health = station.health()
    assert health["thermal"]["now"] == [] and not any("slowed down" in w for w in health["warnings"])


def test_the_staff_health_page_shows_temperature_and_throttling(staff_client, hot_sys) -> None:
    html = staff_client.get("/staff/health").get_data(as_text=True)
    assert "slowed down now" in html  # the warning line
    figures = {f["key"]: f for f in staff_client.get("/staff/health.json").get_json()["figures"]}
    row = figures["temperature"]
    assert row["text"] == ("82.4 °C; limits now: arm frequency capped, throttled; "
                           "since boot: arm frequency capped, throttled, soft temperature limit")
    assert row["problem"]
    assert figures["pins"]["text"].startswith("mock") and not figures["pins"]["problem"]


def test_metrics_carry_temperature_and_each_flag_both_ways(sim_station, hot_sys, monkeypatch) -> None:
    from station.fleet.prometheus import StationMetrics

    text = StationMetrics(sim_station).exposition().decode()
    assert "hinge_cpu_temperature_celsius 82.412" not in text  # rounded to 0.1 °C, as health shows
    assert "hinge_cpu_temperature_celsius 82.4" in text
    assert 'hinge_throttled{flag="throttled",when="now"} 1.0' in text
    assert 'hinge_throttled{flag="under_voltage",when="now"} 0.0' in text
    assert 'hinge_throttled{flag="soft_temperature_limit",when="since_boot"} 1.0' in text
    assert 'hinge_throttled{flag="soft_temperature_limit",when="now"} 0.0' in text

    # Not a Pi: no figure rather than a made-up 0
    monkeypatch.setattr(thermal, "SYS", hot_sys.parent / "not-a-pi")
    text = StationMetrics(sim_station).exposition().decode()
    assert "hinge_cpu_temperature_celsius" not in text and "hinge_throttled" not in text
