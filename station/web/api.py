"""The JSON API: live snapshot and stream, reps, settings (staff), health, the demo's switch."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, stream_with_context

from station.config.settings import Settings, SettingsError
from station.runtime import restart
from station.web.auth import csrf_token, login_required, staff_user
from station.web.guard import StreamGate
from station.web.live import changes, member_view, trim_event
from station.web.openapi import spec

api = Blueprint("api", __name__)


_encoded_lock = threading.Lock()
_encoded: dict[str, Any] = {"msg": None, "frame": b""}


def _sse_frame(kind: str, msg: dict) -> bytes:
    """One server-sent event as bytes, made once however many live pages send it (they share
    the snapshot): fifty pages cost one JSON encoding per snapshot, not fifty."""
    with _encoded_lock:
        if _encoded["msg"] is msg:
            return _encoded["frame"]
    frame = f"event: {kind}\ndata: {json.dumps(msg, separators=(',', ':'))}\n\n".encode()
    with _encoded_lock:
        _encoded["msg"], _encoded["frame"] = msg, frame
    return frame


_view_lock = threading.Lock()
_view: dict[str, Any] = {"msg": None, "view": {}}


def _member_view(station: Any, msg: dict) -> dict:
    """The member page's view of a snapshot (station.web.live), made once for all pages."""
    with _view_lock:
        if _view["msg"] is msg:
            return _view["view"]
    view = member_view(msg, station.view.baseline, station.settings.wall_travel)
    with _view_lock:
        _view["msg"], _view["view"] = msg, view
    return view


class _Changes:
    """One page's compact stream (``?compact=1``): unnamed messages with the fields that changed
    since this page's last one (all of them first), nothing when nothing did; events trimmed."""

    def __init__(self, station: Any) -> None:
        self.station = station
        self.sent: dict | None = None

    def frame(self, kind: str, msg: dict) -> bytes:
        if kind == "event":
            return f"event: event\ndata: {json.dumps(trim_event(msg), separators=(',', ':'))}\n\n".encode()
        view = _member_view(self.station, msg)
        delta = changes(self.sent, view)
        self.sent = view
        return f"data: {json.dumps(delta, separators=(',', ':'))}\n\n".encode() if delta else b""


def _station() -> Any:
    return current_app.extensions["hinge_station"]


def _int_arg(name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"{name} must be a whole number")
    if not lo <= value <= hi:
        abort(400, description=f"{name} must be between {lo} and {hi}")
    return value


def _json_object() -> dict:
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested thousands deep: Python's parser gives up
        data = None
    if not isinstance(data, dict):
        abort(400, description="the body must be a JSON object")
    return data


@api.get("/snapshot")
def snapshot():
    return jsonify(_station().snapshot())


@api.get("/stream")
def stream():
    """Server-sent events: ``snapshot`` messages (at most SSE_MAX_RATE a second) and events;
    with ``?compact=1`` the member page's changes only (see :class:`_Changes`).

    Each open stream holds a server thread, so there are at most SSE_MAX_STREAMS of them, and
    SSE_STREAMS_PER_ADDRESS per client address (503 beyond, with Retry-After); a stream ends
    after SSE_LIFETIME_S and the page reconnects by itself."""
    address = request.remote_addr or "?"
    gate: StreamGate = current_app.extensions["hinge_streams"]
    if not gate.enter(address):
        abort(503, description=REFUSED[gate.refusal(address) or "total"], retry_after=10)
    left = threading.Event()

    def leave() -> None:  # once, whether the stream ran, ended or never started
        if not left.is_set():
            left.set()
            gate.leave(address)

    station = _station()
    compact = _Changes(station) if request.args.get("compact") == "1" else None
    response = Response(stream_with_context(_messages(station, leave, compact)),
                        mimetype="text/event-stream")
    response.call_on_close(leave)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


REFUSED = {
    "address": "this address has as many live pages open as one address may; close one, and this "
               "page joins by itself",
    "total": "the station's live pages are all in use; this page joins when one closes",
}


