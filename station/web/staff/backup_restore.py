"""Backup and restore from the health page: a zip of the rep log, settings and a manifest to
download; an uploaded one checked whole, then swapped in (every sign-in ends)."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from flask import Response, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from station.config.settings import Settings
from station.storage import StoreError, backup
from station.web import auth
from station.web.auth import login_required, staff_user
from station.web.downloads import file_chunks, heavy
from station.web.staff.common import current_station, staff
from station.web.staff.health import health_page


def _restart_note(before: Settings, after: Settings) -> str:
    """Restored settings that only take effect after a restart, named (empty: none changed)."""
    later = [name.replace("_", " ") for name in after.restart_changes(before)]
    return f" These restored settings take effect after a restart: {', '.join(later)}." if later else ""


_RESTORING = threading.Lock()  # one restore at a time: each unpacks to the same file


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
        size = out.tell()
        out.seek(0)
        name = f"hinge-backup-{time.strftime('%Y%m%d-%H%M')}.zip"
        response = Response(file_chunks(out), mimetype="application/zip", headers={
            "Content-Disposition": f"attachment; filename={name}", "Content-Length": str(size),
            "Cache-Control": "no-store"})  # password hashes: never kept by a cache
        response.call_on_close(out.close)
        return response

    return heavy(answer)


@staff.post("/restore")
@login_required
def restore() -> ResponseReturnValue:
    """Check an uploaded backup whole, then swap it in; every sign-in ends (its accounts
    replace the current ones), and staff are told which accounts to sign in with."""
    upload = request.files.get("backup")
    if upload is None or not upload.filename:
        return health_page("choose a backup file (.zip) to restore", 422)
    if not _RESTORING.acquire(blocking=False):
        return health_page("another restore is under way; try again when it is done", 409)
    station = current_station()
    before = station.settings
    try:
        checked = backup.check(upload.stream, Path(str(station.store.path)))
        try:
            aside = station.restore(checked, by=staff_user())
        except StoreError:
            checked.discard()
            raise
    except (backup.BackupError, StoreError) as exc:
        return health_page(f"nothing was changed: {exc}", 422)
    finally:
        _RESTORING.release()
    current_app.secret_key = auth.renew_secret_key(current_app.config["DATA_DIR"])
    session.clear()  # this browser's sign-in ends too: it belonged to the replaced accounts
    flash(f"Restored the backup made {checked.manifest.get('created')}: {checked.reps} reps, its settings "
          f"and its staff accounts. Every sign-in has ended: sign in with an account from the backup "
          f"({', '.join(checked.accounts)}). The replaced rep log is kept as {aside.name}."
          + _restart_note(before, checked.settings))
    return redirect(url_for("staff.signin"))
