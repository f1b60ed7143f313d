"""Stand-in for Raspberry Pi OS's python3-lgpio, for the arm64 rig's Trixie root only (PyPI has no
lgpio wheel for Python 3.13 and Raspberry Pi OS's archive is not reachable from the rig).

What the station depends on, as lgpio does it: importing it makes a notification pipe in
``$LG_WD`` (else the working directory) and fails when that cannot be written; a gpiochip that is
not there cannot be opened (``lgpio.error``). Nothing else: no pin is ever driven.
"""

from __future__ import annotations

import os

_wd = os.environ.get("LG_WD") or os.getcwd()
_pipe = os.path.join(_wd, f".lgd-nfy-rig{os.getpid()}")
if not os.path.exists(_pipe):
    os.mkfifo(_pipe, 0o600)  # raises on a read-only working directory, as lgpio's import fails


class error(Exception):  # lgpio's own name
    pass


def gpiochip_open(chip: int) -> int:
    if not os.path.exists(f"/dev/gpiochip{chip}"):
        raise error("can not open gpiochip")
    raise error("the rig's lgpio stand-in drives no pins")


def __getattr__(name: str) -> int:
    if name.isupper():  # lgpio's constants (SET_PULL_UP, ...): any number will do here
        return 0
    raise AttributeError(name)
