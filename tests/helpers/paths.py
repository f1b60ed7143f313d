"""Where the tests' shared files are, and what a missing dependency means (a skip here, a failure
in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"
PHOTOS = FIXTURES / "photos"
ARTIFACTS = ROOT / "artifacts"
IN_CI = bool(os.environ.get("CI"))


def missing(reason: str) -> None:
    """A dependency the test needs is not there: skip, but in CI fail (never a silent skip)."""
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)
