"""How many wrong passwords who may try: per account and address, per address, per account from
the whole network, and a lane of its own for a browser that has signed in to the account before.

Every budget is a sliding window of failures on the monotonic clock (a clock set wrong cannot
open or close one). A try is counted *before* its password is checked, in one step with the
limit test (of 60 simultaneous tries only the budget gets through); a right password takes its
try back. Which budgets a try spends:

- from a browser that signed in to this account before (its known-device cookie names the
  account): only that browser's own budget for the account (:data:`DEVICE`). Nobody else can
  spend it, so a distributed attack on the account never locks that browser out;
- from anywhere else: the account from this address (:data:`NAME_ADDRESS`: a typo streak locks
  that one account at that one computer, never a colleague), this address for every account
  (:data:`ADDRESS`: one computer trying many names), and the account from the whole network
  (:data:`NAME`: many addresses guessing one account, whatever their number).

So an account gets at most ``NAME.limit`` (20) guesses an hour from the network, plus 20 an hour
from each browser that has signed in to it before. A colleague who is signed in, or the
physical-presence recovery, clears an account's locks (:meth:`Lockout.clear`).

    >>> lock = Lockout()
    >>> [lock.attempt("ann", "10.0.0.5", now=t).wait_s for t in range(6)]
    [0.0, 0.0, 0.0, 0.0, 0.0, 895.0]
    >>> lock.attempt("bob", "10.0.0.5", now=6).wait_s   # a colleague at the same computer
    0.0
    >>> lock.attempt("ann", "10.0.0.6", now=7).wait_s   # ann from another computer
    0.0
    >>> lock.attempt("ann", "10.0.0.5", device="d1", now=8).wait_s  # ann's own browser: its own lane
    0.0
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """At most ``limit`` failures within ``window_s`` seconds."""

    limit: int
    window_s: float
    what: str  # whose budget, in words, for the lock page and the accounts page


# Five tries for a typo streak (the usual allowance; NIST SP 800-63B 5.2.2 allows up to 100
# consecutive failures per account), then a quarter of an hour: long enough that guessing is slow,
# short enough that a colleague is rarely needed.
NAME_ADDRESS = Budget(5, 900.0, "this account from this computer")
# One computer trying many names: four accounts' worth of typo streaks an hour.
ADDRESS = Budget(20, 3600.0, "this computer, for every account")
# One account from the whole network, whatever the number of addresses: 20 guesses an hour is
# 175,000 a year; a password the strength rule accepts (zxcvbn score 3: at least 10^8 guesses)
# holds for centuries at that rate.
NAME = Budget(20, 3600.0, "this account from browsers that have not signed in to it before")
# A browser that has signed in to the account before: its own typo budget, nobody else's.
DEVICE = Budget(5, 900.0, "this account from this browser")
MAX_KEYS = 10_000  # keys remembered per budget (bounded memory under a flood of names or addresses)
# The accounts' own budgets are never forgotten to make room (a flood of made-up names must not
# push an account's count out); there are only as many as there are accounts. Made-up names have
# a bounded budget of their own, of the same size, so the answers do not say which names exist.


@dataclass(frozen=True)
class Verdict:
    """An attempt's answer: ``wait_s`` 0 means go ahead (then :meth:`Lockout.succeeded` or nothing);
    else the seconds until a try is free again and which budget is spent (``kind``: ``device``,
    ``name_address``, ``address`` or ``name``)."""

    wait_s: float
    kind: str = ""


@dataclass(frozen=True)
class Lock:
    """One spent budget, for the accounts page: whose, how many failures, how long it lasts."""

    account: str | None  # None: an address's lock over every account
    address: str | None
    budget: Budget
    failures: int
    wait_s: float


class _Windows:
    """Failure times per key within one budget's window (keys bounded, oldest forgotten)."""

    def __init__(self, budget: Budget, max_keys: int | None = MAX_KEYS) -> None:
        self.budget, self.max_keys = budget, max_keys
        self.fails: OrderedDict[object, deque[float]] = OrderedDict()

    def _live(self, key: object, now: float) -> deque[float]:
        fails = self.fails.get(key)
        if fails is None:
            fails = self.fails[key] = deque()
            while self.max_keys is not None and len(self.fails) > self.max_keys:
                self.fails.popitem(last=False)
        while fails and now - fails[0] >= self.budget.window_s:
            fails.popleft()
        return fails

    def wait(self, key: object, now: float) -> float:
        fails = self._live(key, now)
        if len(fails) < self.budget.limit:
            return 0.0
        return float(max(1, round(self.budget.window_s - (now - fails[0]))))

    def take(self, key: object, now: float) -> None:
        self._live(key, now).append(now)
        self.fails.move_to_end(key)

    def give_back(self, key: object) -> None:
        fails = self.fails.get(key)
        if fails:
            fails.pop()


