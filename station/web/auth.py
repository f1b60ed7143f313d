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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ParamSpec

from flask import Response, abort, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from station.web.guard import RESTORE_PATH, HashGate
from station.web.lockout import Lockout

MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # hashing longer input only costs the station time
MAX_THROTTLED = 10000  # addresses remembered by the throttle (bounded memory under a flood)
# zxcvbn's score (0-4) a new password needs: 3 is "safely unguessable" in its authors' words, an
# estimated 10^8 guesses or more; at the 20 guesses an hour an account allows from the network
# (web/lockout.py) that is some 570 years. It refuses Password1! (score 1) and Summer2024! (2).
MIN_STRENGTH = 3
# Words a guesser would try first here: the station's own, beside the account name.
STATION_WORDS = ("hinge", "station", "hingestation", "gym", "dowel", "coach", "staff", "admin")
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


_SETUP_LOCK = threading.Lock()


def take_setup_code(given: str) -> bool:
    """Whether ``given`` is the app's setup code, used up in the same step: of eight concurrent
    setups with the right code exactly one gets True (the code is forgotten and its file removed
    before the lock is let go). The caller gives it back (:func:`give_back_setup_code`) if the
    account could not be made after all."""
    with _SETUP_LOCK:
        code = current_app.config.get("SETUP_CODE") or ""
        if not code or not hmac.compare_digest(given.encode(), code.encode()):
            return False
        current_app.config["SETUP_CODE"] = None
        current_app.config["SETUP_CODE_TAKEN"] = code
        (Path(current_app.config["DATA_DIR"]) / SETUP_CODE_FILE).unlink(missing_ok=True)
        return True


def give_back_setup_code() -> None:
    """The account was not made (the hash could not run): the code works again."""
    with _SETUP_LOCK:
        code = current_app.config.pop("SETUP_CODE_TAKEN", None)
        if code and current_app.extensions["hinge_station"].store.accounts.count() == 0:
            current_app.config["SETUP_CODE"] = code
            _private_file(Path(current_app.config["DATA_DIR"]) / SETUP_CODE_FILE, code)


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


