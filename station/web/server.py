"""The station's waitress server, hardened for a gym's network.

waitress alone caps connections only in total, and its ``channel_timeout`` counts from the last
byte received, so a client that sends one byte every few seconds holds a connection for ever, and
210 such connections from one phone stop the server accepting anyone. This server adds:

- a cap on open connections per client address (beyond it the connection gets a short 503 and
  is closed at once), so one address cannot take the total;
- a deadline for a request's headers (and a longer one for its body), counted from its first
  byte (or from the connection, for a client that sends nothing at all), checked every second.

Everything else is waitress's own adjustments (see :func:`make_server`).

Every deadline counts on the monotonic clock. waitress counts on the wall clock, so a clock set
back (a Pi with no battery before network time arrives) would stop its clean-up schedule until
the clock caught up again, slowloris protection with it; a clock set forward would close every
idle connection at once.
"""

from __future__ import annotations

import copy
import functools
import math
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.utilities import BadRequest

from station.web.guard import body_cap

# A browser keeps at most 6 connections to one host (Chromium's and Firefox's per-host limit);
# a phone with two tabs and the wall kiosk stay well below 16.
CONNECTIONS_PER_ADDRESS = 16
# Headers fit one packet; a phone on weak Wi-Fi sends them in well under a second. 5 s is
# generous for members and keeps a slow attacker's connection for at most that long.
HEADER_TIMEOUT_S = 5.0
# Once half the connections are taken (slow clients from many addresses at once): 1 s, so their
# slots free every second; a member whose header packet was lost (Linux resends after 1 s) may
# then need a second try.
BUSY_HEADER_TIMEOUT_S = 1.0
# Kept-alive connections with nothing to do are closed after 1 s once half the connections are
# taken: a browser opens a new one when it needs it, and many addresses that each hold 16 idle
# ones cannot keep the server full (otherwise waitress's channel_timeout, 30 s, applies).
BUSY_IDLE_S = 1.0
# While busy the deadlines are looked at 4 times a second: a member's connection waiting for a
# free slot waits for the deadline plus at most this.
BUSY_TICK_S = 0.25
# A whole request (a 64 KiB settings file or form) within 30 s: 17 kbit/s, below the weakest
# Wi-Fi a member's phone would still be on (a backup to restore: see guard.MAX_RESTORE_BODY).
REQUEST_TIMEOUT_S = 30.0
REFUSED = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n"
           b"Connection: close\r\n\r\n")


# Asked about a large-body route's headers before its body is read: None to read it, else why not.
BodyGate = Callable[[Mapping[str, str]], "str | None"]


class Forbidden(BadRequest):
    """waitress's answer to a request refused on its headers alone (its body left unread)."""

    code = 403
    reason = "Forbidden"


class GuardedParser(HTTPRequestParser):
    """waitress's parser with the body cap of the request's route (guard.body_cap): waitress
    compares Content-Length with it right after the headers, before reading any of the body.
    A route with a large cap (restore) is also put to ``gate`` first: refused, the request is
    answered 403 at once and its body is never read (nothing of it reaches memory or disk)."""

    adj: Any  # waitress's Adjustments

    def __init__(self, adj: Any, gate: BodyGate | None = None) -> None:
        super().__init__(adj)
        self.gate = gate

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        cap = body_cap(self.command, self.path, self.adj.max_request_body_size)
        if cap == self.adj.max_request_body_size:
            return
        refused = self.gate(self.headers) if self.gate is not None else None
        if refused is not None:
            self.error = Forbidden(refused)
            self.body_rcv, self.content_length, self.chunked = None, 0, False  # read no body
            return
        self.adj = copy.copy(self.adj)  # this request's own; the server's stays as it was
        self.adj.max_request_body_size = cap