class Lockout:
    """The sign-in budgets of one station (see the module docstring). Thread-safe."""

    def __init__(self, name_address: Budget = NAME_ADDRESS, address: Budget = ADDRESS, name: Budget = NAME,
                 device: Budget = DEVICE) -> None:
        self._w = {"name_address": _Windows(name_address), "address": _Windows(address),
                   "name": _Windows(name, max_keys=None), "unknown_name": _Windows(name),
                   "device": _Windows(device)}
        self._lock = threading.Lock()

    def attempt(self, account: str, address: str, device: str | None = None, now: float | None = None,
                exists: bool = True) -> Verdict:
        """Count one try for ``account`` from ``address`` (``device``: the id of a known-device
        cookie that names this account; ``exists``: whether the account does) before its password
        is checked."""
        now = time.monotonic() if now is None else now
        keys = self._keys(account, address, device, exists)
        with self._lock:
            for budget, key in keys:
                wait = self._w[budget].wait(key, now)
                if wait:
                    return Verdict(wait, "name" if budget == "unknown_name" else budget)
            for budget, key in keys:
                self._w[budget].take(key, now)
        return Verdict(0.0)

    def give_back(self, account: str, address: str, device: str | None = None, exists: bool = True) -> None:
        """Take back the newest try (it was not checked: the server was busy)."""
        with self._lock:
            for budget, key in self._keys(account, address, device, exists):
                self._w[budget].give_back(key)

    def succeeded(self, account: str, address: str, device: str | None = None) -> None:
        """A right password: this computer's (or browser's) typo streak for the account is
        forgiven, and the try is not a failure. The network's failures for the account stay
        counted (an attacker's guesses are not undone by staff signing in)."""
        with self._lock:
            if device is not None:
                self._w["device"].fails.pop((device, account), None)
                return
            self._w["name_address"].fails.pop((account, address), None)
            self._w["address"].give_back(address)
            self._w["name"].give_back(account)

    def clear(self, account: str | None = None, address: str | None = None) -> int:
        """A colleague's (or the recovery's) way back: every lock of ``account``, or of
        ``address`` over every account. Returns how many were cleared."""
        cleared = 0
        with self._lock:
            for budget, windows in self._w.items():
                for key in list(windows.fails):
                    if _matches(budget, key, account, address):
                        cleared += windows.fails.pop(key) is not None
        return cleared

    def locks(self, now: float | None = None) -> list[Lock]:
        """Every spent budget now, for the accounts page (device lanes are left out: they lock
        only their own browser, which waits a quarter of an hour at most)."""
        now = time.monotonic() if now is None else now
        out = []
        with self._lock:
            for budget in ("name_address", "name", "address"):
                windows = self._w[budget]
                for key in list(windows.fails):
                    wait = windows.wait(key, now)
                    if not wait:
                        continue
                    pair = key if isinstance(key, tuple) else (None, None)
                    account = pair[0] if budget == "name_address" else key if budget == "name" else None
                    address = pair[1] if budget == "name_address" else key if budget == "address" else None
                    out.append(Lock(str(account) if account is not None else None,
                                    str(address) if address is not None else None,
                                    windows.budget, len(windows.fails[key]), wait))
        return out

    @staticmethod
    def _keys(account: str, address: str, device: str | None,
              exists: bool = True) -> list[tuple[str, object]]:
        if device is not None:
            return [("device", (device, account))]
        return [("name_address", (account, address)), ("address", address),
                ("name" if exists else "unknown_name", account)]


def _matches(budget: str, key: object, account: str | None, address: str | None) -> bool:
    if budget == "address":
        return address is not None and key == address
    if budget in ("name", "unknown_name"):
        return account is not None and key == account
    pair = key if isinstance(key, tuple) else (None, None)
    if budget == "device":
        return account is not None and pair[1] == account
    return (account is not None and pair[0] == account) or (address is not None and pair[1] == address)
