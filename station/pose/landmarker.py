"""Stage 2: 39 landmarks inside a rotated ROI with ``pose_landmark_full.tflite``."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from station.pose import interpreter as tfl
from station.pose.roi import Roi
from station.pose.silhouette import Silhouette

INPUT_SIZE = 256
NUM_OUTPUT_LANDMARKS = 39
HEATMAP_SIZE = 64
REFINE_KERNEL = 7
REFINE_MIN_CONFIDENCE = 0.5

# A float32 scalar keeps the uint8 -> float conversion in float32 (no float64 detour).
_SCALE = np.float32(1.0 / 255.0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, written with tanh so that large logits cannot overflow."""
    return 0.5 + 0.5 * np.tanh(0.5 * x)


@dataclass(frozen=True)
class StageTimes:
    """Milliseconds of one :meth:`Landmarker.run`: the crop into the input tensor, the model,
    and decoding its outputs. ``station bench`` reports them to show where the time outside
    the model goes."""

    crop: float = 0.0
    model: float = 0.0
    decode: float = 0.0


@dataclass(frozen=True)
class RawLandmarks:
    """The model's answer for one ROI, already projected back to frame pixels."""

    xy: np.ndarray  # (39, 2) pixels
    z: np.ndarray  # (39,) at the scale of x
    visibility: np.ndarray  # (39,)
    presence: np.ndarray  # (39,)
    world: np.ndarray  # (39, 3) metres
    flag: float  # probability that a pose is there


