"""The shared CLI runner: one line instead of a traceback, exit 2 / 1 / 130, -v shows the traceback;
and the layering rule that lets both packages use it (curation never imports sign_ml)."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from curation.cli.dispatch import dispatch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str, str]]:
    """Fake subcommands: each fails in its own way, at start-up or while running."""
    (tmp_path / "fake_cmds.py").write_text(
        textwrap.dedent("""
        import os, signal

        def add_arguments(parser):
            parser.add_argument("how")
            if os.environ.get("FAKE_STARTUP_INTERRUPT"):
                raise KeyboardInterrupt  # Ctrl-C while the subcommand's imports load

        def run(args):
            if args.how == "keyerror":
                return {}["counts"]
            if args.how == "value":
                raise ValueError("splits.json: field 'counts' is missing\\nsecond line")
            if args.how == "term":
                os.kill(os.getpid(), signal.SIGTERM)
            if args.how == "some":
                return 1
            return 0
    """),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return {"go": ("fake_cmds", "a fake command")}


def test_unexpected_error_is_one_line_with_its_type(commands, capsys: pytest.CaptureFixture[str]) -> None:
    assert dispatch("tool", commands, ["go", "keyerror"]) == 2
    err = capsys.readouterr().err
    assert err == "tool go: error: KeyError: 'counts'\n"


def test_error_message_keeps_its_first_line_only(commands, capsys: pytest.CaptureFixture[str]) -> None:
    assert dispatch("tool", commands, ["go", "value"]) == 2
    assert capsys.readouterr().err == "tool go: error: splits.json: field 'counts' is missing\n"


def test_verbose_shows_the_traceback(commands, capsys: pytest.CaptureFixture[str]) -> None:
    assert dispatch("tool", commands, ["-v", "go", "keyerror"]) == 2
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_usage_error_is_one_line_exit_2(commands, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        dispatch("tool", commands, ["go"])  # the subcommand's positional argument is missing
    assert exit_info.value.code == 2
    assert (
        capsys.readouterr().err
        == "tool go: error: the following arguments are required: how (see tool go --help)\n"
    )


def test_some_inputs_failed_passes_through(commands) -> None:
    assert dispatch("tool", commands, ["go", "some"]) == 1
    assert dispatch("tool", commands, ["go", "ok"]) == 0


def test_interrupt_during_startup_is_130(commands, monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FAKE_STARTUP_INTERRUPT", "1")
    assert dispatch("tool", commands, ["go", "ok"]) == 130
    assert capsys.readouterr().err == "tool: interrupted\n"


def test_sigterm_unwinds_like_ctrl_c(commands, capsys: pytest.CaptureFixture[str]) -> None:
    before = signal.getsignal(signal.SIGTERM)
    assert dispatch("tool", commands, ["go", "term"]) == 130
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is put back


def test_curation_never_imports_sign_ml() -> None:
    offenders = []
    for path in (ROOT / "curation").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "sign_ml"]
    assert offenders == []


PROBE = """
import contextlib, sys
from curation.cli import main
with contextlib.suppress(SystemExit):
    main(["check", "--help"])
print(sorted(m for m in sys.modules if m.split(".")[0] == "sign_ml"))
"""


def test_sign_curate_runs_without_sign_ml_loaded() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
