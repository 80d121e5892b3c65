"""The layout shows the architecture: layers import only the layers below them, and no circles.

Layers, lowest first: ``data`` (the datasets shipped) < ``scenario`` < ``rules`` < ``model``
< ``outputs`` < ``experiments`` < ``classroom`` < ``cli``; above them all, the package's
face: ``sim`` itself, the Python API ``sim.api`` and ``sim.__main__`` (``python -m sim``).
Every import counts, those under ``TYPE_CHECKING`` and inside functions included: a lazy
import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parent.parent / "sim"
LAYERS = ["data", "scenario", "rules", "model", "outputs", "experiments", "classroom", "cli"]
TOP = {"sim", "sim.api", "sim.__main__"}
"""The package's face, above every layer: it may import any of them, none of them imports it."""


def modules() -> dict[str, Path]:
    out = {}
    for path in SIM.rglob("*.py"):
        name = ".".join(path.relative_to(SIM.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the sim modules it imports (parents and children of a package excluded)."""
    graph = {m: set() for m in mods}
    for m, path in mods.items():
        package = m if path.name == "__init__.py" else m.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            for target in names:
                if target in mods and target != m and not m.startswith(target + ".") and not target.startswith(m + "."):
                    graph[m].add(target)
    return graph


def layer(module: str) -> int | None:
    if module in TOP:
        return len(LAYERS)
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_lives_in_a_layer():
    loose = [m for m in modules() if layer(m) is None]
    assert loose == [], f"modules outside the layers {LAYERS}: {loose}"


def test_no_layer_imports_a_higher_one():
    graph = imports(modules())
    upward = [(a, b) for a, targets in graph.items() for b in targets if layer(b) > layer(a)]
    assert upward == [], "upward imports: " + ", ".join(f"{a} -> {b}" for a, b in upward)


def test_no_import_circles():
    graph = imports(modules())
    circles = []
    for start in graph:  # depth-first search for a path back to ``start``
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    circles.append(" -> ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert circles == [], "import circles:\n" + "\n".join(sorted(set(circles)))


def test_the_checker_sees_a_circle_and_an_upward_import(tmp_path, monkeypatch):
    # the test above must be able to fail: a made-up package with both defects
    pkg = tmp_path / "sim"
    for sub in ("rules", "scenario"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "scenario" / "a.py").write_text("from sim.rules.b import x\n")
    (pkg / "rules" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sim.scenario.a\n"
    )
    monkeypatch.setattr(__import__(__name__), "SIM", pkg)
    graph = imports(modules())
    assert graph["sim.scenario.a"] == {"sim.rules.b"} and graph["sim.rules.b"] == {"sim.scenario.a"}
    assert layer("sim.rules.b") > layer("sim.scenario.a")
