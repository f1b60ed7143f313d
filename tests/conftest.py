"""Shared test fixtures: the real models, the shared photos, a fresh data directory, and a demo
station on the simulated trainee with its web app and test clients (anonymous and signed-in staff).

Stations and apps are built through their public constructors only (``Station(...)``,
``create_app(...)``), never by reaching into their parts.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest

from station.config.paths import models_dir
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


# How many copies a photo's rounding window adds to the photo itself (see rounding_window).
WINDOW_COPIES = 12


def rounding_window(rgb, copies: int = WINDOW_COPIES, seed: int = 0) -> list:
    """The photo and ``copies`` copies of it with every channel of every pixel moved by -1, 0 or
    +1 grey level at random (seeded): the frames a verdict on one photo is judged over.

    One photo through the model is one noisy number: the model's input is a warpAffine crop, and
    OpenCV's rounding in it changes between builds (4.11 and 4.14 against 5.1: 4 % of the crop's
    values differ, by 1 grey level, 0.05 % by 2-3; JPEG decoding is identical). The copies move
    every value, a wider drift than any of those builds, so a verdict that holds for most of the
    window does not hang on one build's rounding.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    wide = rgb.astype(np.int16)
    return [rgb] + [np.clip(wide + rng.integers(-1, 2, rgb.shape, dtype=np.int16), 0, 255).astype(np.uint8)
                    for _ in range(copies)]


# ---------------------------------------------------------------- a demo station and its web app
PASSWORD = "a long enough password"


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


def csrf_token(client, path: str = "/staff/setup") -> str:
    """The CSRF token in the form on ``path``."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, f"no CSRF token in the form on {path}"
    return found.group(1)


def create_account(client, app, name: str = "ann") -> None:
    """The first staff account, made with the setup code as staff would; ``client`` is signed in."""
    form = {"csrf_token": csrf_token(client), "setup_code": app.config["SETUP_CODE"], "name": name,
            "password": PASSWORD, "password2": PASSWORD}
    r = client.post("/staff/setup", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:300]


def create_account_in_browser(page, url: str, code: str, name: str = "ann") -> None:
    """The same through the setup form in a browser ``page``; it ends signed in on the settings."""
    page.goto(url + "/staff/")
    page.fill("#setup_code", code)
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/settings")


@pytest.fixture
def staff_client(app):
    """A second browser, signed in as staff "ann" (the first account, made with the setup code)."""
    staff = app.test_client()
    create_account(staff, app)
    return staff


def collect_errors(page, errors: list[str]) -> None:
    """Append the page's console errors and uncaught exceptions to ``errors`` as they happen."""
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))


def chromium_path() -> str:
    """Debian's Chromium for the browser tests; a failure in CI, a skip elsewhere."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "Debian's Chromium is not installed (apt-get install chromium; `make test` installs it in CI)"
    if os.environ.get("CI"):
        pytest.fail(reason + " and CI is set")
    pytest.skip(reason)


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
