"""Do the Live tab's two paths read the same letter? The browser's hand landmarker (MediaPipe Tasks Vision,
WebAssembly, in headless Chromium: the vendored build the page loads) against the server's (MediaPipe in
Python), on the same frames, each read by the same landmark model.

Each sample photo becomes one 640×480 frame as the Live camera gives it (the photo scaled to 480 px high
on a grey canvas), written once as a lossless PNG to a temporary folder, so both landmarkers see the same
pixels. Both run in IMAGE mode (independent photos: VIDEO mode would track from one photo into the next)
with the Live settings: one hand, detection and presence confidence 0.3, no padded retries. Prints how
often each finds a hand and, over the frames where both do, how often the top-1 letter is the same.

    python benchmarks/browser_agreement.py [--photos ../shared/data/asl-letters-sample]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
W, H = 640, 480
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE = """<!doctype html><meta charset="utf-8"><script type="module">
import { HandLandmarker } from "./tasks-vision/vision_bundle.mjs";
const base = new URL("./tasks-vision/", location.href).href;
window.ready = HandLandmarker.createFromOptions(
  { wasmLoaderPath: base + "vision_wasm_internal.js", wasmBinaryPath: base + "vision_wasm_internal.wasm" },
  { baseOptions: { modelAssetPath: "./hand_landmarker.task", delegate: "CPU" }, runningMode: "IMAGE",
    numHands: 1, minHandDetectionConfidence: 0.3, minHandPresenceConfidence: 0.3 });
window.detect = async (url) => {
  const marker = await window.ready;
  const bitmap = await createImageBitmap(await (await fetch(url)).blob());
  const r = marker.detect(bitmap);
  bitmap.close();
  if (!r.landmarks.length) return null;
  return { lm: r.landmarks[0].flatMap((p) => [p.x, p.y, p.z]), hd: r.handedness[0][0].categoryName };
};
</script>"""


def frames_of(photos: Path, limit: int | None) -> list[tuple[str, Image.Image]]:
    paths = sorted(p for p in photos.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[:limit]
    from curation.images import load_rgb

    out = []
    for path in paths:
        photo = load_rgb(path)
        photo = photo.resize((max(1, H * photo.width // photo.height), H), Image.Resampling.BILINEAR)
        canvas = Image.new("RGB", (W, H), (200, 200, 200))
        canvas.paste(photo, ((W - photo.width) // 2, 0))
        out.append((path.relative_to(photos).as_posix(), canvas))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=REPO.parent / "shared" / "data" / "asl-letters-sample")
    parser.add_argument("--model", default=str(REPO / "models" / "demo"), help="a landmark model directory")
    parser.add_argument("--limit", type=int, default=None, help="at most this many photos")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from curation.hands import HandStage, model_path
    from sign_ml.landmarks import hand_features
    from sign_ml.predict import Predictor

    predictor = Predictor.from_pretrained(args.model)
    if predictor.kind != "landmarks":
        raise SystemExit(f"{args.model}: not a landmark model")
    mirror = predictor.meta.landmarks.get("handedness") == "mirror_left"
    frames = frames_of(args.photos, args.limit)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "frames").mkdir()
        for k, (_, frame) in enumerate(frames):
            frame.save(root / "frames" / f"{k}.png")
        (root / "index.html").write_text(PAGE, encoding="utf-8")
        os.symlink(REPO / "sign_ml" / "web" / "vendor" / "tasks-vision", root / "tasks-vision")
        os.symlink(model_path(), root / "hand_landmarker.task")
        handler = functools.partial(QuietHandler, directory=str(root))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.goto(url)
                page.evaluate("() => window.ready.then(() => true)")
                web = [
                    page.evaluate("(u) => window.detect(u)", f"frames/{k}.png") for k in range(len(frames))
                ]
                browser.close()
        finally:
            server.shutdown()

    def letter(lm: np.ndarray, hd: str) -> str:
        x = hand_features(lm, W, H, left=hd == "Left", mirror_left=mirror)[None].astype(np.float32)
        return predictor.class_names[int(predictor.forward(x)[0].argmax())]

    py_found = web_found = both = same = 0
    with HandStage(mode="image", max_hands=1, retry_padded=False) as stage:
        for (_, frame), w in zip(frames, web, strict=True):
            d = stage.detect(frame)
            py_found += d.found
            web_found += w is not None
            if d.found and w is not None:
                both += 1
                a = letter(d.hand.landmarks, d.hand.handedness)
                b = letter(np.asarray(w["lm"], dtype=np.float32).reshape(21, 3), w["hd"])
                same += a == b
    n = len(frames)
    print(f"photos {args.photos}: {n} frames of {W}x{H}; model {args.model}")
    print(f"hand found: server (Python) {py_found}/{n}, browser (WebAssembly) {web_found}/{n}, both {both}")
    print(f"same top-1 letter on frames where both found a hand: {same}/{both} = {same / max(both, 1):.1%}")
    return 0


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # noqa: ARG002 - one line per photo otherwise
        pass


if __name__ == "__main__":
    raise SystemExit(main())
