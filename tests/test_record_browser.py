"""The Record tab in real headless Chromiums fed by fake cameras (.y4m files written here from shared sample
photos): two signers record 3 letters at the same time from two browsers, then one presses Train and the
page shows the leave-one-signer-out result for both signers, which the Evaluation tab repeats; the Dataset
tab lists mislabel candidates; the dry-run publish writes and lists the dataset and model folders (the
model card with the per-signer numbers); the files and metadata.csv match."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from conftest import fake_camera_args
from PIL import Image
from test_app_browser import CHROMIUM, CHROMIUM_ARGS, free_port
from test_live_browser import H, W, write_y4m

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's chromium not installed at {CHROMIUM}"),
]

LETTERS = ("A", "B", "C")
LIVE_TRACKS = (  # camera tracks still capturing in the page
    "() => [...document.querySelectorAll('video')].flatMap(v => v.srcObject ? v.srcObject.getTracks() : [])"
    ".filter(t => t.readyState === 'live').length"
)
BURST = 3


def camera_of(path: Path, photo: Path) -> Path:
    """A .y4m for Chromium's fake camera: one photo, letterboxed on grey, for 10 frames (looped)."""
    image = Image.open(photo).convert("RGB")
    image = image.resize((H * image.width // image.height, H), Image.Resampling.BICUBIC)
    frame = Image.new("RGB", (W, H), (200, 200, 200))
    frame.paste(image, ((W - image.width) // 2, 0))
    return write_y4m(path, [frame] * 10)


@contextmanager
def serving(app) -> Iterator[str]:
    """The app's page served in this process, on a free loopback port: its URL."""
    from sign_ml.ui.app import launch_kwargs

    port = free_port()
    demo = app.build()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_kwargs()
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@pytest.fixture(scope="module")
def record_app(tmp_path_factory, asl_sample):
    """The app with a fresh workspace (custom alphabet A B C), served in this process: (url, workspace, y4m)."""
    from sign_ml.ui.app import DactylApp

    root = tmp_path_factory.mktemp("workspace") / "ws"
    app = DactylApp(workspace=str(root))
    app.workspace.set_alphabet("custom", list(LETTERS))
    cameras = [  # one camera per signer's browser: two different people
        camera_of(tmp_path_factory.mktemp("camera") / f"camera{n}.y4m", asl_sample / name)
        for n, name in enumerate(("A/A0.jpg", "B/B5.jpg"))
    ]
    with serving(app) as url:
        yield url, root, cameras


def open_record_tab(p, url: str, y4m: Path):
    """A Chromium of its own (its own fake camera) on the Record tab; returns (browser, page)."""
    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *fake_camera_args(y4m)])
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="en-US", permissions=["camera"]
    )
    page = context.new_page()
    page.goto(url)
    page.locator("button[role=tab][data-tab-id=record]").click(timeout=60_000)
    return browser, page


def start_recording(page, signer: str, letters: tuple[str, ...] = LETTERS) -> None:
    """Fill the setup, start a session and the camera stream."""
    page.locator("#rec-signer textarea, #rec-signer input").first.fill(signer)
    page.locator("#rec-only textarea, #rec-only input").first.fill(" ".join(letters))
    for elem, value in (("rec-countdown", "0.5"), ("rec-burst", str(BURST))):
        box = page.locator(f"#{elem} input[type=number]")
        box.fill(value)
        box.press("Enter")
    page.locator("#rec-start").click()
    page.wait_for_function(
        f"() => document.querySelector('#rec-status').innerText.includes('letter 1 of {len(letters)}')",
        timeout=30_000,
    )
    # Start turns the camera on itself: access granted (a fake camera here), its stream started
    page.locator("#rec-cam [title='stop recording'], #rec-cam [title=spinner]").first.wait_for(timeout=60_000)


def wait_finished(page) -> None:
    page.wait_for_function(
        "() => document.querySelector('#rec-status').innerText.includes('Session finished')", timeout=120_000
    )


def test_two_signers_record_at_once_then_train_and_see_leave_one_signer_out(record_app):
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="playwright's Python package is not installed"
    )
    url, root, cameras = record_app
    p = playwright.sync_playwright().start()
    browsers = []
    try:
        for y4m in cameras:
            browsers.append(open_record_tab(p, url, y4m))
        pages = [page for _, page in browsers]
        for page, signer in zip(pages, ("ann", "bo"), strict=True):  # both streams then run at the same time
            start_recording(page, signer)
        for page in pages:
            wait_finished(page)
        grid = pages[1].locator("#rec-grid")
        pages[1].wait_for_function(
            "() => document.querySelector('#rec-grid').innerText.includes('bo')", timeout=30_000
        )
        assert "ann" in grid.inner_text()

        page = pages[0]
        page.locator("#rec-train").click()
        page.wait_for_function(
            "() => document.querySelector('#rec-train-result').innerText.includes('signers it has not seen')",
            timeout=180_000,
        )
        table = page.locator("#rec-loso").inner_text()
        assert "ann" in table and "bo" in table
        page.locator("button[role=tab][data-tab-id=evaluation]").click()
        page.wait_for_function(
            "() => document.querySelector('#eval-loso') && "
            "document.querySelector('#eval-loso').innerText.includes('signers it has not seen')",
            timeout=60_000,
        )
        (number,) = re.findall(
            r"\d+% on signers it has not seen", page.locator("#rec-train-result").inner_text()
        )
        assert number in page.locator("#eval-loso").inner_text()  # the same number on both tabs

        page.locator("button[role=tab][data-tab-id=dataset]").click()
        page.locator("#ml-find").click()
        page.wait_for_function(
            "() => /suspected of 18 photos checked/.test(document.querySelector('#ml-summary').innerText)",
            timeout=120_000,
        )

        page.locator("button[role=tab][data-tab-id=record]").click()
        page.locator("#pub-dataset textarea, #pub-dataset input").first.fill("someone/ukrsl-letters")
        page.locator("#pub-model textarea, #pub-model input").first.fill("someone/ukrsl-landmarks")
        page.locator("#pub-preview").click()
        page.wait_for_function(
            "() => document.querySelector('#pub-files') && "
            "document.querySelector('#pub-files').innerText.includes('README.md')",
            timeout=120_000,
        )
        listed = page.locator("#pub-files").inner_text()
        assert "model.safetensors" in listed and "loso.json" in listed
    finally:
        for browser, _ in browsers:
            browser.close()
        p.stop()
    meta = pd.read_csv(root / "metadata.csv", dtype=str, keep_default_na=False)
    files = sorted(str(p.relative_to(root)) for p in root.glob("*/*.jpg"))
    assert sorted(meta["file_name"]) == files  # every photo listed once, every row a photo
    assert meta.groupby(["signer", "letter"]).size().to_dict() == {
        (s, x): BURST for s in ("ann", "bo") for x in LETTERS
    }
    assert all(Path(f).name.startswith(("ann_1_", "bo_1_")) for f in files)
    preview = root / ".dactyl" / "publish-preview"
    card = (preview / "model" / "README.md").read_text(encoding="utf-8")
    assert "## Accuracy on signers it has not seen" in card and "ann" in card and "bo" in card
    assert (preview / "dataset" / "README.md").is_file()


