"""Where the station keeps its files: models, the rep log, settings.

The data folder is the first of: an explicit path (a ``--data`` flag), ``$STATION_DATA``,
``$XDG_DATA_HOME/hinge-station``, ``~/.local/share/hinge-station``.

The pose models are one shared cache, so a new data folder (a second demo, a test run) does not
download 30 MB again: ``$STATION_MODELS`` if set, else the data folder's own ``models`` folder if
it has one (a Pi install keeps them beside its rep log), else the default data folder's ``models``.

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
    """The folder the pose models live in (and ``station models fetch`` writes to).

    >>> import tempfile; fresh = tempfile.mkdtemp()
    >>> models_dir(fresh) == models_dir(None)  # a new data folder uses the one cache
    True
    """
    env = os.environ.get("STATION_MODELS")
    if env:
        return Path(env).expanduser()
    own = data_dir(explicit) / "models"
    return own if own.is_dir() else data_dir(None) / "models"