@api.get("/stream/room")
def stream_room():
    """Whether this client may open one more live stream now, and if not, why (``refused``:
    "address", "total" or null; ``per_address``: how many one address may have). The member page
    asks after its stream was refused: a browser's EventSource cannot read a 503's body."""
    gate: StreamGate = current_app.extensions["hinge_streams"]
    return jsonify({"refused": gate.refusal(request.remote_addr or "?"), "per_address": gate.per_address})


def _messages(station: Any, leave: Any, compact: _Changes | None) -> Iterator[bytes]:
    min_gap = 1.0 / current_app.config["SSE_MAX_RATE"]
    # The member page hears something at least this often, even from a station with nothing new
    # to show (compact streams send only changes): an empty message, which the page takes as
    # "still answering" (a comment would not reach its script). Other streams get a comment.
    heartbeat = current_app.config["SSE_ALIVE_S" if compact else "SSE_HEARTBEAT_S"]
    alive = b"data: {}\n\n" if compact else b": keep-alive\n\n"
    ends = time.monotonic() + current_app.config["SSE_LIFETIME_S"]
    sub = station.subscribe()
    try:
        yield b"retry: 1000\n: connected\n\n"
        quiet_since = time.monotonic()
        while time.monotonic() < ends:
            # Poll at the page's rate rather than wake on every frame: fifty pages cost fifty
            # wake-ups per tick, not fifty per camera frame, and the loop never notices them.
            msg = sub.get(timeout=0)
            if msg is None and sub.closed:
                return  # the station stopped: the page sees the stream end and says so
            if msg is None:
                if time.monotonic() - quiet_since > heartbeat:
                    quiet_since = time.monotonic()
                    yield alive
                time.sleep(min_gap)
                continue
            kind = "snapshot" if msg.get("type") == "snapshot" else "event"
            frame = compact.frame(kind, msg) if compact else _sse_frame(kind, msg)
            if frame:
                quiet_since = time.monotonic()
                yield frame
            if kind == "snapshot":
                time.sleep(min_gap)
    finally:
        sub.close()
        leave()


@api.get("/reps")
@login_required
def reps():
    limit = _int_arg("limit", 100, 1, 10000)
    since = _int_arg("since", None, 0, 2**40)
    return jsonify({"reps": _station().store.reps.newest_first(since=since, limit=limit)})


@api.get("/health")
def health():
    """Anyone: up or degraded. Staff: every figure (errors and disk figures are staff's)."""
    figures = _station().health()
    if staff_user() is None:
        return jsonify({"status": figures["status"]})
    return jsonify({**figures, "started": restart.STARTED})  # the "Restarting" page waits for a new one


@api.get("/session")
def session_info():
    """Who is signed in, and the CSRF token a script must send with changes."""
    return jsonify({"staff": staff_user(), "csrf_token": csrf_token()})


@api.get("/settings")
@login_required
def settings_get():
    station = _station()
    saved = station.store.saved_settings.newest()
    # Secrets are write-only: a set one reads as the placeholder, which changes nothing if sent back.
    return jsonify({"version": saved[0] if saved else 0, "values": station.settings.public(),
                    "fields": _fields()})


@api.put("/settings")
@login_required
def settings_put():
    data = _json_object()
    values = data.get("values", data)
    if not isinstance(values, dict):
        abort(400, description='"values" must be an object of setting: value')
    try:
        new = _station().apply_settings(values, by=staff_user())
    except SettingsError as exc:
        return jsonify({"error": "invalid settings; nothing was changed", "fields": exc.errors}), 422
    return jsonify({"values": new.public()})


@api.post("/demo/switch")
def demo_switch():
    station = _station()
    if not station.demo:
        abort(404, description="there is no virtual wall switch: this station has a real one")
    pressed = _json_object().get("pressed")
    if not isinstance(pressed, bool):
        abort(400, description='"pressed" must be true or false')
    station.press_switch(pressed)
    return jsonify({"pressed": pressed})


@api.get("/openapi.json")
def openapi():
    return jsonify(spec())


def _fields() -> list[dict]:
    return [{k: (list(v) if isinstance(v, tuple) else v) for k, v in f.items()} for f in Settings.describe()]
