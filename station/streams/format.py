"""Pose streams: JSON Lines, one frame per line, so a session can be kept and replayed.

A line is ``{"t": seconds, "size": [w, h], "landmarks": {name: [x, y, visibility]} | null,
"wall_contact": true | false | null}`` with an optional ``"dowel": [[x0, y0], [x1, y1]]``.

    >>> import io
    >>> out = io.StringIO()
    >>> write_frame(out, StreamFrame(0.5, (640, 480), None, None, None))
    >>> [f.t for f in read_stream(io.StringIO(out.getvalue()))]
    [0.5]

Reading never stops at a bad line: each one is reported as a :class:`BadLine` and skipped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from station.coach.geometry import Line
from station.pose.landmarks import Pose


@dataclass(frozen=True)
class StreamFrame:
    t: float
    size: tuple[int, int]
    pose: Pose | None
    dowel: Line | None
    wall_contact: bool | None


@dataclass(frozen=True)
class BadLine:
    """A line that could not be used: its number (from 1) and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def frame_to_dict(frame: StreamFrame) -> dict[str, Any]:
    data: dict[str, Any] = {
        "t": round(frame.t, 4),
        "size": list(frame.size),
        "landmarks": frame.pose.to_dict() if frame.pose is not None else None,
        "wall_contact": frame.wall_contact,
    }
    if frame.dowel is not None:
        data["dowel"] = [[round(v, 1) for v in p] for p in frame.dowel.as_list()]
    return data


def write_frame(out: TextIO, frame: StreamFrame) -> None:
    out.write(json.dumps(frame_to_dict(frame), separators=(",", ":")) + "\n")


def parse_frame(text: str) -> StreamFrame:
    """One line's frame, or ValueError saying what is wrong with it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    t = data.get("t")
    if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
        raise ValueError('"t" must be a number of seconds')
    size = data.get("size", [0, 0])
    if (not isinstance(size, list) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in size)):
        raise ValueError('"size" must be [width, height] in whole pixels')
    contact = data.get("wall_contact")
    if contact is not None and not isinstance(contact, bool):
        raise ValueError('"wall_contact" must be true, false or null')
    marks = data.get("landmarks")
    pose = None
    if marks is not None:
        if not isinstance(marks, dict):
            raise ValueError('"landmarks" must be an object of name: [x, y, visibility], or null')
        try:
            pose = Pose.from_dict(marks, size=(size[0], size[1])) if marks else None
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from None
    dowel = None
    if data.get("dowel") is not None:
        try:
            dowel = Line.from_list(data["dowel"])
            dowel.direction()  # ValueError for a line through one point
        except (TypeError, ValueError):
            raise ValueError('"dowel" must be [[x0, y0], [x1, y1]] with two distinct points') from None
    return StreamFrame(float(t), (size[0], size[1]), pose, dowel, contact)


def read_stream(lines: Iterable[str]) -> Iterator[StreamFrame | BadLine]:
    """Frames in file order; bad lines and frames that go back in time come out as BadLine."""
    last_t: float | None = None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            frame = parse_frame(text)
        except ValueError as exc:
            yield BadLine(number, str(exc))
            continue
        if last_t is not None and frame.t <= last_t:
            yield BadLine(number, f"time {frame.t:g} s is not after {last_t:g} s; frame skipped")
            continue
        last_t = frame.t
        yield frame


class StreamFrames:
    """The frames of :func:`read_stream`'s items, counted (``frames``, ``bad_lines``) as they are
    read; each bad line is also handed to ``on_bad``, if given, once counted.

        >>> import io
        >>> stream = StreamFrames(read_stream(io.StringIO('{"t": 1}\\nnot json\\n')), print)
        >>> [f.t for f in stream]
        line 2: not JSON (Expecting value)
        [1.0]
        >>> stream.frames, stream.bad_lines
        (1, 1)
    """

    def __init__(self, items: Iterable[StreamFrame | BadLine],
                 on_bad: Callable[[BadLine], None] | None = None) -> None:
        self._items, self._on_bad = items, on_bad
        self.frames = self.bad_lines = 0

    def __iter__(self) -> Iterator[StreamFrame]:
        for item in self._items:
            if isinstance(item, BadLine):
                self.bad_lines += 1
                if self._on_bad is not None:
                    self._on_bad(item)
                continue
            self.frames += 1
            yield item
