"""The Live tab in a real headless Chromium fed by a fake camera: a .y4m written here from a shipped demo
thumbnail (no ffmpeg, no download). The model must receive the camera's frame unmirrored (a Recognize
snapshot and the Live stream alike), the skeleton and
the letter must appear, and holding the sign must commit it to the word; closing the tab must release the
session's landmarker; on the browser path every landmarks message goes to the light endpoint (small, no
picture), and when that fails the page spells through the Gradio event instead; the Ukrainian page shows only
Ukrainian on the Live tab (Gradio's own, untranslatable "Click to Access Webcam" button aside)."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import fake_camera_args, left_frame, sure_live_frame
from PIL import Image
from test_app_browser import ALLOWED, CHROMIUM, CHROMIUM_ARGS, free_port

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's chromium not installed at {CHROMIUM}"),
]

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "models" / "demo"
THUMBS = DEMO / "eval" / "test" / "thumbs"
W, H = 640, 480
GRADIO_WEBCAM_TEXT = {
    "Click",
    "to",
    "Access",
    "Webcam",
}  # hard-coded in Gradio's webcam, not in its i18n tables
# its button in either language (the page rewrites it in Ukrainian: sign_ml.ui.i18n.PAGE_TEXT)
WEBCAM_BUTTON = re.compile("Access Webcam|увімкнути камеру")


def write_y4m(path: Path, frames: list[Image.Image], fps: int = 10) -> Path:
    """A YUV4MPEG2 file: a text header, then per frame `FRAME\\n` and the I420 planes (Y, then Cb, Cr at half
    size), in studio range (BT.601), which is how Chromium reads it."""
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{W} H{H} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            ycc = np.asarray(frame.convert("YCbCr"), dtype=np.float32)
            y = (16 + ycc[:, :, 0] * 219 / 255).round().astype(np.uint8)
            chroma = (128 + (ycc[:, :, 1:] - 128) * 224 / 255).round().astype(np.uint8)
            f.write(b"FRAME\n" + y.tobytes())
            for k in (0, 1):
                f.write(
                    np.asarray(
                        Image.fromarray(chroma[:, :, k]).resize((W // 2, H // 2), Image.Resampling.BILINEAR)
                    ).tobytes()
                )
    return path


class Spy:
    """Records every frame the live handler gives the model (the frame, and what it read)."""

    def __init__(self) -> None:
        self.frames: list[tuple[Image.Image, list | None]] = []
        self.sessions: list = []  # every LiveSession that handled a frame
        self.lock = threading.Lock()


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The app served in this process (so the test can see the frames the model receives), with a camera
    frame in which the VIDEO stage finds a hand and reads a sure letter: (url, frame, letter, y4m, spy)."""
    if not (DEMO / "config.json").is_file():
        pytest.skip("no embedded demo model")
    from sign_ml.ui import tab_live
    from sign_ml.ui.app import DactylApp, launch_kwargs

    app = DactylApp(model=str(DEMO), data=None)
    found = sure_live_frame(app, left_frame)
    if found is None:
        pytest.skip("no shipped thumbnail with a hand the video stage reads surely")
    frame, _, top = found
    letter = top[0][0]
    y4m = write_y4m(tmp_path_factory.mktemp("camera") / "camera.y4m", [frame] * 10)
    spy = Spy()
    real = tab_live.recognize_frame

    def recording(app_, session, image):
        detection, top = real(app_, session, image)
        with spy.lock:
            spy.frames.append((image.copy(), top))
            if all(s is not session for s in spy.sessions):
                spy.sessions.append(session)
        return detection, top

    tab_live.recognize_frame = recording
    port = free_port()
    demo = app.build()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_kwargs()
    )
    try:
        yield f"http://127.0.0.1:{port}/", frame, letter, y4m, spy, app
    finally:
        demo.close()
        tab_live.recognize_frame = real


def open_page(live_app, lang: str = "en", size: tuple[int, int] = (1366, 900)):
    """A fresh Chromium whose camera is the y4m, on the app's page; returns (playwright, browser, page)."""
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="playwright's Python package is not installed"
    )
    url, _, _, y4m, *_ = live_app
    p = playwright.sync_playwright().start()
    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *fake_camera_args(y4m)])
    locale = {"en": "en-US", "uk": "uk-UA"}[lang]
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]},
        locale=locale,
        permissions=["camera"],
        extra_http_headers={"Accept-Language": f"{locale},{lang};q=0.9"},
    )
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#photo", timeout=60_000)
    return p, browser, page


