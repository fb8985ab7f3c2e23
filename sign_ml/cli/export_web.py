"""`sign-ml export-web RUN OUT/`: a static folder that spells letters in a browser with no server."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", help="landmark-model run/model directory, or a Hub model id (user/name)")
    parser.add_argument("out", help="output folder (new or empty)")


def run(args: argparse.Namespace) -> int:
    from sign_ml.web_export import ExportError, export_web

    try:
        out = export_web(args.run, args.out)
    except (ExportError, FileNotFoundError) as exc:
        print(f"sign-ml export-web: {exc}", file=sys.stderr)
        return 2
    print(f"web export written to {out}; try it: python -m http.server -d {out} 8000")
    return 0
