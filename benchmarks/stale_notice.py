"""How long a staff live page takes to say "Station not answering since ..." once the station's
process is gone (issue 26: Health kept its green UP badge beside "station not answering").

    .venv/bin/python benchmarks/stale_notice.py [--rounds 3]

Each round starts a fresh ``station run --sim`` (the demo, in real time) on a free loopback port,
makes its first account and opens the staff home and the health page in Debian's Chromium, waits
until both have refreshed once, then kills the process (as a crash or a pulled plug would) and
times until each page shows its stale banner. The pages ask every 4 s (staff_live.js) and on their own refresh
(5 s), so the figure lies between 0 and about 4 s plus a failed fetch; it prints each round's
seconds and the median and worst over all.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.helpers.accounts import create_account_in_browser  # noqa: E402
from tests.helpers.engines import free_port  # noqa: E402


def one_round(browser, folder: Path) -> list[float]:
    """One `station run --sim` on a free port, signed in on the home and the health page, killed;
    the seconds until each page shows its stale banner."""
    port = free_port()
    out = folder / "out.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "NOTIFY_SOCKET")}
    with out.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "station", "run", "--sim", "--host", "127.0.0.1",
                                 "--port", str(port), "--data", str(folder / "data")],
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        code = None
        deadline = time.monotonic() + 120
        while code is None and time.monotonic() < deadline:
            found = re.search(r"creates the first account\): (\S+)", out.read_text())
            code = found.group(1) if found else time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        pages = [context.new_page(), context.new_page()]
        create_account_in_browser(pages[0], url, str(code))
        pages[0].goto(url + "/staff/home")
        pages[1].goto(url + "/staff/health")
        for page in pages:
            page.wait_for_function("document.getElementById('updated').textContent.startsWith('updated ')")
        proc.kill()  # as a crash or a pulled plug: every socket closes
        t0 = time.monotonic()
        proc.wait(10)
        took = []
        for page in pages:  # both pages watch at once; each is timed from the kill
            page.wait_for_selector("#live-state:visible", timeout=30000)
            took.append(time.monotonic() - t0)
        return took
    finally:
        context.close()
        if proc.poll() is None:
            proc.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("Debian's Chromium is needed: apt-get install chromium")
        return 3
    from playwright.sync_api import sync_playwright

    every: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for n in range(args.rounds):
            home, health = one_round(browser, Path(tempfile.mkdtemp()))
            every += [home, health]
            print(f"round {n + 1}: home {home:.2f} s, health {health:.2f} s")
        browser.close()
    print(f"stale banner after the station stopped: median {statistics.median(every):.2f} s, "
          f"worst {max(every):.2f} s over {len(every)} pages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
