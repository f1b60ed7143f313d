"""Small JSON documents in the data folder, written so that a crash never leaves half of one.

For records that are one object each and not rows of the rep log: the bring-up report, the pose
model the device chose for itself. Each is ``<data>/<name>.json``. A write goes to a temporary
file in the same folder, is flushed to the card, then renamed over the old one (rename is atomic
on one file system), and the folder is synced so the rename itself survives a power cut.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> read(folder, "bringup") is None
    True
    >>> _ = write(folder, "bringup", {"passed": True, "checks": []})
    >>> read(folder, "bringup")["passed"]
    True
    >>> write(folder, "../escape", {})
    Traceback (most recent call last):
    ...
    ValueError: document name '../escape': letters, digits, '_' and '-' only
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def path_of(data_dir: Path, name: str) -> Path:
    """Where the document ``name`` lives; refuses a name that could leave the folder."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"document name {name!r}: letters, digits, '_' and '-' only")
    return Path(data_dir) / f"{name}.json"


def write(data_dir: Path, name: str, value: dict[str, Any]) -> Path:
    """Replace the document ``name`` with ``value`` (JSON), atomically and durably; its path."""
    target = path_of(data_dir, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(value, indent=1, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return target


def read(data_dir: Path, name: str) -> dict[str, Any] | None:
    """The document ``name``, or None when there is none or it cannot be read as a JSON object
    (a damaged document is treated as missing: each can be made again by re-running its check)."""
    try:
        value = json.loads(path_of(data_dir, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None
