"""Importing the library changes no environment variable: a process-wide change made at import reaches every
caller (the app, the CLIs, a user's notebook), and curation/hands.py's `GLOG_minloglevel` did not even quiet
mediapipe 1.2.3, whose libmediapipe reads no log setting (issue 20); the CLIs filter those lines instead
(sign_ml/cli/native_logs.py)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SNAPSHOT = """
import json, os
before = dict(os.environ)
import curation.hands, sign_ml.predict, sign_ml.ui.app
after = dict(os.environ)
print(json.dumps(sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))))
"""


def test_importing_the_library_leaves_the_environment_as_it_was(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "GLOG_minloglevel"}  # so a setdefault would show
    env["PYTHONPATH"] = str(ROOT)
    # torch._dynamo writes this one back as its own absolute path on import; given absolute, it stays as is
    env["TORCHINDUCTOR_CACHE_DIR"] = str(tmp_path / "inductor")
    done = subprocess.run(
        [sys.executable, "-c", SNAPSHOT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == []


def environment_writes(source: str) -> list[str]:
    """The module-level statements of `source` (outside any function) that write os.environ or call putenv."""
    tree = ast.parse(source)
    in_functions = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for n in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in in_functions:
            continue
        text = ast.unparse(node)
        calls = (
            "os.environ.setdefault(",
            "os.environ.update(",
            "os.environ.pop(",
            "os.putenv(",
            "os.unsetenv(",
        )
        call = isinstance(node, ast.Call) and text.startswith(calls)
        item = isinstance(node, ast.Assign | ast.AugAssign | ast.Delete) and "os.environ[" in text
        if call or item:
            found.append(text)
    return found


def test_no_library_module_writes_the_environment_when_imported():
    """Every module, not only those the app imports; the CLI entry points (which own their process) excepted."""
    found = {
        str(path.relative_to(ROOT)): writes
        for package in ("curation", "sign_ml")
        for path in sorted((ROOT / package).rglob("*.py"))
        if "cli" not in path.relative_to(ROOT).parts
        and (writes := environment_writes(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_an_import_time_write_is_found_and_one_inside_a_function_is_not():
    source = (
        "import os\n"
        'os.environ.setdefault("A", "1")\n'
        'os.environ["B"] = "2"\n'
        "def f():\n"
        '    os.environ["C"] = "3"\n'
        'x = os.environ.get("D")\n'
    )
    assert sorted(environment_writes(source)) == ["os.environ.setdefault('A', '1')", "os.environ['B'] = '2'"]
