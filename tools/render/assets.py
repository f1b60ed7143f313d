"""Copy the MakeHuman assets the renderer needs out of a clone of makehumancommunity/makehuman.

    git clone https://github.com/makehumancommunity/makehuman /tmp/makehuman   # or any copy of it
    python -m tools.render assets /tmp/makehuman          # -> .cache/makehuman (default)

Works with a bare mirror too (files are read with ``git show``). The assets are CC0 1.0
(LICENSE.ASSETS.md in that repository); the copy records the commit it came from.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tools.render.body import OBJ, SKELETON, WEIGHTS

DATA = "makehuman/data"
DEFAULT_DIR = Path(".cache/makehuman")
SEXES = ("male", "female")
WEIGHT_CLASSES = ("min", "average", "max")


def wanted() -> list[str]:
    """Every file under makehuman/data the bodies of :mod:`tools.render.corpus` may use."""
    files = [OBJ, SKELETON, WEIGHTS]
    for sex in SEXES:
        files.append(f"targets/macrodetails/caucasian-{sex}-young.target")
        for w in WEIGHT_CLASSES:
            files.append(f"targets/macrodetails/universal-{sex}-young-averagemuscle-{w}weight.target")
            for end in ("min", "max"):
                files.append(f"targets/macrodetails/height/{sex}-young-averagemuscle-{w}weight-{end}height.target")
    return files


def copy_assets(repo: Path, out: Path = DEFAULT_DIR, rev: str = "HEAD") -> str:
    """Copy :func:`wanted` from the git repository ``repo`` at ``rev`` into ``out``; the commit."""
    git = ["git", "--git-dir", str(repo / ".git") if (repo / ".git").exists() else str(repo)]
    commit = subprocess.run([*git, "rev-parse", rev], check=True, capture_output=True,
                            text=True).stdout.strip()
    for name in wanted():
        blob = subprocess.run([*git, "show", f"{commit}:{DATA}/{name}"], check=True,
                              capture_output=True).stdout
        dest = out / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(blob)
    (out / "SOURCE").write_text(f"makehumancommunity/makehuman {commit} {DATA} "
                                "(CC0 1.0, LICENSE.ASSETS.md)\n")
    return commit
