"""Backup and restore from the health page: a zip of the rep log, settings and a manifest to
download; an uploaded one checked whole, shown (what it replaces, named), then swapped in only
when staff confirm (every sign-in ends).

Restore is three requests:

1. ``POST /staff/restore``: the zip as the request body, sent by the page's script with the
   session's CSRF token in the ``X-CSRF-Token`` header. The server reads that body only for a
   request whose cookie already verifies as a staff sign-in and whose header carries its token
   (:func:`restore_gate`, run by the server on the headers, before one byte of the body is
   read); anyone else gets 403 with nothing written to disk. The upload is checked
   (:func:`station.storage.backup.check`) and waits as :class:`Pending`.
2. ``GET /staff/restore/confirm``: what would be replaced, in numbers ("replaces 1,234 reps and
   3 accounts with 2,000 reps and 2 accounts; everyone will be signed out").
3. ``POST /staff/restore/confirm`` swaps it in; ``POST /staff/restore/cancel`` throws it away.

One checked upload waits at a time, at one fixed path beside the log (a newer upload replaces
it), and is deleted on confirm, cancel, or PENDING_S after it was checked.
"""

from __future__ import annotations

import hmac
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature
from werkzeug.http import parse_cookie

from station.config.settings import Settings
from station.storage import StoreError, backup
from station.web import auth
from station.web.auth import login_required, staff_user
from station.web.downloads import file_chunks, heavy
from station.web.staff.common import current_station, staff
from station.web.staff.home import note_here

# A checked upload waits this long for staff to confirm it: reading the summary takes a minute;
# longer, they have walked away, and the file (up to backup.MAX_DB_BYTES) should not stay.
PENDING_S = 15 * 60
# The uploaded zip on its way to the check: in memory up to this, then a file in the data folder
# (only a verified staff request gets here: restore_gate).
SPOOL_BYTES = 8 * 2**20
REFUSED = ("restoring needs a staff sign-in and the page's token in the X-CSRF-Token header "
           "(the health page's Restore button sends both); nothing was read or written")


def _restart_note(before: Settings, after: Settings) -> str:
    """Restored settings that only take effect after a restart, named (empty: none changed)."""
    later = [name.replace("_", " ") for name in after.restart_changes(before)]
    return f" These restored settings take effect after a restart: {', '.join(later)}." if later else ""


_RESTORING = threading.Lock()  # one check or swap at a time: each uses the same file


@dataclass
class Pending:
    """A checked upload waiting for staff's confirmation (``token`` names it in the form)."""

    checked: backup.Checked
    token: str
    by: str | None
    expires: float  # time.monotonic()


class Waiting:
    """The one checked upload that waits, if any; it is deleted when it expires even if nobody
    comes back (a timer), so the data folder never keeps more than one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Pending | None = None
        self._timer: threading.Timer | None = None

    def put(self, checked: backup.Checked, by: str | None) -> Pending:
        """``checked`` waits now, in place of any other (whose file goes, unless it is the same)."""
        pending = Pending(checked, secrets.token_urlsafe(16), by, time.monotonic() + PENDING_S)
        timer = threading.Timer(PENDING_S, self.drop, kwargs={"token": pending.token})
        timer.daemon = True
        with self._lock:
            old, self._pending = self._pending, pending
            if self._timer is not None:
                self._timer.cancel()
            self._timer = timer
        if old is not None and old.checked.db != checked.db:
            old.checked.discard()
        timer.start()
        return pending

    def get(self, token: str | None = None) -> Pending | None:
        """The waiting upload (the one named ``token``, when given), unless it has expired."""
        with self._lock:
            pending = self._pending
        if pending is None or time.monotonic() > pending.expires:
            self.drop()
            return None
        if token is not None and not hmac.compare_digest(token.encode(), pending.token.encode()):
            return None
        return pending

    def take(self, token: str) -> Pending | None:
        """The waiting upload named ``token``, no longer waiting (the caller swaps it in)."""
        with self._lock:
            pending = self._pending
            if (pending is None or time.monotonic() > pending.expires
                    or not hmac.compare_digest(token.encode(), pending.token.encode())):
                return None
            self._pending = None
            if self._timer is not None:
                self._timer.cancel()
        return pending

    def drop(self, token: str | None = None) -> None:
        """Throw the waiting upload away (only the one named ``token``, when given)."""
        with self._lock:
            pending = self._pending
            if pending is None or (token is not None and pending.token != token):
                return
            self._pending = None
            if self._timer is not None:
                self._timer.cancel()
        pending.checked.discard()


def waiting() -> Waiting:
    return current_app.extensions.setdefault("hinge_restore", Waiting())


def restore_gate(app: Flask) -> Callable[[Mapping[str, str]], str | None]:
    """What the server asks about a restore request's headers before it reads the body: None
    (go on) for a cookie signed with the app's key, within the session's idle age, that holds a
    staff sign-in and the same CSRF token as the ``X-CSRF-Token`` header; else why not.

    It runs on the server's I/O thread, so it never waits on the rep log's lock: the account's
    session generation (a sign-out elsewhere) is checked by the route (login_required) before the
    body is used. ``headers``: waitress's, upper case with underscores (``COOKIE``)."""
    interface = app.session_interface

    def gate(headers: Mapping[str, str]) -> str | None:
        cookie = parse_cookie(headers.get("COOKIE", "")).get(app.config["SESSION_COOKIE_NAME"])
        serializer = interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        if not cookie or serializer is None:
            return REFUSED
        try:
            data = serializer.loads(cookie, max_age=int(app.permanent_session_lifetime.total_seconds()))
        except BadSignature:
            return REFUSED
        token, sent = str(data.get("csrf") or ""), headers.get("X_CSRF_TOKEN", "")
        if not data.get("staff") or not token or not hmac.compare_digest(sent.encode(), token.encode()):
            return REFUSED
        return None

    return gate