@pytest.fixture(scope="module")
def one_camera_app(tmp_path_factory, asl_sample):
    """As the reviewer did: two signers in front of fake cameras showing the same photo (their photos are
    near-duplicates), in a fresh workspace with the ASL alphabet: (url, workspace, y4m)."""
    from sign_ml.ui.app import DactylApp

    root = tmp_path_factory.mktemp("workspace") / "ws"
    app = DactylApp(workspace=str(root))
    app.workspace.set_alphabet("asl")
    y4m = camera_of(tmp_path_factory.mktemp("camera") / "camera.y4m", asl_sample / "A/A0.jpg")
    with serving(app) as url:
        yield url, root, y4m


def test_two_signers_on_one_camera_still_train_and_preview_a_model_card_and_weights(one_camera_app):
    """Issue 20's dead end: near-duplicates join the signers, nothing is held out, and yet Train explains it
    by name, Check shows its summary on the page, and the publish preview lists the card and the weights."""
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="playwright's Python package is not installed"
    )
    url, root, y4m = one_camera_app
    p = playwright.sync_playwright().start()
    browsers = []
    try:
        for signer in ("anna", "bohdan"):  # one after the other, the same camera
            browser, page = open_record_tab(p, url, y4m)
            browsers.append((browser, page))
            start_recording(page, signer)
            status = page.locator("#rec-status").inner_text()
            assert not re.search("[А-Яа-яІіЇїЄєҐґ]", status), status  # an ASL prompt: A, never А (а)
            wait_finished(page)
        page = browsers[0][1]
        page.locator("#rec-check").click()
        page.wait_for_function(
            "() => document.querySelector('#rec-train-result').innerText.includes('Checked 18 photos')",
            timeout=120_000,
        )
        assert "duplicates" in page.locator("#rec-train-result").inner_text()
        page.locator("#rec-train").click()
        page.wait_for_function(
            "() => document.querySelector('#rec-train-result').innerText.includes('Trained in')",
            timeout=180_000,
        )
        result = page.locator("#rec-train-result").inner_text()
        assert "anna and bohdan are near-duplicates" in result and "too small" not in result
        page.locator("#pub-dataset textarea, #pub-dataset input").first.fill("someone/asl-letters")
        page.locator("#pub-model textarea, #pub-model input").first.fill("someone/asl-landmarks")
        page.locator("#pub-preview").click()
        page.wait_for_function(
            "() => document.querySelector('#pub-files') && "
            "document.querySelector('#pub-files').innerText.includes('model.safetensors')",
            timeout=120_000,
        )
        listed = page.locator("#pub-files").inner_text()
        assert "README.md" in listed and "model.safetensors" in listed
        assert "not found" not in page.locator("#pub-result").inner_text()
    finally:
        for browser, _ in browsers:
            browser.close()
        p.stop()
    card = (root / ".dactyl" / "publish-preview" / "model" / "README.md").read_text(encoding="utf-8")
    assert "Headline number:" in card and "No evaluation on a test split" in card


