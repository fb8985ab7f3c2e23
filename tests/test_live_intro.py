"""The Live tab's intro names the button the user actually sees: it said "press Record" while the on-device
camera's button reads "Start the camera" (issue 20). Both are read from what the page is built from: the
intro from i18n, the label from the camera block's HTML (live_browser.camera_html; live.js keeps it)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from sign_ml.ui import live_browser
from sign_ml.ui.i18n import text

LIVE_JS = Path(live_browser.__file__).resolve().parents[1] / "web" / "live.js"


@pytest.mark.parametrize("lang", ["en", "uk"])
def test_the_live_intro_names_the_start_button_as_it_reads(lang: str) -> None:
    (label,) = re.findall(
        r'<button class="live-start[^"]*"[^>]*>([^<]+)</button>', live_browser.camera_html(lang)
    )
    label = html.unescape(label)
    assert label == text("live_start", lang)
    assert f"**{label}**" in text("live_intro", lang)
    assert ".live-start" in LIVE_JS.read_text(encoding="utf-8")  # the button live.js starts the camera on
