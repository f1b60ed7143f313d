"""Restarting the station from its staff page, so settings read only at start take effect.

Under systemd (``$INVOCATION_ID`` or ``$NOTIFY_SOCKET`` set) the process exits with
:data:`EXIT_RESTART`; the unit lists that code in ``SuccessExitStatus=`` (a deliberate restart is
not a failure: no failed state, no ``OnFailure=``) and in ``RestartForceExitStatus=`` (so
``Restart=on-failure`` brings it back all the same). Off systemd (``make run``, the demo) the
process runs itself again with the same command line (``os.execv``: same PID, fresh interpreter).
Either way the loop, the web server and the rep log are closed first (``station run`` does that
before :meth:`Restarter.finish`).

    >>> r = Restarter(env={})
    >>> r.under_systemd, r.due.is_set()
    (False, False)
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Mapping
from typing import NoReturn

# EX_TEMPFAIL in sysexits.h ("try again later"); deploy/station.service names it twice.
EXIT_RESTART = 75
# When this process started (wall clock, s): the "Restarting" page waits until /api/health
# reports a later one.
STARTED = time.time()
# The "Restarting" page is answered first: the request only marks the restart due this much later
# (a page on a LAN arrives in milliseconds; the loop looks every 0.2 s).
GRACE_S = 0.5
# systemd counts every start against StartLimitBurst=5 per StartLimitIntervalSec=300 (the unit):
# one deliberate restart per 75 s at most is 4 in any 5 minutes, which leaves one for a crash.
MIN_UPTIME_S = 75.0


class Restarter:
    """A restart asked for by staff: :meth:`request` from a web thread, :attr:`due` watched by
    ``station run``, :meth:`finish` once everything is closed."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.under_systemd = bool(env.get("INVOCATION_ID") or env.get("NOTIFY_SOCKET"))
        self.due = threading.Event()
        self.requested = False

    def refused(self, now: float | None = None) -> str | None:
        """Why a restart cannot be done now (None: it can)."""
        if self.requested:
            return "a restart is already under way"
        up = (time.time() if now is None else now) - STARTED
        if self.under_systemd and up < MIN_UPTIME_S:
            return (f"the station started {up:.0f} s ago; try again in {MIN_UPTIME_S - up:.0f} s "
                    "(systemd stops restarting a service that starts too often)")
        return None

    def request(self) -> None:
        """Mark a restart due in :data:`GRACE_S`, once the answer has left."""
        self.requested = True
        timer = threading.Timer(GRACE_S, self.due.set)
        timer.daemon = True
        timer.start()

    def finish(self) -> int:
        """Under systemd, the exit code to leave with; otherwise this process is replaced."""
        if self.under_systemd:
            return EXIT_RESTART
        reexec()


def reexec() -> NoReturn:
    """Run this program again in this process, with the command line it was started with."""
    sys.stdout.flush()
    sys.stderr.flush()
    # orig_argv keeps the interpreter's own options (-m station, -X ...); argv[0] alone may be a
    # module's path, which would put station/ itself first on sys.path.
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
