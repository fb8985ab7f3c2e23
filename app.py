"""ukrsl-dactyl's Gradio app: recognize a fingerspelled letter, inspect the data and the model's mistakes.

    python app.py [--model RUN_DIR_OR_HUB_ID] [--data SPLITS_OR_FOLDER_OR_REPORT_DIR]
                  [--host 127.0.0.1] [--port 7860] [--lang en|uk] [--workspace DIR] [--auth USER:PASSWORD]

Defaults: the model in $DACTYL_MODEL, else the embedded demo model at models/demo/; the data in
$DACTYL_DATA, else the shared ASL sample beside the checkout when the demo model is served.
With --workspace (or $DACTYL_WORKSPACE) the Record tab appears and the app writes there, and only there;
without it the app writes no data (an image model's ONNX copy may be cached beside its weights).
--auth (or $DACTYL_AUTH) puts the app behind Gradio's login; a workspace served beyond loopback needs it
(or, on a Hugging Face Space, OAuth with $DACTYL_OWNERS), and the app refuses to start without.
A start-up mistake (a bad flag, a workspace that is a file, a port in use) is one line and exit status 2.
Importing this module builds `demo` without downloading anything (a Hub id is fetched only when given).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import NoReturn

from curation.cli.dispatch import one_line
from sign_ml.ui.app import DactylApp, launch_kwargs
from sign_ml.ui.owners import AUTH_ENV, owners_from_environment, parse_auth, start_refusal

EXIT_CANNOT_RUN = 2


class _OneLineParser(argparse.ArgumentParser):
    """A usage mistake is one line and exit 2, as in the CLIs."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_CANNOT_RUN, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 1..65535")
    return port


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = _OneLineParser(prog="app.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        default=os.environ.get("DACTYL_MODEL"),
        help="run/model directory or Hub id (default: $DACTYL_MODEL, else models/demo/)",
    )
    parser.add_argument(
        "--data",
        default=os.environ.get("DACTYL_DATA"),
        help="split directory, photo folder, or folder with report.json (default: $DACTYL_DATA)",
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        help="interface to serve on; 0.0.0.0 for the network (default 127.0.0.1)",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=os.environ.get("GRADIO_SERVER_PORT", "7860"),
        help="(default 7860)",
    )
    parser.add_argument(
        "--lang",
        choices=["en", "uk"],
        default=os.environ.get("DACTYL_LANG") or None,
        help="force the UI language (default: the browser's)",
    )
    parser.add_argument(
        "--workspace",
        default=os.environ.get("DACTYL_WORKSPACE") or None,
        help="writable folder for recording a dataset (the Record tab); off when not given "
        "(default: $DACTYL_WORKSPACE)",
    )
    parser.add_argument(
        "--auth",
        default=os.environ.get(AUTH_ENV) or None,
        metavar="USER:PASSWORD",
        help=f"Gradio's login for the whole app; the user is the owner who may record, train and publish "
        f"(default: ${AUTH_ENV})",
    )
    args = parser.parse_args(argv)
    try:
        args.credentials = parse_auth(args.auth)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def make_app(args: argparse.Namespace) -> DactylApp:
    """The app as the flags ask, or ValueError (one line) when serving it so would be unsafe. The owner
    (who may record, train, publish): the --auth user, else a Space's owners over OAuth, else the local
    user on loopback, else no one."""
    owners = owners_from_environment(args.host, args.credentials)
    refusal = start_refusal(args.workspace, args.host, owners)
    if refusal:
        raise ValueError(refusal)
    return DactylApp(
        model=args.model, data=args.data, lang=args.lang, workspace=args.workspace, owners=owners
    )


def main(argv: list[str] | None = None) -> int:
    """Parse, build and serve; every start-up mistake is one line on stderr and exit status 2."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    try:
        app = make_app(args)
        demo = app.build()
        demo.queue(default_concurrency_limit=2).launch(
            server_name=args.host, server_port=args.port, **launch_kwargs(args.lang, args.credentials)
        )
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a workspace that is a file, an unreadable model, a port in use…
        print(f"app.py: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

# imported (tests, `gradio app.py`, Spaces): flags from the environment only, never pytest's argv
ARGS = parse_args([])
dactyl = make_app(ARGS)
demo = dactyl.build()
predict = dactyl.predict  # the typed API function (also served as /predict): photo → {letter: probability}
