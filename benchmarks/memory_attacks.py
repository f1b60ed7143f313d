"""Memory attacks of issue 27 against a running demo station: peak resident memory of its process.

    .venv/bin/python benchmarks/memory_attacks.py [--only broker,replays,row,history] [--tree PATH]
                                                  [--arenas 2|none]

Each attack gets a fresh ``station run --sim`` (the simulated trainee at a camera's pace) on
127.0.0.1 with a data folder made for it, and a staff account; the station's ``VmRSS`` is read
10 times a second from /proc. Printed per attack: resident memory before it, the peak during it
(``VmHWM``, the kernel's own high-water mark, reset when the attack begins), what stays 3 s after
it, what the station answered, and whether the peak stayed under half the unit's ``MemoryMax``
(640 MiB: 320 MiB).

- ``broker``: an MQTT broker (a tiny one here: the attacker) that answers CONNECT, then sends one
  PUBLISH of 256 MiB, on each of the station's first three connections.
- ``replays``: ten kept-set replays (``poses.json`` of sets of MAX_FRAMES frames) at once.
- ``row``: forty such replays one after another.
- ``history``: a log of 200,000 made-up reps; the history CSV, then three backups in a row.

``--tree`` runs the station from another checkout (``git worktree add /tmp/before <commit>``: the
figures before a fix); ``--arenas`` sets ``MALLOC_ARENA_MAX`` as the systemd unit does (default:
the unit's own value, read from deploy/station.service; ``none``: glibc's default).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.lan_attacks import HOST, Client, first_account  # noqa: E402
from benchmarks.lan_attacks import Station as LanStation  # noqa: E402
from tests.helpers.engines import free_port  # noqa: E402

CAP_MIB = 640  # deploy/station.service MemoryMax
HALF_MIB = CAP_MIB // 2
# The largest packet MQTT can frame (a four-byte remaining length): 256 MiB less one byte.
BIG_PUBLISH = 2**28 - 1
HISTORY_REPS = 200_000


def unit_arenas() -> str | None:
    """MALLOC_ARENA_MAX as the systemd unit sets it (None: the unit does not)."""
    found = re.search(r"MALLOC_ARENA_MAX=(\d+)", (ROOT / "deploy" / "station.service").read_text())
    return found.group(1) if found else None


class Station(LanStation):
    """``station run --sim`` from ``tree`` with ``env`` added, and extra arguments."""

    def __init__(self, data: Path, tree: Path, env: dict[str, str], extra: list[str]) -> None:
        super().__init__(0, data)
        self.tree, self.env, self.extra = tree, env, extra

    def start(self) -> None:
        cmd = [sys.executable, "-m", "station", "run", "--sim", "--host", HOST, "--port", str(free_port()),
               "--data", str(self.data), *self.extra]
        env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | self.env
        self.proc = subprocess.Popen(cmd, cwd=self.tree, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, env=env)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the station exited at start")
            if "setup code" in line:
                self.setup_code = line.rsplit(":", 1)[1].strip()
            if line.startswith("Hinge Station on"):
                self.port = int(line.split("localhost:", 1)[1].split("/", 1)[0])
                break
        threading.Thread(target=self._drain, daemon=True).start()

    def rss_mib(self) -> float:
        return self.status()["VmRSS"] / 1024

    def peak_mib(self) -> float:
        return self.status()["VmHWM"] / 1024

    def reset_peak(self) -> None:
        """Start VmHWM again from the present VmRSS (Linux: 5 to clear_refs), so the peak is the
        attack's, not the start's."""
        Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")  # type: ignore[union-attr]


class Sampler:
    """The station's VmRSS 10 times a second (VmHWM is the figure; this shows the course)."""

    def __init__(self, st: Station) -> None:
        self.st, self.top = st, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            try:
                self.top = max(self.top, self.st.rss_mib())
            except (OSError, KeyError):
                return

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------- data folders
def kept_sets(data: Path, count: int) -> list[int]:
    """``count`` kept sets of MAX_FRAMES frames each (the simulated trainee's poses), in a new log."""
    from station.kept_sets.keeper import MAX_FRAMES
    from station.sim import Body, RepPlan, SetPlan, Trainee
    from station.storage.kept_sets import KeptSets
    from station.storage.replog import RepLog

    plan = SetPlan(reps=tuple(RepPlan() for _ in range(70)), approach_s=1.0)
    lines = _lines(list(Trainee(Body(), plan, seed=1).frames())[:MAX_FRAMES])
    log = RepLog.open(data)
    kept = KeptSets.of(log)
    ids = []
    for _ in range(count):
        set_id = log.reps.start_set(time.time())
        kept.save(set_id, time.time(), lines, [(1, 1.0, 3.0)], True)
        ids.append(set_id)
    kept.close()
    log.close()
    return ids


