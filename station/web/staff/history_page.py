"""The staff history page (its view model is :mod:`station.web.history`) and the reps as CSV."""

from __future__ import annotations

import io
import time

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from station.storage import periods
from station.web import history as history_view
from station.web.auth import login_required
from station.web.staff.common import current_station, staff


@staff.get("/history")
@login_required
def history() -> ResponseReturnValue:
    unit = request.args.get("by", history_view.DEFAULT)
    if unit not in periods.UNITS:
        abort(400, description=f"by must be one of {', '.join(periods.UNITS)} (got {unit[:20]!r})")
    return render_template("history.html", h=history_view.view(current_station().store, unit, time.time()))


@staff.get("/history.csv")
@login_required
def history_csv() -> ResponseReturnValue:
    out = io.StringIO()
    current_station().store.history.export_csv(out)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=hinge-reps.csv"})
