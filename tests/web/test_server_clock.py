"""The slowloris deadlines hold when the wall clock is set wrong (issue 27 item 9): a Pi without a
battery starts with a clock hours or days off and steps it when network time arrives."""

from __future__ import annotations

import socket
import time

import pytest

from station.camera.sources import SimSource
from station.config.settings import Settings
from station.runtime.station import Station
from station.web import create_app


@pytest.fixture
def server(tmp_path, serve):
    station = Station(Settings(), SimSource(fast=True), data_dir=tmp_path, demo=True)
    srv = serve(station, app=create_app(station)).server
    srv.header_timeout = 1.0  # seconds; the real one is 5
    yield srv
    station.stop()


@pytest.mark.parametrize("step_s", [-86400.0, 86400.0])
def test_a_silent_connection_is_closed_after_the_clock_is_stepped(server, monkeypatch, step_s: float) -> None:
    time.sleep(1.5)  # the server has looked at its deadlines on the right clock
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + step_s)  # network time arrives, or goes
    quiet = socket.create_connection(("127.0.0.1", server.effective_port), timeout=20)  # a hang guard
    try:
        quiet.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")  # and never the end of the headers
        assert quiet.recv(100) == b""  # closed by the header deadline (wall clock back: never, before)
    finally:
        quiet.close()
