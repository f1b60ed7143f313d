"""Pose estimation: an RGB frame in, a :class:`Pose` out. Knows nothing of hinges."""

from station.pose.landmarks import LANDMARK_NAMES, Landmark, Pose

__all__ = ["LANDMARK_NAMES", "Landmark", "Pose"]
