"""The app: `sign_ml.ui.app` (the Blocks and the functions its events call), one `tab_*` module per tab,
pure views (`views`), what it loads (`data`), what it refuses (`safety`), i18n, Grad-CAM and thumbnails.

`from sign_ml.ui import DactylApp` still works; the names are looked up lazily so that importing a pure
submodule (views, i18n) does not import Gradio.
"""

from __future__ import annotations

from typing import Any

_APP_NAMES = ("DactylApp", "build_demo", "launch_kwargs", "MAX_FILE_SIZE")


def __getattr__(name: str) -> Any:
    if name in _APP_NAMES:
        from sign_ml.ui import app

        return getattr(app, name)
    raise AttributeError(f"module 'sign_ml.ui' has no attribute {name!r}")
