"""Whether the wall clock can be trusted: has it been synchronised with network time?

A Raspberry Pi has no battery-backed clock: it boots with the time it saved at shutdown (or
1970) and steps it when network time arrives, possibly hours or years later. Anything that
deletes by wall-clock age (kept sets older than N days) must wait for a synchronised clock, or a
clock set far ahead deletes every kept set at once.

Linux keeps the answer in the kernel: ``adjtimex(2)`` with no modes only reads, and returns
``TIME_ERROR`` (5) while the clock is "not synchronized to a reliable server" (the kernel's
``STA_UNSYNC`` flag, which it sets again by itself when nobody has disciplined the clock for a
while; man7.org/linux/man-pages/man2/adjtimex.2.html). systemd-timesyncd, chrony and ntpd all
clear it once synchronised; systemd-timesyncd also touches ``/run/systemd/timesync/synchronized``
(systemd-timesyncd.service(8), FILES), read here too in case the kernel flag is left set.

    >>> synchronised() in (True, False, None)
    True
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path

TIME_ERROR = 5  # adjtimex's "clock not synchronized" (linux/timex.h)
TIMESYNCD_FLAG = Path("/run/systemd/timesync/synchronized")
# struct timex is 208 bytes on 64-bit Linux (linux/timex.h, with its reserved padding); a larger
# zeroed buffer leaves modes = 0, so the call only reads.
_TIMEX_BYTES = 512


def synchronised() -> bool | None:
    """True when Linux says the wall clock is synchronised with network time, False when it says
    it is not, None when there is no way to tell (not Linux, or the call is refused)."""
    if not sys.platform.startswith("linux"):
        return None
    if TIMESYNCD_FLAG.exists():
        return True
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        state = int(libc.adjtimex(ctypes.create_string_buffer(_TIMEX_BYTES)))
    except (OSError, AttributeError):
        return None
    if state < 0:  # e.g. refused by a sandbox's seccomp filter
        return None
    return state != TIME_ERROR
