"""A rendered corpus with the renderer's own dowel in every frame: the coach's spine rules judged
as if the dowel finder never missed, independent of how well it sees the rendered dowel.

    python -m tools.render truth-dowel tests/data/rendered /tmp/rendered-truth-dowel
    station evaluate /tmp/rendered-truth-dowel
    python -m tools.render truth-dowel --none tests/data/rendered /tmp/rendered-no-dowel

Each ``NAME.jsonl`` listed in ``SRC/labels.json`` is copied with its frames' ``dowel`` set to the
truth's ``dowel_px`` (the dowel's two ends in image pixels, top end first as the finder writes
them), or with ``--none`` removed from every frame (the coach on the landmarks alone); the labels
and truth files are copied as they are.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tools.render.label import per_frame


def with_truth_dowel(lines: list[str], truth: dict, *, seen: bool = True) -> list[str]:
    """The stream's lines with each frame's dowel from the truth (frames in the same order), or
    with no dowel at all when not ``seen`` (the landmarks alone).

        >>> out = with_truth_dowel(['{"t":0,"landmarks":null}'], {"frames": [{"dowel_px": [[1, 9], [2, 1]]}]})
        >>> json.loads(out[0])["dowel"]
        [[2, 1], [1, 9]]
    """
    def dowel(frame: dict, f: dict) -> None:
        ends = f.get("dowel_px") if seen else None
        if ends is None:
            frame.pop("dowel", None)
        else:
            frame["dowel"] = sorted(ends, key=lambda p: p[1])  # top end first, as the finder writes it

    return per_frame(lines, truth, dowel)


def copy_with_truth_dowel(src: Path, dst: Path, *, seen: bool = True) -> Path:
    """Copy the labelled corpus ``src`` to ``dst`` with the truth's dowel in every stream frame (or,
    not ``seen``, no dowel in any); ``dst/labels.json``."""
    dst.mkdir(parents=True, exist_ok=True)
    labels = json.loads((src / "labels.json").read_text(encoding="utf-8"))
    for item in labels["recordings"]:
        name, file = item["name"], item["file"]
        truth_file = src / f"{name}.truth.json"
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        lines = (src / file).read_text(encoding="utf-8").splitlines()
        try:
            out = with_truth_dowel(lines, truth, seen=seen)
        except ValueError as exc:
            raise ValueError(f"{src / file}: {exc}") from None
        (dst / file).write_text("\n".join(out) + "\n", encoding="utf-8")
        shutil.copyfile(truth_file, dst / truth_file.name)
    shutil.copyfile(src / "labels.json", dst / "labels.json")
    return dst / "labels.json"
