"""A station's web app on its real server (waitress, :func:`station.web.make_server`) on a free
loopback port, for the tests that need a network or a browser: pages that collect their console
errors, the first account or a sign-in through the forms, and closing it all.

The ``serve`` fixture (tests/conftest.py) makes these and closes them at teardown; elsewhere use
one as a context manager.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

from station.web import create_app, make_server
from tests.helpers.accounts import create_account_in_browser, sign_in_in_browser
from tests.helpers.browser import collect_errors


class ServedStation:
    """``station``'s web app (``app``, or one made by ``create_app(station, **options)``) served
    by waitress on 127.0.0.1 at a free port, in a thread; ``start`` starts the station's loop
    once it is served. ``errors`` gathers the console errors of every page opened with
    :meth:`open`. :meth:`close` stops the station (its live streams end) and the server."""

    def __init__(self, station: Any, *, app: Any = None, start: bool = False, **options: Any) -> None:
        self.station = station
        self.app = app if app is not None else create_app(station, **options)
        self.server = make_server(self.app, "127.0.0.1", 0)
        threading.Thread(target=self.server.run, daemon=True).start()
        self.port: int = self.server.effective_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.errors: list[str] = []
        self._pages: list[Any] = []
        if start:
            station.start()

    def open(self, browser: Any, width: int = 1920, height: int = 1080, path: str | None = None) -> Any:
        """A new page of ``width`` x ``height`` whose console errors go to :attr:`errors`; at
        ``path`` when given. It is closed with the server."""
        page = browser.new_page(viewport={"width": width, "height": height})
        self._pages.append(page)
        collect_errors(page, self.errors)
        if path is not None:
            page.goto(self.url + path)
        return page

    def create_account(self, page: Any, name: str = "ann") -> None:
        """The first staff account through the setup form, with this app's setup code; ``page``
        ends signed in on the settings."""
        create_account_in_browser(page, self.url, self.app.config["SETUP_CODE"], name)

    def sign_in(self, page: Any, name: str = "ann", then: str | None = None) -> None:
        """Sign ``page`` in through the form; it ends on ``then`` (default: the staff home)."""
        sign_in_in_browser(page, self.url, name, then)

    def close(self) -> None:
        """Close the pages opened here, stop the station and the server."""
        for page in self._pages:
            with contextlib.suppress(Exception):
                page.close()
        self.station.stop()
        self.server.close()

    def __enter__(self) -> ServedStation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DroppedLink:
    """A TCP relay between the browser and the station that can stop passing bytes without closing
    anything: what a dropped Wi-Fi looks like to both ends (no error, no end, just silence).
    Chromium's own offline emulation does not stop a response already streaming, so it cannot."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.passing = threading.Event()
        self.passing.set()
        self.socks: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                return
            self.socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                self.passing.wait()  # dropped: the bytes go nowhere for now
                b.sendall(data)
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.passing.set()
        for s in (self.listener, *self.socks):
            with contextlib.suppress(OSError):
                s.close()
