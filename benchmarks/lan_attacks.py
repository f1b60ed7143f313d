"""Attack a running demo station as a gym's network could, row by row of issue #15.

    .venv/bin/python benchmarks/lan_attacks.py [--port 8250] [--only 1,2,4]

Starts ``station run --sim`` (the simulated trainee at a camera's pace) on 127.0.0.1 and attacks
it from loopback only: attackers bind 127.0.0.2 and up as their own addresses. Every attack is
bounded in count and time. Meanwhile a member's phone (127.0.0.1) keeps asking for the member page.
Prints one row per attack: what was tried, what the station answered, the slowest member page
answer during it, and the reps in the log before and after (the loop must keep coaching).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this tree's station, not an installed one
from tests.helpers.engines import free_port  # noqa: E402  (re-exported for the other attacks)

PASSWORD = "a long enough password"
HOST = "127.0.0.1"


class Client:
    """One HTTP client with its own source address and cookie jar."""

    def __init__(self, port: int, source: str = HOST, timeout: float = 10.0) -> None:
        self.port, self.source, self.timeout = port, source, timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | dict | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        headers = dict(headers or {})
        if isinstance(body, dict):
            body = urllib.parse.urlencode(body).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout,
                                          source_address=(self.source, 0))
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            for value in resp.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";")[0]
            return resp.status, dict(resp.headers), data
        finally:
            conn.close()

    def csrf(self, path: str = "/staff/signin") -> str:
        html = self.request("GET", path)[2].decode()
        return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)  # type: ignore[union-attr]

    def sign_in(self, name: str = "ann", password: str = PASSWORD) -> int:
        token = self.csrf()
        return self.request("POST", "/staff/signin", {"csrf_token": token, "name": name,
                                                      "password": password})[0]


class Member:
    """A member's phone asking for the member page once a second; keeps the slowest answer."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.worst = 0.0
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            t0 = time.monotonic()
            try:
                status = Client(self.port, timeout=10).request("GET", "/")[0]
                if status != 200:
                    self.failures += 1
            except OSError:
                self.failures += 1
            self.worst = max(self.worst, time.monotonic() - t0)
            self._stop.wait(max(0.0, 1.0 - (time.monotonic() - t0)))

    def __enter__(self) -> Member:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(15)

    def summary(self) -> str:
        ok = "ok" if self.failures == 0 and self.worst < 3 else "FAILED"
        failed = f", {self.failures} failed" if self.failures else ""
        return f"{ok}, slowest {self.worst * 1000:.0f} ms{failed}"


class Station:
    """``station run --sim`` in a child process, on one data directory across restarts."""

    def __init__(self, port: int, data: Path, video: Path | None = None) -> None:
        self.port, self.data, self.video = port, data, video
        self.proc: subprocess.Popen[str] | None = None
        self.setup_code: str | None = None

    def start(self) -> None:
        source = ["--video", str(self.video), "--loop"] if self.video else ["--sim"]
        cmd = [sys.executable, "-m", "station", "run", *source, "--host", HOST, "--port", str(self.port),
               "--data", str(self.data)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        deadline = time.monotonic() + 30
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the station exited at start")
            if "setup code" in line:
                self.setup_code = line.rsplit(":", 1)[1].strip()
            if line.startswith("Hinge Station on"):
                # The port it really serves on (``--port 0``: a free one).
                self.port = int(line.split("localhost:", 1)[1].split("/", 1)[0])
                break
        threading.Thread(target=self._drain, daemon=True).start()
        time.sleep(0.5 if self.setup_code is None else 0)

    def _drain(self) -> None:
        proc = self.proc
        if proc is not None and proc.stdout is not None:
            for line in proc.stdout:
                if "setup code" in line:
                    self.setup_code = line.rsplit(":", 1)[1].strip()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def reps(self) -> int:
        with sqlite3.connect(f"file:{self.data / 'station.db'}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM reps").fetchone()[0])

    def status(self) -> dict[str, int]:
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():  # type: ignore[union-attr]
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                fields[key] = int(value.split()[0])
        return fields


# ---------------------------------------------------------------------------- the attacks
Row = tuple[str, str]  # what was tried, what the station answered


