"""The command runner shared by `sign-curate` and `sign-ml` (here, on the ground floor, so both can use it).

Each subcommand is a module exposing `add_arguments(parser)` and `run(args) -> int`, imported lazily so
`--help` is fast. Whatever happens, the user sees one line, never a traceback (`-v` shows it), and the
exit status says what kind of ending it was:
    0  done
    1  some inputs failed (e.g. a photo `predict` could not read); the rest were done
    2  could not run: bad arguments, a missing or broken file, an unreachable Hub
    130  interrupted (Ctrl-C or SIGTERM, also during start-up)
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from typing import Any, NoReturn

from curation.errors import one_line

EXIT_OK, EXIT_SOME_FAILED, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 130


def dispatch(prog: str, commands: dict[str, tuple[str, str]], argv: list[str] | None) -> int:
    """Parse the subcommand, run it, and turn every failure into one line and an exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    verbose = any(a in ("-v", "--verbose") for a in argv)  # known before parsing: start-up errors obey it too
    command = next((a for a in argv if a in commands), None)
    with _sigterm_interrupts():
        try:
            args = _parser(prog, commands, command).parse_args(argv)
            logging.basicConfig(
                level=logging.DEBUG if args.verbose else logging.INFO,
                format="%(levelname)s %(name)s: %(message)s",
            )
            return int(importlib.import_module(commands[args.command][0]).run(args) or 0)
        except KeyboardInterrupt:
            if verbose:
                traceback.print_exc()
            print(f"{prog}: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except Exception as exc:
            if verbose:
                traceback.print_exc()
            print(f"{prog}{' ' + command if command else ''}: error: {one_line(exc)}", file=sys.stderr)
            return EXIT_CANNOT_RUN


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with where to read more), exit 2, like every other failure."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_CANNOT_RUN, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser(prog: str, commands: dict[str, tuple[str, str]], chosen: str | None) -> argparse.ArgumentParser:
    parser = _OneLineParser(prog=prog)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging; tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in commands.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:  # import only the module that will run
            importlib.import_module(module).add_arguments(p)
    return parser


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so `finally` blocks run (temporary folders, partial files are removed)."""
    if threading.current_thread() is not threading.main_thread():  # signals can only be caught there
        yield
        return
    old = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def worker_count(text: str) -> int:
    """argparse type of --workers: a whole number ≥ 1 (argparse names the flag in its one-line error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {value}")
    return value