def live_tab(page) -> None:
    tab = page.locator("button[role=tab][data-tab-id=live]")
    if tab.count() and tab.first.is_visible():
        tab.first.click()
    else:  # a phone: the last tab sits behind "More tabs"
        page.locator("button[aria-label='More tabs']").click()
        page.locator(".overflow-dropdown button, .overflow-menu button").last.click()


def open_live(live_app, lang: str = "en", size: tuple[int, int] = (1366, 900)):
    """A fresh browser on the Live tab's server path (frames sent) with the fake camera streaming; returns
    (playwright, browser, page)."""
    p, browser, page = open_page(live_app, lang, size)
    live_tab(page)
    page.locator("#live-mode input[value=server]").check(
        timeout=30_000
    )  # the page starts on the browser path
    page.locator("#live-cam button", has_text=WEBCAM_BUTTON).click(timeout=60_000)
    page.locator("#live-cam button[aria-label='capture photo']").click(timeout=60_000)
    return p, browser, page


def test_live_stream_unmirrored_skeleton_letter_and_a_held_letter_commits(live_app):
    _, frame, letter, _, spy, _ = live_app
    p, browser, page = open_live(live_app)
    try:
        page.wait_for_function(
            f"() => document.querySelector('#live-letter').innerText.includes('{letter} ·')", timeout=60_000
        )
        word = page.locator("#live-word textarea, #live-word input").first
        page.wait_for_function(
            "() => { const w = document.querySelector('#live-word textarea, #live-word input');"
            f" return w && w.value.startsWith('{letter}'); }}",
            timeout=60_000,
        )
        assert re.fullmatch(f"{letter}+", word.input_value())  # held: the letter, committed (once per hold)
        assert page.locator("#live-view img").count() == 1  # the frame with the skeleton came back
        with spy.lock:
            received = [im for im, top in spy.frames]
        assert received and all(im.size == (W, H) for im in received)
        camera = np.asarray(frame, dtype=np.int16)
        got = np.asarray(received[-1].convert("RGB"), dtype=np.int16)
        as_is, mirrored = np.abs(got - camera).mean(), np.abs(got - camera[:, ::-1]).mean()
        assert (
            as_is < 8 < mirrored
        )  # the model got what the camera saw (JPEG noise only), not the selfie mirror
        page.locator("#live-clear").click()
        page.wait_for_function(
            "() => { const w = document.querySelector('#live-word textarea, #live-word input');"
            f" return w && (w.value === '' || w.value === '{letter}'); }}",
            timeout=30_000,
        )
    finally:
        browser.close()
        p.stop()
    # the tab is gone: the page's unload event closes the session's landmarker (before the fix: never, in 2 min)
    with spy.lock:
        sessions = list(spy.sessions)
    assert len(sessions) == 1  # one tab, one LiveSession (its own landmarker)
    for _ in range(240):
        if all(s.stage is None for s in sessions):
            break
        time.sleep(0.5)
    assert all(s.stage is None for s in sessions), (
        "the session's landmarker was not closed when its tab closed"
    )


def test_a_recognize_tab_snapshot_reaches_the_model_unmirrored(live_app):
    _, frame, letter, _, _, app = live_app
    received: list = []
    real = app.infer

    def recording(value, top_k=None):
        received.append(value)
        return real(value, top_k)

    app.infer = recording  # the instance's attribute: what the Recognize events call
    p, browser, page = open_page(live_app)
    try:
        page.locator("#photo button[aria-label='Capture from camera']").click()
        page.locator("#photo button", has_text=WEBCAM_BUTTON).click(timeout=60_000)
        page.wait_for_function(
            "() => { const v = document.querySelector('#photo video');"
            " return v && v.readyState >= 2 && v.videoWidth > 0; }",
            timeout=60_000,
        )
        page.locator("#photo button[aria-label='capture photo']").click(timeout=60_000)
        page.wait_for_selector("#verdict h2, #verdict h3", timeout=60_000)
        assert page.locator("#verdict").inner_text().startswith(f"{letter} ·")
    finally:
        browser.close()
        p.stop()
        del app.infer
    (value,) = received
    got = np.asarray(Image.open(value["path"]).convert("RGB"), dtype=np.int16)
    camera = np.asarray(frame, dtype=np.int16)
    assert got.shape == camera.shape
    assert (
        np.abs(got - camera).mean() < 8 < np.abs(got - camera[:, ::-1]).mean()
    )  # the camera's view, not the mirror


