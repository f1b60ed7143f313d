"""The OpenAPI 3.0 description of ``/api``, written out by hand (it is small)."""

from __future__ import annotations

from typing import Any

from station import __version__
from station.coach.vocabulary import FaultCode, Phase, Verdict
from station.config.settings import CROSS_RULES, Settings

ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {400: "bad request", 401: "staff sign-in required", 403: "CSRF token missing or wrong",
            404: "not here", 413: "body too large", 421: "not one of the station's own host names",
            422: "invalid settings (each bad field named)", 503: "busy or unavailable; see Retry-After"}
    return {str(c): _json(ERROR, text[c]) for c in codes}


def spec() -> dict[str, Any]:
    """The whole description, as ``/api/openapi.json`` serves it."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Hinge Station API", "version": __version__,
                 "description": "Live coaching state, reps, settings and health of one station."},
        "paths": _paths(),
        "components": {"schemas": _schemas()},
    }


def _setting_properties() -> dict[str, Any]:
    props: dict[str, Any] = {}
    for f in Settings.describe():
        kind = {"int": "integer", "float": "number", "bool": "boolean"}.get(f["type"], "string")
        unit = f" ({f['unit']})" if f.get("unit") else ""
        later = " Takes effect after a restart." if f.get("restart") else ""
        prop: dict[str, Any] = {"type": kind, "title": f["label"],
                                "description": f"{f['help']}{unit}.{later}",
                                "x-group": f["group"], "x-restart": bool(f.get("restart"))}
        if f.get("choices"):
            prop["enum"] = list(f["choices"])
        if f.get("pattern"):
            prop["pattern"] = f"^(?:{f['pattern']})$"
        if f.get("secret"):
            prop["writeOnly"] = True
        if f.get("min") is not None:
            prop["minimum"] = f["min"]
        if f.get("max") is not None:
            prop["maximum"] = f["max"]
        props[f["name"]] = prop
    return props


def _schemas() -> dict[str, Any]:
    """The vocabulary's values come from the coach itself, so the description cannot drift."""
    return {
        "Error": {"type": "object", "required": ["error"],
                  "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}},
        "Rep": {"type": "object", "properties": {
            "id": {"type": "integer"}, "set_id": {"type": "integer"}, "t": {"type": "number"},
            "rep": {"type": "integer"}, "verdict": {"type": "string", "enum": [str(v) for v in Verdict]},
            "faults": {"type": "array", "items": {"type": "string", "enum": [str(c) for c in FaultCode]}},
            "metrics": {"type": "object"}}},
        "Snapshot": {"type": "object", "properties": {
            "phase": {"type": "string", "enum": [str(p) for p in Phase]}, "reps": {"type": "integer"},
            "camera": {"type": "string"},
            "dowel": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4,
                      "description": "the dowel's line as x0, y0, x1, y1 in frame pixels (absent when "
                                     "it was not seen)"}}},
        "MemberView": {"type": "object", "description": _MEMBER_VIEW, "properties": {
            "phase": {"type": "string", "enum": [str(p) for p in Phase]}, "reps": {"type": "integer"},
            "depth": {"type": "number"}, "cue": {"type": "string"},
            "pose": {"type": "array", "nullable": True,
                     "description": "the near side, then x, y of ear, shoulder, elbow, wrist, hip, knee, "
                                    "ankle, heel, foot_index and nose in whole frame pixels (null: unseen)"},
            "dowel": {"type": "array", "nullable": True, "items": {"type": "integer"}},
            "wall": {"type": "integer", "nullable": True, "description": "the wall's x in frame pixels"}}},
    }


_COMPACT = ("1: the member page's stream. Unnamed messages hold a MemberView: every field in the "
            "first, then only the fields that changed (an empty one every few seconds when nothing "
            "did: the station still answers); events come as "
            "`event` messages without their metrics and times. Without it: `snapshot` messages, whole.")
_MEMBER_VIEW = ("What the member page draws of a snapshot (/api/stream?compact=1): its fields, depth to "
                "0.01, the lights to 0.05, one side's points in whole pixels, the dowel and the wall.")


def _paths() -> dict[str, Any]:
    setting_props = _setting_properties()
    return {
        "/api/snapshot": {"get": {"summary": "The live snapshot", "responses": {
            "200": _json({"$ref": "#/components/schemas/Snapshot"}, "the newest snapshot")}}},
        "/api/stream": {"get": {"summary": "Live snapshots and events (server-sent events); capped "
                                "in total and per client address, each stream ends after 5 minutes "
                                "and the page reconnects",
                                "parameters": [{"name": "compact", "in": "query", "description": _COMPACT,
                                                "schema": {"type": "string", "enum": ["1"]}}],
                                "responses": {
            "200": {"description": "text/event-stream of snapshot and event messages",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}}},
            **_errors(503)}}},
        "/api/stream/room": {"get": {"summary": "Whether this client may open one more live stream "
                                     "now, and if not, why (the member page asks after a refusal)",
                                     "responses": {"200": _json({"type": "object", "properties": {
            "refused": {"type": "string", "nullable": True, "enum": ["address", "total", None]},
            "per_address": {"type": "integer"}}}, "room")}}},
        "/api/reps": {"get": {
            "summary": "Stored reps, newest first (staff)",
            "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                            "maximum": 10000}},
                {"name": "since", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                            "maximum": 2**40},
                 "description": "unix time"}],
            "responses": {"200": _json({"type": "object", "properties": {"reps": {
                "type": "array", "items": {"$ref": "#/components/schemas/Rep"}}}}, "reps"),
                **_errors(400, 401, 503)}}},
        "/api/health": {"get": {"summary": "up or degraded; staff also get every figure (camera, loop, "
                                "switch, disk, warnings, errors)", "responses": {
            "200": _json({"type": "object", "required": ["status"], "properties": {
                "status": {"type": "string", "enum": ["up", "degraded"]}}}, "health")}}},
        "/api/session": {"get": {"summary": "Who is signed in, and the CSRF token", "responses": {
            "200": _json({"type": "object", "properties": {
                "staff": {"type": "string", "nullable": True}, "csrf_token": {"type": "string"}}},
                "session")}}},
        "/api/settings": {
            "get": {"summary": "All settings with their descriptions (staff)", "responses": {
                "200": _json({"type": "object"}, "settings"), **_errors(401)}},
            "put": {"summary": "Change settings (staff, X-CSRF-Token header)",
                    "description": "All or nothing: every field is checked alone, then together: "
                                   + "; ".join(CROSS_RULES) + ". A 422 names each refused field.",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "properties": {"values": {
                            "type": "object", "properties": setting_props,
                            "additionalProperties": False}}}}}},
                    "responses": {"200": _json({"type": "object"}, "the new settings"),
                                  **_errors(400, 401, 403, 413, 422)}}},
        "/api/demo/switch": {"post": {
            "summary": "Press or release the demo's virtual wall switch (demo mode only)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["pressed"],
                "properties": {"pressed": {"type": "boolean"}}}}}},
            "responses": {"200": _json({"type": "object"}, "switch state"),
                          **_errors(400, 403, 404, 413)}}},
        "/api/openapi.json": {"get": {"summary": "This description", "responses": {
            "200": _json({"type": "object"}, "OpenAPI 3.0")}}},
    }
