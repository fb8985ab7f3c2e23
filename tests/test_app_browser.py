"""The app in a real headless browser, as a new user gets it: `python app.py` from a fresh clone, without
`../shared` (DACTYL_SHARED_DATA="" hides it), serving the embedded demo model and its shipped thumbnails.

Covers: examples and galleries filled; one recognition per upload; a bad file clears the answer; a
clicked confusion cell keeps its value; the Ukrainian UI shows no English outside code and names.
Uses Debian's chromium through Playwright; never downloads a browser."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import stop_process

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_EVAL = REPO / "models" / "demo" / "eval" / "test"
# Latin words allowed in the Ukrainian UI: letters of the ASL demo, names, formats, metric and tool names
ALLOWED = {
    "ukrsl-dactyl",
    "Grad-CAM",
    "ASL",
    "JPEG",
    "PNG",
    "WebP",
    "GIF",  # file formats are named as they are written, as JPEG and PNG
    "mp4",
    "webm",
    "RGB",
    "API",
    "Gradio",
    "macro-F1",
    "F1",
    "ECE",
    "American",
    "Sign",
    "Language",
    "Letters",
    "v1",
    "David",
    "Lee",
    "Roboflow",
    "Public",
    "Domain",
    "RF100",
    "CC",
    "BY",
    "demo",
    "MobileNetV3",
    "asl-letters-sample",
    "Hugging",
    "Face",
    "Hub",
    "MediaPipe",
}

pytestmark.append(
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian's chromium not installed at {CHROMIUM} (apt-get install chromium)",
    )
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"app exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(
        f"app did not answer at {url} within {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}"
    )


@pytest.fixture(scope="module")
def fresh_clone_app(tmp_path_factory):
    """`python app.py` with no ../shared and no DACTYL_* settings: what a user's clone serves."""
    tmp = tmp_path_factory.mktemp("served")
    port = free_port()
    log = tmp / "app.log"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "DACTYL_SHARED_DATA": "",
    }
    for key in ("DACTYL_DATA", "DACTYL_MODEL", "DACTYL_LANG"):
        env.pop(key, None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), "--port", str(port), "--host", "127.0.0.1"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url, proc, log)
        yield url
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="playwright's Python package is not installed"
    )
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def hand_photo() -> Path:
    """A shipped thumbnail in which the hand stage finds a hand (so the page shows a letter and a skeleton)."""
    from curation.hands import shared_stage
    from curation.images import load_rgb

    stage = shared_stage()
    for path in sorted((DEMO_EVAL / "thumbs").rglob("*.jpg")):
        if stage.detect(load_rgb(path)).found:
            return path
    pytest.skip("no shipped thumbnail with a detectable hand")


def n_classes() -> int:
    return len(json.loads((DEMO_EVAL / "metrics.json").read_text(encoding="utf-8"))["class_names"])


def open_page(browser, url: str, lang: str = "en", size: tuple[int, int] = (1366, 900)):
    locale = {"en": "en-US", "uk": "uk-UA"}[lang]
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]},
        locale=locale,
        extra_http_headers={"Accept-Language": f"{locale},{lang};q=0.9"},
    )
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#photo input[type=file]", state="attached", timeout=60_000)
    return page


def open_tab(page, tab_id: str) -> None:
    tab = page.locator(f"button[role=tab][data-tab-id={tab_id}]")
    if tab.count() and tab.first.is_visible():
        tab.first.click()
    else:  # a phone: the tabs that do not fit are behind "More tabs"
        names = page.evaluate(
            "() => Array.from(document.querySelectorAll('.tab-wrapper button')).map(b => b.innerText)"
        )
        page.locator("button[aria-label='More tabs']").click()
        index = {"recognize": 0, "dataset": 1, "evaluation": 2, "model": 3}[tab_id]
        page.locator(".overflow-dropdown button, .overflow-menu button").filter(
            has_text=names[index]
        ).first.click()


def joins(page) -> list[str]:
    """Every event the page submits to the server (one POST to queue/join per event run)."""
    seen: list[str] = []
    page.on(
        "request", lambda r: seen.append(r.url) if "/queue/join" in r.url and r.method == "POST" else None
    )
    return seen


def test_fresh_clone_examples_one_event_per_upload_and_errors_clear_the_answer(
    fresh_clone_app, browser, tmp_path, hand_photo
):
    page = open_page(browser, fresh_clone_app)
    examples = page.locator("#examples button.thumbnail-item")
    examples.first.wait_for(timeout=60_000)
    assert (
        examples.count() == n_classes()
    )  # one test photo per letter, from the thumbnails shipped with the model
    assert page.locator("#examples .caption-label").first.inner_text() == "A"
    sent = joins(page)
    page.locator("#photo input[type=file]").set_input_files(str(hand_photo))
    page.wait_for_selector("#verdict h2, #verdict h3", timeout=60_000)
    page.wait_for_timeout(1500)  # any second event would have been sent by now
    assert len(sent) == 1, sent  # one upload, one recognition
    assert page.locator("#top5").inner_text().strip() != ""
    assert page.locator("#hand img").count() == 1  # the skeleton drawn on the photo
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture", encoding="utf-8")
    page.locator("#photo input[type=file]").set_input_files(str(bad))
    page.wait_for_function(
        "() => document.querySelector('#verdict').innerText.includes('cannot be used')", timeout=60_000
    )
    assert "notes.jpg" in page.locator("#verdict").inner_text()
    assert not re.search(r"\d+%", page.locator("#top5").inner_text())  # the old top-5 is gone
    assert page.locator("#hand img").count() == 0
    sent.clear()
    examples.nth(3).click()  # the fourth letter
    page.wait_for_selector("#verdict h2, #verdict h3", timeout=60_000)
    page.wait_for_timeout(1500)
    assert len(sent) == 1, sent
    # the upload limit (launch(max_file_size="10mb")) holds for API clients too: 11 MB is refused
    import httpx

    big = {"files": ("big.jpg", b"\xff\xd8\xff" + bytes(11 * 1024 * 1024), "image/jpeg")}
    assert httpx.post(fresh_clone_app + "gradio_api/upload", files=big, timeout=60).status_code == 413
    page.context.close()


