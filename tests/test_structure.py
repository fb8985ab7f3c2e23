"""The house's floors: no library module imports a CLI module (the CLIs parse and print; they are never called)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_no_library_module_imports_a_cli_module():
    cli = ("curation.cli", "sign_ml.cli")
    # whole module names: curation.clips is no CLI module
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            n for n in imported(path) if n in cli or n.startswith(tuple(c + "." for c in cli))
        )
        for package in ("curation", "sign_ml")
        for path in (ROOT / package).rglob("*.py")
        if "cli" not in path.relative_to(ROOT).parts
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path, modules: set[str], root: Path = ROOT) -> set[str]:
    """The modules of `modules` that `path` imports anywhere, deferred imports inside functions included
    (a cycle broken only by importing late is still a cycle); `if TYPE_CHECKING:` blocks are skipped."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from pkg import sub` imports the submodule pkg.sub when there is one, else a name of pkg
            found |= {
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                for a in node.names
            }
    return found & modules - {module_name(path, root)}


def import_cycles(package: str, root: Path = ROOT) -> list[list[str]]:
    """Every cycle (strongly connected set of two or more modules) in `package`'s import graph."""
    paths = {module_name(p, root): p for p in (root / package.replace(".", "/")).rglob("*.py")}
    graph = {m: runtime_imports(p, set(paths), root) for m, p in paths.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:  # Tarjan's strongly connected components
        index[m] = low[m] = len(index)
        stack.append(m)
        for n in graph[m]:
            if n not in index:
                visit(n)
                low[m] = min(low[m], low[n])
            elif n in stack:
                low[m] = min(low[m], index[n])
        if low[m] == index[m]:
            component = []
            while (n := stack.pop()) != m:
                component.append(n)
            component.append(m)
            if len(component) > 1:
                cycles.append(sorted(component))

    for m in sorted(graph):
        if m not in index:
            visit(m)
    return cycles


# none: live_browser and tab_live share the Live session and its `advance` from sign_ml/ui/live_session.py,
# below both (issues 18, 21)
KNOWN_CYCLES: list[list[str]] = []


def test_the_app_modules_import_no_cycle():
    """The tabs take a TabContext (sign_ml/ui/context.py) instead of importing app.py, which imports them."""
    assert [c for c in import_cycles("sign_ml.ui") if c not in KNOWN_CYCLES] == []


def test_the_library_imports_no_cycle():
    """No cycle anywhere in sign_ml/ or curation/, deferred imports included."""
    assert import_cycles("sign_ml") == [] and import_cycles("curation") == []


def test_curation_imports_nothing_of_sign_ml():
    """curation/ is the ground floor: sign_ml imports it, never the reverse (so no cycle spans the two)."""
    upper = {module_name(p) for p in (ROOT / "sign_ml").rglob("*.py")} | {"sign_ml"}
    found = {
        module_name(p): sorted(runtime_imports(p, upper)) for p in sorted((ROOT / "curation").rglob("*.py"))
    }
    assert {m: imports for m, imports in found.items() if imports} == {}


def test_the_cycle_finder_finds_a_deferred_import_cycle(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def f():\n    from pkg.a import x\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
    )
    assert import_cycles("pkg", tmp_path) == [["pkg.a", "pkg.b"]]


MAX_FUNCTION_LINES = 80
# every module of curation/ and sign_ml/, the CLIs included: no function over MAX_FUNCTION_LINES lines (issue 21)
SHORT_MODULES = sorted([*(ROOT / "curation").rglob("*.py"), *(ROOT / "sign_ml").rglob("*.py")])


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> dict[str, int]:
    """{function: lines} of every function in `source` (methods and nested ones too) longer than `limit`."""
    return {
        node.name: node.end_lineno - node.lineno + 1
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > limit
    }


def test_the_cleaned_modules_have_no_function_over_80_lines():
    found = {
        f"{path.relative_to(ROOT)}::{name}": n
        for path in SHORT_MODULES
        for name, n in long_functions(path.read_text(encoding="utf-8")).items()
    }
    assert found == {}


def test_a_function_over_the_limit_is_found_and_one_at_it_is_not():
    def source(n_lines: int) -> str:  # a def line and n_lines - 1 body lines
        return "def f():\n" + "\n".join(f"    x{i} = {i}" for i in range(n_lines - 1)) + "\n"

    assert long_functions(source(MAX_FUNCTION_LINES)) == {}
    assert long_functions("class C:\n" + textwrap.indent(source(MAX_FUNCTION_LINES + 1), "    ")) == {"f": 81}
