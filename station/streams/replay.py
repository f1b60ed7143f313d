"""Replay a pose stream through the coach: the reps it finds, as text or JSON Lines.

    >>> import io
    >>> out, err = io.StringIO(), io.StringIO()
    >>> replay(io.StringIO('{"t": 0, "landmarks": null}\\n'), Settings(), out, err, as_json=True)
    0
    >>> out.getvalue().strip()
    '{"event": "summary", "reps": 0, "good": 0, "faults": {}, "frames": 1, "bad_lines": 0}'
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, TextIO

from station.coach.events import RepFinished
from station.coach.run import coach_over
from station.coach.vocabulary import Verdict
from station.config.settings import Settings
from station.streams.format import BadLine, StreamFrames, read_stream

MAX_LINE_ERRORS = 20  # after this many, bad lines are only counted


def replay(lines: TextIO, settings: Settings, out: TextIO, err: TextIO, as_json: bool = False,
           events: str = "reps") -> int:
    """Run the coach over ``lines``; print rep_finished events (``events="all"``: every event)."""
    faults: Counter[str] = Counter()
    reps = good = 0

    def warn(line: BadLine) -> None:
        if stream.bad_lines <= MAX_LINE_ERRORS:
            print(f"warning: {line}", file=err)

    stream = StreamFrames(read_stream(lines), warn)
    for event in coach_over(stream, settings):
        if isinstance(event, RepFinished):
            reps += 1
            good += event.verdict == Verdict.GOOD
            faults.update(event.faults)
        elif events != "all":
            continue
        _print_event(event.as_dict(), out, as_json)
    if stream.bad_lines > MAX_LINE_ERRORS:
        print(f"warning: {stream.bad_lines - MAX_LINE_ERRORS} more bad lines", file=err)
    summary = {"event": "summary", "reps": reps, "good": good, "faults": dict(sorted(faults.items())),
               "frames": stream.frames, "bad_lines": stream.bad_lines}
    _print_event(summary, out, as_json)
    return 0


def _print_event(data: dict[str, Any], out: TextIO, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps(data) + "\n")
        return
    name = data["event"]
    if name == "rep_finished":
        faults = ", ".join(data["faults"]) or "-"
        out.write(f"{data['t']:8.2f} s  set {data['set_no']} rep {data['rep']:2d}  "
                  f"{data['verdict']:5s}  {faults}\n")
    elif name == "summary":
        faults = ", ".join(f"{k} {v}" for k, v in data["faults"].items()) or "none"
        out.write(f"{data['reps']} reps, {data['good']} good; faults: {faults}"
                  f" ({data['frames']} frames, {data['bad_lines']} bad lines)\n")
    else:
        out.write(f"{data['t']:8.2f} s  {name}\n")
