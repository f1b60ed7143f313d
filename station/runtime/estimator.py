"""The pose estimator, loaded on the loop's first camera frame rather than at start.

Loading both models takes a second or more on a Pi; the page and the lights come up first. A
load that fails (models missing or corrupt, no runtime) is said once and not retried every
frame: the station keeps serving its page and says what staff must fix.

    >>> def broken(): raise ModelError("pose_landmark_full.tflite is missing")
    >>> lazy = LazyEstimator(broken, on_problem=print)
    >>> lazy.get() is None
    the pose models cannot be loaded (pose_landmark_full.tflite is missing); run `station models fetch`
    True
    >>> lazy.get() is None, lazy.problem is not None
    (True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from station.pose.landmarks import Pose
from station.pose.models import ModelError


class Estimator(Protocol):
    """What the loop needs of a pose estimator (:class:`station.pose.blazepose.PoseEstimator`)."""

    def process(self, rgb: np.ndarray, t: float | None = None, video: bool = True) -> Pose | None: ...


class LazyEstimator:
    """Calls ``factory`` on the first :meth:`get`; after a failure, :attr:`problem` says why and
    ``on_problem`` has heard it once."""

    def __init__(self, factory: Callable[[], Estimator] | None,
                 on_problem: Callable[[str], None] | None = None) -> None:
        self._factory = factory
        self._on_problem = on_problem
        self._estimator: Estimator | None = None
        self.problem: str | None = None

    @property
    def pending(self) -> bool:
        """True until the first :meth:`get` has tried the factory."""
        return self._factory is not None

    def get(self) -> Estimator | None:
        if self._estimator is None and self._factory is not None:
            factory, self._factory = self._factory, None  # one try: a broken model stays broken
            try:
                self._estimator = factory()
            except ModelError as exc:
                self.problem = f"the pose models cannot be loaded ({exc}); run `station models fetch`"
            except Exception as exc:  # any other failure of a model or runtime: still keep serving
                self.problem = f"the pose models cannot be loaded ({type(exc).__name__}: {exc})"
            if self.problem is not None and self._on_problem is not None:
                self._on_problem(self.problem)
        return self._estimator
