"""What the camera sees (no Blender needed to name it): :class:`Look`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Look:
    """What the camera sees: where it stands, the colours and the light."""

    width: int = 640
    height: int = 360
    # deg off side-on; positive: the camera moves round towards the member's front (behind side-on
    # it would stand in the wall: Scene refuses that)
    yaw: float = 0.0
    distance: float = 3.0  # m from the member's hips
    camera_z: float = 1.0  # m, the lens's height
    shirt: tuple[float, float, float] = (0.15, 0.25, 0.55)
    pants: tuple[float, float, float] = (0.1, 0.1, 0.12)
    skin: tuple[float, float, float] = (0.80, 0.60, 0.48)
    # A fluorescent orange dowel (linear RGB): rendered with the exposure below its pixels read hue
    # ~10, saturation ~220, value ~175 in OpenCV's HSV, inside the finder's default band (hue 3-20,
    # saturation 170+, value 140+); without the exposure the shaded dowel reads value 110-135.
    dowel: tuple[float, float, float] = (1.0, 0.25, 0.0)
    wall: tuple[float, float, float] = (0.85, 0.85, 0.82)
    light: str = "studio.sl"  # a Workbench studio light
    light_angle: float = 0.0  # deg: turns the studio light about the vertical
    shadow: float = 0.4
    exposure: float = 0.6  # stops: a bright gym, and a dowel the finder sees
