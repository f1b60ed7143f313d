"""The member page: what a member reads from 3 m while bent over. No login."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

member = Blueprint("member", __name__)


@member.get("/")
def page() -> ResponseReturnValue:
    station = current_app.extensions["hinge_station"]
    return render_template("member.html", demo=station.demo)
