"""Staff accounts: password hashing, the one-time setup code, CSRF tokens, sign-in throttling.

Passwords are hashed with Werkzeug's scrypt (``generate_password_hash``, n=2**15, r=8, p=1 and a
16-character random salt, above the minimum OWASP's password storage cheat sheet gives for scrypt).
Hashes from before Werkzeug (``scrypt$n$r$p$salt$digest``, base64) are still accepted and are
replaced by a Werkzeug hash at the next successful sign-in (:func:`needs_rehash`).

    >>> stored = hash_password("correct horse")
    >>> check_password("correct horse", stored), check_password("wrong", stored)
    (True, False)
    >>> stored.startswith("scrypt:"), needs_rehash(stored)
    (True, False)
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec

from flask import abort, current_app, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.security import check_password_hash, generate_password_hash

MIN_PASSWORD = 10
SETUP_CODE_FILE = "setup_code"
SECRET_KEY_FILE = "secret_key"
P = ParamSpec("P")
LEGACY_PREFIX = "scrypt$"  # the station's own format before Werkzeug: scrypt$n$r$p$salt$digest


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``, a Werkzeug hash or a legacy one."""
    if stored.startswith(LEGACY_PREFIX):
        return _check_legacy(password, stored)
    try:
        return check_password_hash(stored, password)
    except ValueError:  # not a hash Werkzeug knows (unknown method or parameters)
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` is in the legacy format, to be replaced at the next successful sign-in."""
    return stored.startswith(LEGACY_PREFIX)


def _check_legacy(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=32)
        return hmac.compare_digest(got, base64.b64decode(digest))
    except ValueError:  # a malformed hash (base64's binascii.Error is a ValueError)
        return False


def _private_file(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def secret_key(data_dir: Path) -> bytes:
    """The cookie-signing key, made once and kept (mode 0600) so sessions survive a restart."""
    path = data_dir / SECRET_KEY_FILE
    try:
        key = path.read_text().strip()
        if len(key) >= 32:
            return key.encode()
    except OSError:
        pass
    key = secrets.token_hex(32)
    _private_file(path, key)
    return key.encode()


def setup_code(data_dir: Path, has_accounts: bool) -> str | None:
    """The one-time code that creates the first staff account (None once an account exists).

    An installer may have put one in the data directory (first-boot settings); else one is made.
    """
    path = data_dir / SETUP_CODE_FILE
    if has_accounts:
        path.unlink(missing_ok=True)
        return None
    try:
        code = path.read_text().strip()
        if code:
            return code
    except OSError:
        pass
    code = "-".join(secrets.token_hex(2) for _ in range(3))
    _private_file(path, code)
    return code


def use_setup_code(data_dir: Path) -> None:
    (data_dir / SETUP_CODE_FILE).unlink(missing_ok=True)


class Throttle:
    """At most ``limit`` failures per key within ``window`` seconds; then wait."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._fails: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, key: str, now: float | None = None) -> int:
        """Seconds to wait before trying again (0: go ahead)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            fails = self._fails[key]
            while fails and now - fails[0] > self.window:
                fails.popleft()
            if len(fails) < self.limit:
                return 0
            return max(1, int(self.window - (now - fails[0])) + 1)

    def failed(self, key: str, now: float | None = None) -> None:
        with self._lock:
            self._fails[key].append(time.monotonic() if now is None else now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


def check_csrf() -> None:
    """Every state-changing request carries the session's token (form field or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.routing_exception is not None:
        return  # reads change nothing; no route (404, 405) is answered as such
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    token = session.get("csrf", "")
    if not token or not hmac.compare_digest(sent.encode(), token.encode()):
        abort(403, description="missing or wrong CSRF token; reload the page and try again")


def staff_user() -> str | None:
    return session.get("staff")


def login_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if staff_user() is None:
            if request.path.startswith("/api/"):
                abort(401, description="staff sign-in required")
            return redirect(url_for("staff.signin", next=request.path))
        return view(*args, **kwargs)

    return wrapped


def throttle() -> Throttle:
    return current_app.extensions["hinge_throttle"]
