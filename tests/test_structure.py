"""The house's floors: no library module imports a CLI module (the CLIs parse and print; they are never called)."""

from __future__ import annotations

import ast
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
