"""The pose estimator: loaded from the models folder (:func:`load_estimator`), and for the station
loaded on the loop's first camera frame rather than at start (:func:`estimator_factory`,
:class:`LazyEstimator`).

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

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np

from station.config.paths import models_dir
from station.config.settings import Settings
from station.pose.landmarks import Pose
from station.pose.models import ModelError

if TYPE_CHECKING:
    from station.pose.blazepose import PoseEstimator
    from station.runtime.model_choice import AutoModel

DataDir = str | os.PathLike[str] | None  # a data directory as given (None: $STATION_DATA or the default)


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


def load_estimator(data: DataDir, settings: Settings | None = None, *, threads: int | None = None,
                   model: str | None = None, segmentation: bool = False) -> PoseEstimator:
    """The pose estimator over the models of the data directory ``data``; ``threads`` and ``model``
    (``--threads``, ``--model``) override the settings'. :class:`ModelError` (its message says how
    to fix it) when the models or the runtime are not usable; the command line turns that into exit
    code 3. ``segmentation``: only ``analyze`` reads the silhouette; everything else tracks without it.
    ``auto`` (the setting's default) loads the device's saved choice, or the float model when it has
    not measured yet: a one-off command does not spend seconds timing (the live station does)."""
    from station.pose.blazepose import PoseEstimator

    settings = settings or Settings()
    if (model or settings.pose_model) == "auto":
        model = model_chooser(data, settings, threads=threads).resolve(measure=False)
    return PoseEstimator.from_folder(
        models_dir(data),
        threads=threads or settings.pose_threads,
        min_detection_confidence=settings.min_detection_confidence,
        min_tracking_confidence=settings.min_tracking_confidence,
        pose_model=model or settings.pose_model,
        segmentation=segmentation,
    )


def model_chooser(data: DataDir, settings: Settings, *, threads: int | None = None,
                  model: str | None = None) -> AutoModel:
    """What picks the landmark model (``--model``, else the pose_model setting; ``auto``: the
    device's own choice, :mod:`station.runtime.model_choice`); its ``health`` is the health
    page's line."""
    from station.config.paths import data_dir
    from station.runtime.model_choice import AutoModel

    return AutoModel(data_dir(data), threads or settings.pose_threads, model or settings.pose_model,
                     models_dir(data))


def estimator_factory(data: DataDir, settings: Settings, *, threads: int | None = None,
                      model: str | None = None, files: bool = False,
                      chooser: AutoModel | None = None) -> Callable[[], PoseEstimator]:
    """Loads the models on the loop's first frame; checks them now to say early what is wrong.
    ``files``: the station watches a video or a folder, where missing models end the run
    (ModelError now) rather than leave a page that cannot coach. ``chooser`` (default: made
    from the settings) picks the landmark model when the engine loads: with ``auto`` and no
    saved choice the live station times both models then, on the loop's thread, so the page is
    already up and the health page says it is measuring."""
    from station.pose import models

    problems = models.check(models_dir(data))
    if problems and files:
        raise models.ModelError(f"{problems[0]}; {models.FIX_HINT}")
    if problems:
        # A station on the wall keeps serving its page (and says what is wrong) rather than
        # restart in a loop: staff can see the health page and fix it.
        print(f"error: {problems[0]}; {models.FIX_HINT}. The station serves its page but cannot "
              "coach until then.", file=sys.stderr)
    pick = chooser or model_chooser(data, settings, threads=threads, model=model)
    if files:
        return lambda: load_estimator(data, settings, threads=threads, model=pick.resolve(measure=False))

    def live() -> PoseEstimator:
        # The live station tries the runtime in a child first: a native crash there is a message.
        # With auto, each model is tried so before it is timed (model_choice.AutoModel.resolve).
        from station.pose.preflight import check_in_child

        def check(name: str) -> None:
            check_in_child(models_dir(data), threads or settings.pose_threads, pose_model=name)

        chosen = pick.resolve(check=check)
        if chosen not in pick.checked:
            check(chosen)
        return load_estimator(data, settings, threads=threads, model=chosen)

    return live
