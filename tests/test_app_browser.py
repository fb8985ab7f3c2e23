"""End to end in a real headless browser: start `python app.py`, upload a photo through the page,
see the predicted letter. Uses Debian's chromium through Playwright; never downloads a browser."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import torch
from conftest import make_photo, stop_process

from sign_ml.artifacts import ModelMeta, save_model_dir
from sign_ml.model import build_model
from sign_ml.predict import Predictor
from sign_ml.presets import Preprocessing
from sign_ml.ui.views import display_label

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
CLASSES = ["А", "Б", "Й", "Я"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180.0) -> None:
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


@pytest.fixture
def served_app(tmp_path):
    """`python app.py --model TINY --port FREE` in a subprocess; yields (url, model_dir); stopped afterwards."""
    torch.manual_seed(0)
    model = build_model(len(CLASSES), width_mult=0.25)
    with torch.no_grad():  # an untrained net is ~uniform; a biased head makes Й the clear, checkable answer
        model.classifier[-1].bias.copy_(torch.tensor([0.0, 0.0, 4.0, 0.0]))
    model_dir = tmp_path / "run"
    save_model_dir(
        model_dir,
        model,
        ModelMeta(class_names=CLASSES, preprocessing=Preprocessing(size=64), width_mult=0.25),
    )
    port = free_port()
    log = tmp_path / "app.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("DACTYL_DATA", None)
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--model", str(model_dir), "--port", str(port),
                                 "--host", "127.0.0.1"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url, proc, log)
        yield url, model_dir
    finally:
        stop_process(proc)


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"Debian's chromium not installed at {CHROMIUM} (apt-get install chromium)"
)
def test_upload_a_photo_and_see_the_letter(served_app, tmp_path):
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="playwright's Python package is not installed"
    )
    url, model_dir = served_app
    picture = make_photo(tmp_path / "hand.png", seed=3, size=(120, 90))
    (top1, prob), *_ = Predictor.from_pretrained(model_dir, backend="torch").predict(picture, top_k=2)
    assert top1 == "Й" and prob > 0.5  # what the page must show as its answer
    expected = display_label(top1)
    shot = tmp_path / "app.png"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
            page.goto(url)
            page.wait_for_selector("#photo input[type=file]", state="attached", timeout=60_000)
            page.locator("#photo input[type=file]").set_input_files(str(picture))
            page.wait_for_selector("#verdict h2", timeout=60_000)  # h2 = a confident answer, h3 = "not sure"
            top5 = page.locator("#top5")
            top5.get_by_text(expected).first.wait_for(timeout=30_000)
            page.wait_for_timeout(300)  # let the bars finish their transition before the screenshot
            page.screenshot(path=str(shot), full_page=True)
            verdict = page.locator("#verdict").inner_text()
            assert verdict.startswith(expected) and "static start only" in verdict  # Й is a motion letter
            rows = [line for line in top5.inner_text().splitlines() if " (" in line]
            assert rows[0] == expected and len(rows) == len(CLASSES)  # first of the top 5 (K = 4 here)
            assert page.get_by_role("tab", name="Recognize").is_visible()
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    # the upload limit (launch(max_file_size="10mb")) holds for API clients too: 11 MB is refused
    import httpx

    big = {"files": ("big.jpg", b"\xff\xd8\xff" + bytes(11 * 1024 * 1024), "image/jpeg")}
    assert httpx.post(url + "gradio_api/upload", files=big, timeout=60).status_code == 413
    keep = os.environ.get("DACTYL_SCREENSHOT")  # e.g. DACTYL_SCREENSHOT=/tmp/app.png to look at it
    if keep:
        shutil.copy(shot, keep)