def test_clicked_confusion_cell_shows_its_photos_and_keeps_its_value(fresh_clone_app, browser):
    page = open_page(browser, fresh_clone_app)
    open_tab(page, "evaluation")
    img = page.locator("#heatmap img")
    img.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    before = img.get_attribute("src")
    box = img.bounding_box()
    natural = page.evaluate(
        "() => { const i = document.querySelector('#heatmap img'); return [i.naturalWidth, i.naturalHeight]; }"
    )
    from sign_ml.ui.views import heatmap_layout, most_confused_pairs

    metrics = json.loads((DEMO_EVAL / "metrics.json").read_text(encoding="utf-8"))
    names = metrics["class_names"]
    (true, pred, count), (true2, _, _) = most_confused_pairs(metrics)[:2]  # the demo model's worst confusions
    share = metrics["confusion_matrix_normalized"][names.index(true)][names.index(pred)]
    lay = heatmap_layout(len(names))
    row, col = names.index(true), names.index(pred)
    x, y = lay.left + col * lay.cell + lay.cell / 2, lay.top + row * lay.cell + lay.cell / 2
    page.mouse.click(box["x"] + x * box["width"] / natural[0], box["y"] + y * box["height"] / natural[1])
    page.wait_for_function(
        f"() => document.querySelector('#cell-caption').innerText.includes('predicted {pred}')",
        timeout=60_000,
    )
    caption = page.locator("#cell-caption").inner_text()
    assert f"true {true} → predicted {pred}" in caption and f"{share:.0%}" in caption  # the value, kept ...
    page.wait_for_function(f"() => document.querySelector('#heatmap img').src !== {before!r}", timeout=30_000)
    assert (
        page.locator("#cell-gallery img").count() == count
    )  # ... and exactly its photos, from the thumbnails
    import pandas as pd

    mistakes = int((~pd.read_csv(DEMO_EVAL / "predictions.csv")["correct"].astype(bool)).sum())
    assert page.locator("#top-losses img").count() == mistakes  # every mistake on the test split
    page.locator("#pairs [data-testid=cell-1-0]").click()  # the second pair
    page.wait_for_function(
        f"() => document.querySelector('#cell-caption').innerText.includes('true {true2}')", timeout=60_000
    )
    page.context.close()


@pytest.mark.parametrize("size", [(1366, 900), (390, 844)], ids=["desktop", "phone"])
def test_ukrainian_ui_has_no_english_left(fresh_clone_app, browser, size, hand_photo):
    page = open_page(browser, fresh_clone_app, lang="uk", size=size)
    page.locator("#photo input[type=file]").set_input_files(str(hand_photo))
    page.wait_for_selector("#verdict h2, #verdict h3", timeout=60_000)
    if (
        page.locator("#show-cam input").count() and page.locator("#show-cam input").is_visible()
    ):  # image models
        page.locator("#show-cam input").check()
        page.wait_for_selector("#gradcam-legend", timeout=60_000)
    leftovers: dict[str, set[str]] = {}
    for tab in ("recognize", "dataset", "evaluation", "model"):
        open_tab(page, tab)
        page.wait_for_timeout(2500)
        if tab == "model":
            page.locator("#model-details-box button, #model-details-box .label-wrap").first.click()
            page.wait_for_timeout(500)
        visible = page.evaluate("""() => {
            const code = Array.from(document.querySelectorAll('code, pre'));
            code.forEach(e => { e.dataset.display = e.style.display; e.style.display = 'none'; });
            const shown = document.body.innerText;
            code.forEach(e => { e.style.display = e.dataset.display; });
            return shown; }""")  # what is rendered, less code (commands, identifiers are not translated)
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9_./-]*", visible))
        english = {
            w
            for w in words
            if w not in ALLOWED and len(w) > 1 and not re.fullmatch(r"[A-Z]/[A-Z]\d+\.jpg:?|[A-Z]\d*", w)
        }
        if english:
            leftovers[tab] = english
    assert leftovers == {}, leftovers
    # Gradio's status line has no i18n key: drawn as "queue: 2/5 |" on a loaded server, it must read in
    # Ukrainian whenever it shows, so this test (and a user) never meets it in English
    page.evaluate(
        "() => { const d = document.createElement('span'); d.id = 'queue-probe';"
        " d.textContent = 'queue: 2/5 |'; document.body.appendChild(d); }"
    )
    page.wait_for_function("() => document.querySelector('#queue-probe').textContent === 'черга: 2/5 |'")
    font = page.evaluate("() => getComputedStyle(document.querySelector('#title')).fontFamily")
    assert font.startswith('"Noto Sans"'), font  # the shipped face, not the theme's Montserrat Alternates
    assert page.evaluate("() => document.fonts.check('16px \"Noto Sans\"')")
    page.context.close()
