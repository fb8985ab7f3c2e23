"""Hugging Face Space entry: the ukrsl-dactyl app serving one model from the Hub.

`sign-ml space` writes the model id into DEFAULT_MODEL; the Space variable DACTYL_MODEL overrides it
(a Hub id "user/name", or a folder beside this file such as the vendored "model"). The Record tab is off on
a Space unless its owner sets the variable DACTYL_WORKSPACE to a writable folder (persistent storage: /data)
and turns on OAuth (`hf_oauth: true` in README.md): only the users in DACTYL_OWNERS (default: the Space's
author), signed in with Hugging Face, may then record, train and publish. Without OAuth the app refuses to
start with a workspace (or use DACTYL_AUTH=USER:PASSWORD for Gradio's login on the whole app).
The Live tab starts on the browser path (the camera stays on the device, only landmarks are sent) with a
landmark model; DACTYL_LIVE_PATH=server starts it on frames instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from sign_ml.ui.app import build_demo, launch_kwargs
from sign_ml.ui.owners import AUTH_ENV, owners_from_environment, parse_auth, start_refusal

DEFAULT_MODEL = "your-user/ukrsl-dactyl-mobilenetv3"  # filled in by `sign-ml space`
HERE = Path(__file__).resolve().parent


def model_source() -> str:
    """DACTYL_MODEL or DEFAULT_MODEL; a name that is a folder beside app.py is used as that folder."""
    name = os.environ.get("DACTYL_MODEL") or DEFAULT_MODEL
    local = HERE / name
    return str(local) if local.is_dir() else name


AUTH = parse_auth(os.environ.get(AUTH_ENV))
HOST = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")  # Spaces sets 0.0.0.0
WORKSPACE = os.environ.get("DACTYL_WORKSPACE") or None
OWNERS = owners_from_environment(HOST, AUTH)
if refusal := start_refusal(WORKSPACE, HOST, OWNERS):
    raise SystemExit(f"app.py: error: {refusal}")
demo = build_demo(model=model_source(), workspace=WORKSPACE, owners=OWNERS)

if __name__ == "__main__":
    # host and port come from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT, which Spaces sets
    demo.queue(default_concurrency_limit=2).launch(**launch_kwargs(auth=AUTH))
