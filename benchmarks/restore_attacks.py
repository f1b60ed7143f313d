"""Attack a station's restore as issue 27 did: crafted backups, kills during a restore, and
anonymous restore bodies; one figure per attack, to compare a tree before and after the fix.

    .venv/bin/python benchmarks/restore_attacks.py [--only crafted,kill,body] [--kills 40]
        [--bodies 20] [--reps 20000] [--crafted 4] [--tree PATH]

``--tree``: run the attacks against another checkout's station (``git archive <commit> | tar -x
-C PATH`` for the code before a fix); this tree's by default. Every attack speaks only what both
trees understand: HTTP to ``station run --sim`` (benchmarks/lan_attacks.py's Station and Client,
on 127.0.0.1 with attackers on 127.0.0.2 and up), and for the kills the storage API
(``backup.check``, ``Database.replace``) in a child process.

- crafted: a backup of the station's own log with a trigger that adds a staff account
  ``mallory`` whenever a rep is written, one whose trigger stops every rep, one whose ``reps`` is
  a recursive view, and one whose password hashes are all unusable (manifest hashes recomputed,
  so each looks genuine). Prints the restore's answer and, after it, whether mallory exists, how
  many reps the loop stored in the next seconds, and whether a second restore is answered.
- kill: SIGKILL a child process during ``Database.replace`` at delays spread evenly over how long
  a whole swap takes; then reopen the log (that tree's code) and add a rep. Prints how many logs
  came back whole (old or new) and how many next ids were at or below an id already published.
- body: anonymous POSTs of a 32 MiB body to /staff/restore from 10 addresses at once. Prints the
  answers, the MiB the clients got to send, the peak MiB of the station's temporary files while
  they ran (its open files in its own TMPDIR, deleted or not) and the MiB left there after.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import lan_attacks  # noqa: E402  (its Station and Client, one way to run and speak to a station)
from lan_attacks import HOST, Client, Station, first_account, free_port  # noqa: E402

from tests.helpers.backups import MALLORY, RECURSIVE_REPS, edit_db, repack  # noqa: E402

CRAFTED = {
    "trigger adding a staff account": [MALLORY],
    "trigger stopping every rep": ["CREATE TRIGGER no_reps BEFORE INSERT ON reps BEGIN "
                                   "SELECT RAISE(ABORT, 'no'); END"],
    "reps as a recursive view": list(RECURSIVE_REPS),
    "every password hash unusable": ["UPDATE accounts SET password_hash = '!'"],
}
ANSWER_S = 20.0  # a restore not answered in this long is reported as never answering
BODY = 32 * 2**20 - 4096  # under the restore cap (32 MiB), so the old tree reads it whole
ANSWER_WAIT_S = 0.3  # an answer to the headers alone comes within ms on loopback


# ---------------------------------------------------------------------------- crafted backups
def craft(backup_zip: bytes, statements: list[str], work: Path) -> bytes:
    """The backup with ``statements`` run on its station.db and its manifest's hashes made to
    match again (what an attacker who has one backup can do)."""
    crafted = edit_db(backup_zip, work, *statements)
    return repack(backup_zip, station_db=crafted, compression=zipfile.ZIP_DEFLATED)


def restore(c: Client, data: bytes, timeout: float = ANSWER_S) -> str:
    """Restore ``data`` as staff would on that tree's health page; its answer in words."""
    c.timeout = timeout
    health = c.request("GET", "/staff/health")[2].decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', health).group(1)  # type: ignore[union-attr]
    try:
        if "data-csrf" in health:  # two steps: the body with the token in a header, then confirm
            status, _, body = c.request("POST", "/staff/restore", data,
                                        {"Content-Type": "application/zip", "X-CSRF-Token": token})
            if status != 200:
                return f"{status} {json.loads(body).get('error', '')[:90]}"
            page = c.request("GET", json.loads(body)["confirm"])[2].decode()
            pending = re.search(r'name="token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            status = c.request("POST", "/staff/restore/confirm", {"csrf_token": token, "token": pending})[0]
            return f"{status} restored" if status == 302 else f"{status} on confirm"
        boundary = "restoreattack"
        form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"backup\"; filename=\"b.zip\"\r\n"
                "Content-Type: application/zip\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        status, _, body = c.request("POST", "/staff/restore", form,
                                    {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        if status == 302:
            return "302 restored"
        said = re.search(r'id="restore-error"[^>]*>([^<]*)', body.decode())
        return f"{status} {said.group(1)[:90] if said else ''}"
    except TimeoutError:
        return f"no answer in {timeout:.0f} s"
    finally:
        c.timeout = 10.0


def accounts(st: Station) -> list[str]:
    with sqlite3.connect(f"file:{st.data / 'station.db'}?mode=ro", uri=True, timeout=5) as db:
        return [r[0] for r in db.execute("SELECT name FROM accounts ORDER BY name")]


def attack_crafted(tree: Path, work: Path, port: int, cases: int) -> None:
    print("| crafted backup | restore answered | after it |", flush=True)
    print("| --- | --- | --- |", flush=True)
    for name, statements in list(CRAFTED.items())[:cases]:
        st = Station(port, work / f"crafted-{len(os.listdir(work))}")
        lan_attacks.ROOT = tree
        st.start()
        try:
            first_account(st)
            ann = Client(st.port)
            ann.sign_in()
            good = ann.request("GET", "/staff/backup")[2]
            answer = restore(ann, craft(good, statements, work))
            before = _reps(st)
            time.sleep(8)  # the simulated trainee makes a rep every few seconds
            stored = _reps(st)
            after = f"reps stored in 8 s: {'?' if stored is None else stored - (before or 0)}"
            after += f"; accounts: {', '.join(accounts(st)) or 'none'}"
            signin = Client(st.port).sign_in()
            after += f"; ann signs in: {'yes' if signin == 302 else f'no ({signin})'}"
            if answer.startswith("no answer"):
                second = Client(st.port)
                second.sign_in()
                after += f"; a second restore: {restore(second, good, timeout=5)}"
            print(f"| {name} | {answer} | {after} |", flush=True)
        finally:
            st.stop()


def _reps(st: Station) -> int | None:
    try:
        return st.reps()
    except sqlite3.DatabaseError:
        return None


# ---------------------------------------------------------------------------- kills during a restore
CHILD = """
import io, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from station.storage import backup
from station.storage.replog import RepLog
data, zip_path = Path(sys.argv[2]), Path(sys.argv[3])
log = RepLog.open(data)
checked = backup.check(io.BytesIO(zip_path.read_bytes()), Path(str(log.path)))
print("swap", flush=True)
t0 = time.perf_counter()
log.db.replace(checked.db)
print(f"done {time.perf_counter() - t0:.6f}", flush=True)
"""
AFTER = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from station.storage.replog import RepLog
log = RepLog.open(Path(sys.argv[2]))
n = len(log.reps.newest_first(limit=10**9))
print(log.db.integrity(), n, log.reps.add(log.reps.start_set(1e9), 1e9 + 1, 1, "good", [], {}))
"""


def attack_kill(tree: Path, work: Path, kills: int, reps: int) -> None:
    from station.config.settings import Settings
    from station.storage import backup
    from station.storage.made_up import fill_history
    from station.storage.replog import RepLog

    original = work / "kill-original"
    log = RepLog.open(original)
    log.accounts.add("ann", "scrypt:32768:8:1$c2FsdA==$00")
    fill_history(log, reps // 2, now=time.time(), days=30)
    out = io.BytesIO()
    backup.write(log, Settings(), out, work)
    zip_path = work / "kill-backup.zip"
    zip_path.write_bytes(out.getvalue())
    fill_history(log, reps - reps // 2, now=time.time(), days=1, seed=2)  # published since the backup
    old_count = len(log.reps.newest_first(limit=10**9))
    published = max(r["id"] for r in log.reps.newest_first(limit=1))
    log.close()

    took = _one_restore(tree, original, zip_path, work / "kill-timing", None)
    delays = [took * 1.2 * i / max(1, kills - 1) for i in range(kills)]
    whole = Counter()
    reused = 0
    for i, delay in enumerate(delays):
        _one_restore(tree, original, zip_path, work / f"kill-{i}", delay)
        found = subprocess.run([sys.executable, "-c", AFTER, str(tree), str(work / f"kill-{i}")],
                               capture_output=True, text=True, timeout=120)
        words = found.stdout.split()
        if found.returncode or len(words) != 3 or words[0] != "ok":
            whole["damaged or unreadable"] += 1
        else:
            count, next_id = int(words[1]), int(words[2])
            whole["old" if count == old_count else "new" if count == reps // 2 else f"{count} reps"] += 1
            reused += next_id <= published
        shutil.rmtree(work / f"kill-{i}", ignore_errors=True)
    print(f"kill during restore: {kills} kills over a {took * 1000:.1f} ms swap of a {old_count}-rep log "
          f"(backup {reps // 2} reps); logs after: {dict(whole)}; next rep id at or below one already "
          f"published: {reused} of {kills}", flush=True)


def _one_restore(tree: Path, original: Path, zip_path: Path, data: Path, delay: float | None) -> float:
    """A restore in a child on a copy of ``original``, killed ``delay`` s into its swap (None: not
    killed); how long its swap took (killed: 0)."""
    shutil.copytree(original, data)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tree), str(data), str(zip_path)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "swap"
    if delay is None:
        line = child.stdout.readline()
        child.wait(60)
        return float(line.split()[1])
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(60)
    return 0.0


# ---------------------------------------------------------------------------- anonymous bodies
def attack_body(tree: Path, work: Path, port: int, bodies: int) -> None:
    tmp = work / "station-tmp"
    tmp.mkdir()
    st = Station(port, work / "body")
    lan_attacks.ROOT = tree
    saved = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(tmp)  # the station's temporary files, where they can be counted
    try:
        st.start()
    finally:
        if saved is None:
            os.environ.pop("TMPDIR")
        else:
            os.environ["TMPDIR"] = saved
    try:
        first_account(st)
        assert st.proc is not None
        peak, stop = [0], threading.Event()

        def watch() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _temp_bytes(st.proc.pid, tmp))  # type: ignore[union-attr]
                stop.wait(0.02)

        answers: Counter[str] = Counter()
        sent = [0]
        lock = threading.Lock()

        def post(i: int) -> None:
            status, n = _anonymous_post(st.port, f"127.0.0.{2 + i % 10}")
            with lock:
                answers[status] += 1
                sent[0] += n

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        t0 = time.monotonic()
        posts = [threading.Thread(target=post, args=(i,)) for i in range(bodies)]
        for t in posts:
            t.start()
        for t in posts:
            t.join(120)
        took = time.monotonic() - t0
        time.sleep(0.5)
        stop.set()
        watcher.join()
        left = sum(f.stat().st_size for f in tmp.rglob("*") if f.is_file())
        print(f"anonymous restore bodies: {bodies} POSTs of {BODY / 2**20:.0f} MiB from 10 addresses in "
              f"{took:.1f} s; answers {dict(answers)}; clients sent {sent[0] / 2**20:.1f} MiB; station temp "
              f"files peak {peak[0] / 2**20:.1f} MiB, left after {left / 2**20:.1f} MiB", flush=True)
    finally:
        st.stop()


def _anonymous_post(port: int, source: str) -> tuple[str, int]:
    """One anonymous restore POST: its headers, then its whole body unless the server has answered
    within ANSWER_WAIT_S of the headers; (the answer's status, body bytes sent). Waiting for an
    answer first keeps the count honest: a body sent into a connection the server has already
    answered and closed makes Linux reset it, and the answer can be lost."""
    s = socket.create_connection((HOST, port), timeout=30, source_address=(source, 0))
    sent = 0
    try:
        s.sendall(f"POST /staff/restore HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/zip\r\n"
                  f"Content-Length: {BODY}\r\n\r\n".encode())
        if not select.select([s], [], [], ANSWER_WAIT_S)[0]:
            chunk = b"\0" * 2**16
            try:
                while sent < BODY:
                    sent += s.send(chunk[: min(len(chunk), BODY - sent)])
            except OSError:
                pass  # the server answered and closed before the body was sent
        try:
            head = s.recv(64).decode(errors="replace")
        except OSError:
            return "reset", sent
        return (head.split()[1] if head.startswith("HTTP/") else "no answer"), sent
    finally:
        s.close()


def _temp_bytes(pid: int, tmp: Path) -> int:
    """Bytes in the files process ``pid`` holds open under ``tmp`` (a deleted temporary file
    still takes its space until closed)."""
    total = 0
    with_fd = Path(f"/proc/{pid}/fd")
    try:
        fds = list(with_fd.iterdir())
    except OSError:
        return 0
    for fd in fds:
        try:
            if os.readlink(fd).startswith(str(tmp)):
                total += os.stat(fd).st_size
        except OSError:
            continue
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="crafted,kill,body")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--crafted", type=int, default=len(CRAFTED), help="how many of the crafted backups")
    parser.add_argument("--kills", type=int, default=40)
    parser.add_argument("--bodies", type=int, default=20)
    parser.add_argument("--reps", type=int, default=20000, help="reps in the killed restore's log")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose station is attacked")
    args = parser.parse_args()
    args.port = args.port or free_port()  # `station run --port 0` would mean its default, 8000
    tree = args.tree.resolve()
    work = Path(tempfile.mkdtemp(prefix="restore-attacks-"))
    print(f"tree {tree}; work in {work}", flush=True)
    try:
        for attack in args.only.split(","):
            if attack == "crafted":
                attack_crafted(tree, work, args.port, args.crafted)
            elif attack == "kill":
                attack_kill(tree, work, args.kills, args.reps)
            elif attack == "body":
                attack_body(tree, work, args.port, args.bodies)
            else:
                raise SystemExit(f"no attack {attack!r}: crafted, kill or body")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
