"""The app's one typeface: Noto Sans, shipped in sign_ml/ui/assets/ and embedded in the page's CSS.

Gradio 6.31's Soft theme ships a "Montserrat-Regular.woff2" that is really Montserrat Alternates, in
which M N E W read as "m n ε ш", т as "m" and д as "g": in an app whose output is letters, a correctness
problem. Noto Sans draws every Latin and Cyrillic capital unambiguously. The two faces are subsets made by
`recipes/ui_font.py` from Debian's fonts-noto-core (SIL Open Font License 1.1, `assets/OFL.txt`); they
are checked against their sha256 sums here and served inside the CSS as data URLs, so the page loads no
font from a CDN and needs no extra file route.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

ASSETS = Path(__file__).resolve().parent / "assets"
FAMILY = "Noto Sans"
# file -> (CSS font-weight, sha256 of the file recipes/ui_font.py writes)
FACES = {
    "NotoSans-Regular.woff2": (400, "a668694112fe9417d8e0493d9c6e89e6e2ccbaa7c5862a656d0053252ed57087"),
    "NotoSans-Bold.woff2": (700, "f5e418609912d7b9e2735a39fa340b4857be0c819ed07b73376041ac33f248ec"),
}
# the system's for anything the subset lacks; the emoji fonts for ✅ ⚠ (Noto Sans has no emoji)
FALLBACK = (
    "ui-sans-serif",
    "system-ui",
    "sans-serif",
    "Apple Color Emoji",
    "Segoe UI Emoji",
    "Noto Color Emoji",
)
MONO = ("ui-monospace", "DejaVu Sans Mono", "Consolas", "monospace")  # the system's: no theme download


def face_bytes(name: str) -> bytes:
    """One shipped face, refused with one clear line when it is not the file the recipe makes."""
    path = ASSETS / name
    data = path.read_bytes()
    want = FACES[name][1]
    if hashlib.sha256(data).hexdigest() != want:
        raise RuntimeError(f"{path}: not the font recipes/ui_font.py builds (sha256 differs); rebuild it")
    return data


@cache
def font_css() -> str:
    """@font-face rules for the shipped faces (data URLs), for the app's CSS."""
    rules = []
    for name, (weight, _) in FACES.items():
        data = base64.b64encode(face_bytes(name)).decode("ascii")
        rules.append(
            f"@font-face {{ font-family: '{FAMILY}'; font-style: normal; font-weight: {weight}; "
            f"font-display: swap; src: url(data:font/woff2;base64,{data}) format('woff2'); }}"
        )
    # the semibold (600) Gradio asks for in places is drawn from the bold face by the browser's matching
    return "\n".join(rules) + "\n"


def theme() -> Any:
    """Gradio's Soft theme with Noto Sans for text and the system's monospace for code."""
    import gradio as gr

    return gr.themes.Soft(font=[gr.themes.Font(FAMILY), *FALLBACK], font_mono=[*MONO])