def attack_streams(st: Station) -> Row:
    """Row 1: 81 live streams from one address, then 100 from 50 addresses (2 each)."""
    def open_streams(sources: list[str]) -> tuple[Counter[int], list[socket.socket]]:
        codes: Counter[int] = Counter()
        held = []
        for src in sources:
            s = socket.create_connection((HOST, st.port), timeout=5, source_address=(src, 0))
            s.sendall(b"GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            head = s.recv(200)
            codes[int(head.split()[1]) if head.startswith(b"HTTP/") else 0] += 1
            held.append(s)
        return codes, held

    one, held = open_streams(["127.0.0.2"] * 81)
    page = Client(st.port, timeout=3).request("GET", "/api/snapshot")[0]
    many, held2 = open_streams([f"127.0.1.{i // 2 + 1}" for i in range(100)])
    time.sleep(3)
    page2 = Client(st.port, timeout=3).request("GET", "/")[0]
    for s in held + held2:
        s.close()
    return ("81 streams from one address; then 100 from 50 addresses, held",
            f"one address: {dict(one)}; 50 addresses: {dict(many)}; snapshot {page}, page {page2}")


def attack_slowloris(st: Station, seconds: float = 20.0) -> Row:
    """Row 2: 210 connections that never finish their headers, one byte every 4 s, from one
    address; then 480 from 30 addresses (16 each), reopened as soon as the station closes them."""
    socks = _slow_connections(st, ["127.0.0.3"] * 210)
    connected = len(socks)
    time.sleep(1)
    early = sum(1 for s in socks if _closed(s))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(4)
        for s in list(socks):
            try:
                s.sendall(b"X")
            except OSError:
                socks.remove(s)
    alive = sum(1 for s in socks if not _closed(s))
    for s in socks:
        s.close()
    many = _many_slow_addresses(st, seconds) + "; " + _many_slow_addresses(st, seconds, idle=True)
    return (f"210 unfinished headers from one address, a byte per 4 s for {seconds:.0f} s; then 480 "
            f"from 30 addresses, reopened when closed, {seconds:.0f} s; then 480 idle kept-alive ones",
            f"{connected} connected; {early} closed within 1 s (per-address cap), "
            f"{connected - alive - early} more by the header deadline, {alive} still open; {many}")


def _slow_connections(st: Station, sources: list[str], idle: bool = False) -> list[socket.socket]:
    """Connections that send part of a request's headers (``idle``: a whole request, then nothing)."""
    socks = []
    for src in sources:
        try:
            s = socket.create_connection((HOST, st.port), timeout=2, source_address=(src, 0))
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (b"\r\n" if idle else b""))
            socks.append(s)
        except OSError:
            pass
    return socks


def _many_slow_addresses(st: Station, seconds: float, idle: bool = False) -> str:
    sources = [f"127.0.{9 if idle else 7}.{i // 16 + 1}" for i in range(480)]
    socks = dict(zip(sources, [[] for _ in sources], strict=False))
    opened = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for src in socks:
            still = _drained_open if idle else (lambda s: not _closed(s))
            socks[src] = [s for s in socks[src] if still(s) or s.close()]
            fresh = _slow_connections(st, [src] * (16 - len(socks[src])), idle)
            opened += len(fresh)
            socks[src] += fresh
        time.sleep(0.5)
    for held in socks.values():
        for s in held:
            s.close()
    return f"{opened} {'idle' if idle else 'slow'} connections opened from 30 addresses"


def _drained_open(s: socket.socket) -> bool:
    """Reads what the station sent (its answer); whether the connection is still open."""
    s.setblocking(False)
    try:
        while s.recv(65536):
            pass
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False


def _closed(s: socket.socket) -> bool:
    """Whether the station closed (or refused, with its 503) this connection."""
    s.setblocking(False)
    try:
        return s.recv(1, socket.MSG_PEEK) in (b"", b"H")
    except BlockingIOError:
        return False
    except OSError:
        return True


def attack_big_body(st: Station) -> Row:
    """Row 3: a 300 MB POST."""
    s = socket.create_connection((HOST, st.port), timeout=5, source_address=("127.0.0.4", 0))
    s.sendall(b"POST /api/demo/switch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: 314572800\r\n\r\n")
    sent, answer = 0, b""
    chunk = b"x" * 65536
    s.settimeout(0.2)
    deadline = time.monotonic() + 20
    while sent < 314572800 and time.monotonic() < deadline:
        try:
            answer = s.recv(200)
            break
        except TimeoutError:
            pass
        try:
            s.sendall(chunk)
            sent += len(chunk)
        except OSError:
            break
    if not answer:
        s.settimeout(2)
        with contextlib.suppress(OSError):
            answer = s.recv(200)
    s.close()
    status = answer.split(b"\r\n")[0].decode() or "closed"
    return ("POST with Content-Length 300 MB", f"{status} after {sent // 1024} KiB sent")