def _lines(frames: list) -> list[str]:
    import json

    from station.streams.format import StreamFrame, frame_to_dict

    t0 = frames[0].t
    return [json.dumps(frame_to_dict(StreamFrame(f.t - t0, f.pose.size if f.pose else (0, 0), f.pose,
                                                 f.dowel, f.wall_contact)), separators=(",", ":"))
            for f in frames]


def history_log(data: Path, reps: int) -> None:
    from station.storage.made_up import fill_history
    from station.storage.replog import RepLog

    log = RepLog.open(data)
    fill_history(log, reps, now=time.time(), days=365.0, seed=1)
    log.close()


# ---------------------------------------------------------------------------- the attacks
def staff(st: Station) -> Client:
    first_account(st)
    c = Client(st.port, timeout=120)
    assert c.sign_in() == 302
    return c


def download(c: Client, path: str) -> tuple[int, int]:
    """(status, bytes of the body)."""
    status, _, body = c.request("GET", path)
    return status, len(body)


def attack_replays(st: Station, ids: list[int]) -> str:
    """Ten at once; each answered 503 comes back after its Retry-After, as the set page does,
    until all ten are served."""
    c = staff(st)
    results: list[tuple[int, int]] = []
    first: Counter[int] = Counter()
    lock = threading.Lock()

    def one(set_id: int) -> None:
        tries = 0
        while True:
            status, headers, body = _same(c).request("GET", f"/staff/sets/{set_id}/poses.json")
            with lock:
                if tries == 0:
                    first[status] += 1
            tries += 1
            if status != 503 or tries > 20:
                break
            time.sleep(float(headers.get("Retry-After", "5")))
        with lock:
            results.append((status, len(body)))

    threads = [threading.Thread(target=one, args=(i,)) for i in ids[:10]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = Counter(s for s, _ in results)
    size = max((n for s, n in results if s == 200), default=0)
    return f"first answers {dict(first)}; in the end {dict(codes)}, {size / 2**20:.1f} MiB each"


def _same(c: Client) -> Client:
    """Another connection with the same sign-in (the staff member's browser, another tab)."""
    other = Client(c.port, timeout=120)
    other.cookies = dict(c.cookies)
    return other


def attack_row(st: Station, ids: list[int]) -> str:
    c = staff(st)
    codes: Counter[int] = Counter()
    for i in range(40):
        codes[download(c, f"/staff/sets/{ids[i % len(ids)]}/poses.json")[0]] += 1
    return f"answers {dict(codes)}"


def attack_history(st: Station) -> str:
    c = staff(st)
    csv = download(c, "/staff/history.csv")
    backups = [download(c, "/staff/backup") for _ in range(3)]
    return (f"CSV {csv[0]} ({csv[1] / 2**20:.1f} MiB); backups "
            + ", ".join(f"{s} ({n / 2**20:.1f} MiB)" for s, n in backups))


class BigPublisher:
    """An MQTT broker that answers CONNECT and then sends one PUBLISH of ``size`` bytes."""

    def __init__(self, size: int, connections: int = 3) -> None:
        self.size, self.left = size, connections
        self.server = socket.create_server((HOST, 0))
        self.port = self.server.getsockname()[1]
        self.sent: list[int] = []  # body bytes the station took before it closed, per connection
        self.errors: list[str] = []
        self.go = threading.Event()  # set once the station's resident memory before is read
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self.left > 0:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.left -= 1
            with conn:
                self.sent.append(self._one(conn))
        self.done.set()

    def _one(self, conn: socket.socket) -> int:
        conn.settimeout(10)
        sent = 0
        try:
            conn.recv(65536)  # CONNECT (small: one read)
            conn.sendall(b"\x20\x03\x00\x00\x00")  # CONNACK, success (MQTT 5: no properties)
            self.go.wait(60)
            # Topic "t" and an empty MQTT 5 property list, then the payload: ``size`` in all.
            length, out = self.size, bytearray()
            while True:
                byte, length = length & 0x7F, length >> 7
                out.append(byte | (0x80 if length else 0))
                if not length:
                    break
            conn.sendall(b"\x30" + bytes(out) + b"\x00\x01t\x00")
            chunk, sent = b"\0" * 2**20, 4
            while sent < self.size:
                sent += conn.send(chunk[: self.size - sent])
            time.sleep(1)
            return sent
        except OSError as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
            return sent

    def close(self) -> None:
        self.server.close()


def attack_broker(st: Station, broker: BigPublisher) -> str:
    broker.go.set()
    broker.done.wait(120)
    sent = ", ".join(f"{n / 2**20:.1f}" for n in broker.sent)
    return (f"{len(broker.sent)} connections; MiB of the PUBLISH sent before the station closed: {sent}; "
            f"{'; '.join(sorted(set(broker.errors)))}")


# ---------------------------------------------------------------------------- main
def run(name: str, args: argparse.Namespace, env: dict[str, str]) -> None:
    data = Path(tempfile.mkdtemp(prefix=f"memory-{name}-"))
    extra: list[str] = []
    broker = None
    if name in ("replays", "row"):
        ids = kept_sets(data, 10)
    elif name == "history":
        history_log(data, HISTORY_REPS)
    elif name == "broker":
        broker = BigPublisher(BIG_PUBLISH)
        extra = ["--mqtt", f"mqtt://{HOST}:{broker.port}"]
    st = Station(data, args.tree, env, extra)
    attacks: dict[str, Callable[[], str]] = {
        "broker": lambda: attack_broker(st, broker),  # type: ignore[arg-type]
        "replays": lambda: attack_replays(st, ids), "row": lambda: attack_row(st, ids),
        "history": lambda: attack_history(st)}
    try:
        st.start()
        time.sleep(2)
        before = st.rss_mib()
        st.reset_peak()
        with Sampler(st):
            answer = attacks[name]()
        time.sleep(3)
        peak, after = st.peak_mib(), st.rss_mib()
        held = "held" if peak < HALF_MIB else "NOT held"
        print(f"| {name} | {before:.0f} | {peak:.0f} | {after:.0f} | {held} | {answer} |", flush=True)
    finally:
        st.stop()
        if broker is not None:
            broker.close()
        shutil.rmtree(data, ignore_errors=True)  # a 200,000-rep log is some 80 MB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="broker,replays,row,history")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to run the station from")
    parser.add_argument("--arenas", default=unit_arenas() or "none",
                        help="MALLOC_ARENA_MAX for the station (default: the unit's); none: unset")
    args = parser.parse_args()
    env = {} if args.arenas == "none" else {"MALLOC_ARENA_MAX": args.arenas}
    print(f"station from {args.tree}, MALLOC_ARENA_MAX={args.arenas}; MiB resident, half the cap "
          f"{HALF_MIB}", flush=True)
    print("| attack | before | peak | 3 s after | under half the cap | answers |", flush=True)
    print("| --- | --- | --- | --- | --- | --- |", flush=True)
    for name in args.only.split(","):
        run(name, args, env)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
