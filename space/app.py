"""Hugging Face Space entry: the ukrsl-dactyl app serving one model from the Hub.

`sign-ml space` writes the model id into DEFAULT_MODEL; the Space variable DACTYL_MODEL overrides it
(a Hub id "user/name", or a folder beside this file such as the vendored "model"). The Record tab is off on
a Space unless its owner sets the variable DACTYL_WORKSPACE to a writable folder (persistent storage: /data).
The Live tab starts on the browser path (the camera stays on the device, only landmarks are sent) with a
landmark model; DACTYL_LIVE_PATH=server starts it on frames instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from sign_ml.ui.app import build_demo, launch_kwargs

DEFAULT_MODEL = "your-user/ukrsl-dactyl-mobilenetv3"  # filled in by `sign-ml space`
HERE = Path(__file__).resolve().parent


def model_source() -> str:
    """DACTYL_MODEL or DEFAULT_MODEL; a name that is a folder beside app.py is used as that folder."""
    name = os.environ.get("DACTYL_MODEL") or DEFAULT_MODEL
    local = HERE / name
    return str(local) if local.is_dir() else name


demo = build_demo(model=model_source(), workspace=os.environ.get("DACTYL_WORKSPACE") or None)

if __name__ == "__main__":
    # host and port come from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT, which Spaces sets
    demo.queue(default_concurrency_limit=2).launch(**launch_kwargs())
