#!/usr/bin/env python3
"""``make lock``: refresh the dependency locks in ``requirements/`` and print what changed.

Each target is one place the station is installed, resolved by uv's ``pip compile`` (uv resolves
for a platform and Python other than the one it runs on, which pip-tools cannot; see
``requirements/README.md``), with the sha256 of every file, so pip installs them with
``--require-hashes``::

    .venv/bin/python tools/lock.py            # every target
    .venv/bin/python tools/lock.py pi-trixie  # one
    .venv/bin/python tools/lock.py --check    # exit 1 when pyproject.toml asks for what a lock lacks

A Pi keeps Debian's numpy (picamera2's simplejpeg is built against it), so its locks are
resolved against that exact version and leave numpy out: the venv sees the system's.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "requirements"
BUILD = "requirements/build.in"  # the build backend, locked too (installs use --no-build-isolation)
BOUNDS = "requirements/constraints.in"  # bounds every lock keeps, each with its reason


@dataclass(frozen=True)
class Target:
    """One lock: what it holds and for which machine."""

    name: str
    purpose: str
    extras: tuple[str, ...] = ()
    # uv's --python-platform and --python-version; no platform: a universal lock (every platform,
    # every Python from the version on), as a developer's machine may be any.
    platform: str | None = None
    python: str = "3.11"
    system_numpy: str | None = None  # Debian's numpy on that system: resolved against, not installed
    constraints: tuple[str, ...] = ()  # other locks whose pins this one keeps
    only: tuple[str, ...] = ()  # a lock of just these packages (and what they need)
    extra_args: tuple[str, ...] = field(default=())

    @property
    def path(self) -> Path:
        return LOCKS / f"{self.name}.txt"


TARGETS = (
    Target("dev", "development and CI: the station, its tests and tools (any platform, Python 3.11+)",
           extras=("dev",)),
    Target("quantize", "`station models quantize` (the int8 build), on top of dev's pins",
           extras=("dev", "quantize"), constraints=("requirements/dev.txt",)),
    Target("station", "the station alone where no numpy comes with the system (an amd64 Debian root, "
           "any Python 3.11+)"),
    # Raspberry Pi OS Bookworm: CPython 3.11 and python3-numpy 1.24.2 (Debian 12's version).
    Target("pi-bookworm", "Raspberry Pi OS Bookworm: aarch64, CPython 3.11, Debian's numpy 1.24.2",
           platform="aarch64-manylinux_2_36", python="3.11", system_numpy="1.24.2"),
    # Raspberry Pi OS Trixie: CPython 3.13 and python3-numpy 2.2.4 (Debian 13's version).
    Target("pi-trixie", "Raspberry Pi OS Trixie: aarch64, CPython 3.13, Debian's numpy 2.2.4",
           platform="aarch64-manylinux_2_36", python="3.13", system_numpy="2.2.4"),
    # lgpio from PyPI, only where apt has none (install.sh prefers python3-lgpio, built for the
    # system); PyPI has a wheel for CPython 3.11 on aarch64 only (none for 3.13).
    # MediaPipe 0.10.14's own environment, for benchmarks/mediapipe_compare.py (and its smoke test in
    # CI): never the station's. Its wheels need numpy 1 and an OpenCV built for it.
    Target("mediapipe", "MediaPipe 0.10.14 beside the station, for benchmarks/mediapipe_compare.py only "
           "(x86_64, CPython 3.11)", platform="x86_64-manylinux_2_28", python="3.11",
           only=("mediapipe==0.10.14", "numpy<2", "opencv-python-headless<4.11")),
    # The drill renderer's own environment (tools/render): bpy 5.0 (cp311 wheels, numpy 1.26) and
    # the station beside it, so one venv renders, records and labels.
    Target("render", "the drill renderer, tools/render (`make render-corpus`): bpy on x86_64, CPython 3.11",
           extras=("render",), platform="x86_64-manylinux_2_28", python="3.11"),
    Target("pi-lgpio", "lgpio from PyPI for a Bookworm without python3-lgpio: aarch64, CPython 3.11",
           platform="aarch64-manylinux_2_36", python="3.11", only=("lgpio",)),
)

_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$")


def pins(path: Path) -> dict[str, str]:
    """``{name [; marker]: version}`` of a lock file (empty when it does not exist)."""
    out: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if m := _PIN.match(line):
                key = m[1].lower() + (f" ; {m[3]}" if m[3] else "")
                out[key] = m[2]
    return out


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What a refresh changed, a line each: ``name 1.0 -> 1.1``, ``+ name 2.0``, ``- name 1.0``.

    >>> changes({"a": "1", "b": "2"}, {"a": "1.1", "c": "3"})
    ['a 1 -> 1.1', '+ c 3', '- b 2']
    """
    lines = [f"{k} {before[k]} -> {after[k]}" for k in sorted(before.keys() & after.keys())
             if before[k] != after[k]]
    lines += [f"+ {k} {after[k]}" for k in sorted(after.keys() - before.keys())]
    lines += [f"- {k} {before[k]}" for k in sorted(before.keys() - after.keys())]
    return lines


