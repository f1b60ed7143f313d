"""Loading a .tflite model with LiteRT (ai-edge-litert).

There is no tflite-runtime fall-back: its last release (2.14) has no wheel for Python 3.13
(Trixie) and fails with numpy 2, so it could only ever have hidden the real problem.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class RuntimeMissing(RuntimeError):
    """LiteRT is not installed (or cannot be loaded)."""


def interpreter_class() -> Any:
    """LiteRT's Interpreter class."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as exc:
        raise RuntimeMissing(
            f"no TFLite runtime: install ai-edge-litert (pip install ai-edge-litert) ({exc})"
        ) from None
    return Interpreter


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence the runtime's C++ banner ("Created TensorFlow Lite XNNPACK delegate") on fd 2."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def load(path: Path, threads: int) -> Any:
    """An interpreter for ``path`` with tensors allocated, running on ``threads`` threads."""
    cls = interpreter_class()
    with _quiet_stderr():
        interpreter = cls(model_path=str(path), num_threads=max(1, threads))
        interpreter.allocate_tensors()
    return interpreter


def outputs_by_shape(interpreter: Any) -> dict[tuple[int, ...], int]:
    """Output tensor indices keyed by shape: the models' outputs are told apart by shape."""
    return {tuple(d["shape"]): d["index"] for d in interpreter.get_output_details()}