def _boot_id() -> str:
    """This boot of the machine, from the kernel's boot id (a new one at every boot; hashed, so
    the cookie does not carry it), else one for this process (then a restart of the station ends
    every sign-in, which is the safe side)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return hashlib.sha256(boot.encode()).hexdigest()[:16] if boot else secrets.token_hex(8)


# A sign-in's age is read on the monotonic clock, which counts from boot and never jumps: a Pi
# without a battery starts with its clock wrong until network time arrives, and the wall clock
# must not make a sign-in older or younger than it is. The monotonic clock means nothing after
# a reboot, so a sign-in from an earlier boot has ended (staff sign in again after a reboot; a
# restart of the station alone keeps them signed in). The cookie's own expiry stays wall-clock:
# the browser keeps it by its own clock, and the server decides by this one.
BOOT_ID = _boot_id()


def session_age(data: Mapping[str, Any] | None = None) -> float | None:
    """Seconds since this session signed in, by the monotonic clock; None when it was signed in
    during another boot (or carries no age): then it has ended."""
    seen: Mapping[str, Any] = session if data is None else data
    mono = seen.get("mono")
    if seen.get("boot") != BOOT_ID or not isinstance(mono, (int, float)):
        return None
    age = time.monotonic() - mono
    return age if age >= 0 else None


def staff_user() -> str | None:
    """The signed-in staff name, if the cookie's sign-in still stands: its account exists, has
    not signed out or changed password since (generation), and it is younger than a long day
    (SESSION_MAX_S, by the monotonic clock: :func:`session_age`)."""
    name = session.get("staff")
    if name is None:
        return None
    if "staff_checked" in g:
        return g.staff_checked
    account = current_app.extensions["hinge_station"].store.accounts.get(name)
    age = session_age()
    fresh = age is not None and age < current_app.config["SESSION_MAX_S"]
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
    session.update(staff=name, gen=account["generation"] if account else -1, boot=BOOT_ID,
                   mono=time.monotonic())


def sign_out() -> None:
    """End this session and every copy of it (other browsers, a copied cookie)."""
    name = staff_user()
    if name is not None:
        current_app.extensions["hinge_station"].store.accounts.end_sessions(name)
    session.clear()


# The rules password_problem applies, in words, shown beside every new-password field before anything
# is typed.
PASSWORD_RULES = (f"At least {MIN_PASSWORD} characters, and hard to guess: a few unrelated words or a long "
                  "mix, not a common password with a number or symbol added, and not containing the "
                  "account name.")


def password_problem(password: str, name: str = "") -> str | None:
    """Why ``password`` is too weak, or None: too short, too long, or guessable by zxcvbn's
    estimate (common passwords, words with predictable changes, dates, keyboard patterns, the
    account name and the station's own words).

        >>> password_problem("Password1!"), password_problem("Summer2024!") is not None
        ('too easy to guess: this is similar to a commonly used password', True)
        >>> password_problem("orange dowel forty two", "ann") is None
        True
    """
    folded = "".join(password.split()).casefold()
    if len(password) < MIN_PASSWORD or len(folded) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters (spaces not counted)"
    if len(password) > MAX_PASSWORD:
        return f"at most {MAX_PASSWORD} characters"
    if name and name.casefold() in folded:
        return "too easy to guess: it contains the account name"
    # zxcvbn's matching grows with the length; the first 100 characters decide (a longer
    # password that is weak in its first 100 is weak).
    found = zxcvbn(password[:100], user_inputs=[name, *STATION_WORDS] if name else list(STATION_WORDS))
    if found["score"] < MIN_STRENGTH:
        why = found["feedback"]["warning"] or "add another word or two that do not belong together"
        return f"too easy to guess: {why[0].lower()}{why[1:].rstrip('.')}"
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


def lockout() -> Lockout:
    return current_app.extensions["hinge_lockout"]


# A browser that signed in before carries a signed, long-lived cookie naming the accounts that
# signed in from it (web/lockout.py: its own lane of guesses, and of hashing). Chromium keeps a
# cookie at most 400 days (the cookie draft RFC 6265bis caps Max-Age there), so it lasts that
# long; the expiry is signed with the wall clock, which only lets it die early or late: what it
# grants is a budget of guesses, never a sign-in.
DEVICE_COOKIE = "hinge_device"
DEVICE_MAX_AGE_S = 400 * 86400
DEVICE_NAMES = 8  # accounts one browser remembers (a shared front-desk computer)


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or b"", salt="known-device")


def known_device() -> tuple[str, list[str]] | None:
    """This browser's known-device id and the accounts that signed in from it, when its cookie
    is genuine (signed with this station's key) and younger than :data:`DEVICE_MAX_AGE_S`."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value or len(value) > 2048:
        return None
    try:
        data = _device_signer().loads(value, max_age=DEVICE_MAX_AGE_S)
    except BadSignature:  # forged, from another station, or expired (SignatureExpired)
        return None
    if not isinstance(data, dict):
        return None
    if not isinstance(data.get("id"), str) or not isinstance(data.get("names"), list):
        return None
    return data["id"], [n for n in data["names"] if isinstance(n, str)]


def device_for(name: str) -> str | None:
    """The known-device id of this browser if ``name`` signed in from it before, else None."""
    known = known_device()
    return known[0] if known is not None and name in known[1] else None


def remember_device(response: Response, name: str) -> Response:
    """After a right password: this browser is known for ``name`` from now on."""
    known = known_device()
    device, names = known if known is not None else (secrets.token_urlsafe(16), [])
    names = [name, *(n for n in names if n != name)][:DEVICE_NAMES]
    response.set_cookie(DEVICE_COOKIE, _device_signer().dumps({"id": device, "names": names}),
                        max_age=DEVICE_MAX_AGE_S, httponly=True, samesite="Lax", path="/staff",
                        secure=request.is_secure)
    return response


def hashes() -> HashGate:
    return current_app.extensions["hinge_hashes"]
