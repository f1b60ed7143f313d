"""The member page: what a member reads from 3 m while bent over. No login.

The page gets the coach's words from here (each fault's name and cue), so it never spells a
fault differently from the coach.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from station.coach.coach import CUE_GOOD, UNSEEN_CUE
from station.coach.faults import FAULTS

member = Blueprint("member", __name__)


def vocabulary() -> dict[str, Any]:
    """Every fault's name and cue in priority order, the cue of a good rep, and for each check the
    camera could not make (a rep counted, not judged) what would let it."""
    return {"faults": [{"code": str(c), "name": f.words, "cue": f.cue} for c, f in FAULTS.items()],
            "good_cue": CUE_GOOD, "unseen_cues": {str(c): cue for c, cue in UNSEEN_CUE.items()}}


@member.get("/")
def page() -> ResponseReturnValue:
    station = current_app.extensions["hinge_station"]
    timing = {"hold_s": current_app.config.get("MEMBER_RESULT_S", 6.0),
              "summary_s": current_app.config.get("MEMBER_SUMMARY_S", 15.0),
              # never less than two of the stream's "still here" apart: a quiet station is not a stale one
              "stale_s": max(current_app.config["MEMBER_STALE_S"], 2 * current_app.config["SSE_ALIVE_S"]),
              "retry_s": current_app.config["MEMBER_RETRY_S"]}
    return render_template("member.html", demo=station.demo, vocabulary={**vocabulary(), **timing},
                           keep_days=station.keep_sets_days)
