"""`sign-ml`: train, evaluate, predict, push, space. Each subcommand lives in its own module
exposing `add_arguments(parser)` and `run(args) -> int`; imported lazily so `--help` is fast."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMANDS = {
    "train": ("sign_ml.cli.train", "train MobileNetV3-Large on a split directory"),
    "evaluate": ("sign_ml.cli.evaluate", "evaluate a run on a split: metrics, confusion matrix, mistakes"),
    "predict": ("sign_ml.cli.predict", "predict the letter in photos"),
    "push": ("sign_ml.cli.push", "publish a run to the Hugging Face Hub with a model card"),
    "space": ("sign_ml.cli.space", "assemble (and upload) a Hugging Face Space for a model"),
}


def dispatch(prog: str, commands: dict[str, tuple[str, str]], argv: list[str] | None) -> int:
    """Shared by sign-ml and sign-curate: parse the subcommand, run it, turn errors into one line."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = next((a for a in argv if a in commands), None)
    for name, (module, help_text) in commands.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:  # import only the module that will run
            importlib.import_module(module).add_arguments(p)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(importlib.import_module(commands[args.command][0]).run(args) or 0)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except (FileNotFoundError, ValueError, RuntimeError, OSError) as exc:
        if args.verbose:
            raise
        print(f"{prog} {args.command}: error: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    return dispatch("sign-ml", COMMANDS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
