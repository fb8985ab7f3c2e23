"""Live per-frame latency with a clip model: each new frame's rolling window (the last 1.5 s) through
`Predictor.predict_window`, beside one frame through `predict_landmarks` (what Live costs today).

    python benchmarks/window_latency.py --model runs/demo-temporal/run [--fps 30] [--frames 600]
    python benchmarks/window_latency.py --model models/demo --compare runs/demo-lm/run

Frames are real hands: the sample's I photo landmarks moved along a synthetic J path and held still,
repeated, at --fps; every frame appends to the window and asks for an answer, as the Live tab does. The
window's clip features, the model's input and the forward pass are all inside the timing. Prints p50/p95
per frame for each model given (target p50 ≤ 40 ms per frame on 2 cores). The machine may be shared: run
the models side by side in one run and compare them, not figures from different runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SAMPLE = REPO.parent / "shared" / "data" / "asl-letters-sample"


def stream(fps: float, n: int, seed: int = 0) -> list[tuple[np.ndarray | None, str | None]]:
    """n frames (normalized landmarks of a 640×480 frame, handedness): J movements and holds, repeated."""
    from curation.hand_cache import detect_files
    from sign_ml.synthetic_motion import held_still, synthesize_j
    from sign_ml.trajectory import clip_points

    photos = sorted((SAMPLE / "I").glob("*.jpg"))[:5]
    outcomes, _ = detect_files([str(p) for p in photos])
    hands = [o.detection for o in outcomes if o.detection is not None and o.detection.found]
    if not hands:
        raise SystemExit(f"{SAMPLE}/I: no hand found in the first photos")
    rng = np.random.default_rng(seed)
    scale = np.array([640.0, 480.0, 640.0])
    out: list[tuple[np.ndarray | None, str | None]] = []
    while len(out) < n:
        d = hands[len(out) % len(hands)]
        still = clip_points(d.hand.landmarks, 640, 480)
        make = synthesize_j if rng.uniform() < 0.5 else held_still
        points, _ = make(still, rng, fps=(fps, fps))
        out += [((p / scale).astype(np.float32), d.hand.handedness) for p in points]
        out += [(None, None)] * int(rng.integers(0, 4))  # a few frames without a hand between letters
    return out[:n]


def per_frame(predictor, frames, fps: float, windowed: bool) -> list[float]:
    from sign_ml.predict import WINDOW_SECONDS, WindowFrame

    window: list[WindowFrame] = []
    ms = []
    for k, (landmarks, handedness) in enumerate(frames):
        t = k / fps
        window.append(WindowFrame(t, landmarks, handedness, 640, 480))
        window = [f for f in window if t - f.t <= WINDOW_SECONDS]  # what the Live tab keeps
        start = time.perf_counter()
        if windowed:
            predictor.predict_window(window)
        elif landmarks is not None:
            predictor.predict_landmarks(landmarks, handedness, 640, 480)
        else:
            continue
        ms.append((time.perf_counter() - start) * 1e3)
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="a model directory (any kind with landmarks)")
    parser.add_argument("--compare", nargs="*", default=[], help="more model directories, timed alike")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--frames", type=int, default=600)
    args = parser.parse_args()

    import os

    from sign_ml.predict import Predictor

    frames = stream(args.fps, args.frames)
    print(f"{len(frames)} frames at {args.fps:g} fps, window 1.5 s, {os.cpu_count()} CPU cores")
    for model in [args.model, *args.compare]:
        predictor = Predictor.from_pretrained(model)
        per_frame(predictor, frames[:60], args.fps, True)  # warm-up: ORT arenas, caches
        for label, windowed in (("predict_window", True), ("predict_landmarks", False)):
            ms = np.asarray(per_frame(predictor, frames, args.fps, windowed))
            print(
                f"{model} ({predictor.kind}, {predictor.backend}) {label:18} "
                f"p50 {np.percentile(ms, 50):6.2f} ms  p95 {np.percentile(ms, 95):6.2f} ms  "
                f"({len(ms)} frames)",
                flush=True,
            )


if __name__ == "__main__":
    main()
