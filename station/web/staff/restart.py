"""Restart from the staff pages: the station runs itself again (settings read only at start take
effect), and the answer is a page that waits for it to come back."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from station.runtime.restart import STARTED
from station.web.auth import login_required, staff_user
from station.web.staff.common import restarter as current_restarter
from station.web.staff.common import staff


@staff.post("/restart")
@login_required
def restart() -> ResponseReturnValue:
    """Restart the station (settings read only at start take effect); the answer is a page that
    waits for it to come back."""
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
    current_app.logger.warning("restart asked for by %s", staff_user())
    restarter.request()
    return render_template("restarting.html", started=STARTED, back=url_for("staff.settings"))
