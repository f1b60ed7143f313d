"""One-time codes that prove someone stands at the station: made for a long hold of the wall
switch (runtime/switch_hold.py) and shown only on the station's own screen.

The station's own screen is the kiosk browser on the station itself (deploy/kiosk opens
``http://localhost:8000/``), so it is the one client whose address is loopback: the kernel
drops packets from the network that claim a 127.0.0.0/8 or ::1 source (martian addresses), and
the station serves directly (waitress, no proxy in front whose address every client would share).
Anyone on the gym's network may ask; only the station's own screen is shown a code, and only
someone at the wall can make one appear.

    >>> from station.runtime.switch_hold import Hold
    >>> codes = PresenceCodes()
    >>> codes.shown(Hold(0), now=10.0) is None     # no hold yet
    True
    >>> code = codes.shown(Hold(1, at=10.0), now=11.0)
    >>> codes.shown(Hold(1, at=10.0), now=12.0) == code, len(code.replace(" ", ""))
    (True, 8)
    >>> codes.take("1234 5678", Hold(1, at=10.0), now=13.0), codes.take(code, Hold(1, at=10.0), now=14.0)
    (False, True)
    >>> codes.take(code, Hold(1, at=10.0), now=15.0)  # used once
    False
"""

from __future__ import annotations

import hmac
import secrets
import threading

from station.runtime.switch_hold import Hold

# How long a code is shown and can be used after the hold: time to walk from the wall to a
# phone or the front desk and type it, and short enough that a code seen across the gym soon dies.
CODE_LIFE_S = 300.0
# Wrong codes before the hold's code is void (a new hold makes a new one): with 8 digits, 5 tries
# guess it with odds of 1 in 20 million, whatever the number of addresses trying.
WRONG_TRIES = 5


def _digits(code: str) -> str:
    return "".join(c for c in code if c.isdigit())


class PresenceCodes:
    """The code of the newest hold: made when the station's screen first asks, used once."""

    def __init__(self, life_s: float = CODE_LIFE_S, wrong_tries: int = WRONG_TRIES) -> None:
        self.life_s, self.wrong_tries = life_s, wrong_tries
        self._lock = threading.Lock()
        self._hold = 0
        self._code: str | None = None
        self._wrong = 0

    def _current(self, hold: Hold, now: float) -> str | None:
        """The live code for ``hold`` (under the lock), made for a hold not seen before."""
        if hold.count == 0 or now - hold.at > self.life_s:
            return None
        if hold.count != self._hold:
            self._hold, self._wrong = hold.count, 0
            number = f"{secrets.randbelow(10**8):08d}"
            self._code = f"{number[:4]} {number[4:]}"
        return self._code

    def shown(self, hold: Hold, now: float) -> str | None:
        """What the station's own screen shows for the newest hold (None: nothing to show)."""
        with self._lock:
            return self._current(hold, now)

    def expires_in(self, hold: Hold, now: float) -> float:
        return max(0.0, self.life_s - (now - hold.at))

    def take(self, given: str, hold: Hold, now: float) -> bool:
        """Whether ``given`` is the live code (spaces and dashes ignored), used up in the same
        step; a wrong one counts, and :data:`WRONG_TRIES` of them void the code."""
        with self._lock:
            code = self._current(hold, now)
            if code is None:
                return False
            if hmac.compare_digest(_digits(given).encode(), _digits(code).encode()):
                self._code = None
                return True
            self._wrong += 1
            if self._wrong >= self.wrong_tries:
                self._code = None
            return False
