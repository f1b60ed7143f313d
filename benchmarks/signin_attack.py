"""A distributed sign-in attack (issue 27 item 3) on a running demo station, and staff signing in
meanwhile.

    .venv/bin/python benchmarks/signin_attack.py [--addresses 2000] [--seconds 60] [--names 1]

Starts ``station run --sim`` on 127.0.0.1 (benchmarks/lan_attacks.Station), makes the account
"ann", and signs ann in once from 127.0.0.2 (that browser has signed in before). Then ``--threads``
attackers send wrong passwords as fast as the station answers, each try from the next of
``--addresses`` loopback addresses (127.0.10.1 and up), cycling over ``--names`` account names
("ann" and made-up ones: a spray keeps the hashing busy even where an account's budget is spent).
Meanwhile every 2 s ann signs in with her right password from her browser (127.0.0.2), and a
colleague from a browser that never signed in (127.0.0.3).

Prints the guesses the station checked (answered "wrong password", 401) and refused unchecked
(429 locked, 503 busy), per hour at the measured rate, those against "ann", and each staff
member's successes.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lan_attacks import PASSWORD, Client, Station, first_account, free_port


def attacker(st: Station, sources: itertools.cycle, names: itertools.cycle, stop: threading.Event,
             codes: Counter, on_ann: Counter, lock: threading.Lock) -> None:
    """Wrong passwords, each from the next address (one session's CSRF token serves every
    address: the token belongs to the cookie, not to the address)."""
    base = Client(st.port, "127.0.0.9", timeout=30)
    token = base.csrf()
    n = 0
    while not stop.is_set():
        with lock:
            source, name = next(sources), next(names)
        client = Client(st.port, source, timeout=30)
        client.cookies = dict(base.cookies)
        n += 1
        try:
            code = client.request("POST", "/staff/signin", {"csrf_token": token, "name": name,
                                                            "password": f"guess {n} {source}"})[0]
        except OSError:
            code = 0
        with lock:
            codes[code] += 1
            if name == "ann":
                on_ann[code] += 1


def staff(client: Client, stop: threading.Event, results: list[int], fresh: bool = False) -> None:
    """Sign in with the right password every 2 s (``fresh``: each time from a browser that never
    signed in, its cookies gone, e.g. a private window)."""
    while not stop.is_set():
        t0 = time.monotonic()
        if fresh:
            client.cookies = {}
        try:
            results.append(client.sign_in("ann", PASSWORD))
        except OSError:
            results.append(0)
        stop.wait(max(0.0, 2.0 - (time.monotonic() - t0)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--addresses", type=int, default=2000)
    parser.add_argument("--names", type=int, default=1, help="account names guessed (ann and made-up ones)")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    st = Station(args.port or free_port(), Path(tempfile.mkdtemp(prefix="signin-attack-")))
    try:
        st.start()
        first_account(st)
        own = Client(st.port, "127.0.0.2", timeout=30)
        assert own.sign_in() == 302, "ann's first sign-in"
        new = Client(st.port, "127.0.0.3", timeout=30)
        sources = itertools.cycle([f"127.0.{10 + i // 250}.{i % 250 + 1}" for i in range(args.addresses)])
        names = itertools.cycle(["ann", *(f"staff{i}" for i in range(1, args.names))])
        codes: Counter[int] = Counter()
        on_ann: Counter[int] = Counter()
        lock, stop = threading.Lock(), threading.Event()
        own_results: list[int] = []
        new_results: list[int] = []
        threads = [threading.Thread(target=attacker, args=(st, sources, names, stop, codes, on_ann, lock))
                   for _ in range(args.threads)]
        threads += [threading.Thread(target=staff, args=(own, stop, own_results)),
                    threading.Thread(target=staff, args=(new, stop, new_results, True))]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join(60)
        took = time.monotonic() - t0
        checked = codes[401]
        per_hour = 3600 / took
        print(f"{args.addresses} addresses, {args.names} name(s), {args.threads} attackers, {took:.0f} s")
        print(f"guesses answered: {dict(sorted(codes.items()))} (401 checked, 429 locked, 503 busy)")
        print(f"guesses checked: {checked} in {took:.0f} s = {checked / took:.2f}/s "
              f"(= {checked * per_hour:.0f}/hour if the rate held); against ann: {on_ann[401]}")

        def rate(results: list[int]) -> str:
            ok = results.count(302)
            return f"{ok}/{len(results)} signed in ({dict(sorted(Counter(results).items()))})"

        print(f"ann from her browser (signed in before): {rate(own_results)}")
        print(f"ann from a new browser each time (never signed in): {rate(new_results)}")
    finally:
        st.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
