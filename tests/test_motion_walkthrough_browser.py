"""Issue 18's Done-when, in real headless Chromiums with fake cameras, as a new user goes, everything through
the page: in a fresh ASL workspace two signers (anna in English on a desktop, bohdan in Ukrainian on a
phone) each record I held still (a burst of photos, then "held still" clips) and J signed with its movement
(3 clips in one session: "Clips per letter"); Train picks the temporal kind and measures on the signer left
out; then the Live tab commits J when anna signs it with the movement (on the browser path, the page's own
landmarker, and on the server path), and I, never J, when she holds I still.

The cameras are .y4m files of one sample I photo per signer (tests/motion_model.py `j_gif`: the photo moved
along a synthetic J path): still, the J with short holds (recording: a fake camera loops on its own, not in
step with the take's countdown, so its takes hold little stillness), and the J with a long hold before and
after (Live: a motion letter commits when its movement has ended). Chromium has one fake camera per
launch, so each camera is a browser of its own.

DACTYL_SCREENSHOTS=DIR also saves the Record tab during a clip take (both pages) and after Train, and the
Live tab after each commit, to look at."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from motion_model import j_gif
from PIL import Image, ImageSequence
from test_app_browser import CHROMIUM
from test_live_browser import WEBCAM_BUTTON, write_y4m
from test_motion_browser import fitted
from test_record_browser import serving
from test_walkthrough_browser import SIZES, new_page, open_tab, shoot, wait_text

from sign_ml.ui import tab_record
from sign_ml.ui.i18n import text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.shared_data,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's chromium not installed at {CHROMIUM}"),
]

# signer -> (index of their I photo among the sample's I photos with a hand, page language, page width)
SIGNERS = {"anna": (1, "en", "desktop"), "bohdan": (4, "uk", "phone")}
BURST = 5  # photos of I held still
CLIPS = tab_record.CLIPS_PER_LETTER  # the setting's default: 3 takes of J, and of I held still
FPS = 15


@pytest.fixture
def cameras(asl_sample, tmp_path) -> dict[str, dict[str, Path]]:
    """Per signer: the still I, the J to record and the J to sign in Live, as fake-camera files."""
    out = {}
    for signer, (photo, *_) in SIGNERS.items():
        gif = j_gif(asl_sample, tmp_path / f"{signer}-j.gif", seed=1, photo_index=photo)
        j = [fitted(f) for f in ImageSequence.Iterator(Image.open(gif))]  # ≈ 1.5 s of movement at 15 fps
        out[signer] = {
            "still": write_y4m(tmp_path / f"{signer}-still.y4m", [j[0]] * 10, fps=FPS),
            "record": write_y4m(tmp_path / f"{signer}-j.y4m", [j[0]] * 3 + j + [j[-1]] * 3, fps=FPS),
            "live": write_y4m(tmp_path / f"{signer}-live.y4m", [j[0]] * 15 + j + [j[-1]] * 30, fps=FPS),
        }
    return out


@pytest.fixture
def served(tmp_path):
    """A fresh ASL workspace served in this process: (url, root)."""
    from sign_ml.ui.app import DactylApp

    root = tmp_path / "ws"
    app = DactylApp(workspace=str(root))
    app.workspace.set_alphabet("asl")
    with serving(app) as url:
        yield url, root


def start(page, signer: str, letters: str, all_clips: bool = False) -> None:
    """Fill the session setup as a user does and press Start (it turns the camera on and streams)."""
    page.locator("#rec-signer textarea, #rec-signer input").first.fill(signer)
    page.locator("#rec-only textarea, #rec-only input").first.fill(letters)
    for elem, value in (("rec-countdown", "0.5"), ("rec-burst", str(BURST))):
        box = page.locator(f"#{elem} input[type=number]")
        box.fill(value)
        box.press("Enter")
    box = page.locator("#rec-all-clips input[type=checkbox]")
    box.check() if all_clips else box.uncheck()
    page.locator("#rec-start").click()


def record_page(p, url: str, signer: str, y4m: Path):
    """The signer's own browser (language, width) with the camera `y4m`, on the Record tab: (browser, page)."""
    _, lang, width = SIGNERS[signer]
    browser, page = new_page(p, url, lang, SIZES[width], y4m)
    open_tab(page, "record", lang)
    page.locator("#rec-signer").wait_for(timeout=60_000)
    return browser, page


def done_text(signer: str, photos: int, clips: int) -> str:
    lang = SIGNERS[signer][1]
    return text("rec_done", lang, what=tab_record.saved_text(photos, clips, lang))


def live_word(page, letter: str, on_server: bool = True, timeout: float = 120_000) -> str:
    """Open the Live tab with the camera on, on the server path (frames sent) or the browser path (the
    page's own landmarker, landmarks sent); wait until the word holds `letter`."""
    open_tab(page, "live", "en")
    if on_server:
        page.locator("#live-mode input[value=server]").check(timeout=30_000)
        page.locator("#live-cam button", has_text=WEBCAM_BUTTON).click(timeout=60_000)
        page.locator("#live-cam button[aria-label='capture photo']").click(timeout=60_000)
    else:  # the page opens on the browser path
        page.locator("#live-browser .live-start").click(timeout=30_000)
    page.wait_for_function(
        "(x) => { const w = document.querySelector('#live-word textarea, #live-word input');"
        " return w && w.value.includes(x); }",
        arg=letter,
        timeout=timeout,
    )
    return page.locator("#live-word textarea, #live-word input").first.input_value()


