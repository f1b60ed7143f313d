"""Loading a .tflite model with LiteRT (ai-edge-litert).

There is no tflite-runtime fall-back: its last release (2.14) has no wheel for Python 3.13
(Trixie) and fails with numpy 2, so it could only ever have hidden the real problem.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("station.pose")


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


# The runtime's banners, said on every load; anything else it prints on fd 2 (e.g. XNNPACK's
# cpuinfo failing to read /proc/cpuinfo in a sandbox) is passed on to the log.
BANNERS = ("Created TensorFlow Lite XNNPACK delegate", "INFO: Initialized TensorFlow Lite runtime")


@contextlib.contextmanager
def _runtime_stderr(said: list[str]) -> Iterator[None]:
    """Collect what the runtime's C++ writes on fd 2 into ``said`` instead of the terminal."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    with tempfile.TemporaryFile() as sink:
        try:
            os.dup2(sink.fileno(), 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            said.extend(sink.read().decode(errors="replace").splitlines())


def load(path: Path, threads: int, content: bytes | None = None) -> Any:
    """An interpreter for ``path`` with tensors allocated, running on ``threads`` threads;
    ``content``: the model's bytes as rewritten in memory (``path`` then only names it)."""
    cls = interpreter_class()
    said: list[str] = []
    with _runtime_stderr(said):
        if content is None:
            interpreter = cls(model_path=str(path), num_threads=max(1, threads))
        else:
            interpreter = cls(model_content=content, num_threads=max(1, threads))
        interpreter.allocate_tensors()
    for line in said:
        if line.strip() and not any(banner in line for banner in BANNERS):
            log.warning("LiteRT (%s): %s", path.name, line.strip())
    return interpreter


def outputs_by_shape(interpreter: Any) -> dict[tuple[int, ...], int]:
    """Output tensor indices keyed by shape: the models' outputs are told apart by shape."""
    return {tuple(d["shape"]): d["index"] for d in interpreter.get_output_details()}
