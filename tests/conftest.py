"""Shared test fixtures: the real models, the shared photos, a fresh data directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from station.datadir import models_dir
from station.pose.models import check

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures"
PHOTOS = FIXTURES / "photos"
IN_CI = bool(os.environ.get("CI"))


def _missing(reason: str) -> None:
    # In CI a missing dependency is a failure, never a silent skip.
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def photos() -> Path:
    if not PHOTOS.is_dir():
        pytest.skip(f"the shared fixtures are not at {PHOTOS}")
    return PHOTOS


@pytest.fixture(scope="session")
def model_folder() -> Path:
    folder = models_dir()
    if check(folder):
        _missing(f"the pose models are not in {folder}; run `station models fetch`")
    return folder


@pytest.fixture(scope="session")
def estimator(model_folder: Path):
    from station.pose.blazepose import PoseEstimator

    return PoseEstimator.from_folder(model_folder, threads=2)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory that STATION_DATA points at."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("STATION_DATA", str(folder))
    return folder


def read_rgb(path: Path):
    from station.camera.files import read_image

    return read_image(path)
