"""Stand-in for Raspberry Pi OS's python3-lgpio, for the arm64 rig's Trixie root only (PyPI has no
lgpio wheel for Python 3.13 and Raspberry Pi OS's archive is not reachable from the rig).

What the station depends on, as lgpio does it: importing it makes a notification pipe in
``$LG_WD`` (else the working directory) and fails when that cannot be written; a gpiochip that is
not there cannot be opened (``lgpio.error('can not open gpiochip')``, shown
quoted as upstream's is). Nothing else: no pin is ever driven.
"""

from __future__ import annotations

import os

_wd = os.environ.get("LG_WD") or os.getcwd()
_pipe = os.path.join(_wd, f".lgd-nfy-rig{os.getpid()}")
if not os.path.exists(_pipe):
    os.mkfifo(_pipe, 0o600)  # raises on a read-only working directory, as lgpio's import fails


# lgpio's error texts for what gpiochip_open can answer (lgErr.c in joan2937/lg): the Python module
# raises error(error_text(status)) for a negative status (_u2i in PY_LGPIO/lgpio_extra.py).
_TEXTS = {-89: "bad gpiochip", -78: "can not open gpiochip", -81: "not a gpiochip"}  # lgpio.h's numbers


class error(Exception):  # lgpio's own name and shape: ``value`` the text, str() its repr
    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return repr(self.value)


def error_text(errnum: int) -> str:
    return _TEXTS.get(errnum, "unknown error")


def gpiochip_open(gpiochip: int) -> int:
    # As lgGpiochipOpen (lgGpio.c): a negative number is refused, then /dev/gpiochipN is opened.
    if gpiochip < 0:
        raise error(error_text(-89))
    if not os.path.exists(f"/dev/gpiochip{gpiochip}"):
        raise error(error_text(-78))
    raise error("the rig's lgpio stand-in drives no pins")


def gpiochip_close(handle: int) -> int:
    raise error("the rig's lgpio stand-in drives no pins")


def __getattr__(name: str) -> int:
    if name.isupper():  # lgpio's constants (SET_PULL_UP, ...): any number will do here
        return 0
    raise AttributeError(name)