class GuardedChannel(HTTPChannel):
    """A waitress channel that notes when the request it is reading began."""

    parser_class = GuardedParser

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.last_active = time.monotonic()
        super().__init__(*args, **kwargs)
        gate = getattr(self.server, "body_gate", None)
        self.parser_class = functools.partial(GuardedParser, gate=gate)  # type: ignore[assignment]
        self.request_began = time.monotonic()  # the first request: from the connection
        self.answered_one = False

    # waitress stamps ``last_activity`` with the wall clock wherever a byte moves; each stamp also
    # notes the monotonic time (``last_active``), which the deadlines below compare.
    @property
    def last_activity(self) -> float:
        return self._last_activity

    @last_activity.setter
    def last_activity(self, value: float) -> None:
        self._last_activity = value
        self.last_active = time.monotonic()

    def received(self, data: bytes) -> bool:
        if self.request is None and data and self.answered_one:
            self.request_began = time.monotonic()  # the next request on a kept-alive connection
        result = super().received(data)
        if self.requests:
            self.answered_one = True
        return bool(result)

    def overdue(self, now: float, headers_s: float, request_s: float, idle_s: float) -> bool:
        """Still reading a request's headers ``headers_s`` after it began, or its body
        ``request_s`` after, or kept alive with nothing to do for ``idle_s``; a request being
        answered (a live stream) is never overdue. ``now``: :func:`time.monotonic`."""
        if self.requests:
            return False
        took = now - self.request_began
        if self.request is None:  # between requests
            if self.answered_one:
                return not self.total_outbufs_len and now - self.last_active > idle_s
            return took > headers_s  # connected and never said anything
        if not self.request.headers_finished:
            return took > headers_s
        return not self.request.completed and took > request_s


class GuardedServer(TcpWSGIServer):
    """waitress's TCP server with a per-address connection cap and a header deadline."""

    channel_class = GuardedChannel
    body_gate: BodyGate | None = None  # set by web.make_server: backup_restore.restore_gate
    per_address = CONNECTIONS_PER_ADDRESS
    header_timeout = HEADER_TIMEOUT_S
    request_timeout = REQUEST_TIMEOUT_S

    def handle_accept(self) -> None:
        try:
            pair = self.accept()
        except OSError:
            return
        if pair is None:
            return
        conn, addr = pair
        host = addr[0] if isinstance(addr, tuple) else str(addr)
        open_here = sum(1 for ch in list(self.active_channels.values())
                        if isinstance(ch.addr, tuple) and ch.addr[0] == host)
        if open_here >= self.per_address:
            _refuse(conn)
            return
        try:
            self.set_socket_options(conn)
        except OSError:
            conn.close()
            return
        self.channel_class(self, conn, addr, self.adj, map=self._map)

    _next_look = 0.0  # monotonic: when the deadlines are looked at next

    def readable(self) -> bool:
        """waitress's, with the deadlines looked at on the monotonic clock (its own schedule,
        on the wall clock, is switched off)."""
        self.next_channel_cleanup = math.inf
        now = time.monotonic()
        if now >= self._next_look:
            self._next_look = now + self.adj.cleanup_interval
            self.maintenance(now)
        return bool(super().readable())

    def maintenance(self, now: float) -> None:
        """Mark overdue connections to close (``now``: monotonic). waitress's own idle rule
        (silent for ``channel_timeout`` between requests) is the ``idle_s`` below when not busy."""
        channels = list(self.active_channels.values())
        busy = len(channels) >= self.adj.connection_limit // 2
        headers_s = min(self.header_timeout, BUSY_HEADER_TIMEOUT_S) if busy else self.header_timeout
        idle_s = BUSY_IDLE_S if busy else self.adj.channel_timeout  # waitress's own rule when not busy
        for channel in channels:
            if channel.overdue(now, headers_s, self.request_timeout, idle_s):
                channel.will_close = True
        if busy:  # look again sooner than cleanup_interval (whole seconds in waitress)
            self._next_look = now + BUSY_TICK_S


def _refuse(conn: socket.socket) -> None:
    try:
        conn.setblocking(False)
        conn.send(REFUSED)
    except OSError:
        pass
    finally:
        conn.close()
