"""Issue 20's Done-when, in real headless Chromiums with fake cameras, as a new user goes: two signers (anna,
bohdan) record A B C L V Y, 5 photos each, at the same time in the Record tab of an ASL workspace; Train;
Preview; Publish to a Hub on loopback (tests/loopback_hub.py, which keeps what it is sent). Then the
published repos hold what the preview listed: the model card with the leave-one-signer-out numbers, the
weights, a config naming the six letters, and the dataset card and parquet shards. Once in English on a
desktop, once in Ukrainian on a phone.

DACTYL_SCREENSHOTS=DIR also saves the Record tab at each step and every tab in both languages at both widths
(1280 and 390 px), to look at."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from conftest import fake_camera_args, point_hub_at
from loopback_hub import LoopbackHub, point_datasets_at
from test_app_browser import CHROMIUM, CHROMIUM_ARGS
from test_record_browser import camera_of, serving

from sign_ml.ui import tab_record

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's chromium not installed at {CHROMIUM}"),
]

LETTERS = ("A", "B", "C", "L", "V", "Y")
BURST = 5
SIGNERS = {"anna": "A/A0.jpg", "bohdan": "B/B5.jpg"}  # each signer's camera shows a photo of their own
TOKEN = "hf_LoopbackOnlyTokenNeverShown0123456789"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
TABS = ("recognize", "dataset", "evaluation", "live", "model", "record")


@pytest.fixture
def served(tmp_path, asl_sample, monkeypatch):
    """A fresh ASL workspace served in this process, with the loopback Hub as the Hub: (url, root, hub)."""
    from sign_ml.ui.app import DactylApp

    hub = LoopbackHub()
    point_hub_at(monkeypatch, tmp_path, hub.url, TOKEN)
    point_datasets_at(monkeypatch, hub.url)
    root = tmp_path / "ws"
    app = DactylApp(workspace=str(root))
    app.workspace.set_alphabet("asl")
    try:
        with serving(app) as url:
            yield url, root, hub
    finally:
        hub.close()


def new_page(p, url: str, lang: str, size: tuple[int, int], y4m: Path | None = None):
    """A Chromium of its own (with its own fake camera) showing the page in `lang`: (browser, page)."""
    args = [*CHROMIUM_ARGS, *(fake_camera_args(y4m) if y4m is not None else [])]
    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
    locale = {"en": "en-US", "uk": "uk-UA"}[lang]
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]},
        locale=locale,
        extra_http_headers={"Accept-Language": f"{locale},{lang};q=0.9"},
        permissions=["camera"] if y4m is not None else [],
    )
    page = context.new_page()
    page.goto(url)
    page.locator("button[role=tab]").first.wait_for(timeout=60_000)
    return browser, page


def open_tab(page, tab_id: str, lang: str) -> None:
    """Click a tab, through "More tabs" where a phone keeps it."""
    from sign_ml.ui.i18n import text

    tab = page.locator(f"button[role=tab][data-tab-id={tab_id}]")
    if tab.count() and tab.first.is_visible():
        tab.first.click()
        return
    page.locator("button[aria-label='More tabs']").click()
    menu = page.locator(".overflow-dropdown button, .overflow-menu button")
    menu.filter(has_text=text(f"tab_{tab_id}", lang)).first.click()


def fill(page, elem: str, value: str) -> None:
    page.locator(f"#{elem} textarea, #{elem} input").first.fill(value)


def wait_text(page, elem: str, needle: str, timeout: float = 120_000) -> str:
    page.wait_for_function(
        "([e, n]) => { const el = document.querySelector('#' + e); return el && el.innerText.includes(n); }",
        arg=[elem, needle],
        timeout=timeout,
    )
    return page.locator(f"#{elem}").inner_text()


def shoot(page, name: str) -> None:
    folder = os.environ.get("DACTYL_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("lang", "width"), [("en", "desktop"), ("uk", "phone")])
def test_two_signers_record_train_preview_and_publish_to_a_loopback_hub(
    served, asl_sample, tmp_path, lang, width
):
    from sign_ml.ui.i18n import text

    playwright = pytest.importorskip(
        "playwright.sync_api", reason="playwright's Python package is not installed"
    )
    url, root, hub = served
    p = playwright.sync_playwright().start()
    browsers = []
    try:
        for signer, photo in SIGNERS.items():
            y4m = camera_of(tmp_path / f"{signer}.y4m", asl_sample / photo)
            browsers.append(new_page(p, url, lang, SIZES[width], y4m))
        pages = [page for _, page in browsers]
        for page, signer in zip(pages, SIGNERS, strict=True):  # both record at the same time
            open_tab(page, "record", lang)
            fill(page, "rec-signer", signer)
            fill(page, "rec-only", " ".join(LETTERS))
            for elem, value in (("rec-countdown", "0.5"), ("rec-burst", str(BURST))):
                box = page.locator(f"#{elem} input[type=number]")
                box.fill(value)
                box.press("Enter")
            page.locator("#rec-start").click()  # Start turns the camera on and streams
        done = text("rec_done", lang, what=tab_record.saved_text(len(LETTERS) * BURST, 0, lang))
        for page in pages:
            wait_text(page, "rec-status", done, timeout=240_000)
        page = pages[0]
        shoot(page, f"{lang}-{width}-1-recorded")

        page.locator("#rec-train").click()
        page.wait_for_function(
            "() => /✅|⚠/.test(document.querySelector('#rec-train-result').innerText)", timeout=300_000
        )
        result = page.locator("#rec-train-result").inner_text()
        assert "✅" in result, result
        table = page.locator("#rec-loso").inner_text()
        assert "anna" in table and "bohdan" in table, result
        shoot(page, f"{lang}-{width}-2-trained")

        fill(page, "pub-dataset", "anna/asl-letters")
        fill(page, "pub-model", "anna/asl-landmarks")
        page.locator("#pub-preview").click()
        listed = wait_text(page, "pub-files", "model.safetensors")
        assert "README.md" in listed and "config.json" in listed
        assert text("pub_col_path", lang) in listed and text("pub_kind_model", lang) in listed  # page's words
        assert text("pub_dry_info", lang).split("`")[0] in page.locator("#pub-result").inner_text()
        shoot(page, f"{lang}-{width}-3-preview")
        page.locator("#pub-publish").click()
        page.wait_for_function(  # the preview's text has neither mark
            "() => /✅|⚠/.test(document.querySelector('#pub-result').innerText)", timeout=180_000
        )
        published = page.locator("#pub-result").inner_text()
        assert "⚠" not in published, published
        # each repo named in the page's words, at the Hub it went to
        for kind, repo in (("dataset", "datasets/anna/asl-letters"), ("model", "anna/asl-landmarks")):
            assert f"{text(f'pub_kind_{kind}', lang)}: {hub.url}/{repo}" in published, published
        shoot(page, f"{lang}-{width}-4-published")
        assert TOKEN not in page.content()
    finally:
        for browser, _ in browsers:
            browser.close()
        p.stop()

    preview = root / ".dactyl" / "publish-preview"
    model = hub.repos[("model", "anna/asl-landmarks")]
    wanted = {str(f.relative_to(preview / "model")) for f in (preview / "model").rglob("*") if f.is_file()}
    assert set(model) == wanted  # the upload is what the preview listed
    assert {"README.md", "model.safetensors", "config.json"} <= set(model)
    card = model["README.md"].decode()
    assert "## Accuracy on signers it has not seen" in card and "anna" in card and "bohdan" in card
    assert "anna/asl-letters" in card  # the card links the dataset published beside it
    config = json.loads(model["config.json"])
    assert config["class_names"] == list(LETTERS)
    assert model["model.safetensors"] == (preview / "model" / "model.safetensors").read_bytes()
    dataset = hub.repos[("dataset", "anna/asl-letters")]
    assert "README.md" in dataset and any(name.endswith(".parquet") for name in dataset)
    meta = pd.read_csv(root / "metadata.csv", dtype=str, keep_default_na=False)
    assert meta.groupby(["signer", "letter"]).size().to_dict() == {
        (s, x): BURST for s in SIGNERS for x in LETTERS
    }
    if os.environ.get("DACTYL_SCREENSHOTS") and lang == "en":
        every_tab(url)


def every_tab(url: str) -> None:
    """Every tab in both languages at both widths, after the walk-through (the app serves the new model)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        for lang in ("en", "uk"):
            for width, size in SIZES.items():
                browser, page = new_page(p, url, lang, size)
                try:
                    for tab in TABS:
                        open_tab(page, tab, lang)
                        page.wait_for_timeout(2_500)  # the tab's own load events
                        shoot(page, f"tab-{tab}-{lang}-{width}")
                finally:
                    browser.close()
