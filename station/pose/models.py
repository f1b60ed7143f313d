"""The two BlazePose model files: where they come from, how they are checked.

The mediapipe 0.10.14 wheel on PyPI is the last that carries the .tflite files
(``../shared/docs/blazepose.md``). ``fetch`` asks pip for that wheel (the only
network access), takes the two members out of the zip, checks their sha256 and
stores them in the data directory::

    >>> from station.pose.models import check
    >>> problems = check(Path("/nonexistent"))
    >>> [p.name for p in problems]
    ['pose_detection.tflite', 'pose_landmark_full.tflite']
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MEDIAPIPE_VERSION = "0.10.14"
# Any platform's wheel carries the same model bytes; one fixed wheel keeps the download the same
# on a Pi, a laptop and CI.
WHEEL_PLATFORM = "manylinux_2_17_x86_64"
WHEEL_PYTHON = "3.11"


@dataclass(frozen=True)
class ModelFile:
    """One model file: its name, where it sits in the wheel and its sha256."""

    name: str
    member: str
    sha256: str


DETECTOR = ModelFile(
    "pose_detection.tflite",
    "mediapipe/modules/pose_detection/pose_detection.tflite",
    "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
)
LANDMARKER = ModelFile(
    "pose_landmark_full.tflite",
    "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
    "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
)
MODELS = (DETECTOR, LANDMARKER)
# Not in the wheel: built here from LANDMARKER by `station models quantize` (station/int8/quantize.py),
# deterministically. The sha256 is what the locked toolchain (requirements/quantize.txt: OpenCV,
# ai-edge-quantizer, ai-edge-litert, numpy at their locked versions) builds; other versions build
# other bytes, which station/int8/gate.py must accept first. Optional: without it the
# station runs the float model.
LANDMARKER_INT8 = ModelFile(
    "pose_landmark_full_int8.tflite",
    "built from pose_landmark_full.tflite by `station models quantize`",
    "281b1f55b5860a6269797de11e28f8ec95aab3eeb6d095e104f4580ccebb2916",
)
# Beside an int8 model whose bytes are not the recorded ones: its sha256 and the agreement gate's
# figures (or that it was forced), written when it was installed. A model that matches neither
# the recorded sha256 nor this record is corrupt.
ACCEPTED_SUFFIX = ".accepted.json"
# The landmark model each of the `pose_model` setting's models loads (its choice `auto` resolves to
# one of these: station/runtime/model_choice.py).
POSE_MODELS = {"full": LANDMARKER, "full_int8": LANDMARKER_INT8}

FIX_HINT = "run `station models fetch` (or `station models fetch --wheel FILE` offline)"
INT8_HINT = "run `station models quantize` (or choose pose_model = full)"


class ModelError(RuntimeError):
    """A model file is missing or corrupt, or could not be fetched. The message says how to fix it."""


@dataclass(frozen=True)
class Problem:
    name: str
    path: Path
    reason: str  # "missing" or "corrupt"

    def __str__(self) -> str:
        return f"{self.name} is {self.reason} at {self.path}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check(folder: Path) -> list[Problem]:
    """Every model file that is missing or whose sha256 is wrong (an empty list when all is well)."""
    problems = []
    for model in MODELS:
        path = folder / model.name
        if not path.is_file():
            problems.append(Problem(model.name, path, "missing"))
        elif sha256_of(path) != model.sha256:
            problems.append(Problem(model.name, path, "corrupt"))
    return problems


def accepted_record(folder: Path) -> Path:
    """Where the record of an accepted int8 build that is not the recorded one is kept."""
    return folder / (LANDMARKER_INT8.name + ACCEPTED_SUFFIX)


def accepted_sha256(folder: Path) -> str | None:
    """The sha256 an accepted record in ``folder`` vouches for, or None (no record, unreadable)."""
    import json

    try:
        record = json.loads(accepted_record(folder).read_text())
    except (OSError, ValueError):
        return None
    digest = record.get("sha256") if isinstance(record, dict) else None
    return digest if isinstance(digest, str) else None


def check_int8(folder: Path) -> Problem | None:
    """What is wrong with the int8 landmark model, or None when it is there and verified: its
    sha256 is the recorded one, or the one its accepted record names."""
    path = folder / LANDMARKER_INT8.name
    if not path.is_file():
        return Problem(LANDMARKER_INT8.name, path, "missing")
    digest = sha256_of(path)
    if digest != LANDMARKER_INT8.sha256 and digest != accepted_sha256(folder):
        return Problem(LANDMARKER_INT8.name, path, "corrupt")
    return None


def require(folder: Path, pose_model: str = "full") -> tuple[Path, Path]:
    """The paths of the detector and landmark models (``pose_model``: a key of
    :data:`POSE_MODELS`), or a ModelError that says how to fix them."""
    if pose_model not in POSE_MODELS:
        raise ModelError(f"unknown pose model {pose_model!r}: choose one of {', '.join(POSE_MODELS)}")
    problems = check(folder)
    if problems:
        raise ModelError("; ".join(map(str, problems)) + f": {FIX_HINT}")
    if pose_model == "full_int8" and (problem := check_int8(folder)) is not None:
        raise ModelError(f"{problem}: {INT8_HINT}")
    return folder / DETECTOR.name, folder / POSE_MODELS[pose_model].name


def download_wheel(dest: Path, *, quiet: bool = False) -> Path:
    """Ask pip for the mediapipe wheel; pip shows its own progress bar."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--platform", WHEEL_PLATFORM, "--python-version", WHEEL_PYTHON,
        "--implementation", "cp", "--dest", str(dest), f"mediapipe=={MEDIAPIPE_VERSION}",
    ]
    if quiet:
        cmd.insert(4, "--quiet")
    result = subprocess.run(cmd, stdout=None if not quiet else subprocess.DEVNULL)
    if result.returncode != 0:
        raise ModelError(
            f"pip could not download mediapipe=={MEDIAPIPE_VERSION} (exit {result.returncode}); "
            "check the network, or download the wheel elsewhere and pass --wheel FILE"
        )
    wheels = sorted(dest.glob(f"mediapipe-{MEDIAPIPE_VERSION}-*.whl"))
    if not wheels:
        raise ModelError(f"pip reported success but left no mediapipe wheel in {dest}")
    return wheels[0]