@staff.get("/backup")
@login_required
def backup_download() -> ResponseReturnValue:
    """A zip of the rep log (a consistent snapshot), the settings and a manifest; built in a
    spooled file, then sent 64 KiB at a time (a heavy download: web/downloads.py)."""
    station = current_station()

    def answer() -> Response:
        out = tempfile.SpooledTemporaryFile(max_size=8 * 2**20, dir=str(station.data_dir))  # noqa: SIM115
        try:
            backup.write(station.store, station.settings, out, station.data_dir)
        except BaseException:
            out.close()
            raise
        note_here("backup")  # the staff home's "last backup" and its checklist
        size = out.tell()
        out.seek(0)
        name = f"hinge-backup-{time.strftime('%Y%m%d-%H%M')}.zip"
        response = Response(file_chunks(out), mimetype="application/zip", headers={
            "Content-Disposition": f"attachment; filename={name}", "Content-Length": str(size),
            "Cache-Control": "no-store"})  # password hashes: never kept by a cache
        response.call_on_close(out.close)
        return response

    return heavy(answer)


def _refused(message: str, status: int) -> ResponseReturnValue:
    return jsonify({"error": message, "status": status}), status


@staff.post("/restore")
@login_required
def restore() -> ResponseReturnValue:
    """Check an uploaded backup (the request body) whole; JSON: where to confirm it, or why not.
    The CSRF check took the token from the header only (auth.check_csrf): no form is parsed."""
    if not request.content_length:
        return _refused("choose a backup file (.zip) to restore", 422)
    if not _RESTORING.acquire(blocking=False):
        return _refused("another restore is under way; try again when it is done", 409)
    station = current_station()
    try:
        waiting().drop()  # its file is the one the check writes
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, dir=str(station.data_dir)) as body:
            while chunk := request.stream.read(2**20):
                body.write(chunk)
            body.seek(0)
            checked = backup.check(body, Path(str(station.store.path)), can_sign_in=auth.can_check)
    except backup.BackupError as exc:
        return _refused(f"nothing was changed: {exc}", 422)
    except (StoreError, OSError) as exc:
        return _refused(f"nothing was changed: {exc}", 503)
    finally:
        _RESTORING.release()
    pending = waiting().put(checked, staff_user())
    return jsonify({"confirm": url_for("staff.restore_confirm_page", token=pending.token)})


@staff.get("/restore/confirm")
@login_required
def restore_confirm_page() -> ResponseReturnValue:
    """What the waiting upload would replace, named and counted, with Restore and Cancel."""
    pending = waiting().get(request.args.get("token", ""))
    if pending is None:
        flash("No checked backup is waiting (it expired after 15 minutes, or another upload replaced "
              "it): choose the file again.", "error")
        return redirect(url_for("staff.health"))
    store = current_station().store
    now = {"reps": sum(store.history.totals()["reps"].values()), "accounts": store.accounts.names()}
    return render_template("restore_confirm.html", pending=pending, now=now, summary=_summary(pending, now),
                           minutes=PENDING_S // 60)


def _summary(pending: Pending, now: dict[str, Any]) -> str:
    checked = pending.checked

    def count(n: int, what: str) -> str:
        return f"{n:,} {what}{'' if n == 1 else 's'}"

    return (f"This replaces {count(now['reps'], 'rep')} and {count(len(now['accounts']), 'staff account')} "
            f"with {count(checked.reps, 'rep')} and {count(len(checked.accounts), 'staff account')}; "
            "everyone will be signed out.")


@staff.post("/restore/confirm")
@login_required
def restore_confirm() -> ResponseReturnValue:
    """Swap the waiting upload in; every sign-in ends (its accounts replace the current ones),
    and staff are told which accounts to sign in with."""
    if not _RESTORING.acquire(blocking=False):
        flash("Not restored yet: another upload is being checked; try again when it is done.", "error")
        return redirect(url_for("staff.restore_confirm_page", token=request.form.get("token", "")))
    try:
        pending = waiting().take(request.form.get("token", ""))
        if pending is None:
            flash("Not restored: this backup is no longer waiting (it expired after 15 minutes, or another "
                  "upload replaced it). Nothing was changed; choose the file again.", "error")
            return redirect(url_for("staff.health"))
        checked, station = pending.checked, current_station()
        before = station.settings
        try:
            aside = station.restore(checked, by=staff_user())
        except StoreError as exc:
            checked.discard()
            flash(f"Not restored: nothing was changed: {exc}", "error")
            return redirect(url_for("staff.health"))
    finally:
        _RESTORING.release()
    current_app.secret_key = auth.renew_secret_key(current_app.config["DATA_DIR"])
    session.clear()  # this browser's sign-in ends too: it belonged to the replaced accounts
    flash(f"Restored the backup made {checked.manifest.get('created')}: {checked.reps} reps, its settings "
          f"and its staff accounts. Every sign-in has ended: sign in with an account from the backup "
          f"({', '.join(checked.accounts)}). The replaced rep log is kept as {aside.name}."
          + _restart_note(before, checked.settings))
    return redirect(url_for("staff.signin"))


@staff.post("/restore/cancel")
@login_required
def restore_cancel() -> ResponseReturnValue:
    """Throw the waiting upload away; nothing was changed."""
    waiting().drop(request.form.get("token") or None)
    flash("Restore cancelled: nothing was changed.")
    return redirect(url_for("staff.health"))
