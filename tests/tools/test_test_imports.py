"""The tests' own layout: a test module imports fixtures from conftest.py (through pytest, never
by name) and shared code from tests/helpers/, never another test module or conftest.py; whatever
two test files share belongs in tests/helpers/."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def module_names(root: Path = TESTS) -> set[str]:
    """The dotted names of the test modules and conftest files under ``root`` (``tests.web.test_web``)."""
    return {".".join(p.relative_to(root.parent).with_suffix("").parts)
            for p in root.rglob("*.py") if "node_modules" not in p.parts
            and (p.name.startswith("test_") or p.name == "conftest.py")}


def imported_tests(path: Path, modules: set[str]) -> list[str]:
    """The test modules (or conftest files) that the file at ``path`` imports, anywhere in it
    (inside functions too): ``import tests.a.test_x``, ``from tests.a.test_x import y``,
    ``from tests.a import test_x``, ``from tests.conftest import y``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [name for name in names if name in modules]
    return found


def test_no_test_file_imports_another_test_module() -> None:
    modules = module_names()
    assert len(modules) > 40 and "tests.conftest" in modules
    files = [p for p in TESTS.rglob("*.py") if "node_modules" not in p.parts]
    found = {str(p.relative_to(TESTS)): imported for p in files if (imported := imported_tests(p, modules))}
    assert found == {}, "move what they share into tests/helpers/"


def test_the_check_finds_every_form_of_such_an_import(tmp_path) -> None:
    modules = {"tests.conftest", "tests.web.test_web", "tests.pose.test_pose_accuracy"}
    sample = tmp_path / "test_sample.py"
    sample.write_text("import tests.pose.test_pose_accuracy as accuracy\n"
                      "from tests.conftest import PASSWORD\n"
                      "from tests.web import test_web\n"
                      "from tests.helpers.accounts import PASSWORD\n"
                      "def test_x():\n    from tests.web.test_web import create_account\n")
    assert sorted(imported_tests(sample, modules)) == ["tests.conftest", "tests.pose.test_pose_accuracy",
                                                       "tests.web.test_web", "tests.web.test_web"]
