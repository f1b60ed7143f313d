"""The staff blueprint and what its pages share: the station, the client's address, the "try
again later" answers, the restart card and settings values in words."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from station.config.settings import Settings
from station.web import auth
from station.web.humane import at_words, duration

if TYPE_CHECKING:
    from station.runtime.restart import Restarter
    from station.runtime.station import Station

staff = Blueprint("staff", __name__)


def current_station() -> Station:
    """The station this app serves."""
    return current_app.extensions["hinge_station"]


def client_address() -> str:
    """The address the request came from ("?" when unknown), the key of its throttle."""
    return request.remote_addr or "?"


def fresh_json(data: Any) -> Response:
    """``data`` as JSON that no cache keeps: a live page's figures, asked for again and again."""
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


def wait_page(seconds: int, title: str = "Too many tries", status: int = 429) -> Response:
    """Come back in ``seconds``: too many failed attempts (429), or the station is busy."""
    # In words, and when (issue 26: "Try again in 298 s." read as a puzzle, not a time).
    when = f"in {duration(seconds)}" + (f" ({at_words(time.time() + seconds)})" if seconds >= 60 else "")
    message = (f"Too many failed attempts. Try again {when}." if status == 429
               else f"The station is busy. Try again {when}.")
    body = render_template("message.html", title=title, message=message)
    return Response(body, status=status, headers={"Retry-After": str(seconds)})


def busy(key: str) -> Response:
    """Every hashing slot is taken (a burst of sign-ins): come back, and this try does not count."""
    auth.throttle().refund(key)
    return wait_page(2, "Busy", 503)


def plain(value: Any) -> str:
    """A setting's value in words: on/off, 2 rather than 2.0, "empty"."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if value != "" else "empty"


def restarter() -> Restarter | None:
    """What the Restart button asks (None: this process cannot restart itself)."""
    return current_app.extensions.get("hinge_restarter")


def restart_card(pending: list[str]) -> dict[str, Any]:
    """What ``_restart.html`` shows: the settings waiting for a restart, by label, and whether
    this process can restart itself."""
    return {"pending": [Settings.label(n) for n in pending], "can_restart": restarter() is not None}
