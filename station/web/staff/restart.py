"""Restart from the staff pages: the station runs itself again (settings read only at start take
effect), and the answer is a page that waits for it to come back.

A restart never cuts a member off unasked: while a set is under way (the published snapshot's
phase is not ``away``), Restart answers with a confirmation that names the loss (whose set, how
many reps so far, that the wall goes blank and the set is marked cut) and offers to restart when
the set ends instead. That wait reads only the published snapshot, as every web thread does.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from station.runtime.restart import STARTED
from station.web.auth import login_required, staff_user
from station.web.humane import ago_words
from station.web.staff.common import current_station, staff
from station.web.staff.common import restarter as current_restarter

# A set is a few minutes at most (the kept sets' cap is 3 min, station/kept_sets/keeper.py); past
# this the "set" is someone standing in view (staff at the wall), and the restart goes ahead.
SET_END_WAIT_S = 10 * 60
POLL_S = 0.2  # how often the waiting restart looks at the snapshot: the loop publishes far faster

def set_under_way(snap: dict[str, Any]) -> dict[str, Any] | None:
    """The set going on in ``snap`` (a published snapshot), in words, or None between sets.

    >>> set_under_way({"phase": "away", "set_no": 4}) is None
    True
    >>> set_under_way({"phase": "hinging", "set_no": 52, "reps": 3, "good": 2})["words"]
    'set 52, 3 reps so far (2 good)'
    """
    if snap.get("phase") in (None, "away"):
        return None
    reps, good = int(snap.get("reps") or 0), int(snap.get("good") or 0)
    plural = "s" if reps != 1 else ""
    count = "no rep finished yet" if reps == 0 else f"{reps} rep{plural} so far ({good} good)"
    return {"set_no": snap.get("set_no"), "reps": reps, "good": good,
            "words": f"set {snap.get('set_no') or '?'}, {count}"}


@staff.post("/restart")
@login_required
def restart() -> ResponseReturnValue:
    """Restart the station (settings read only at start take effect). ``when``: absent, restart
    unless a member is mid-set (then ask); ``set-end``, when the set under way ends; ``now``,
    at once, cutting a set under way."""
    restarter = current_restarter()
    if restarter is None:
        body = render_template("message.html", title="Cannot restart", message=(
            "This station was not started with `station run`, so it cannot restart itself; "
            "restart it the way it was started."))
        return body, 503
    why = restarter.refused()
    if why:
        flash(f"Not restarted: {why}.", "error")
        return redirect(url_for("staff.settings"))
    back = url_for("staff.settings")
    when = request.form.get("when", "")
    station = current_station()
    mid = set_under_way(station.snapshot())
    if mid is not None and when == "":
        return render_template("restart_confirm.html", mid=mid, wait_min=SET_END_WAIT_S // 60,
                               started=ago_words(_set_start(station, mid)))
    who = staff_user()
    if mid is not None and when == "set-end":
        waiting: threading.Lock = current_app.extensions.setdefault("hinge_restart_wait", threading.Lock())
        if waiting.acquire(blocking=False):  # one restart waiting for a set's end at a time
            current_app.logger.warning("restart asked for by %s, once %s ends", who, mid["words"])
            threading.Thread(target=_after_set, args=(station, restarter, current_app.logger, waiting),
                             name="restart-after-set", daemon=True).start()
        return render_template("restarting.html", started=STARTED, back=back,
                               waiting=f"The station restarts as soon as {mid['words']} ends.")
    if mid is not None:
        current_app.logger.warning("restart asked for by %s, cutting %s short", who, mid["words"])
    else:
        current_app.logger.warning("restart asked for by %s", who)
    restarter.request()
    return render_template("restarting.html", started=STARTED, back=back, waiting=None)


def _set_start(station: Any, mid: dict[str, Any]) -> float:
    """When the set under way (``mid``, from the snapshot) began, from the rep log's set; now when
    the log's newest set is another (not stored yet)."""
    sets = station.store.reps.sets(limit=1)
    if sets and sets[0]["id"] == mid.get("set_no"):
        return min(time.time(), float(sets[0]["t_start"]))
    return time.time()


def _after_set(station: Any, restarter: Any, logger: Any, held: threading.Lock) -> None:
    """Restart once no set is under way (or after SET_END_WAIT_S); nothing more to do once
    staff restarted it meanwhile with "now"."""
    try:
        deadline = time.monotonic() + SET_END_WAIT_S
        while (set_under_way(station.snapshot()) is not None and time.monotonic() < deadline
               and not restarter.requested):
            time.sleep(POLL_S)
        if restarter.requested:
            return
        if set_under_way(station.snapshot()) is not None:
            logger.warning("the set did not end in %d min: restarting anyway", SET_END_WAIT_S // 60)
        if restarter.refused() is None:
            restarter.request()
    finally:
        held.release()
