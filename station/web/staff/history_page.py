"""The staff history page (its view model is :mod:`station.web.history`) and the reps as CSV."""

from __future__ import annotations

import itertools
import time

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from station.storage import periods
from station.web import history as history_view
from station.web.auth import login_required
from station.web.downloads import heavy
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
    """Every rep as CSV, sent a thousand rows at a time as they are read (a heavy download:
    web/downloads.py)."""
    history = current_station().store.history

    def answer() -> Response:
        pieces = history.csv_chunks()
        # The first piece (the header and a thousand rows) before the answer starts: a log that
        # cannot be read is a 503 page (StoreError), not a cut-off 200.
        first = next(pieces)
        return Response((text.encode() for text in itertools.chain([first], pieces)), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=hinge-reps.csv"})

    return heavy(answer)
