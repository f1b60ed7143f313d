"""What the camera sees (no Blender needed to name it): :class:`Look`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Look:
    """What the camera sees: where it stands, the colours and the light."""

    width: int = 640
    height: int = 360
    yaw: float = 0.0  # deg off side-on; positive: the camera moves round towards the member's front
    distance: float = 3.0  # m from the member's hips
    camera_z: float = 1.0  # m, the lens's height
    shirt: tuple[float, float, float] = (0.15, 0.25, 0.55)
    pants: tuple[float, float, float] = (0.1, 0.1, 0.12)
    skin: tuple[float, float, float] = (0.80, 0.60, 0.48)
    # An orange dowel (linear RGB; sRGB hue ~25 deg, OpenCV hue ~12: inside the finder's default 3-20).
    dowel: tuple[float, float, float] = (0.9, 0.2, 0.02)
    wall: tuple[float, float, float] = (0.85, 0.85, 0.82)
    light: str = "studio.sl"  # a Workbench studio light
    light_angle: float = 0.0  # deg: turns the studio light about the vertical
    shadow: float = 0.4
