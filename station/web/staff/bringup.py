"""The installer's bring-up page (:mod:`station.bringup`): every check with its outcome, the
person-steps' buttons (press the pad, is the red light on? yes/no), a live camera picture with
the skeleton, Run again and Export (the kept report as JSON).

One :class:`~station.bringup.session.BringUp` per app, made on first use; the automatic checks run
in its background thread and the page follows them from ``bringup.json``.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from station.bringup import report
from station.bringup.session import BringUp
from station.bringup.walkthrough import STEPS
from station.web.auth import login_required
from station.web.staff.common import current_station, fresh_json, staff

_made = threading.Lock()
ICONS = {"pass": "✓", "warn": "!", "fail": "✗", "skipped": "–", "asked": "?"}
WORDS = {"pass": "passed", "warn": "warning", "fail": "failed", "skipped": "skipped", "asked": "not answered"}


def current_bringup() -> BringUp:
    """This app's bring-up (made once; the port is the one this request reached)."""
    with _made:
        bringup: BringUp | None = current_app.extensions.get("hinge_bringup")
        if bringup is None:
            port = int(request.environ.get("SERVER_PORT") or current_station().settings.web_port)
            bringup = BringUp(current_station(), port=port, host=None)
            current_app.extensions["hinge_bringup"] = bringup
        return bringup


def _view(bringup: BringUp) -> dict[str, Any]:
    """What the page and its JSON show: the report, the state of the run and of the questions."""
    done = bringup.report()
    return {"report": done, "summary": report.summary(done) if done["checks"] else "not run yet",
            "running": bringup.running, "watching": bringup.watching, "asking": bringup.asking,
            "virtual": bringup.walk.virtual, "questions": {s: bringup.walk.question(s) for s in STEPS}}


@staff.get("/bringup")
@login_required
def bringup_page() -> ResponseReturnValue:
    bringup = current_bringup()
    return render_template("bringup.html", v=_view(bringup), icons=ICONS, words=WORDS, steps=STEPS,
                           demo=current_station().demo, preview=request.args.get("preview") == "1")


@staff.post("/bringup")
@login_required
def bringup_act() -> ResponseReturnValue:
    """Run again; show a part and ask about it; its answer; await a press of the pad."""
    bringup = current_bringup()
    action, step = request.form.get("action", ""), request.form.get("step", "")
    anchor = ""
    if action == "run":
        if not bringup.start():
            flash("The checks are already running.")
    elif action in ("ask", "yes", "no"):
        if step not in STEPS or step == "switch":
            abort(400, description=f"no question for {step!r}")
        if action == "ask":
            bringup.ask(step)
        else:
            result = bringup.answer(step, action == "yes")
            flash(f"{result.title}: {WORDS[result.outcome]}",
                  "error" if result.outcome == "fail" else "message")
        anchor = f"#check-{step}"
    elif action == "press":
        if bringup.watch_press() is None:
            flash("Already waiting for a press of the pad.")
        anchor = "#check-switch"
    else:
        abort(400, description=f"unknown action {action!r}")
    return redirect(url_for("staff.bringup_page") + anchor)


@staff.get("/bringup.json")
@login_required
def bringup_json() -> ResponseReturnValue:
    """The page's state, for its poll while checks run or a press is awaited."""
    return fresh_json(_view(current_bringup()))


@staff.get("/bringup/export")
@login_required
def bringup_export() -> ResponseReturnValue:
    """The kept report as a JSON download (404 before the first run)."""
    kept = report.load(current_station().data_dir)
    if kept is None:
        abort(404, description="no bring-up report yet: run the checks first")
    body = current_app.json.dumps(kept, indent=1)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{report.export_name(kept)}"'})


@staff.get("/bringup/preview.jpg")
@login_required
def bringup_preview() -> ResponseReturnValue:
    """The newest camera picture, for the installer who opened the preview on this page (staff
    only, never stored; the demo's simulated trainee has none)."""
    rgb = current_station().view.rgb
    if rgb is None:
        abort(404, description="no camera picture (the demo's simulated trainee has none)")
    import cv2

    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 70])
    if not ok:
        abort(500, description="the picture could not be encoded")
    return Response(data.tobytes(), mimetype="image/jpeg", headers={"Cache-Control": "no-store"})
