"""tools/layers.py: the station's packages import only downward, and no modules import in a circle."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("layers", ROOT / "tools" / "layers.py")
assert _spec and _spec.loader
layers = importlib.util.module_from_spec(_spec)
sys.modules["layers"] = layers
_spec.loader.exec_module(layers)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in {"station/__init__.py": "", **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_station_imports_only_downward_and_without_circles() -> None:
    edges = layers.graph()
    assert layers.upward(edges) == []
    assert layers.circles(edges) == []


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in (ROOT / "station").iterdir() if (p / "__init__.py").exists()}
    assert packages == set(layers.LAYERS)


def test_an_upward_import_is_found_even_inside_a_function(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "station/coach/__init__.py": "",
        "station/coach/rules.py": "def f():\n    from station.web.pages import x\n",
        "station/web/__init__.py": "",
        "station/web/pages.py": "from station.coach import rules\n",
    })
    edges = layers.graph(root)
    assert edges["station.coach.rules"] == {"station.web.pages"}
    assert layers.upward(edges) == [("station.coach.rules", "station.web.pages")]


def test_a_circle_through_three_modules_is_found(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "station/fleet/__init__.py": "",
        "station/fleet/a.py": "from station.fleet import b\n",
        "station/fleet/b.py": "from station.fleet.c import thing\n",
        "station/fleet/c.py": "import station.fleet.a\nthing = 1\n",
    })
    assert layers.circles(layers.graph(root)) == [["station.fleet.a", "station.fleet.b", "station.fleet.c"]]


def test_relative_imports_resolve_against_the_package(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "station/pose/__init__.py": "from .landmarks import Pose\n",
        "station/pose/landmarks.py": "from ..config import settings\n",
        "station/config/__init__.py": "",
        "station/config/settings.py": "",
    })
    edges = layers.graph(root)
    assert edges["station.pose"] == {"station.pose.landmarks"}
    assert edges["station.pose.landmarks"] == {"station.config.settings"}
