"""Where the station keeps its files, and where a demo listens, as a newcomer meets them."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.cli.run import serve_host
from station.config.paths import data_dir, models_dir


@pytest.fixture
def homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh home: no STATION_DATA, no STATION_MODELS, XDG data under tmp."""
    monkeypatch.delenv("STATION_DATA", raising=False)
    monkeypatch.delenv("STATION_MODELS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path


def test_a_new_data_folder_uses_the_one_model_cache(homes: Path) -> None:
    shared = homes / "xdg" / "hinge-station" / "models"
    assert models_dir(None) == shared
    assert models_dir(homes / "second-demo") == shared
    assert data_dir(homes / "second-demo") == homes / "second-demo"  # the rep log stays apart


def test_a_data_folder_with_its_own_models_keeps_them(homes: Path) -> None:
    own = homes / "pi" / "models"
    own.mkdir(parents=True)  # what deploy/install.sh makes on a Pi
    assert models_dir(homes / "pi") == own


def test_station_models_names_the_cache_for_everyone(homes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATION_MODELS", str(homes / "cache"))
    (homes / "pi" / "models").mkdir(parents=True)
    assert models_dir(homes / "pi") == homes / "cache"
    assert models_dir(None) == homes / "cache"


@pytest.mark.parametrize(("asked", "pi", "expected"), [
    (None, False, "127.0.0.1"),  # a laptop demo keeps its setup code to itself
    (None, True, "0.0.0.0"),     # a station on the wall serves the gym's LAN
    ("0.0.0.0", False, "0.0.0.0"),
    ("127.0.0.1", True, "127.0.0.1"),
])
def test_the_demo_listens_on_this_computer_only_unless_asked(
        asked: str | None, pi: bool, expected: str) -> None:
    assert serve_host(asked, pi) == expected


def test_the_installed_unit_serves_the_lan_explicitly() -> None:
    unit = (Path(__file__).parents[2] / "deploy" / "station.service").read_text()
    start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert "--host 0.0.0.0" in start
