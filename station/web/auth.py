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
import unicodedata
from collections import defaultdict, deque
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec

from flask import abort, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.security import check_password_hash, generate_password_hash

from station.web.guard import RESTORE_PATH, HashGate

MIN_PASSWORD = 10
MIN_DISTINCT = 4  # "aaaaaaaaaa", "ababababab": a length rule alone lets these through
MAX_PASSWORD = 1024  # hashing longer input only costs the station time
MAX_THROTTLED = 10000  # addresses remembered by the throttle (bounded memory under a flood)
# Common passwords that pass the length rule (from the top of the public breach lists: SecLists'
# 10k-most-common, NCSC's top 100k), compared case-insensitively and without spaces.
_COMMON = """
1234567890 0123456789 1234512345 1q2w3e4r5t 1qaz2wsx3edc qwertyuiop qwertyuiop1 asdfghjkl1
password12 password123 password1234 passw0rd123 iloveyou12 letmein123 welcome123 changeme123
administrator admin12345 admin123456 adminadmin 1111111111 0987654321 abcdefghij abc1234567
qwerty1234 qwerty12345 1234qwer5678 zaq12wsxcde football123 baseball12 sunshine12 princess12
trustno1234 starwars12 monkey1234 dragon1234 superman12 michael123 whatever12 gymgymgym1
hingestation hinge12345 station123 station1234 kettlebell deadlift123 fitness123 gympassword
"""
COMMON_PASSWORDS = frozenset(_COMMON.split())
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


def can_check(stored: str) -> bool:
    """Whether ``stored`` has the form of a hash this station checks passwords against (a
    Werkzeug scrypt or pbkdf2 hash, or a legacy one), without hashing anything: a restored log
    whose accounts all fail this would leave nobody able to sign in (web/staff/backup_restore.py).

        >>> can_check(hash_password("x")), can_check("!"), can_check("argon2$abc$def")
        (True, False, False)
    """
    if stored.startswith(LEGACY_PREFIX):
        parts = stored.split("$")
        return len(parts) == 6 and all(p.isdigit() for p in parts[1:4]) and all(parts[4:])
    parts = stored.split("$")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        return False
    method, *args = parts[0].split(":")
    try:
        bytes.fromhex(parts[2])
    except ValueError:
        return False
    if method == "scrypt":
        return len(args) in (0, 3) and all(a.isdigit() for a in args)
    if method == "pbkdf2":
        return 1 <= len(args) <= 2 and args[0] in hashlib.algorithms_available and all(
            a.isdigit() for a in args[1:])
    return False


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


def renew_secret_key(data_dir: Path) -> bytes:
    """A new cookie-signing key, kept: every session signed with the old one ends (a restore
    brings back other accounts, so no sign-in from before it may stand)."""
    key = secrets.token_hex(32)
    _private_file(data_dir / SECRET_KEY_FILE, key)
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

    def attempt(self, key: str, now: float | None = None) -> int:
        """Count one attempt *before* it is checked, in one step with the limit test: of 60
        simultaneous tries only ``limit`` get through. 0: go ahead (a success then calls
        :meth:`reset`); else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            fails = self._fails[key]
            while fails and now - fails[0] > self.window:
                fails.popleft()
            if len(fails) >= self.limit:
                return max(1, int(self.window - (now - fails[0])) + 1)
            fails.append(now)
            if len(self._fails) > MAX_THROTTLED:  # a flood of addresses: forget the oldest
                self._fails.pop(next(iter(self._fails)))
            return 0

    def refund(self, key: str) -> None:
        """Take back the newest attempt (it was not checked: the server was busy)."""
        with self._lock:
            fails = self._fails.get(key)
            if fails:
                fails.pop()

    def reset(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
        # Renewed by each request, like a staff cookie: the wall's page (its stream reconnects
        # every few minutes) keeps a token that works for its demo switch.
        session.permanent = True
    return token


def check_csrf() -> None:
    """Every state-changing request carries the session's token (form field or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.routing_exception is not None:
        return  # reads change nothing; no route (404, 405) is answered as such
    sent = request.headers.get("X-CSRF-Token")
    if sent is None and request.path != RESTORE_PATH:  # a restore's body is never parsed as a form
        sent = request.form.get("csrf_token", "")
    sent = sent or ""
    token = session.get("csrf", "")
    if not token or not hmac.compare_digest(sent.encode(), token.encode()):
        abort(403, description="missing or wrong CSRF token; reload the page and try again")


