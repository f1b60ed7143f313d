"""Pages in Debian's Chromium: where it is, a page's console errors, and axe-core's serious and
critical findings on a page."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from tests.helpers.paths import ROOT, missing

AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"


def chromium_path() -> str:
    """Debian's Chromium for the browser tests; a failure in CI, a skip elsewhere."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "Debian's Chromium is not installed (apt-get install chromium; `make test` installs it in CI)"
    if os.environ.get("CI"):
        pytest.fail(reason + " and CI is set")
    pytest.skip(reason)


def collect_errors(page: Any, errors: list[str]) -> None:
    """Append the page's console errors and uncaught exceptions to ``errors`` as they happen."""
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))


def axe(page: Any) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (id, impact, the first
    three elements); empty when it passes."""
    if not AXE.exists():
        missing(f"axe-core is not installed at {AXE} (`make axe` runs npm ci in tests/)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]
