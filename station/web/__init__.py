"""The station's web pages and JSON API (Flask app factory, blueprints, served by waitress).

    from station.web import create_app
    app = create_app(station, data_dir=folder)
    make_server(app, "0.0.0.0", 8000).run()

Blueprints: ``member`` (the page on the wall, no login), ``staff`` (sign-in, settings,
calibration, history, health), ``api`` (JSON, with its OpenAPI description).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from station.web import auth

if TYPE_CHECKING:
    from station.station import Station

MAX_BODY = 64 * 1024  # bytes: settings files and forms are small


def create_app(station: Station, *, data_dir: Path | None = None, config: dict[str, Any] | None = None
               ) -> Flask:
    """A Flask app serving one running :class:`~station.station.Station`."""
    from station.web.api import api
    from station.web.member import member
    from station.web.staff import staff

    data_dir = Path(data_dir or station.data_dir)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=auth.secret_key(data_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=MAX_BODY,
        DATA_DIR=data_dir,
        SSE_MAX_RATE=15.0,  # snapshots per second per live page
        SSE_HEARTBEAT_S=10.0,
    )
    app.config.update(config or {})
    app.config["SETUP_CODE"] = auth.setup_code(data_dir, station.store.account_count() > 0)
    app.extensions["hinge_station"] = station
    app.extensions["hinge_throttle"] = auth.Throttle()
    app.register_blueprint(member)
    app.register_blueprint(staff, url_prefix="/staff")
    app.register_blueprint(api, url_prefix="/api")
    app.before_request(auth.check_csrf)
    app.jinja_env.globals.update(csrf_token=auth.csrf_token, staff_user=auth.staff_user)

    app.add_url_rule("/favicon.ico", "favicon", _favicon)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            body = {"error": exc.description or exc.name, "status": exc.code}
            response = jsonify(body)
            response.status_code = exc.code or 500
            retry_after = dict(exc.get_headers()).get("Retry-After")  # set by 429 and 503 errors
            if retry_after:
                response.headers["Retry-After"] = retry_after
            return response
        return exc

    @app.errorhandler(Exception)
    def crash(exc: Exception) -> ResponseReturnValue:
        app.logger.exception("request failed")
        if request.path.startswith("/api/"):
            return jsonify({"error": "internal error", "status": 500}), 500
        return "Internal error: see the station's log.", 500

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app


def _favicon() -> ResponseReturnValue:
    """Browsers ask every page's origin for /favicon.ico: the station's icon, never a 404."""
    response = current_app.send_static_file("favicon.ico")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def make_server(app: Flask, host: str, port: int) -> Any:
    """A waitress server (not yet running): ``.run()``, ``.close()``, ``.effective_port``.

    Each live page holds one connection and one thread, so the pool is sized for 50 pages and
    staff at once on a Pi.
    """
    from waitress import create_server

    return create_server(app, host=host, port=port, threads=80, connection_limit=200,
                         channel_timeout=60, ident="hinge-station")