def staff_user() -> str | None:
    """The signed-in staff name, if the cookie's sign-in still stands: its account exists, has
    not signed out or changed password since (generation), and it is less than a day old."""
    name = session.get("staff")
    if name is None:
        return None
    if "staff_checked" in g:
        return g.staff_checked
    account = current_app.extensions["hinge_station"].store.accounts.get(name)
    since = session.get("since", 0)
    fresh = time.time() - since < current_app.config["SESSION_MAX_S"]
    valid = account is not None and account["generation"] == session.get("gen") and fresh
    g.staff_checked = name if valid else None
    if not valid:
        session.pop("staff", None)
    return g.staff_checked


def sign_in(name: str) -> None:
    """A new session for ``name`` (a new cookie: nothing from before survives)."""
    account = current_app.extensions["hinge_station"].store.accounts.get(name)
    session.clear()
    session.permanent = True  # PERMANENT_SESSION_LIFETIME, renewed by each request
    session.update(staff=name, gen=account["generation"] if account else -1, since=time.time())


def sign_out() -> None:
    """End this session and every copy of it (other browsers, a copied cookie)."""
    name = staff_user()
    if name is not None:
        current_app.extensions["hinge_station"].store.accounts.end_sessions(name)
    session.clear()


# The rules password_problem applies, in words, shown beside every new-password field.
PASSWORD_RULES = (f"At least {MIN_PASSWORD} characters (spaces not counted) and {MIN_DISTINCT} different "
                  "ones; not a common password and not containing the account name.")


def password_problem(password: str, name: str = "") -> str | None:
    """Why ``password`` is too weak, or None."""
    folded = "".join(password.split()).casefold()
    if len(password) < MIN_PASSWORD or len(folded) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters (spaces not counted)"
    if len(password) > MAX_PASSWORD:
        return f"at most {MAX_PASSWORD} characters"
    if len(set(folded)) < MIN_DISTINCT:
        return f"at least {MIN_DISTINCT} different characters"
    if folded in COMMON_PASSWORDS or (name and name.casefold() in folded):
        return "too easy to guess (a common password, or it contains the name)"
    return None


def normal_name(name: str) -> str:
    """An account name as stored: NFKC (full-width and ligature forms become plain), trimmed."""
    return unicodedata.normalize("NFKC", name).strip()


def name_problem(name: str, existing: list[str]) -> str | None:
    """Why ``name`` (already :func:`normal_name`) cannot be a new account name, or None.

    Letters of the Latin script only (with accents), digits and ``._-``: a Cyrillic "а" looks
    like a Latin "a". A name that differs from an existing one only in case or accents is
    refused too."""
    if not 1 <= len(name) <= 40 or not all(_name_char(c) for c in name):
        return "1-40 letters (Latin script), digits, dots, dashes or underscores"
    skeleton = _skeleton(name)
    for other in existing:
        if _skeleton(other) == skeleton:
            return f"too like the existing account {other!r}"
    return None


def _name_char(c: str) -> bool:
    if c in "._-" or ("0" <= c <= "9"):
        return True
    return c.isalpha() and unicodedata.name(c, "").startswith("LATIN ")


def _skeleton(name: str) -> str:
    """Case and accents dropped: what a reader sees at a glance."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_DUMMY: list[str] = []
_DUMMY_LOCK = threading.Lock()


def dummy_hash() -> str:
    """A hash of no one's password, checked for unknown names so that they take as long as
    known ones (an answer's speed must not say which names exist). Made once, under a lock: a
    burst of first sign-ins must not make one each (32 MiB apiece)."""
    with _DUMMY_LOCK:
        if not _DUMMY:
            _DUMMY.append(hash_password(secrets.token_hex(16)))
        return _DUMMY[0]


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


def hashes() -> HashGate:
    return current_app.extensions["hinge_hashes"]
