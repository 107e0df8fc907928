#!/usr/bin/env python3
"""Fail when the modules of a package import each other in a cycle.

    scripts/check_imports.py [PACKAGE_DIR ...]      (default: byod)

Every import counts, also one inside a function (a late import is how a cycle hides), except
those under `if TYPE_CHECKING:` (they never run). Prints each cycle as a chain of modules and
the lines that close it; exits 1 when there is one, 0 otherwise. Needs only the standard library.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

Graph = dict[str, dict[str, int]]  # module -> {imported module: line}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def build_graph(package_dir: Path) -> Graph:
    """Edges between the modules of the package at `package_dir` (one level of names)."""
    # Django's generated migrations (the package's own migrations/ directory) are not ours.
    files = [
        p for p in package_dir.rglob("*.py") if p.relative_to(package_dir).parts[0] != "migrations"
    ]
    modules = {module_name(package_dir, p): p for p in files}
    graph: Graph = {name: {} for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(), filename=str(path))
        for node, line in _runtime_imports(tree):
            for target in _targets(node, name, is_package, modules):
                if target != name:
                    graph[name].setdefault(target, line)
    return graph


def _runtime_imports(tree: ast.AST) -> list[tuple[ast.Import | ast.ImportFrom, int]]:
    found: list[tuple[ast.Import | ast.ImportFrom, int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append((node, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(
    node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, modules: dict[str, Path]
) -> list[str]:
    if isinstance(node, ast.Import):
        return [_known(alias.name, modules) for alias in node.names if _known(alias.name, modules)]
    base = node.module or ""
    if node.level:
        anchor = importer.split(".")
        if not is_package:
            anchor = anchor[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    targets = []
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        target = submodule if submodule in modules else _known(base, modules)
        if target:
            targets.append(target)
    return targets


def _known(name: str, modules: dict[str, Path]) -> str:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def connect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def describe(graph: Graph, component: list[str]) -> list[str]:
    members = set(component)
    lines = []
    for module in component:
        for target, line in sorted(graph[module].items()):
            if target in members:
                lines.append(f"  {module} (line {line}) imports {target}")
    return lines


def main(argv: list[str]) -> int:
    dirs = [Path(a) for a in argv] or [Path(__file__).resolve().parent.parent / "byod"]
    failed = False
    for package_dir in dirs:
        graph = build_graph(package_dir.resolve())
        found = cycles(graph)
        for component in found:
            failed = True
            print(f"import cycle in {package_dir}: {' <-> '.join(component)}")
            print("\n".join(describe(graph, component)))
        if not found:
            edges = sum(len(t) for t in graph.values())
            print(f"{package_dir}: {len(graph)} modules, {edges} imports, no cycles")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
