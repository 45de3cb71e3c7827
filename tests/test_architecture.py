"""The layering ARCHITECTURE.md draws, checked on the project's own imports.

Top to bottom: app.py, manage.py, web/ → live/ → schema/, rest.py, jobs/ → resolvers/
→ models/, adapters/. A module imports only from its own layer group or from layers below it;
``settings`` is a leaf every layer may read and that imports nothing of the project; models/
and adapters/ import nothing of the project but settings; resolvers/ never import strawberry;
and no two project modules import each other, directly or round a loop. Imports under
``if TYPE_CHECKING:`` count: a type-only arrow is still an arrow a reader has to follow.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = {".venv", "tests", "bench", "migrations", "build"}  # build/: pip install . output

# Each top-level module or package → (layer, group). Lower layers sit further down; a module
# may import its own group or any lower layer. Groups side by side in one layer (schema, rest,
# jobs; models, adapters) do not import each other.
LAYERS: dict[str, tuple[int, str]] = {
    "app": (0, "entry"),
    "manage": (0, "entry"),
    "web": (0, "entry"),
    "live": (1, "live"),
    "schema": (2, "schema"),
    "rest": (2, "rest"),
    "jobs": (2, "jobs"),
    "resolvers": (3, "resolvers"),
    "models": (4, "models"),
    "adapters": (4, "adapters"),
    "settings": (5, "settings"),
}
# Skipping a layer downward is fine (schema reads models), except: the API layer reaches the
# outside world only through resolvers.
FORBIDDEN_ARROWS = {("schema", "adapters")}
FORBIDDEN_LIBRARIES = {"resolvers": {"strawberry"}}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    path: Path
    line: int
    target: str  # dotted name as written (absolute)

    def arrow(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.importer} → {self.target}"


def project_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in SKIPPED or parts[0].startswith("."):
            continue
        names = list(parts[:-1]) if path.name == "__init__.py" else [*parts[:-1], path.stem]
        modules[".".join(names)] = path
    return modules


def imports_of(module: str, path: Path) -> list[Import]:
    """Every import statement in the file, wherever it stands (functions, TYPE_CHECKING)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(module, path, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.append(Import(module, path, node.lineno, base))
            found += [
                Import(module, path, node.lineno, f"{base}.{alias.name}") for alias in node.names
            ]
    return found


def project_arrows() -> tuple[list[Import], list[Import]]:
    """The arrows between project modules, and the imports of anything else (libraries)."""
    modules = project_modules()
    arrows: list[Import] = []
    external: list[Import] = []
    for module, path in modules.items():
        statements = imports_of(module, path)
        named = {(imp.line, imp.target) for imp in statements if imp.target in modules}
        for imp in statements:
            if imp.target not in modules:
                if imp.target.split(".")[0] not in LAYERS:
                    external.append(imp)
                continue
            # ``from pkg import mod`` points at pkg.mod, not at the package's __init__.
            if any(line == imp.line and t.startswith(imp.target + ".") for line, t in named):
                continue
            if imp.target != module:
                arrows.append(imp)
    return arrows, external


def layer_of(module: str) -> tuple[int, str]:
    top = module.split(".")[0]
    assert top in LAYERS, f"{module}: a top-level module ARCHITECTURE.md does not place"
    return LAYERS[top]


def test_every_project_module_has_a_layer():
    unplaced = sorted({m.split(".")[0] for m in project_modules()} - set(LAYERS))
    assert not unplaced, f"top-level modules with no layer in ARCHITECTURE.md: {unplaced}"


def test_imports_only_point_down_the_layers():
    arrows, _ = project_arrows()
    wrong = []
    for imp in arrows:
        from_layer, from_group = layer_of(imp.importer)
        to_layer, to_group = layer_of(imp.target)
        if from_group == "settings":
            wrong.append(imp.arrow() + " (settings imports nothing of the project)")
        elif to_group == "settings" or from_group == to_group:
            continue
        elif to_layer <= from_layer or (from_group, to_group) in FORBIDDEN_ARROWS:
            wrong.append(imp.arrow() + f" ({from_group} may not import {to_group})")
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_resolvers_do_not_import_strawberry():
    _, external = project_arrows()
    wrong = sorted(
        {
            imp.arrow()
            for imp in external
            if imp.target.split(".")[0] in FORBIDDEN_LIBRARIES.get(imp.importer.split(".")[0], ())
        }
    )
    assert not wrong, "imports of a library this layer must not know:\n" + "\n".join(wrong)


# SQL that leaves state on a session: adapters/postgres_pool.py hands pooled connections back as
# they are, so only the migration lock (a connection of its own) may hold any. ALTER DATABASE
# ... SET and UPDATE ... SET change no session.
SESSION_STATE = re.compile(
    r"\bSET (?!LOCAL\b)(?:SESSION )?[a-z_.]+ *(?:=|TO\b)|\bLISTEN |pg_advisory_lock\("
)
NOT_SESSION_STATE = re.compile(r"\bUPDATE |ALTER DATABASE ")
SESSION_STATE_ALLOWED = {"adapters.database"}


def test_no_session_state_on_pooled_connections():
    sources = [p for m, p in project_modules().items() if m not in SESSION_STATE_ALLOWED]
    sources += sorted((ROOT / "migrations").glob("*.py"))  # they run on the same pool
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SESSION_STATE.search(line) and not NOT_SESSION_STATE.search(line)
    ]
    assert not found, "session state on a pooled connection:\n" + "\n".join(found)


def test_no_import_cycles_between_project_modules():
    arrows, _ = project_arrows()
    graph: dict[str, dict[str, Import]] = {}
    for imp in arrows:
        graph.setdefault(imp.importer, {}).setdefault(imp.target, imp)
    cycles = [cycle for cycle in _strongly_connected(graph) if len(cycle) > 1]
    described = []
    for cycle in cycles:
        members = set(cycle)
        described.append(
            "\n".join(
                "  " + imp.arrow()
                for module in sorted(members)
                for target, imp in sorted(graph.get(module, {}).items())
                if target in members
            )
        )
    assert not cycles, "import cycles:\n" + "\n\n".join(described)


def _strongly_connected(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Tarjan's algorithm: each group of modules that reach one another."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            groups.append(group)

    for node in list(graph):
        if node not in index:
            visit(node)
    return groups
