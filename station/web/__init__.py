"""The station's web pages and JSON API (Flask app factory, blueprints, served by waitress).

    from station.web import create_app
    app = create_app(station, data_dir=folder)
    make_server(app, "0.0.0.0", 8000).run()

Blueprints: ``member`` (the page on the wall, no login), ``staff`` (sign-in, settings,
calibration, history, health), ``api`` (JSON, with its OpenAPI description), ``metrics``
(``/metrics`` for Prometheus).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, MisdirectedRequest

from station.storage import StoreError
from station.web import auth
from station.web.guard import HashGate, HostCheck, StreamGate, body_cap, own_screen
from station.web.humane import duration
from station.web.lockout import Lockout
from station.web.presence import PresenceCodes

if TYPE_CHECKING:
    from station.fleet.prometheus import StationMetrics
    from station.runtime.restart import Restarter
    from station.runtime.station import Station

MAX_BODY = 64 * 1024  # bytes: settings files and forms are small
# Live pages: the 50 the station is measured with (docs/figures.md), and room for staff's own. Each holds
# a server thread while open, so the pool has THREADS - MAX_STREAMS threads left for pages.
MAX_STREAMS = 60
# A phone with two tabs and the wall's kiosk; more from one address is one client hoarding.
STREAMS_PER_ADDRESS = 4
# Of MAX_STREAMS, kept for the station's own screen (guard.own_screen): the wall has one kiosk.
STREAMS_KEPT_FOR_SCREEN = 1
THREADS = MAX_STREAMS + 20
# A live stream ends after this long and the page reconnects by itself (SSE ``retry``), so a
# stream slot is never held for ever by one connection.
STREAM_LIFETIME_S = 300.0
# A staff cookie idles out after half a shift; each request renews it (sliding), and a sign-in
# lasts at most a long day however busy.
SESSION_IDLE = timedelta(hours=4)
SESSION_MAX_S = 14 * 3600


def create_app(station: Station, *, data_dir: Path | None = None, config: dict[str, Any] | None = None,
               metrics: StationMetrics | None = None, restarter: Restarter | None = None) -> Flask:
    """A Flask app serving one running :class:`~station.runtime.station.Station` (and its Prometheus
    ``metrics``: made here and attached to the station's loop when not given). ``restarter``:
    what staff's Restart button asks (``station run`` gives one; without it the button says the
    station was not started in a way that can restart itself)."""
    from station.fleet.prometheus import StationMetrics
    from station.web.api import api
    from station.web.member import member
    from station.web.metrics import metrics as metrics_page
    from station.web.sets import sets
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
        # The member page's stream says "still here" this often when nothing changes, and the page
        # greys out after MEMBER_STALE_S without a word (three of these missed: Wi-Fi jitter of a
        # few seconds is not an outage, a dropped link is seen within ~12 s).
        SSE_ALIVE_S=4.0,
        MEMBER_STALE_S=12.0,
        MEMBER_RETRY_S=5.0,  # a refused member page asks again after 5-10 s (the 503 says 10)
        SSE_LIFETIME_S=STREAM_LIFETIME_S,
        PERMANENT_SESSION_LIFETIME=SESSION_IDLE,
        SESSION_REFRESH_EACH_REQUEST=True,
        SESSION_MAX_S=SESSION_MAX_S,
    )
    app.config.update(config or {})
    app.config["SETUP_CODE"] = auth.setup_code(data_dir, station.store.accounts.count() > 0)
    auth.dummy_hash()  # made now, not by the first burst of sign-ins
    app.extensions.update(
        hinge_station=station, hinge_throttle=auth.Throttle(), hinge_hashes=HashGate(),
        hinge_lockout=Lockout(), hinge_presence=PresenceCodes(),
        hinge_metrics=metrics or StationMetrics.attach(station),
        hinge_streams=StreamGate(app.config.get("SSE_MAX_STREAMS", MAX_STREAMS),
                                 app.config.get("SSE_STREAMS_PER_ADDRESS", STREAMS_PER_ADDRESS),
                                 app.config.get("SSE_STREAMS_KEPT", STREAMS_KEPT_FOR_SCREEN)),
        hinge_hosts=HostCheck(station.settings.web_host_names), hinge_restarter=restarter)
    app.register_blueprint(member)
    app.register_blueprint(staff, url_prefix="/staff")
    app.register_blueprint(sets, url_prefix="/staff/sets")
    app.register_blueprint(api, url_prefix="/api")
    app.register_blueprint(metrics_page)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
    app.before_request(_body_cap)  # first: the CSRF check reads the form
    app.before_request(check_host)
    app.before_request(auth.check_csrf)
    app.jinja_env.globals.update(csrf_token=auth.csrf_token, staff_user=auth.staff_user,
                                 station_warnings=station.warnings,
                                 own_screen=lambda: own_screen(request.remote_addr))
    app.jinja_env.filters["duration"] = duration  # every duration on a staff page, in words
    _error_handlers(app)
    return app


def _body_cap() -> None:
    """The route's body cap (guard.body_cap: the restore route takes a backup)."""
    small = current_app.config.get("MAX_CONTENT_LENGTH") or MAX_BODY
    request.max_content_length = body_cap(request.method, request.path, small)