def command(target: Target, output: Path, uv: str, upgrade: bool) -> list[str]:
    """The ``uv pip compile`` command line for ``target``."""
    cmd = [uv, "pip", "compile", "--quiet", "--generate-hashes", "--no-header", "--python-version",
           target.python, "-o", str(output)]
    if target.only:
        cmd += ["-"]
    else:
        cmd += ["pyproject.toml", BUILD]
    cmd += [f"--extra={e}" for e in target.extras]
    cmd += ["--python-platform", target.platform] if target.platform else ["--universal"]
    for c in (BOUNDS, *target.constraints):
        cmd += ["-c", c]
    if target.system_numpy:
        cmd += ["--no-emit-package", "numpy"]
    if upgrade:
        cmd += ["--upgrade"]
    return cmd + list(target.extra_args)


HEADER = """\
# Lock "{name}": {purpose}.
# Made by `make lock` (tools/lock.py, uv pip compile); do not edit by hand.
# Install: pip install --require-hashes --no-deps -r requirements/{name}.txt
# target-platform: {platform}
# target-python: {python}
# system-numpy: {numpy}
"""


def lock(target: Target, uv: str, upgrade: bool) -> tuple[list[str], str]:
    """Resolve ``target`` into its file; returns (what changed, the new text)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lock.txt"
        if target.path.is_file() and not upgrade:
            shutil.copyfile(target.path, out)  # uv keeps the pins it finds unless asked to upgrade
        constraints = Path(tmp) / "system.txt"
        cmd = command(target, out, uv, upgrade)
        stdin = "\n".join(target.only) + "\n" if target.only else None
        if target.system_numpy:
            constraints.write_text(f"numpy=={target.system_numpy}\n")
            cmd += ["-c", str(constraints)]
        done = subprocess.run(cmd, cwd=ROOT, input=stdin, text=True, capture_output=True)
        if done.returncode != 0:
            raise SystemExit(f"error: lock {target.name}: {done.stderr.strip()}")
        body = out.read_text()
    # The target lines are read by deploy/install.sh, which picks the lock for the system it is on.
    note = HEADER.format(name=target.name, purpose=target.purpose, platform=target.platform or "any",
                         python=target.python if target.platform else f">={target.python}",
                         numpy=target.system_numpy or "none (numpy is in the lock)")
    if target.system_numpy:
        note += (f"# numpy is the system's ({target.system_numpy}, Debian's python3-numpy; the venv "
                 "sees it): resolved against, not listed.\n")
    text = note + body
    return changes(pins(target.path), pins_of_text(text)), text


def pins_of_text(text: str) -> dict[str, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as fh:
        fh.write(text)
        fh.flush()
        return pins(Path(fh.name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = ", ".join(t.name for t in TARGETS)
    parser.add_argument("targets", nargs="*", help=f"targets (default all: {names})")
    parser.add_argument("--upgrade", action="store_true", help="newest versions, not only what changed")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a lock is stale")
    args = parser.parse_args(argv)
    known = {t.name: t for t in TARGETS}
    unknown = [n for n in args.targets if n not in known]
    if unknown:
        parser.error(f"unknown target {', '.join(unknown)}; choose from {', '.join(known)}")
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        print("error: uv is not installed (it comes with the dev extra: make install)", file=sys.stderr)
        return 3
    stale = 0
    for target in (known[n] for n in args.targets) if args.targets else TARGETS:
        changed, text = lock(target, uv, args.upgrade)
        same_text = target.path.is_file() and target.path.read_text() == text
        if args.check:
            if not same_text:
                stale += 1
                print(f"{target.name}: out of date" + "".join(f"\n  {c}" for c in changed))
            continue
        if not same_text:
            target.path.write_text(text)
        print(f"{target.name}: " + ("unchanged" if not changed else f"{len(changed)} changed")
              + "".join(f"\n  {c}" for c in changed))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