@pytest.fixture(scope="module")
def stop_app(tmp_path_factory, asl_sample):
    """A fresh workspace (custom alphabet A B) and one signer's camera: (url, workspace, y4m)."""
    from sign_ml.ui.app import DactylApp

    root = tmp_path_factory.mktemp("workspace") / "ws"
    app = DactylApp(workspace=str(root))
    app.workspace.set_alphabet("custom", ["A", "B"])
    y4m = camera_of(tmp_path_factory.mktemp("camera") / "camera.y4m", asl_sample / "A/A0.jpg")
    with serving(app) as url:
        yield url, root, y4m


def test_the_camera_stops_streaming_when_the_session_finishes_and_starts_with_the_next(stop_app):
    """Issue 20: after "Session finished" no frame goes to the server any more (the stream is closed), and the
    next session's Start streams again and records its photos."""
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="playwright's Python package is not installed"
    )
    url, root, y4m = stop_app
    p = playwright.sync_playwright().start()
    browser, page = open_record_tab(p, url, y4m)
    frames: list[float] = []  # when each streamed frame left the page
    page.on("request", lambda r: "/stream/" in r.url and frames.append(time.monotonic()))
    try:
        start_recording(page, "cyril", letters=("A", "B"))
        assert page.evaluate(LIVE_TRACKS) == 1  # what the check below counts, while recording
        wait_finished(page)
        assert frames, "the stream never sent a frame"
        finished = time.monotonic()
        page.wait_for_timeout(3_000)  # 15 frames' worth at STREAM_EVERY = 0.2 s
        late = [t for t in frames if t > finished + 1.0]  # a frame already on its way may still land
        assert not late, f"{len(late)} frames sent after 'Session finished'"
        assert (
            page.evaluate(LIVE_TRACKS) == 0
        )  # the camera itself is off (its light too), not only the frames

        before = len(frames)
        page.locator("#rec-start").click()  # a new session starts the stream again
        page.wait_for_function(
            "() => document.querySelector('#rec-status').innerText.includes('session 2')", timeout=30_000
        )
        wait_finished(page)
        assert len(frames) > before
    finally:
        browser.close()
        p.stop()
    meta = pd.read_csv(root / "metadata.csv", dtype=str, keep_default_na=False)
    assert meta.groupby("session").size().to_dict() == {"1": 2 * BURST, "2": 2 * BURST}