def test_ukrainian_live_tab_has_no_english_left(live_app):
    _, _, letter, *_ = live_app
    p, browser, page = open_live(live_app, lang="uk", size=(390, 844))
    try:
        page.wait_for_function(
            f"() => document.querySelector('#live-letter').innerText.includes('{letter} ·')", timeout=60_000
        )
        page.locator("#live-practice input").check()
        page.wait_for_selector("#live-prompt h3", timeout=30_000)
        visible = page.locator("#component-0, .gradio-container").first.inner_text()
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9_./-]*", visible))
        english = {
            w for w in words - ALLOWED - GRADIO_WEBCAM_TEXT if len(w) > 1 and not re.fullmatch(r"[A-Z]\d*", w)
        }
        assert english == set(), english
        assert "Покажіть" in page.locator("#live-prompt").inner_text()
    finally:
        browser.close()
        p.stop()


# ---------------------------------------------------------------- the browser path (camera on the device)
LIGHT_PATH = "/gradio_api/dactyl/live"  # sign_ml.ui.live_route.PATH
STATS = "() => ({...window.dactylLive.state, landmarker: null, stream: null, reply: null})"
WORD_IS = (
    "() => { const w = document.querySelector('#live-word textarea, #live-word input');"
    " return w && w.value.startsWith('{letter}'); }"
)


def open_browser_path(
    live_app, lang: str = "en", size: tuple[int, int] = (1366, 900), init: str = "", light_fails: bool = False
):
    """The Live tab as it opens (the browser path), the camera started; requests recorded from then on.
    light_fails: the light endpoint answers 503 (the page must fall back to the Gradio event).
    Returns (playwright, browser, page, requests as (method, url, body bytes))."""
    p, browser, page = open_page(live_app, lang, size)
    if init:
        page.add_init_script(init)
        page.reload()
        page.wait_for_selector("#photo", timeout=60_000)
    if light_fails:
        page.route(f"**{LIGHT_PATH}", lambda route: route.fulfill(status=503, body='{"error": "down"}'))
    live_tab(page)
    page.wait_for_selector("#live-browser .live-start", timeout=30_000)
    requests: list[tuple[str, str, bytes]] = []
    page.on("request", lambda r: requests.append((r.method, r.url, r.post_data_buffer or b"")))
    page.locator("#live-browser .live-start").click()
    return p, browser, page, requests


def test_browser_path_keeps_the_camera_on_the_device_and_spells(live_app):
    _, _, letter, _, spy, _ = live_app
    with spy.lock:
        before = len(spy.frames)
    p, browser, page, requests = open_browser_path(live_app)
    try:
        assert page.locator("#live-mode input[value=browser]").is_checked()
        assert "Your camera stays on this device" in page.locator("#live-path").inner_text()
        page.wait_for_function(
            f"() => document.querySelector('#live-letter').innerText.includes('{letter} ·')", timeout=120_000
        )
        page.wait_for_function(WORD_IS.replace("{letter}", letter), timeout=60_000)
        word = page.locator("#live-word textarea, #live-word input").first.input_value()
        assert re.fullmatch(f"{letter}+", word)  # held: committed (once per hold)
        assert "WebAssembly" in page.locator("#live-browser .live-status").inner_text()
        # the skeleton is drawn on the page's own canvas, in its colour, over the camera's picture
        green = page.evaluate(
            "() => { const c = document.querySelector('#live-browser canvas');"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
            " for (let i = 0; i < d.length; i += 4) if (d[i] < 40 && d[i+1] > 200 && d[i+2] > 90"
            " && d[i+2] < 150) n++; return [n, c.width, c.height, c.dataset.hands]; }"
        )
        assert green[0] > 200 and green[1:] == [W, H, "1"]
        stats = page.evaluate(STATS)
        assert stats["handFrames"] >= 2 and stats["sent"] >= 2
    finally:
        browser.close()
        p.stop()
    with spy.lock:
        assert len(spy.frames) == before  # the server's hand stage never saw a frame
    assert_light_landmarks_only(stats, requests)


