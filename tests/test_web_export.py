"""`sign-ml export-web`: the folder holds everything the page needs (no URL outside it), features.js
computes exactly sign_ml/landmarks.py's features (run in node), an image model is refused with one line,
and in Chromium, served by `python -m http.server`, the page reads the fake camera's letter and its
onnxruntime-web logits equal the Python predictor's."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from conftest import fake_camera_args, left_frame, sure_live_frame
from PIL import Image

from sign_ml.cli import main as sign_ml_main
from sign_ml.landmarks import hand_features
from sign_ml.web_export import export_web

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "models" / "demo"
THUMBS = DEMO / "eval" / "test" / "thumbs"
FEATURES_JS = REPO / "sign_ml" / "web" / "export" / "features.js"
NODE = shutil.which("node")


@pytest.fixture(scope="module")
def hands():
    """Real landmarks: (landmarks (21, 3), width, height, handedness) of the demo's shipped thumbnails."""
    from curation.hands import HandStage

    out = []
    with HandStage(max_hands=1) as stage:
        for path in sorted(THUMBS.rglob("*.jpg"))[:12]:
            image = Image.open(path).convert("RGB")
            detection = stage.detect(image)
            if detection.found:
                h = detection.hand
                out.append((h.landmarks, detection.width, detection.height, h.handedness))
    if len(out) < 3:
        pytest.skip("too few shipped thumbnails with a hand")
    return out


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("mirror_left", [False, True])
def test_features_js_computes_the_python_features(hands, mirror_left):
    cases = [(lm.astype(np.float64).ravel().tolist(), w, h, hd == "Left") for lm, w, h, hd in hands]
    cases += [(*cases[0][:3], False), (*cases[0][:3], True)]  # one hand called right, then left
    script = (
        f"import {{ handFeatures }} from {json.dumps(FEATURES_JS.as_uri())};"
        f"const cases = {json.dumps(cases)};"
        f"console.log(JSON.stringify(cases.map(([lm, w, h, left]) => Array.from("
        f"handFeatures(lm, w, h, left, {json.dumps(mirror_left)})))));"
    )
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", script], capture_output=True, text=True, check=True, timeout=60
    )
    js = np.asarray(json.loads(done.stdout), dtype=np.float32)
    py = np.stack(
        [
            hand_features(np.asarray(lm).reshape(21, 3), w, h, left=left, mirror_left=mirror_left)
            for lm, w, h, left in cases
        ]
    )
    assert js.shape == py.shape == (len(cases), 290)
    np.testing.assert_allclose(js, py, rtol=1e-6, atol=1e-6)
    if mirror_left:  # the left hand really was mirrored: its x coordinates flipped sign
        assert not np.allclose(js[-1], js[-2])


def test_export_holds_the_page_the_model_and_credits(tmp_path):
    if not (DEMO / "config.json").is_file():
        pytest.skip("no embedded demo model")
    out = export_web(DEMO, tmp_path / "web")
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"index.html", "app.js", "features.js", "model.onnx", "classes.json", "README.md"} <= names
    assert {
        "assets/hand_landmarker.task",
        "assets/tasks-vision/LICENSE",
        "assets/onnxruntime-web/LICENSE",
    } <= names
    classes = json.loads((out / "classes.json").read_text(encoding="utf-8"))
    config = json.loads((DEMO / "config.json").read_text(encoding="utf-8"))
    assert classes["class_names"] == config["class_names"]
    assert [n for n, m in zip(classes["class_names"], classes["motion"], strict=True) if m] == ["J", "Z"]
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert (
        "no server" in readme and "## Limits" in readme and "Apache License 2.0" in readme and "MIT" in readme
    )
    # every URL the page loads is inside the folder: no CDN
    for page in ("index.html", "app.js"):
        text = (out / page).read_text(encoding="utf-8")
        assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)", text.replace("location.href", "")), page
    for url in re.findall(r'"\./([^"]+)"', (out / "app.js").read_text(encoding="utf-8")):
        assert (out / url).exists(), url


def test_export_refuses_an_image_model_and_a_used_folder(tmp_path, capsys):
    image_model = REPO / "models" / "asl-mobilenet"
    if not (image_model / "config.json").is_file():
        pytest.skip("no image model in the checkout")
    assert sign_ml_main(["export-web", str(image_model), str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("the web export needs a landmark model") and "\n" not in err
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")
    assert sign_ml_main(["export-web", str(DEMO), str(tmp_path / "used")]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert (tmp_path / "used" / "keep.txt").read_text() == "mine"


@pytest.mark.browser
@pytest.mark.slow
def test_the_export_reads_a_letter_offline_in_chromium(tmp_path, hands):
    from test_app_browser import CHROMIUM, CHROMIUM_ARGS, free_port
    from test_live_browser import write_y4m

    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium not installed at {CHROMIUM}")
    from sign_ml.predict import Predictor, softmax
    from sign_ml.ui.app import DactylApp

    found = sure_live_frame(DactylApp(model=str(DEMO), data=None), left_frame)
    if found is None:
        pytest.skip("no shipped thumbnail the video stage reads surely")
    frame, _, top = found
    letter = top[0][0]
    y4m = write_y4m(tmp_path / "camera.y4m", [frame] * 10)
    out = export_web(DEMO, tmp_path / "web")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "-b", "127.0.0.1", "-d", str(out), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    predictor = Predictor.from_pretrained(DEMO)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        p = playwright.sync_playwright().start()
        args = [*CHROMIUM_ARGS, *fake_camera_args(y4m)]
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            context = browser.new_context(permissions=["camera"])
            outside: list[str] = []
            context.route(
                re.compile(rf"^(?!http://127\.0\.0\.1:{port}/).*"),
                lambda route: (outside.append(route.request.url), route.abort()),
            )
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator("#start").click()
            page.wait_for_function(
                f"() => document.getElementById('letter').textContent.startsWith('{letter} ·')",
                timeout=120_000,
            )
            page.wait_for_function(
                f"() => document.getElementById('word').textContent.startsWith('{letter}')", timeout=60_000
            )
            got = page.evaluate(
                "async (cases) => Promise.all(cases.map(([lm, w, h, hd]) => window.dactylExport.logits(lm, w, h, hd)))",
                [(lm.astype(np.float64).ravel().tolist(), w, h, hd) for lm, w, h, hd in hands],
            )
        finally:
            browser.close()
            p.stop()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert outside == []  # nothing but the folder's own server was asked
    # the server's answer to the same landmarks (any landmark kind: the temporal demo reads one frame)
    want = np.stack([predictor.predict_landmarks(lm, hd, w, h).probs for lm, w, h, hd in hands])
    np.testing.assert_allclose(softmax(np.asarray(got, dtype=np.float32)), want, atol=1e-4)
    assert (softmax(np.asarray(got, dtype=np.float32)).argmax(1) == want.argmax(1)).all()
