"""``pose_model = auto``: the device times the float and int8 landmark models on its own CPU and
keeps the faster one (issue 25). On a Pi 5 int8 is expected to win (its cores have the int8 dot
product); on a Pi 4 nobody knows until the device tells.

:func:`choose_model` is the measurement: both landmark models, through the engine's own landmark
step (:meth:`station.pose.landmarker.Landmarker.run`: the crop into the model's input, the
invoke, the decoding, which is a tracking frame's cost apart from smoothing), interleaved one of
each per round so a noisy machine slows both alike (as ``station bench`` does), medians after a
warm-up. The choice is saved with its figures as the ``pose_model_choice`` document
(:mod:`station.storage.documents`), with the models' sha256 and the thread count it was measured
with; a later start reuses it while those are the same and measures again when one changed.

The frame is made here, not read from a fixture (the device has no photo of a person): a fixed
pseudo-random picture at the camera's size, with the ROI a tracked person at the station's distance
would have. The landmark model does the same work whatever it sees (the same layers over the same
256x256 input; the runtime has no shortcut that depends on the pixels), so the timing needs no
person, and it cannot fail for lack of one as a detection would. The detector is left out: both
choices run the same detector, so it would add the same milliseconds to each.

:func:`pick` is the pure rule:

    >>> pick(30.0, 20.0)
    ('full_int8', 'int8 is faster on this CPU (20.0 ms against 30.0 ms)')
    >>> pick(30.0, 41.5)
    ('full', 'float is faster on this CPU (30.0 ms against 41.5 ms)')
    >>> pick(30.0, None)
    ('full', 'int8 not built')
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from station.pose import models
from station.storage import documents

log = logging.getLogger("station")

AUTO = "auto"
FLOAT, INT8 = "full", "full_int8"
DOCUMENT = "pose_model_choice"
# Five warm-up rounds as station/pose/bench.py (the first invokes set up XNNPack's packed weights
# and fill the caches); 30 timed rounds of each model, enough for a steady median. On the
# development machine (x86, 2 threads, docs/figures.md "The int8 landmark model") a round of both
# took 20-37 ms, the whole choice 1.1-1.7 s; a Pi's cores are slower, so a few seconds there,
# once per device (and again when the models or the thread count change).
WARMUP = 5
FRAMES = 30
# A time budget, so that a very slow CPU still gets a choice in reasonable time: the warm-up stops
# after WARMUP_BUDGET_S (at least one round) and the timed rounds after BUDGET_S (at least
# MIN_FRAMES). On this machine and on a Pi the 30 rounds take well under it, so it never binds
# there; under qemu (the arm64 rig, about 1.5 s a landmark step: docs/figures.md) 35 rounds of
# both would take minutes before the first frame, and 3 rounds' medians still tell two models
# apart whose speeds differ by tens of percent.
WARMUP_BUDGET_S = 10.0
BUDGET_S = 20.0
MIN_FRAMES = 3
# The frame: the camera's default size (settings.camera_width x camera_height); the ROI is a
# square of the frame's height at its centre, about what a trainee standing at 2.5 m makes.
FRAME_SIZE = (720, 1280)


def pick(float_ms: float, int8_ms: float | None, why_not_int8: str = "int8 not built") -> tuple[str, str]:
    """The model to use and why, from the two medians (``int8_ms`` None: the int8 model was not
    timed, ``why_not_int8`` says why). A tie keeps the float model: int8 is only worth its small
    loss of agreement (station/int8/gate.py) when it is faster."""
    if int8_ms is None:
        return FLOAT, why_not_int8
    if int8_ms < float_ms:
        return INT8, f"int8 is faster on this CPU ({int8_ms:.1f} ms against {float_ms:.1f} ms)"
    return FLOAT, f"float is faster on this CPU ({float_ms:.1f} ms against {int8_ms:.1f} ms)"


def why_not_int8(folder: Path) -> str | None:
    """Why the int8 model cannot be timed (not built, or its bytes not verified), None when it can.

        >>> why_not_int8(Path("/nowhere"))
        'int8 not built (run `station models quantize`)'
    """
    problem = models.check_int8(folder)
    if problem is None:
        return None
    if problem.reason == "missing":
        return "int8 not built (run `station models quantize`)"
    return f"int8 not verified ({problem}; run `station models quantize` again)"


def timing_frame() -> tuple[np.ndarray, Any]:
    """The frame and ROI every timing uses (see the module docstring for why not a photo)."""
    from station.pose.roi import Roi

    height, width = FRAME_SIZE
    rgb = np.random.default_rng(25).integers(0, 256, (height, width, 3), dtype=np.uint8)
    side = float(height)
    return rgb, Roi(width / 2, height / 2, side, 0.0, side / 1.25)


def time_models(folder: Path, threads: int, names: list[str], *, frames: int = FRAMES,
                warmup: int = WARMUP, budget_s: float = BUDGET_S,
                warmup_budget_s: float = WARMUP_BUDGET_S) -> dict[str, float]:
    """Median ms of a landmark step for each model in ``names`` (keys of models.POSE_MODELS),
    loaded as the station loads them (without the segmentation decoder), rounds interleaved;
    also ``"rounds"``, how many timed rounds fitted in the budget (see BUDGET_S)."""
    from station.pose.landmarker import Landmarker

    rgb, roi = timing_frame()
    engines = {name: Landmarker(folder / models.POSE_MODELS[name].name, threads, segmentation=False)
               for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}
    start = time.perf_counter()
    for _ in range(warmup):
        for engine in engines.values():
            engine.run(rgb, roi)
        if time.perf_counter() - start > warmup_budget_s:
            break
    start = time.perf_counter()
    for i in range(frames):
        for name, engine in engines.items():
            t0 = time.perf_counter()
            engine.run(rgb, roi)
            samples[name].append((time.perf_counter() - t0) * 1000)
        if i + 1 >= MIN_FRAMES and time.perf_counter() - start > budget_s:
            break
    medians = {name: round(statistics.median(v), 3) for name, v in samples.items()}
    return {**medians, "rounds": float(len(samples[names[0]]))}


def fingerprint(folder: Path) -> dict[str, str | None]:
    """The sha256 of each landmark model in ``folder`` (None: absent): a choice is for these bytes."""
    out: dict[str, str | None] = {}
    for name, model in models.POSE_MODELS.items():
        path = folder / model.name
        out[name] = models.sha256_of(path) if path.is_file() else None
    return out


def choose_model(data_dir: Path, threads: int, *, folder: Path | None = None,
                 frames: int = FRAMES, int8_unusable: str | None = None) -> dict[str, Any]:
    """Time both landmark models on this CPU, pick the faster, save the choice; the saved document.

    The public entry for the bring-up page and first start. ``data_dir`` is the station's data
    folder (the document goes there), ``folder`` the models folder (default: the data folder's).
    The int8 model is timed only when it is there and verified (models.check_int8); otherwise the
    choice is float, "int8 not built". Raises :class:`station.pose.models.ModelError` when the
    float model or the runtime is not usable. Takes seconds on a Pi and competes with a running
    loop for the CPU: a station that is coaching measures itself a little slow.
    ``int8_unusable``: why the int8 model must not be timed although it is there (it failed the
    station's preflight), so the float model is chosen.
    """
    from station.config.paths import models_dir

    folder = Path(folder) if folder is not None else models_dir(data_dir)
    models.require(folder, FLOAT)  # the float model and the detector are there and verified
    why = why_not_int8(folder) or (f"int8 cannot run here ({int8_unusable})" if int8_unusable else None)
    names = [FLOAT] if why is not None else [FLOAT, INT8]
    started = time.time()
    try:
        medians = time_models(folder, threads, names, frames=frames)
    except ValueError as exc:  # the runtime could not read a model file
        raise models.ModelError(f"a model could not be loaded ({exc}); run `station models fetch`") from exc
    int8_ms = medians.get(INT8)
    model, reason = pick(medians[FLOAT], int8_ms, *([why] if why else []))
    choice: dict[str, Any] = {
        "model": model, "reason": reason, "float_ms": medians[FLOAT], "int8_ms": int8_ms,
        "frames": int(medians.get("rounds", frames)), "warmup": WARMUP, "threads": threads,
        "measured_at": round(started, 3),
        "took_s": round(time.time() - started, 2), "hashes": fingerprint(folder),
    }
    documents.write(Path(data_dir), DOCUMENT, choice)
    log.info("pose model chosen: %s (%s)", model, reason)
    return choice


def saved_choice(data_dir: Path, threads: int, folder: Path | None = None) -> dict[str, Any] | None:
    """The saved choice when it still holds: measured with ``threads`` threads on the models now in
    ``folder``, and naming a model that is usable now; None otherwise (measure again)."""
    from station.config.paths import models_dir

    folder = Path(folder) if folder is not None else models_dir(data_dir)
    choice = documents.read(Path(data_dir), DOCUMENT)
    if choice is None or choice.get("threads") != threads or choice.get("model") not in (FLOAT, INT8):
        return None
    if choice.get("hashes") != fingerprint(folder):
        return None
    if choice["model"] == INT8 and models.check_int8(folder) is not None:
        return None
    return choice


class AutoModel:
    """The landmark model a station uses, and what the health page says of it.

    ``setting`` is the pose_model setting (or ``--model``); with ``auto`` :meth:`resolve` reads
    the saved choice or (``measure``) measures. Written on the loop's thread while the engine loads;
    the web threads read :meth:`health`, whole values replaced, never changed in place.
    """

    def __init__(self, data_dir: Path, threads: int, setting: str, folder: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.threads = threads
        self.setting = setting
        self.folder = folder
        self.state = "waiting"  # waiting, measuring, chosen (auto), set (an explicit model), failed
        self.model: str | None = None  # the model resolved for the engine
        self.choice: dict[str, Any] | None = None
        self.checked: set[str] = set()

    def _folder(self) -> Path:
        from station.config.paths import models_dir

        return Path(self.folder) if self.folder is not None else models_dir(self.data_dir)

    def resolve(self, measure: bool = True, check: Callable[[str], None] | None = None) -> str:
        """The model to load. ``auto``: the saved choice when it holds; else measure (``measure``),
        or the float model without measuring (one-off commands, which should not spend seconds).
        ``check(model)`` runs before a model is timed (the live station's preflight in a child:
        a native crash while timing would take the station down); a ModelError from it stops the
        choice for the float model, and only excludes the int8 one. :attr:`checked` lists the
        models it passed."""
        if self.setting != AUTO:
            self.model, self.state = self.setting, "set"
            self.choice = documents.read(self.data_dir, DOCUMENT)
            return self.setting
        choice = saved_choice(self.data_dir, self.threads, self.folder)
        if choice is None and measure:
            self.state = "measuring"
            try:
                unusable = None
                if check is not None:
                    check(FLOAT)
                    self.checked.add(FLOAT)
                    if models.check_int8(self._folder()) is None:
                        try:
                            check(INT8)
                            self.checked.add(INT8)
                        except models.ModelError as exc:
                            unusable = str(exc)
                choice = choose_model(self.data_dir, self.threads, folder=self.folder,
                                      int8_unusable=unusable)
            except Exception:
                self.state = "failed"
                raise
        self.choice = choice
        self.model = choice["model"] if choice is not None else FLOAT
        self.state = "chosen"
        return self.model

    def health(self) -> dict[str, Any]:
        """``pose_model`` for the health dict: the setting, the state, the model, the figures.
        A choice measured again since the engine loaded (the bring-up page calls
        :func:`choose_model`) is shown with its figures and ``restart_to``: the running engine
        keeps its model until the station restarts."""
        choice = self.choice
        restart_to = None
        if self.state in ("chosen", "set"):
            newest = documents.read(self.data_dir, DOCUMENT)  # a few hundred bytes, per page refresh
            if newest is not None and choice is not None and newest.get("measured_at") != choice.get(
                    "measured_at"):
                choice = newest
                if self.setting == AUTO and newest.get("model") != self.model:
                    restart_to = newest.get("model")
        return {"pose_model": {
            "setting": self.setting, "state": self.state, "model": self.model, "restart_to": restart_to,
            "float_ms": choice.get("float_ms") if choice else None,
            "int8_ms": choice.get("int8_ms") if choice else None,
            "reason": choice.get("reason") if choice else None,
            "threads": choice.get("threads") if choice else None,
            "measured_at": choice.get("measured_at") if choice else None,
        }}


def words(p: dict[str, Any]) -> str:
    """The health page's line for :meth:`AutoModel.health`'s ``pose_model``.

        >>> words({"setting": "auto", "state": "measuring"})
        'measuring float and int8 on this CPU'
        >>> words({"setting": "auto", "state": "chosen", "model": "full_int8", "float_ms": 30.04,
        ...        "int8_ms": 20.0, "reason": "int8 is faster on this CPU", "threads": 4})
        'int8 (auto: int8 is faster on this CPU; float 30.0 ms, int8 20.0 ms, 4 threads)'
        >>> words({"setting": "full", "state": "set", "model": "full"})
        'float (set in settings)'
    """
    names: dict[str | None, str] = {FLOAT: "float", INT8: "int8"}
    state = p.get("state")
    if state == "measuring":
        return "measuring float and int8 on this CPU"
    if state == "waiting":
        return f"{p.get('setting')}: chosen when the pose engine first loads"
    if state == "failed":
        return "could not be measured: see the errors below"
    figures = []
    if p.get("float_ms") is not None:
        figures.append(f"float {p['float_ms']:.1f} ms")
    if p.get("int8_ms") is not None:
        figures.append(f"int8 {p['int8_ms']:.1f} ms")
    if figures and p.get("threads"):
        figures.append(f"{p['threads']} threads")
    model = names.get(p.get("model"), str(p.get("model")))
    if p.get("setting") == AUTO:
        why = p.get("reason") or "not measured yet, the float model"
        line = f"{model} (auto: {why}" + (f"; {', '.join(figures)})" if figures else ")")
        if p.get("restart_to"):
            line += f"; measured again: {names.get(p['restart_to'], p['restart_to'])} after a restart"
        return line
    return f"{model} (set in settings" + (f"; measured: {', '.join(figures)})" if figures else ")")