def assert_light_landmarks_only(stats: dict, requests: list[tuple[str, str, bytes]]) -> list[dict]:
    """Every landmarks message went to the light endpoint and was answered there (none fell back to the
    Gradio event), and every POST the page made was small and held no picture. → the light messages."""
    assert stats["transport"] == "light" and stats["lightError"] == "", stats
    assert stats["light"] >= 2
    posts = [(url, body) for method, url, body in requests if method == "POST"]
    assert len(posts) >= 2
    for url, body in posts:
        assert len(body) < 4096, (url, len(body))  # a landmarks message, never a picture
        assert b"\xff\xd8\xff" not in body and b"data:image" not in body and b"PNG" not in body
    light = [json.loads(body) for url, body in posts if url.endswith(LIGHT_PATH)]
    assert len(light) >= 2 and light[-1]["w"] == W and light[-1]["h"] == H
    assert len(light[-1]["hands"][0]["lm"]) == 63
    assert [
        json.loads(body)["data"][1:] for url, body in posts if "run/predict" in url and b'"hands' in body
    ] == []
    return light


def test_browser_path_falls_back_to_the_gradio_event_when_the_light_endpoint_fails(live_app):
    _, _, letter, *_ = live_app
    p, browser, page, requests = open_browser_path(live_app, light_fails=True)
    try:
        page.wait_for_function(
            f"() => document.querySelector('#live-letter').innerText.includes('{letter} ·')", timeout=120_000
        )
        page.wait_for_function(WORD_IS.replace("{letter}", letter), timeout=60_000)
        stats = page.evaluate(STATS)
        assert stats["transport"] == "event" and stats["lightError"] == "HTTP 503" and stats["light"] == 0
        assert "Your camera stays on this device" in page.locator("#live-path").inner_text()
    finally:
        browser.close()
        p.stop()
    posts = [(url, body) for method, url, body in requests if method == "POST"]
    events = [json.loads(body) for url, body in posts if "run/predict" in url and b'"hands' in body]
    assert len(events) >= 2 and all(len(body) < 4096 for _, body in posts)
    payload = json.loads(next(d for d in events[-1]["data"] if isinstance(d, str) and d.startswith("{")))
    assert payload["w"] == W and payload["h"] == H and len(payload["hands"][0]["lm"]) == 63


def test_browser_path_falls_back_to_frames_without_webassembly(live_app):
    p, browser, page, _ = open_browser_path(live_app, init="delete window.WebAssembly;")
    try:
        page.wait_for_function(
            "() => document.querySelector('#live-mode input[value=server]').checked", timeout=30_000
        )
        page.wait_for_function(
            "() => document.querySelector('#live-path').innerText.includes('Frames are sent to the server')",
            timeout=30_000,
        )
        assert page.locator("#live-cam").is_visible()  # the server path's camera, ready for Record
    finally:
        browser.close()
        p.stop()


def test_ukrainian_browser_path_on_a_phone(live_app):
    _, _, letter, *_ = live_app
    p, browser, page, _ = open_browser_path(live_app, lang="uk", size=(390, 844))
    try:
        assert "Камера лишається на цьому пристрої" in page.locator("#live-path").inner_text()
        page.wait_for_function(
            f"() => document.querySelector('#live-letter').innerText.includes('{letter} ·')", timeout=120_000
        )
        visible = page.locator("#component-0, .gradio-container").first.inner_text()
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9_./-]*", visible))
        english = {
            w
            for w in words - ALLOWED - GRADIO_WEBCAM_TEXT - {"WebAssembly"}
            if len(w) > 1 and not re.fullmatch(r"[A-Z]\d*", w)
        }
        assert english == set(), english
        assert "Зупинити" in page.locator("#live-browser").inner_text()
    finally:
        browser.close()
        p.stop()
