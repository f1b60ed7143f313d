"""Settings as staff type them (issue 26): a decimal comma is a decimal point, a station name may
have spaces, and a refused text says which characters are allowed; every pattern has its rule
in words, shown on the page before anything is typed."""

from __future__ import annotations

import pytest

from station.config.settings import Settings, SettingsError
from station.fleet.broker import station_name


def test_a_decimal_comma_is_a_decimal_point() -> None:
    assert Settings().changed(wall_travel="0,25").wall_travel == 0.25
    assert Settings().changed(min_rep_s=" 1,5").min_rep_s == 1.5
    with pytest.raises(SettingsError) as refused:
        Settings().changed(wall_travel="0,2,5")
    assert refused.value.errors["wall_travel"] == "must be a number, like 0.25 or 0,25"


def test_a_station_name_as_a_gym_writes_it_and_its_safe_form_in_topics() -> None:
    named = Settings().changed(station_name="Main floor station")
    assert named.station_name == "Main floor station"
    assert station_name(named.station_name) == "Main-floor-station"  # MQTT topics, metric labels
    assert Settings().changed(station_name="Café d'Anna 2").station_name == "Café d'Anna 2"
    with pytest.raises(SettingsError) as refused:
        Settings().changed(station_name="wall/3 #main")
    assert refused.value.errors["station_name"] == "allowed: up to 64 letters, digits, spaces and . _ - '"


def test_every_text_pattern_has_its_rule_in_words() -> None:
    patterned = [f for f in Settings.describe() if f.get("pattern")]
    assert patterned and all(f["rule"] for f in patterned)
