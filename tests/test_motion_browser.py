"""Live committing a motion letter in a real headless Chromium (issue 18): the fake camera is a y4m in which
an I photo is held, moved along a J path and held at the path's end (the demo recipe's synthetic J, each
frame fitted onto 640×480); the served model is the small temporal model of tests/motion_model.py. On the
Live tab's server path the page streams those frames, the rolling window reads the movement and the word
gets a J. The Record tab's clip recording is tested on the handler (tests/test_record_clips.py)."""

from __future__ import annotations

import numpy as np
import pytest
from motion_model import build_motion_model, j_gif
from PIL import Image, ImageSequence
from test_app_browser import free_port
from test_live_browser import WEBCAM_BUTTON, H, W, live_tab, open_page, write_y4m

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.shared_data]


def fitted(frame: Image.Image) -> Image.Image:
    """A GIF frame on a W×H camera frame: scaled to its height, on the frame's own mean colour."""
    shot = frame.convert("RGB")
    shot = shot.resize((int(shot.width * H / shot.height), H), Image.Resampling.BILINEAR)
    canvas = Image.new("RGB", (W, H), tuple(int(v) for v in np.asarray(shot).reshape(-1, 3).mean(0)))
    canvas.paste(shot, ((W - shot.width) // 2, 0))
    return canvas


@pytest.fixture(scope="module")
def motion_app(asl_sample, tmp_path_factory):
    from sign_ml.ui.app import DactylApp, launch_kwargs

    root = tmp_path_factory.mktemp("motion-browser")
    app = DactylApp(model=str(build_motion_model(root, asl_sample)), data=None)
    frames = [fitted(f) for f in ImageSequence.Iterator(Image.open(j_gif(asl_sample, root / "j.gif", 1, 1)))]
    y4m = write_y4m(root / "camera.y4m", [frames[0]] * 15 + frames + [frames[-1]] * 30, fps=15)
    port = free_port()
    demo = app.build()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_kwargs()
    )
    try:
        yield f"http://127.0.0.1:{port}/", None, None, y4m
    finally:
        demo.close()


def test_live_commits_a_j_signed_with_its_movement(motion_app):
    p, browser, page = open_page(motion_app)
    try:
        live_tab(page)
        page.locator("#live-mode input[value=server]").check(timeout=30_000)
        page.locator("#live-cam button", has_text=WEBCAM_BUTTON).click(timeout=60_000)
        page.locator("#live-cam button[aria-label='capture photo']").click(timeout=60_000)
        page.wait_for_function(
            "() => { const w = document.querySelector('#live-word textarea, #live-word input');"
            " return w && w.value.includes('J'); }",
            timeout=120_000,
        )
        page.screenshot(path=str(motion_app[3].parent / "live.png"))
        word = page.locator("#live-word textarea, #live-word input").first.input_value()
        assert "J" in word and "Z" not in word, word
    finally:
        browser.close()
        p.stop()


def test_the_record_tab_records_a_clip_of_a_motion_letter(asl_sample, tmp_path):
    """An ASL workspace, the letter J: Start turns the fake camera on, the countdown runs, 1.5 s of frames go
    through the session's VIDEO stage, and one J/<signer>_1_001.clip.json with its row is written."""
    from playwright.sync_api import sync_playwright
    from test_record_browser import open_record_tab, serving

    from curation.clips import read_clip
    from sign_ml.ui.app import DactylApp

    frames = [
        fitted(f) for f in ImageSequence.Iterator(Image.open(j_gif(asl_sample, tmp_path / "j.gif", 1, 1)))
    ]
    y4m = write_y4m(tmp_path / "camera.y4m", frames + frames[::-1], fps=15)  # the J, back and forth
    app = DactylApp(workspace=str(tmp_path / "ws"))
    app.workspace.set_alphabet("asl")
    with serving(app) as url, sync_playwright() as p:
        browser, page = open_record_tab(p, url, y4m)
        try:
            page.locator("#rec-signer textarea, #rec-signer input").first.fill("olena")
            page.locator("#rec-only textarea, #rec-only input").first.fill("J")
            box = page.locator("#rec-countdown input[type=number]")
            box.fill("0.5")
            box.press("Enter")
            page.locator("#rec-start").click()
            page.wait_for_function(
                "() => document.querySelector('#rec-status').innerText.includes('Session finished')",
                timeout=120_000,
            )
            page.screenshot(path=str(tmp_path / "record.png"))
        finally:
            browser.close()
    (clip_file,) = sorted((tmp_path / "ws" / "J").glob("*.clip.json"))
    assert clip_file.name == "olena_1_001.clip.json" and not list((tmp_path / "ws" / "J").glob("*.jpg"))
    clip = read_clip(clip_file)
    assert clip.label == "J" and clip.times[-1] >= 1.4 and clip.hand_found.mean() >= 0.6
    assert list(app.workspace.metadata()["file_name"]) == ["J/olena_1_001.clip.json"]