def check_host() -> None:
    """Only the station's own names and addresses are served (DNS rebinding: a page on a
    member's phone, loaded from a name its author controls, then pointed at the station)."""
    hosts: HostCheck = current_app.extensions["hinge_hosts"]
    names = current_app.extensions["hinge_station"].settings.web_host_names
    hosts.extra = set(filter(None, names.split(",")))  # staff may have added one since
    if not hosts.allows(request.host):
        raise MisdirectedRequest("this station answers only to its own names and addresses")


def _error_handlers(app: Flask) -> None:
    @app.errorhandler(StoreError)
    def store_error(exc: StoreError) -> ResponseReturnValue:
        app.logger.warning("rep log: %s", exc)
        message = "the rep log cannot be read just now; the health page says more"
        if request.path.startswith("/api/"):
            return jsonify({"error": message, "status": 503}), 503, {"Retry-After": "60"}
        body = render_template("message.html", title="Rep log unavailable", message=message)
        return body, 503, {"Retry-After": "60"}

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
        if exc.code is None or exc.code < 400:
            return exc
        return error_page(exc.code, exc.description or exc.name, exc.get_headers())

    @app.errorhandler(Exception)
    def crash(exc: Exception) -> ResponseReturnValue:
        app.logger.exception("request failed")
        if request.path.startswith("/api/"):
            return jsonify({"error": "internal error", "status": 500}), 500
        return error_page(500, "")

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


# What each error page says first, in words a member or staff member can act on.
ERROR_TITLES = {404: "Page not found", 405: "Not a page to open like that", 413: "Too large",
                429: "Too many tries", 500: "Something went wrong", 503: "The station is busy"}


def error_page(code: int, description: str,
               headers: list[tuple[str, str]] | None = None) -> ResponseReturnValue:
    """A styled error page with the way back (the member page, staff home or sign-in); a crash's
    details stay in the log. The response keeps the error's own headers (Retry-After, Allow)."""
    words = {404: "There is no page at this address. It may have been typed wrongly or moved.",
             500: "The station could not show this page. It keeps coaching; the problem is in its log, "
                  "on the Health page."}.get(code, description)
    kept = [(k, v) for k, v in (headers or []) if k.lower() != "content-type"]
    try:
        body = render_template("error.html", code=code, title=ERROR_TITLES.get(code, "Cannot do that"),
                               words=words)
    except Exception:  # the page itself failed (a broken template or session): plain words then
        current_app.logger.exception("the error page failed")
        body = f"Error {code}: {words} Go to / for the member page."
    return body, code, kept


def _favicon() -> ResponseReturnValue:
    """Browsers ask every page's origin for /favicon.ico: the station's icon, never a 404."""
    response = current_app.send_static_file("favicon.ico")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def make_server(app: Flask, host: str, port: int) -> Any:
    """A waitress server (not yet running): ``.run()``, ``.close()``, ``.effective_port``.

    waitress's adjustments do the rest of the hardening (:mod:`station.web.server` adds a
    per-address connection cap and a header deadline):

    - ``threads``: the live-stream cap plus 20 for pages, so streams never starve the pages;
    - ``connection_limit``: 400, with ``poll()`` (``select()`` stops at 1024 descriptors);
    - ``max_request_body_size``: the app's own limit, so a large body is refused (413) from its
      Content-Length before any of it is read, instead of spooled to disk;
    - ``max_request_header_size``: 16 KiB (nginx's and Apache's defaults are 8-16 KiB);
    - ``channel_timeout``: a kept-alive connection that is silent for 30 s is closed;
    - ``cleanup_interval``: 1 s, how often the deadlines above are looked at.
    """
    from waitress.adjustments import Adjustments
    from waitress.task import ThreadedTaskDispatcher

    from station.web.server import GuardedServer
    from station.web.staff.backup_restore import restore_gate

    adj = Adjustments(host=host, port=port, threads=THREADS, connection_limit=400, asyncore_use_poll=True,
                      max_request_body_size=app.config.get("MAX_CONTENT_LENGTH") or MAX_BODY,
                      max_request_header_size=16 * 1024, channel_timeout=30, cleanup_interval=1,
                      ident="hinge-station")
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    server = GuardedServer(app, map={}, dispatcher=dispatcher, adj=adj, sockinfo=adj.listen[0])
    server.body_gate = restore_gate(app)  # the restore body only for a verified staff request
    return server