def test_record_j_clips_train_and_live_reads_j_moving_and_i_held_still(served, cameras):
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="playwright's Python package is not installed"
    )
    url, root = served
    began = time.monotonic()
    p = playwright.sync_playwright().start()
    browsers = []
    try:
        # 1. I held still: a burst of photos, then (a second session) clips of I held still
        still = {s: record_page(p, url, s, cameras[s]["still"]) for s in SIGNERS}
        browsers += still.values()
        for signer, (_, page) in still.items():
            start(page, signer, "I")
        for signer, (_, page) in still.items():
            wait_text(page, "rec-status", done_text(signer, BURST, 0))
            start(page, signer, "I", all_clips=True)
        for signer, (_, page) in still.items():
            wait_text(page, "rec-status", done_text(signer, 0, CLIPS))
        still["bohdan"][0].close()

        # 2. J signed with its movement: the default "Clips per letter" takes in one session
        moving = {s: record_page(p, url, s, cameras[s]["record"]) for s in SIGNERS}
        browsers += moving.values()
        for signer, (_, page) in moving.items():
            assert page.locator("#rec-clips input[type=number]").input_value() == str(CLIPS)
            start(page, signer, "J")
        for signer, (_, page) in moving.items():
            lang = SIGNERS[signer][1]
            take = text("rec_clip_take", lang, letter="J", k=2, n=CLIPS)
            wait_text(page, "rec-status", take)  # "J — clip 2 of 3": the status names the take
            shoot(page, f"motion-{lang}-{SIGNERS[signer][2]}-1-take")
        for signer, (_, page) in moving.items():
            status = wait_text(page, "rec-status", done_text(signer, 0, CLIPS))
            assert text("rec_short_clips", SIGNERS[signer][1], letters="J") not in status, status
        moving["bohdan"][0].close()

        # 3. Train: the temporal kind (clips in the train split), measured on the signer left out
        page = moving["anna"][1]
        page.locator("#rec-train").click()
        page.wait_for_function(
            "() => /✅|⚠/.test(document.querySelector('#rec-train-result').innerText)", timeout=300_000
        )
        result = page.locator("#rec-train-result").inner_text()
        assert "✅" in result and "on signers it has not seen" in result, result
        table = page.locator("#rec-loso").inner_text()
        assert "anna" in table and "bohdan" in table, table
        page.get_by_text(text("rec_log", "en")).first.click()  # the commands Train ran, and what they said
        commands = wait_text(page, "rec-log", "sign-ml loso")
        assert "--kind temporal" in commands and "motion letters (J)" in commands, commands
        shoot(page, "motion-en-desktop-2-trained")
        moving["anna"][0].close()

        # 4. Live: J signed with its movement commits J, on the browser path and on the server path; I
        # held still commits I and never J
        browser, page = new_page(p, url, "en", SIZES["desktop"], cameras["anna"]["live"])
        browsers.append((browser, page))
        word = live_word(page, "J", on_server=False)
        shoot(page, "motion-en-desktop-3-live-j-device")
        assert "J" in word, word
        page.reload()  # a new Live session (an empty word), the same camera
        page.locator("button[role=tab]").first.wait_for(timeout=60_000)
        word = live_word(page, "J")
        shoot(page, "motion-en-desktop-3-live-j-server")
        assert "J" in word, word
        browser.close()
        page = still["anna"][1]
        word = live_word(page, "I")
        page.wait_for_timeout(6_000)  # four windows' worth of I held still: still no J
        word = page.locator("#live-word textarea, #live-word input").first.input_value()
        shoot(page, "motion-en-desktop-4-live-i")
        assert "I" in word and "J" not in word, word
    finally:
        for browser, _ in browsers:
            if browser.is_connected():
                browser.close()
        p.stop()
    print(f"walk-through: {time.monotonic() - began:.0f} s")  # noqa: T201 - the figure the README names

    meta = pd.read_csv(root / "metadata.csv", dtype=str, keep_default_na=False)
    kinds = meta.assign(kind=meta["file_name"].str.endswith(".clip.json"))
    assert kinds.groupby(["signer", "letter", "kind"]).size().to_dict() == {
        **{(s, "I", False): BURST for s in SIGNERS},
        **{(s, "I", True): CLIPS for s in SIGNERS},
        **{(s, "J", True): CLIPS for s in SIGNERS},
    }
    for s in SIGNERS:  # the workspace's numbering: session 3 took J, its clips one after the other
        assert sorted(f.name for f in (root / "J").glob(f"{s}_*.clip.json")) == [
            f"{s}_3_{n:03d}.clip.json" for n in range(1, CLIPS + 1)
        ]
    # the served model learned from the train split's signer: the one Live was signed by
    manifest = pd.read_csv(root / ".dactyl" / "splits" / "manifest.csv", dtype=str)
    train = {Path(x).name.split("_")[0] for x in manifest.loc[manifest["split"] == "train", "path"]}
    assert train == {"anna"}, train
