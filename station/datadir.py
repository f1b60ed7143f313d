"""Where the station keeps its files: models, the rep log, settings.

The first of these wins: an explicit path (a ``--data`` flag), ``$STATION_DATA``,
``$XDG_DATA_HOME/hinge-station``, ``~/.local/share/hinge-station``.

>>> data_dir("/tmp/x")
PosixPath('/tmp/x')
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "hinge-station"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data directory (not created)."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("STATION_DATA")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / APP_NAME


def models_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The folder the pose models live in."""
    return data_dir(explicit) / "models"