def attack_signin_burst(st: Station) -> Row:
    """Row 4: 78 simultaneous wrong sign-ins from one address, then 100 from 50 addresses (an
    unknown name: the dummy hash); then staff from elsewhere; the time a wrong answer takes."""
    before = st.status()["VmRSS"]
    one = _burst(st, ["127.0.0.5"] * 78, "ann")
    after_one = st.status()["VmRSS"]
    many = _burst(st, [f"127.0.8.{i % 50 + 1}" for i in range(100)], "nobody")
    after = st.status()
    staff = Client(st.port, "127.0.0.6").sign_in()
    known, unknown = _signin_times(st, "ann"), _signin_times(st, "nobody-here")
    return ("78 simultaneous wrong sign-ins from one address; 100 from 50 addresses",
            f"one address: {one}, 50 addresses: {many}; RSS {before // 1024} -> {after_one // 1024} -> "
            f"{after['VmRSS'] // 1024} MiB (peak {after['VmHWM'] // 1024}); staff from another address: "
            f"{staff}; wrong password for a real name {known}, unknown name {unknown}")


def _burst(st: Station, sources: list[str], name: str) -> dict[int, int]:
    """Wrong sign-ins, all at once, one per source (each with its own cookie and token)."""
    codes: Counter[int] = Counter()
    lock = threading.Lock()
    clients = {src: Client(st.port, src, timeout=30) for src in sources}
    tokens = {src: c.csrf() for src, c in clients.items()}

    def wrong(src: str) -> None:
        form = {"csrf_token": tokens[src], "name": name, "password": "wrong password 1"}
        try:
            code = clients[src].request("POST", "/staff/signin", form)[0]
        except OSError:
            code = 0
        with lock:
            codes[code] += 1

    threads = [threading.Thread(target=wrong, args=(src,)) for src in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return dict(sorted(codes.items()))


def _signin_times(st: Station, name: str) -> str:
    times = []
    for i in range(5):
        client = Client(st.port, f"127.0.2.{len(name) * 10 + i}")
        token = client.csrf()
        t0 = time.perf_counter()
        client.request("POST", "/staff/signin", {"csrf_token": token, "name": name, "password": "x" * 12})
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return f"{times[0]:.0f}-{times[-1]:.0f} ms"


def attack_copied_cookie(st: Station) -> Row:
    """Row 5: a copied session cookie after its owner signs out."""
    owner = Client(st.port, "127.0.0.7")
    owner.sign_in()
    thief = Client(st.port, "127.0.0.8")
    thief.cookies = dict(owner.cookies)
    before = thief.request("GET", "/api/settings")[0]
    owner.request("POST", "/staff/signout", {"csrf_token": owner.csrf("/staff/settings")})
    after = thief.request("GET", "/api/settings")[0]
    return ("copy a staff cookie, owner signs out, copy used", f"before sign-out {before}, after {after}")


def attack_host(st: Station) -> Row:
    """Row 6: requests for another name (DNS rebinding)."""
    c = Client(st.port, "127.0.0.9")
    codes = [c.request("GET", path, headers={"Host": "evil.example"})[0]
             for path in ("/", "/staff/signin", "/api/settings", "/api/snapshot")]
    own = c.request("GET", "/", headers={"Host": "localhost"})[0]
    return ("Host: evil.example on /, sign-in, settings, snapshot", f"{codes}; Host: localhost {own}")


def _staff(st: Station, source: str) -> tuple[Client, str]:
    c = Client(st.port, source)
    assert c.sign_in() == 302
    return c, json.loads(c.request("GET", "/api/session")[2])["csrf_token"]


def _put(c: Client, csrf: str, body: bytes) -> str:
    status, _, data = c.request("PUT", "/api/settings", body, {"Content-Type": "application/json",
                                                              "X-CSRF-Token": csrf})
    fields = list(json.loads(data).get("fields", {})) if data.startswith(b"{") else []
    return f"{status}{fields or ''}"


def attack_settings(st: Station) -> Row:
    """Rows 7 and 8: settings that would brick the station, and numbers JSON should not hold."""
    c, csrf = _staff(st, "127.0.0.10")
    busy = socket.socket()
    busy.bind(("0.0.0.0", 0))
    busy.listen()
    tries = {
        "switch_pin=5 (red light)": b'{"switch_pin": 5}', "camera_rotation=45": b'{"camera_rotation": 45}',
        "web_port=80": b'{"web_port": 80}', "web_port taken": b'{"web_port": %d}' % busy.getsockname()[1],
        "Infinity": b'{"min_rep_s": Infinity}', '"inf"': b'{"min_rep_s": "inf"}',
        "1e400": b'{"min_rep_s": 1e400}', "400 digits": b'{"camera_fps": ' + b"9" * 400 + b"}",
        "30,000 nested": b'{"values": ' + b"[" * 30000 + b"]" * 30000 + b"}",
    }
    answers = [f"{name}: {_put(c, csrf, body)}" for name, body in tries.items()]
    busy.close()
    return ("bad settings over PUT /api/settings", "; ".join(answers))


def attack_saved_settings(st: Station) -> Row:
    """Row 9: a corrupt settings row, then one out-of-range value among good ones, at start."""
    from station.storage.replog import RepLog

    out = []
    for label, values in (("corrupt row", "{not json"),
                          ("one bad value", json.dumps({"min_rep_s": 2.5, "camera_rotation": 45}))):
        st.stop()
        if label == "corrupt row":  # a row SavedSettings never writes: raw SQL, deliberate damage
            with sqlite3.connect(st.data / "station.db") as db:
                db.execute('INSERT INTO settings (t, by, "values") VALUES (?, ?, ?)',
                           (time.time(), "x", values))
        else:
            log = RepLog.open(st.data)
            log.saved_settings.add(json.loads(values), by="x")
            log.close()
        st.start()
        c, _ = _staff(st, "127.0.0.11")
        health = json.loads(c.request("GET", "/api/health")[2])
        kept = json.loads(c.request("GET", "/api/settings")[2])["values"]["min_rep_s"]
        out.append(f"{label}: started, status {health['status']}, {len(health['warnings'])} warning(s), "
                   f"min_rep_s {kept}")
    return ("bad saved settings at start", "; ".join(out))


def attack_damaged_log(st: Station) -> Row:
    """Row 10: a damaged page in the rep log at start."""
    from station.storage.made_up import fill_history
    from station.storage.replog import RepLog

    st.stop()
    path = st.data / "station.db"
    log = RepLog.open(st.data)
    fill_history(log, 3000, now=time.time(), days=30, metrics=[{"pad": "x" * 60}])
    log.close()  # the last connection: every page in the main file, where it is damaged
    data = bytearray(path.read_bytes())
    middle = (len(data) // 4096 // 2) * 4096
    data[middle:middle + 4096] = bytes(range(256)) * 16
    path.write_bytes(bytes(data))
    st.start()
    c, _ = _staff(st, "127.0.0.12")
    health = json.loads(c.request("GET", "/api/health")[2])
    codes = [c.request("GET", p)[0] for p in ("/staff/history", "/staff/history.csv", "/api/reps")]
    kept = len([p for p in st.data.glob("station.db.damaged-*") if not p.name.endswith(("-wal", "-shm"))])
    return ("a damaged page in the rep log at start",
            f"started; status {health['status']}, warning: {health['warnings'][:1]}; history/CSV/reps "
            f"{codes}; {kept} damaged copy kept aside")


def attack_disk_full(st: Station, limit_s: float = 40.0) -> Row:
    """Row 11: writes fail (a file size limit on the station, standing in for a full disk) until
    a rep is refused, then allowed again until one is stored."""
    c, _ = _staff(st, "127.0.0.13")
    pid = st.proc.pid  # type: ignore[union-attr]
    before = st.reps()
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
    t0 = time.monotonic()
    health: dict = {}
    while time.monotonic() - t0 < limit_s:
        time.sleep(1)
        health = json.loads(c.request("GET", "/api/health")[2])
        if any("not being saved" in w for w in health["warnings"]):
            break
    full_s = time.monotonic() - t0
    snap = json.loads(c.request("GET", "/api/snapshot")[2])
    during = st.reps()
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    t0 = time.monotonic()
    while st.reps() == during and time.monotonic() - t0 < limit_s:
        time.sleep(0.5)
    warned = [w for w in health["warnings"] if "not being saved" in w]
    return ("file writes refused (RLIMIT_FSIZE 4 KiB) until a rep fails, then allowed",
            f"reps {before} -> {during} in {full_s:.0f} s full, first stored again "
            f"{time.monotonic() - t0:.0f} s after; health {health['status']}: {warned[:1]}; "
            f"member page banner: {snap.get('service')!r}")


def attack_anonymous_reads(st: Station) -> Row:
    """Row 12: the whole log and the health figures without sign-in."""
    c = Client(st.port, "127.0.0.14")
    reps = c.request("GET", "/api/reps?limit=10000")[0]
    status, _, body = c.request("GET", "/api/health")
    return ("GET /api/reps and /api/health anonymously",
            f"reps {reps}; health {status} {body.decode().strip()}")


def attack_weak_accounts(st: Station) -> Row:
    """Row 13: weak passwords and a look-alike name."""
    c, _ = _staff(st, "127.0.0.15")
    out = []
    for name, password in (("bob", " " * 10), ("bob", "aaaaaaaaaa"), ("bob", "password123"),
                           ("\u0430nn", PASSWORD + "x"), ("ANN", PASSWORD + "x")):
        token = c.csrf("/staff/accounts")
        form = {"csrf_token": token, "name": name, "password": password, "password2": password}
        status = c.request("POST", "/staff/accounts", form)[0]
        out.append(f"{name.encode('unicode_escape').decode()}/{password[:6]!r}: {status}")
    return ("accounts with weak passwords and look-alike names", "; ".join(out))


ATTACKS: dict[int, Callable[[Station], Row]] = {
    1: attack_streams, 2: attack_slowloris, 3: attack_big_body, 4: attack_signin_burst,
    5: attack_copied_cookie, 6: attack_host, 7: attack_settings, 9: attack_saved_settings,
    10: attack_damaged_log, 11: attack_disk_full, 12: attack_anonymous_reads, 13: attack_weak_accounts,
}


RESTARTS = {9, 10}


def _pose_video(data: Path) -> Path:
    """A looping video of a fixture photo, and the fetched models linked into the data folder."""
    import cv2

    from station.config.paths import models_dir

    photo = ROOT.parent / "shared" / "fixtures" / "photos" / "Good_Morning__0.jpg"
    img = cv2.imread(str(photo))
    video = data.parent / f"{data.name}.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, (img.shape[1], img.shape[0]))
    for _ in range(30):
        writer.write(img)
    writer.release()
    (data / "models").symlink_to(models_dir())
    return video


def first_account(st: Station) -> None:
    c = Client(st.port)
    token = c.csrf("/staff/setup")
    form = {"csrf_token": token, "setup_code": st.setup_code or "", "name": "ann", "password": PASSWORD,
            "password2": PASSWORD}
    status = c.request("POST", "/staff/setup", form)[0]
    assert status == 302, f"setup answered {status}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8250, help="0: a free one")
    parser.add_argument("--only", default="", help="comma-separated row numbers (default: all)")
    parser.add_argument("--pose", action="store_true",
                        help="the pose engine on a looping video of a fixture photo instead of the "
                             "simulator (for the memory and thread peaks; no reps are made)")
    args = parser.parse_args()
    if args.port == 0:  # `station run --port 0` means its default, 8000, which another run may hold
        args.port = free_port()
    rows = [int(r) for r in args.only.split(",") if r] or list(ATTACKS)
    data = Path(tempfile.mkdtemp(prefix="lan-attacks-"))
    st = Station(args.port, data, _pose_video(data) if args.pose else None)
    peak = {"VmHWM": 0, "Threads": 0}
    try:
        st.start()
        first_account(st)
        print(f"station pid {st.proc.pid} on {HOST}:{st.port}, data {st.data}", flush=True)  # type: ignore[union-attr]
        print("| # | attack | answer | member page | reps logged |", flush=True)
        print("| --- | --- | --- | --- | --- |", flush=True)
        for row in rows:
            before = st.reps()
            if row in RESTARTS:  # the attack restarts the station: the page is asked for after
                what, answer = ATTACKS[row](st)
                t0 = time.monotonic()
                code = Client(st.port, timeout=3).request("GET", "/")[0]
                page = f"after the restart: {code} in {(time.monotonic() - t0) * 1000:.0f} ms"
                time.sleep(4)
            else:
                with Member(st.port) as member:
                    what, answer = ATTACKS[row](st)
                    time.sleep(4)  # a rep or two after it
                page = member.summary()
            figures = st.status()
            peak = {k: max(peak[k], figures[k]) for k in peak}
            print(f"| {row} | {what} | {answer} | {page} | {before} -> {st.reps()} |", flush=True)
    finally:
        print(f"station peak: {peak['VmHWM'] // 1024} MiB resident, {peak['Threads']} threads", flush=True)
        st.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