def _window(kernel: int, size: int, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """For a kernel x kernel window in a (size, size, channels) map, row-major cell by cell:
    each cell's offset in the flattened map, and a (cells, 3) matrix of 1, column offset and
    row offset (one product gives the weights' sum and both weighted offsets)."""
    d = np.arange(kernel) - kernel // 2
    rows, cols = (a.ravel() for a in np.meshgrid(d, d, indexing="ij"))
    return (rows * size + cols) * channels, np.stack([np.ones(rows.size), cols, rows], axis=1)


_CELL_OFFSETS, _WEIGHTS = _window(REFINE_KERNEL, HEATMAP_SIZE, NUM_OUTPUT_LANDMARKS)
_HALF = REFINE_KERNEL // 2


def refine_from_heatmap(xy: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """Replace each normalised (x, y) by the confidence-weighted mean of a 7x7 heatmap window.

    MediaPipe's RefineLandmarksFromHeatmap: the window is centred on ``int(x * 64)``,
    ``int(y * 64)``, cut at the heatmap's edges; a landmark whose centre lies off the map
    (MediaPipe checks the column both ways, the row only above), or whose window never reaches
    0.5, keeps its regressed position. One gather and one small matrix product for all
    landmarks: this runs on every frame.
    """
    n = xy.shape[0]
    size, channels = heatmap.shape[0], heatmap.shape[2]
    centre = (xy * size).astype(np.intp)  # truncation toward zero, as the C++ int cast
    if (size, channels) != (HEATMAP_SIZE, NUM_OUTPUT_LANDMARKS) or not (
        centre.min() >= _HALF and centre.max() < size - _HALF
    ):
        return _refine_at_edges(xy, heatmap, centre)
    base = (centre[:, 1] * size + centre[:, 0]) * channels + np.arange(n)
    conf = heatmap.reshape(-1)[base[:, None] + _CELL_OFFSETS]  # (n, 49) logits
    conf = _sigmoid(conf)
    sums = conf @ _WEIGHTS  # (n, 3): total, sum of column offsets, sum of row offsets
    refine = conf.max(axis=1) >= REFINE_MIN_CONFIDENCE  # implies a total of at least 0.5
    moved = (centre + sums[:, 1:] / np.maximum(sums[:, :1], 1e-12)) * (1.0 / size)
    return np.where(refine[:, None], moved, xy)


def _refine_at_edges(xy: np.ndarray, heatmap: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """The same, for windows that the heatmap's edges cut (cells off the map weigh nothing)."""
    n = xy.shape[0]
    size, channels = heatmap.shape[0], heatmap.shape[2]
    offsets = np.arange(REFINE_KERNEL) - _HALF
    cols = centre[:, 0, None] + offsets  # (n, 7)
    rows = centre[:, 1, None] + offsets
    inside = ((rows >= 0) & (rows < size))[:, :, None] & ((cols >= 0) & (cols < size))[:, None, :]
    rows, cols = np.clip(rows, 0, size - 1), np.clip(cols, 0, size - 1)
    flat = (rows[:, :, None] * size + cols[:, None, :]) * channels + np.arange(n)[:, None, None]
    conf = (_sigmoid(heatmap.reshape(-1)[flat]) * inside).reshape(n, -1)
    sums = conf @ _WEIGHTS  # the weights do not depend on the map's size
    refine = (conf.max(axis=1) >= REFINE_MIN_CONFIDENCE) & (sums[:, 0] > 0)
    # MediaPipe's own check (it tests the column both ways, never the row's far edge).
    refine &= (centre[:, 0] >= 0) & (centre[:, 0] < size) & (centre[:, 1] >= 0)
    moved = (centre + sums[:, 1:] / np.maximum(sums[:, :1], 1e-12)) / size
    return np.where(refine[:, None], moved, xy)


def warp_roi(rgb: np.ndarray, roi: Roi, dst: np.ndarray | None = None) -> np.ndarray:
    """The ROI of an RGB frame as the model's 256x256 uint8 input image (edges replicated).
    The int8 build's calibration crops come from here too, so they are the engine's own."""
    return cv2.warpAffine(
        rgb, roi.matrix_from(INPUT_SIZE), (INPUT_SIZE, INPUT_SIZE), dst=dst,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE,
    )


def input_tensor(image: np.ndarray) -> np.ndarray:
    """A (256, 256, 3) uint8 crop as the model's (1, 256, 256, 3) float32 input in [0, 1]."""
    return np.multiply(image, _SCALE, dtype=np.float32)[None]


SEGMENTATION_SHAPE = (1, INPUT_SIZE, INPUT_SIZE, 1)


def load_model(model_path: Path, threads: int, segmentation: bool = True) -> tuple[Any, Path | None]:
    """The landmark model's interpreter, and the file it maps (None: it runs from memory); without
    ``segmentation`` the mask's decoder is cut out of the graph first
    (:func:`station.pose.rewrite.without_outputs`: the landmarks are the same numbers, the invoke
    about 40 % shorter). The station's tracking never reads the mask; only the silhouette
    (``station analyze``'s back shape) does. The cut model is kept as a file beside the model
    (:func:`tracking_file`), so its pages are a file's the kernel can take back (pose/pages.py),
    not 6 MB of the process's own memory."""
    if segmentation:
        return tfl.load(model_path, threads), model_path
    try:
        from station.pose import rewrite

        tracking = rewrite.without_outputs(model_path.read_bytes(), {SEGMENTATION_SHAPE})
    except ImportError as exc:  # flatbuffers comes with ai-edge-litert; a broken install still tracks
        tfl.log.warning("tracking with the whole landmark model, mask decoder too (%s)", exc)
        return tfl.load(model_path, threads), model_path
    kept = tracking_file(model_path, tracking)
    if kept is None:  # a read-only model folder: from memory, as before
        return tfl.load(model_path, threads, tracking), None
    del tracking
    return tfl.load(kept, threads), kept


def tracking_file(model_path: Path, content: bytes) -> Path | None:
    """``content`` (the cut model) as a file beside ``model_path``, written only when it is not
    there already with these very bytes (atomically: a rename); None when the folder is read-only.

        >>> import tempfile; folder = Path(tempfile.mkdtemp())
        >>> kept = tracking_file(folder / "m.tflite", b"cut")
        >>> kept.name, kept.read_bytes(), tracking_file(folder / "m.tflite", b"cut") == kept
        ('m.tracking.tflite', b'cut', True)
    """
    target = model_path.with_name(f"{model_path.stem}.tracking.tflite")
    try:
        if target.stat().st_size == len(content) and target.read_bytes() == content:
            return target
    except OSError:
        pass
    spare = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        spare.write_bytes(content)
        os.replace(spare, target)
    except OSError:
        spare.unlink(missing_ok=True)
        return None
    return target


class Landmarker:
    """Runs the landmark model on one ROI of an RGB frame.

        landmarker = Landmarker(model_path, threads=2)
        raw = landmarker.run(rgb_frame, roi)

    ``segmentation=False`` runs the model without its segmentation decoder (faster, and
    :meth:`silhouette` is then None).
    """

    def __init__(self, model_path: Path, threads: int = 2, refine: bool = True,
                 segmentation: bool = True) -> None:
        self.interpreter, self.model_file = load_model(model_path, threads, segmentation)
        self.refine = refine
        self._input = self.interpreter.get_input_details()[0]["index"]
        by_shape = tfl.outputs_by_shape(self.interpreter)
        self._landmarks = by_shape[(1, NUM_OUTPUT_LANDMARKS * 5)]
        self._flag = by_shape[(1, 1)]
        self._heatmap = by_shape[(1, HEATMAP_SIZE, HEATMAP_SIZE, NUM_OUTPUT_LANDMARKS)]
        self._world = by_shape[(1, NUM_OUTPUT_LANDMARKS * 3)]
        self._segmentation = by_shape.get(SEGMENTATION_SHAPE)
        self._last_roi: Roi | None = None
        self._buffer = np.empty((INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
        self.stage_times = StageTimes()

    def _prepare(self, rgb: np.ndarray, roi: Roi) -> None:
        warp_roi(rgb, roi, self._buffer)
        view = self.interpreter.tensor(self._input)()
        np.multiply(self._buffer, _SCALE, out=view[0], casting="unsafe")
        del view  # the interpreter refuses to run while a view of its memory is alive

    def invoke(self) -> None:
        self.interpreter.invoke()

    def silhouette(self) -> Silhouette | None:
        """The person's silhouette from the last :meth:`run` (decoded only when asked)."""
        if self._last_roi is None or self._segmentation is None:
            return None
        logits = self.interpreter.get_tensor(self._segmentation)[0, :, :, 0]
        return Silhouette(_sigmoid(logits.astype(np.float32)), self._last_roi)

    def run(self, rgb: np.ndarray, roi: Roi) -> RawLandmarks:
        # Every numpy call here costs a few microseconds more than usual: the invoke before it
        # has pushed this code out of the caches. The post-processing is kept to few calls.
        t0 = time.perf_counter()
        self._prepare(rgb, roi)
        t1 = time.perf_counter()
        self.interpreter.invoke()
        t2 = time.perf_counter()
        flag = float(self.interpreter.get_tensor(self._flag)[0, 0])
        raw = self.interpreter.get_tensor(self._landmarks).reshape(NUM_OUTPUT_LANDMARKS, 5)
        norm = raw[:, :2] * (1.0 / INPUT_SIZE)
        if self.refine:
            heatmap = self.interpreter.tensor(self._heatmap)()[0]
            norm = refine_from_heatmap(norm, heatmap)
            del heatmap
        xy = roi.project(norm)
        z = raw[:, 2] * (roi.side / INPUT_SIZE)
        scores = _sigmoid(raw[:, 3:5])  # visibility and presence
        world = self.interpreter.get_tensor(self._world).reshape(NUM_OUTPUT_LANDMARKS, 3)
        # Rotate as the ROI is rotated (its matrix without the scale by the side).
        world[:, :2] = world[:, :2] @ (roi.to_frame[:2] * (1.0 / roi.side))
        t3 = time.perf_counter()
        self._last_roi = roi
        self.stage_times = StageTimes((t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000)
        return RawLandmarks(xy, z, scores[:, 0], scores[:, 1], world, flag)
