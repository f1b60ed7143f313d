"""The station's import graph, checked against its layers.

Each package of ``station/`` may import only from itself and from the packages before it in
:data:`LAYERS` (data flows one way: frames -> pose -> coach -> outputs, and the web and the command
line sit on top). Every import counts, including those inside functions and under
``TYPE_CHECKING``: a lazy import hides a dependency from Python, not from a reader.

    python tools/layers.py            # the package graph, then the module graph, then the verdict
    python tools/layers.py --check    # only the verdict (exit 1 on a circle or an upward import)

Exit status: 0 clean, 1 a module imports from a later layer or modules import each other in a
circle.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "station"

# Lowest first. Same order as the README's layout section.
LAYERS = ("config", "pose", "coach", "sim", "camera", "streams", "int8", "storage", "kept_sets",
          "runtime", "bringup", "fleet", "web", "cli")
# Modules at the package root: the version (anyone may read it) and `python -m station` (on top).
ROOT_MODULES = {f"{PACKAGE}": -1, f"{PACKAGE}.__main__": len(LAYERS)}


def module_name(path: Path, root: Path = ROOT) -> str:
    """``station/coach/rules.py`` -> ``station.coach.rules`` (a package's ``__init__`` is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str, known: Iterable[str]) -> set[str]:
    """The station modules that ``name`` (read from ``path``) imports, anywhere in the file.

    ``from station.x import y`` counts as importing ``station.x.y`` when that is a module, else
    ``station.x``."""
    known = set(known)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                here = name.split(".") if is_package else name.split(".")[:-1]
                here = here[:len(here) - (node.level - 1)]
                base = ".".join(here + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import station.x.y` of a function: its module
                target = target.rpartition(".")[0]
            if target and target != name and (target == PACKAGE or target.startswith(PACKAGE + ".")):
                found.add(target)
    return found


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Every station module and the station modules it imports."""
    paths = {module_name(p, root): p for p in sorted((root / PACKAGE).rglob("*.py"))}
    return {name: imports_of(path, name, paths) for name, path in paths.items()}


def layer(module: str) -> int:
    """The module's layer: its package's place in :data:`LAYERS`."""
    if module in ROOT_MODULES:
        return ROOT_MODULES[module]
    package = module.split(".")[1]
    if package not in LAYERS:
        raise ValueError(f"{module}: its package {package!r} has no place in tools/layers.py LAYERS")
    return LAYERS.index(package)


def upward(edges: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    """Imports from a later layer than the importer's own."""
    return sorted((a, b) for a, deps in edges.items() for b in deps if layer(b) > layer(a))


def circles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def package_graph(edges: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """The graph between packages (``station.web`` -> ``station.runtime``, ...)."""
    def package(m: str) -> str:
        return ".".join(m.split(".")[:2])
    out: dict[str, set[str]] = defaultdict(set)
    for a, deps in edges.items():
        out[package(a)]
        for b in deps:
            if package(b) != package(a) and b != PACKAGE:
                out[package(a)].add(package(b))
    return dict(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="print only the verdict")
    args = parser.parse_args(argv)
    edges = graph()
    if not args.check:
        print("packages (lowest layer first; each imports only from those above it):")
        packages = package_graph(edges)
        for p in sorted(packages, key=lambda p: layer(p + ".x") if p not in ROOT_MODULES else layer(p)):
            print(f"  {p.removeprefix(PACKAGE + '.'):<10} -> "
                  + (", ".join(sorted(d.removeprefix(PACKAGE + ".") for d in packages[p])) or "-"))
        print("\nmodules:")
        for m in sorted(edges, key=lambda m: (layer(m), m)):
            deps = ", ".join(sorted(d.removeprefix(PACKAGE + ".") for d in edges[m]))
            print(f"  {m.removeprefix(PACKAGE + '.') or PACKAGE} -> {deps or '-'}")
        print()
    bad = upward(edges)
    loops = circles(edges)
    for a, b in bad:
        print(f"upward import: {a} ({LAYERS[layer(a)] if layer(a) < len(LAYERS) else 'top'}) "
              f"imports {b} ({LAYERS[layer(b)]})")
    for group in loops:
        print("import circle: " + " <-> ".join(group))
    print(f"{len(edges)} modules, {sum(map(len, edges.values()))} imports: "
          f"{len(bad)} upward, {len(loops)} circles")
    return 1 if bad or loops else 0


if __name__ == "__main__":
    sys.exit(main())
