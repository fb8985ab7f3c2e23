"""Hand-stage and landmark-model latency on 2 cores, against the old image model, at 320 and 640 px.

    python benchmarks/hand_stage.py [--n 100] [--data ../shared/data/asl-letters-sample]

Per photo, batch 1, in one process (as the app serves): the hand stage (decode + MediaPipe, with the
retries it makes on a miss), the landmark model alone (features + MLP, ONNX Runtime), the landmark model end
to end (`Predictor.predict`), and models/asl-mobilenet's MobileNetV3 (decode + forward without the hand
stage, and end to end with it). 640-px photos are the 320-px sample photos enlarged (the sample has no
larger ones), written as JPEG quality 90 first. Also prints the detection rate and how many photos needed a
retry. Figures print; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from curation.images import load_rgb
from sign_ml.predict import Predictor
from sign_ml.presets import decode_for_hands

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, items) -> np.ndarray:
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t0) * 1000)
    return np.asarray(out)


def line(name: str, ms: np.ndarray) -> str:
    return f"  {name:44} p50 {np.percentile(ms, 50):6.1f} ms   p95 {np.percentile(ms, 95):6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "asl-letters-sample")
    parser.add_argument("--n", type=int, default=100, help="photos per size")
    parser.add_argument("--landmarks", type=Path, default=ROOT / "models" / "demo")
    parser.add_argument("--image", type=Path, default=ROOT / "models" / "asl-mobilenet")
    args = parser.parse_args()

    files = sorted(args.data.glob("*/*.jpg"))
    files = [files[i] for i in np.linspace(0, len(files) - 1, args.n).astype(int)]
    print(f"{os.cpu_count()} cores; {len(files)} photos of {args.data.name}")
    with tempfile.TemporaryDirectory() as tmp:
        # copies of the model directories: the ONNX exports go there, not into the repository
        lm = Predictor.from_pretrained(_copy(args.landmarks, Path(tmp) / "lm"))
        cnn = Predictor.from_pretrained(_copy(args.image, Path(tmp) / "cnn"))
        stage = lm.hands
        for side in (320, 640):
            photos = []
            for k, f in enumerate(files):
                path = Path(tmp) / f"{side}_{k}.jpg"
                image = load_rgb(f)
                if side != max(image.size):
                    image = image.resize(
                        (side * image.width // max(image.size), side * image.height // max(image.size)),
                        Image.Resampling.BICUBIC,
                    )
                image.save(path, quality=90)
                photos.append(str(path))
            lm.predict(photos[0])  # warm-up: graphs built, threads started
            cnn.predict(photos[0])
            detections = {}

            def hand_stage(p, detections=detections):
                detections[p] = stage.detect(decode_for_hands(p))

            t_hand = timed(hand_stage, photos)
            found = [p for p in photos if detections[p].found]
            inputs = {p: lm.encode(p, None, detections[p]) for p in found}
            t_mlp = timed(lambda p, inputs=inputs: lm.forward(inputs[p][None]), found)
            t_lm = timed(lm.predict, photos)
            t_cnn_bare = timed(lambda p: cnn.forward(cnn.encode(p)[None]), photos)
            t_cnn = timed(cnn.predict, photos)
            retried = sum(detections[p].retried for p in photos)
            print(
                f"\n{side} px: hands found in {len(found)} of {len(photos)}; {retried} found only on a retry"
            )
            print(line("hand stage (decode + MediaPipe)", t_hand))
            print(line("landmark model alone (features + MLP)", t_mlp))
            print(line("landmark model end to end (predict)", t_lm))
            print(line("MobileNetV3 alone (decode + forward)", t_cnn_bare))
            print(line("MobileNetV3 end to end with the hand stage", t_cnn))


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    dst.mkdir(parents=True)
    for name in ("model.safetensors", "config.json"):
        shutil.copy2(src / name, dst / name)
    return dst


if __name__ == "__main__":
    main()
