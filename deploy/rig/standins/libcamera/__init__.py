"""Stand-in for python3-libcamera's bindings, for the arm64 rig only: the names the station uses."""

from __future__ import annotations

import enum


class Transform:
    def __init__(self, hflip: int = 0, vflip: int = 0, transpose: int = 0) -> None:
        self.hflip, self.vflip, self.transpose = hflip, vflip, transpose


class controls:  # libcamera's own spelling
    class AfModeEnum(enum.IntEnum):
        Manual = 0
        Auto = 1
        Continuous = 2