def extract(wheel: Path, folder: Path, progress: Callable[[str], None] = lambda _: None) -> None:
    """Take the model files out of the wheel, verify them, and move them into place atomically."""
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{wheel} is not a readable wheel: {exc}") from exc
    folder.mkdir(parents=True, exist_ok=True)
    with archive:
        for model in MODELS:
            target = folder / model.name
            if target.is_file() and sha256_of(target) == model.sha256:
                progress(f"{model.name}: already there and verified")
                continue
            try:
                data = archive.read(model.member)
            except KeyError:
                raise ModelError(
                    f"{wheel} has no {model.member}; is it mediapipe {MEDIAPIPE_VERSION}?"
                ) from None
            actual = hashlib.sha256(data).hexdigest()
            if actual != model.sha256:
                raise ModelError(
                    f"{model.member} in {wheel} has sha256 {actual}, expected {model.sha256}"
                )
            # Write beside the target and rename: a crash never leaves half a model behind.
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{model.name}.")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
            progress(f"{model.name}: {len(data) / 1e6:.1f} MB, sha256 verified")


def fetch(
    folder: Path,
    wheel: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
    quiet: bool = False,
) -> None:
    """Make sure both models are in ``folder`` and verified; download only what is needed."""
    if not check(folder):
        progress(f"models already there and verified in {folder}")
        return
    if wheel is not None:
        if not wheel.is_file():
            raise ModelError(f"no such wheel: {wheel}")
        extract(wheel, folder, progress)
        return
    with tempfile.TemporaryDirectory(prefix="station-models-") as tmp:
        progress(f"downloading mediapipe=={MEDIAPIPE_VERSION} through pip (about 35 MB)")
        extract(download_wheel(Path(tmp), quiet=quiet), folder, progress)
