"""Heavy staff downloads (kept-set replays, the history CSV, backups, the labelled-sets export):
at most :data:`AT_ONCE` at a time, each answered as a stream of bounded pieces.

Built whole in memory, ten replays at once took the station to 707-761 MiB resident, and a
200,000-rep CSV with three backups to 360 MiB (benchmarks/memory_attacks.py), past half the unit's
``MemoryMax``; and glibc keeps much of such peaks afterwards. Now each route yields its body piece by piece
(a replay a few hundred frames at a time, the CSV a thousand rows at a time, a backup or an export
64 KiB at a time from its spooled file), and a download beyond the limit is answered at once with
503 and ``Retry-After`` instead of queueing behind the others.

    @sets.get("/<int:set_id>/poses.json")
    def poses(set_id):
        return heavy(lambda: Response(replay_chunks(...), mimetype="application/json"))
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import IO

from flask import Response, current_app, render_template

# Two staff at the desk downloading at once, plus one more tab. Each download holds one of the
# 20 server threads kept for pages (web/__init__.py: THREADS - MAX_STREAMS) while it streams, so
# pages always keep 17; and at most this many spooled backups or exports wait on disk at once.
AT_ONCE = 3
RETRY_AFTER_S = 5  # a replay streams in well under a second; a backup of a big log in seconds
CHUNK = 64 * 1024  # bytes read from a spooled file per piece sent


class DownloadGate:
    """At most ``limit`` heavy downloads at once; :meth:`enter` says whether one more may start.

        >>> gate = DownloadGate(1)
        >>> gate.enter(), gate.enter(), gate.leave(), gate.enter()
        (True, False, None, True)
    """

    def __init__(self, limit: int = AT_ONCE) -> None:
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self.running = 0

    def enter(self) -> bool:
        if not self._slots.acquire(blocking=False):
            return False
        with self._lock:
            self.running += 1
        return True

    def leave(self) -> None:
        with self._lock:
            self.running -= 1
        self._slots.release()


def gate() -> DownloadGate:
    """This app's gate (made on first use)."""
    return current_app.extensions.setdefault("hinge_downloads", DownloadGate())


def busy() -> Response:
    """The answer when every slot is taken: come back in RETRY_AFTER_S."""
    message = f"The station is preparing other downloads. Try again in {RETRY_AFTER_S} s."
    body = render_template("message.html", title="Busy", message=message)
    return Response(body, status=503, headers={"Retry-After": str(RETRY_AFTER_S)})


def heavy(answer: Callable[[], Response]) -> Response:
    """``answer()`` within a slot of the gate, kept until the response is closed (sent whole, or
    the client went away: the server closes it either way); 503 when none is free."""
    slots = gate()
    if not slots.enter():
        return busy()
    released = threading.Event()

    def leave() -> None:
        if not released.is_set():  # close may be called more than once
            released.set()
            slots.leave()

    try:
        response = answer()
    except BaseException:
        leave()
        raise
    response.call_on_close(leave)
    return response


def file_chunks(f: IO[bytes], size: int = CHUNK) -> Iterator[bytes]:
    """A file's bytes from where it stands, ``size`` at a time; the file is closed at the end (or
    when the response is closed before it)."""
    with f:
        while chunk := f.read(size):
            yield chunk
