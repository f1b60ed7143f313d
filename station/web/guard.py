"""What keeps one client on a gym's network from taking the station from everyone else.

- :class:`HostCheck`: only the station's own names and addresses are served (a page on a
  member's phone cannot reach the station through a name it controls: DNS rebinding).
- :class:`StreamGate`: live streams in total and per client address, each holding a server
  thread while it lasts, so the pool always keeps threads for pages; one slot is kept for the
  station's own screen (the wall's kiosk, :func:`own_screen`).
- :class:`HashGate`: password hashes (scrypt, 32 MiB and ~0.1 s each) at most two at a time.
- :func:`body_cap`: request bodies are small (forms, settings files), except a backup being
  restored, on its own route only.

    >>> gate = StreamGate(total=2, per_address=1)
    >>> gate.enter("10.0.0.5"), gate.enter("10.0.0.5"), gate.enter("10.0.0.6"), gate.enter("10.0.0.7")
    (True, False, True, False)
    >>> gate.leave("10.0.0.5"); gate.enter("10.0.0.7")
    True
    >>> gate.refusal("10.0.0.8"), gate.refusal("10.0.0.7")
    ('total', 'address')
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator

RESTORE_PATH = "/staff/restore"
# A backup to restore: benchmarks/backup_size.py measures ~460 KiB zipped for 10,000 reps, so
# 32 MiB holds some 700,000 reps (years of a busy wall); and it arrives within the server's 30 s
# request deadline (server.REQUEST_TIMEOUT_S) at 9 Mbit/s, below any Wi-Fi staff would use.
MAX_RESTORE_BODY = 32 * 2**20


def body_cap(method: str, path: str, small: int) -> int:
    """The largest request body for ``method`` ``path``: ``small`` (the app's cap) everywhere but
    the restore route. waitress refuses a larger one from its Content-Length (server.py), and
    Flask's own check agrees (web/__init__.py).

        >>> body_cap("POST", "/staff/restore", 65536), body_cap("POST", "/staff/settings/import", 65536)
        (33554432, 65536)
    """
    return MAX_RESTORE_BODY if method == "POST" and path == RESTORE_PATH else small


# The wall's own screen is the kiosk on the station itself (deploy/kiosk: Chromium on
# http://localhost:8000/), so its streams come from the loopback address `localhost` names. No
# client on the network can have that source address (RFC 1122 3.2.1.3: 127/8 never leaves a host;
# Linux drops such packets as martians), so it cannot be claimed from the gym's Wi-Fi. Only these
# two, not all of 127/8: tests and benchmarks stand LAN clients on 127.0.0.2 and up.
OWN_SCREEN = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})


def own_screen(address: str | None) -> bool:
    """Whether a client at ``address`` is the station's own screen (the wall's kiosk): its stream
    slot, and the only page shown a staff code after a hold of the wall switch (web/presence.py).

        >>> own_screen("127.0.0.1"), own_screen("::1"), own_screen("127.0.0.2"), own_screen(None)
        (True, True, False, False)
    """
    return address in OWN_SCREEN


class StreamGate:
    """Counts live streams; :meth:`enter` says whether one more may start, :meth:`refusal` why not.

    ``kept`` slots of ``total`` are kept for the station's own screen (:func:`own_screen`): other
    clients never take them, so sixty phones cannot leave the wall's kiosk with a 503 (issue 27).

        >>> gate = StreamGate(total=2, per_address=2, kept=1)
        >>> gate.enter("10.0.0.5"), gate.enter("10.0.0.6"), gate.enter("127.0.0.1")
        (True, False, True)
    """

    def __init__(self, total: int, per_address: int, kept: int = 0) -> None:
        self.total, self.per_address, self.kept = total, per_address, kept
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def enter(self, address: str) -> bool:
        with self._lock:
            if self._refusal(address):
                return False
            self._open[address] = self._open.get(address, 0) + 1
            return True

    def refusal(self, address: str) -> str | None:
        """Why one more stream from ``address`` would be refused now: ``"address"`` (this address
        has per_address open), ``"total"`` (the station's are all taken), or None."""
        with self._lock:
            return self._refusal(address)

    def _refusal(self, address: str) -> str | None:
        if self._open.get(address, 0) >= self.per_address:
            return "address"
        open_now = sum(self._open.values())
        if own_screen(address):
            return "total" if open_now >= self.total else None
        own = sum(n for a, n in self._open.items() if own_screen(a))
        return "total" if open_now + max(0, self.kept - own) >= self.total else None

    def leave(self, address: str) -> None:
        with self._lock:
            left = self._open.get(address, 0) - 1
            if left > 0:
                self._open[address] = left
            else:
                self._open.pop(address, None)

    def count(self) -> int:
        with self._lock:
            return sum(self._open.values())


class HashGate:
    """At most ``running`` password hashes at a time and ``waiting`` requests queued for one;
    beyond that a request is told to come back (so sign-ins cannot hold the server's threads).

    A priority lane (``slot(priority=True)``: a browser that has signed in before, web/lockout.py)
    has a slot and a queue of its own, so a flood of guesses that fills the shared slots never
    makes staff wait for one.

        >>> gate = HashGate(running=1, waiting=0, wait_s=0.01)
        >>> with gate.slot() as a, gate.slot() as b, gate.slot(priority=True) as c:
        ...     a, b, c
        (True, False, True)
    """

    # 2 running: 64 MiB of scrypt at most, and two staff signing in at once do not wait; 4 waiting
    # for up to 3 s: a shift change; beyond that it is a burst, and a thread each would starve pages.
    # The priority lane: 1 running (32 MiB more), 2 waiting (two staff browsers at once).
    def __init__(self, running: int = 2, waiting: int = 4, wait_s: float = 3.0, priority_running: int = 1,
                 priority_waiting: int = 2) -> None:
        self._slots = {False: threading.BoundedSemaphore(running),
                       True: threading.BoundedSemaphore(priority_running)}
        self._lock = threading.Lock()
        self._queued = {False: 0, True: 0}
        self._limit = {False: running + waiting, True: priority_running + priority_waiting}
        self.wait_s = wait_s

    @contextlib.contextmanager
    def slot(self, priority: bool = False) -> Iterator[bool]:
        """Yields True with a slot held, False when busy (the caller answers 503)."""
        with self._lock:
            admitted = self._queued[priority] < self._limit[priority]
            self._queued[priority] += admitted
        if not admitted:
            yield False
            return
        try:
            got = self._slots[priority].acquire(timeout=self.wait_s)
            try:
                yield got
            finally:
                if got:
                    self._slots[priority].release()
        finally:
            with self._lock:
                self._queued[priority] -= 1


class HostCheck:
    """Whether a request's ``Host`` names this station: its hostname, ``hostname.local``,
    localhost, names staff added, or an IP address of one of its own interfaces."""

    CACHE = 256  # addresses remembered; a flood of made-up ones only costs a bind each

    def __init__(self, extra: str = "") -> None:
        name = socket.gethostname().lower().rstrip(".")
        self.names = {"localhost", name, f"{name}.local", name.split(".")[0] + ".local"}
        self.extra = {n for n in extra.split(",") if n}
        self._addresses: OrderedDict[str, tuple[bool, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allows(self, host_header: str) -> bool:
        host = _host_part(host_header)
        if not host:
            return False
        if host in self.names or host in self.extra or host.endswith(".localhost"):
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if address.is_unspecified:  # 0.0.0.0 reaches localhost in some browsers: never a name
            return False
        return address.is_loopback or self._is_local(str(address))

    def _is_local(self, address: str, ttl: float = 60.0) -> bool:
        """An address is this machine's if a socket can bind to it (asked again after ``ttl``
        seconds: DHCP may move it)."""
        now = time.monotonic()
        with self._lock:
            known = self._addresses.get(address)
        if known is not None and now - known[1] < ttl:
            return known[0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        try:
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.bind((address, 0))
            local = True
        except OSError:
            local = False
        with self._lock:
            self._addresses[address] = (local, now)
            self._addresses.move_to_end(address)
            while len(self._addresses) > self.CACHE:
                self._addresses.popitem(last=False)
        return local


def _host_part(header: str) -> str:
    """``Host`` without its port, lower case, no trailing dot; '' when malformed."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[1:end] if end > 0 else ""
    host, _, port = header.partition(":")
    if port and not port.isdigit():
        return ""
    return host.rstrip(".")
