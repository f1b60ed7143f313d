"""Shared test fixtures: the real models, the shared photos, a fresh data directory, and a demo
station on the simulated trainee with its web app, test clients (anonymous and signed-in staff) and
its real server on a free port (``serve``).

Stations and apps are built through their public constructors only (``Station(...)``,
``create_app(...)``), never by reaching into their parts. Fixtures only: what tests share besides
fixtures is in ``tests/helpers/`` (paths, images, accounts, browser, served, pose_checks, kept,
engines), and no test module imports another.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from station.config.paths import models_dir
from station.pose.models import check
from tests.helpers.accounts import create_account
from tests.helpers.browser import chromium_path
from tests.helpers.paths import PHOTOS, missing
from tests.helpers.served import ServedStation


@pytest.fixture(scope="session")
def photos() -> Path:
    if not PHOTOS.is_dir():
        pytest.skip(f"the shared fixtures are not at {PHOTOS}")
    return PHOTOS


@pytest.fixture(scope="session")
def model_folder() -> Path:
    folder = models_dir()
    if check(folder):
        missing(f"the pose models are not in {folder}; run `station models fetch`")
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


# ---------------------------------------------------------------- a demo station and its web app
@pytest.fixture
def pins():
    """gpiozero's MockFactory: the pins of the stations a test makes (``pins.pin(13)`` is green)."""
    from station.runtime.devices import pin_factory

    return pin_factory(mock=True)


@pytest.fixture
def make_sim_station(tmp_path: Path, pins):
    """Make a demo Station (not started) on the simulated trainee with mock pins, data in tmp_path.

    ``sets`` are (Body, SetPlan) pairs to play (default: the endless demo sets); ``fast`` plays them
    as fast as the loop goes; ``press_switch`` lets the trainee press the wall switch's mock pin
    when it reaches the wall. Every station made is stopped at teardown.
    """
    from station.camera.sources import SimSource
    from station.config.settings import Settings
    from station.runtime.devices import Devices
    from station.runtime.station import Station

    made = []

    def make(sets: Iterable | None = None, settings: Settings | None = None, *, seed: int = 3,
             fast: bool = True, press_switch: bool = True, **kw) -> Station:
        settings = settings or Settings()
        devices = Devices.from_settings(settings, factory=pins)
        switch = devices.switch
        press = None
        if press_switch and switch is not None:
            def press(closed: bool) -> None:
                switch.press() if closed else switch.release()

        source = SimSource(seed=seed, fast=fast, sets=iter(sets) if sets is not None else None, press=press)
        station = Station(settings, source, data_dir=tmp_path, devices=devices, demo=True, **kw)
        made.append(station)
        return station

    yield make
    for station in made:
        station.stop()


@pytest.fixture
def sim_station(make_sim_station):
    """A started demo station: the endless demo sets as fast as they go. The trainee leaves the
    wall switch alone, so only the test (or the web's virtual switch) presses it."""
    station = make_sim_station(press_switch=False)
    station.start()
    return station


@pytest.fixture
def app(sim_station):
    from station.web import create_app

    return create_app(sim_station)


@pytest.fixture
def client(app):
    """An anonymous visitor."""
    return app.test_client()


@pytest.fixture
def staff_client(app):
    """A second browser, signed in as staff "ann" (the first account, made with the setup code)."""
    staff = app.test_client()
    create_account(staff, app)
    return staff


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a test module's pages."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture
def serve():
    """Serve a station's web app on its real server at a free loopback port:
    ``serve(station, start=False, app=None, **create_app_options)`` gives a
    :class:`~tests.helpers.served.ServedStation`; each one (its pages, station and server) is
    closed at teardown."""
    made: list[ServedStation] = []

    def make(station, **options) -> ServedStation:
        made.append(ServedStation(station, **options))
        return made[-1]

    yield make
    for served in made:
        served.close()
