"""ukrsl-dactyl's Gradio app: recognize a fingerspelled letter, inspect the data and the model's mistakes.

    python app.py [--model RUN_DIR_OR_HUB_ID] [--data SPLITS_OR_FOLDER_OR_REPORT_DIR]
                  [--host 127.0.0.1] [--port 7860] [--lang en|uk] [--workspace DIR]

Defaults: the model in $DACTYL_MODEL, else the embedded demo model at models/demo/; the data in
$DACTYL_DATA, else the shared ASL sample beside the checkout when the demo model is served.
With --workspace (or $DACTYL_WORKSPACE) the Record tab appears and the app writes there, and only there;
without it the app writes nothing. Importing this module builds `demo` without downloading anything (a Hub id is fetched only when given).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from sign_ml.ui.app import DactylApp, launch_kwargs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="app.py", description=__doc__.split("\n\n")[0])
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
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
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
    return parser.parse_args(argv)


# flags only when run as a script: importing (tests, `gradio app.py`, Spaces) must not read pytest's argv
ARGS = parse_args(sys.argv[1:] if __name__ == "__main__" else [])
dactyl = DactylApp(model=ARGS.model, data=ARGS.data, lang=ARGS.lang, workspace=ARGS.workspace)
demo = dactyl.build()
predict = dactyl.predict  # the typed API function (also served as /predict): photo → {letter: probability}

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    demo.queue(default_concurrency_limit=2).launch(
        server_name=ARGS.host, server_port=ARGS.port, **launch_kwargs(ARGS.lang)
    )
