"""The bring-up report: the checks' results with what was checked and when, kept in the data
folder as ``bringup.json`` (:mod:`station.storage.documents`: atomic, so a power cut leaves the
old report or the new one) and exported as the same JSON.

    >>> from station.bringup.results import Result
    >>> r = assemble([Result("disk", "Disk", "pass", "ok"), Result("buzzer", "Buzzer", "asked", "?")],
    ...              station="wall-1", started="2026-12-05T10:00:00+00:00")
    >>> r["passed"], r["complete"], r["counts"]["asked"], summary(r)
    (True, False, 1, 'passed: 1 pass, 1 not answered')
    >>> import tempfile, pathlib; folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = save(folder, r); load(folder)["station"]
    'wall-1'
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from station import __version__
from station.bringup.results import OUTCOMES, Result
from station.runtime.devices import pi_model
from station.storage import documents

DOCUMENT = "bringup"
FORMAT = 1  # the report's own version: a consumer over MQTT can tell a later shape


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def assemble(results: Iterable[Result], *, station: str, started: str) -> dict[str, Any]:
    """The report: ``passed`` when no check failed, ``complete`` when every question was
    answered (an unanswered one is not a pass: nobody saw the part work)."""
    checks = [r.as_dict() for r in results]
    counts = {o: sum(c["outcome"] == o for c in checks) for o in OUTCOMES}
    return {"format": FORMAT, "station": station, "hostname": socket.gethostname(), "board": pi_model(),
            "software": __version__, "started": started, "updated": now_iso(),
            "passed": counts["fail"] == 0, "complete": counts["asked"] == 0, "counts": counts,
            "checks": checks}


def summary(report: dict[str, Any]) -> str:
    """The report in one line, for the health page and the shell."""
    counts = report.get("counts", {})
    words = {"pass": "pass", "warn": "warning", "fail": "failed", "skipped": "skipped",
             "asked": "not answered"}
    parts = [f"{counts[o]} {words[o]}" + ("s" if o == "warn" and counts[o] > 1 else "")
             for o in OUTCOMES if counts.get(o)]
    return ("passed" if report.get("passed") else "FAILED") + (": " + ", ".join(parts) if parts else "")


def save(data_dir: Path, report: dict[str, Any]) -> Path:
    return documents.write(data_dir, DOCUMENT, report)


def load(data_dir: Path) -> dict[str, Any] | None:
    """The kept report, None when there is none (or it is damaged: run the bring-up again)."""
    return documents.read(data_dir, DOCUMENT)


def export_name(report: dict[str, Any]) -> str:
    """The download's file name: station and date, e.g. ``bringup-wall-1-2026-12-05.json``."""
    name = "".join(c if c.isalnum() or c in "-_." else "-" for c in str(report.get("station") or "station"))
    return f"bringup-{name}-{str(report.get('updated', ''))[:10] or 'undated'}.json"
