"""``/metrics``: the station's Prometheus metrics, outside ``/api`` as Prometheus expects.

Open by default, as exporters are (the figures say nothing about members); with the
``metrics_token`` setting, Prometheus must send ``Authorization: Bearer <token>``
(``authorization: {credentials_file: ...}`` in its scrape configuration).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, request

metrics = Blueprint("metrics", __name__)


@metrics.get("/metrics")
def exposition() -> Response:
    station = current_app.extensions["hinge_station"]
    token = station.settings.metrics_token
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return Response("a bearer token is needed for /metrics\n", status=401, mimetype="text/plain",
                            headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    registry = current_app.extensions["hinge_metrics"]
    return Response(registry.exposition(), mimetype=None,
                    headers={"Content-Type": registry.content_type, "Cache-Control": "no-store"})
