"""Replay a 640×480 camera through the Live tab's handler and print per-frame server latency, dropped frames
and processed frames per second, for one session and for two at once.

The camera is simulated at --fps: frame i exists from i/fps seconds on. Each session works as Gradio's
streaming webcam does (latest frame wins): when its previous frame is answered it takes the newest frame
the camera has made; the ones it never took are dropped. The frames are sample photos (one per letter,
each held --hold frames) pasted on a 640×480 canvas; nothing is written to the repository.

    python benchmarks/live_stream.py --photos ../shared/data/asl-letters-sample --seconds 20
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

W, H = 640, 480


def camera_frames(photos: Path, letters: int, hold: int) -> list[Image.Image]:
    """One photo per letter folder (the first), resized onto a 640×480 canvas, each repeated `hold` times."""
    frames = []
    for folder in sorted(d for d in photos.iterdir() if d.is_dir())[:letters]:
        path = sorted(folder.glob("*.jpg"))[0]
        photo = Image.open(path).convert("RGB")
        photo = photo.resize((H * photo.width // photo.height, H), Image.Resampling.BILINEAR)
        canvas = Image.new("RGB", (W, H), (200, 200, 200))
        canvas.paste(photo, ((W - photo.width) // 2, 0))
        frames += [canvas] * hold
    return frames


def run_session(app, frames: list[Image.Image], fps: float, seconds: float, start: float, out: dict) -> None:
    """One browser session: its own LiveSession, the latest camera frame each time it is free."""
    from sign_ml.ui.tab_live import LiveSession, close_session, live_frame

    session = LiveSession()
    latencies, taken, last = [], 0, -1
    try:
        while True:
            now = time.perf_counter() - start
            if now >= seconds:
                break
            newest = int(now * fps)
            if newest <= last:  # faster than the camera: wait for its next frame
                time.sleep((last + 1) / fps - now)
                continue
            t0 = time.perf_counter()
            session, *_ = live_frame(app, session, frames[newest % len(frames)], hold_ms=600)
            latencies.append((time.perf_counter() - t0) * 1000)
            taken += 1
            last = newest
        made = int(seconds * fps)
        out.update(latencies=latencies, processed=taken, made=made, dropped=made - taken, word=session.word)
    finally:
        close_session(session)


def report(name: str, results: list[dict], seconds: float) -> None:
    for k, r in enumerate(results):
        lat = np.array(r["latencies"][3:] or r["latencies"])  # the first frames build the landmarker: warm-up
        print(
            f"{name} session {k + 1}: p50 {np.percentile(lat, 50):.1f} ms  p95 {np.percentile(lat, 95):.1f} ms  "
            f"processed {r['processed']}/{r['made']} frames ({r['processed'] / seconds:.1f} frames/s)  "
            f"dropped {r['dropped']}  word {r['word']!r}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, required=True, help="a folder of class folders of photos")
    parser.add_argument(
        "--model", default=None, help="run/model directory (default: the embedded demo model)"
    )
    parser.add_argument("--fps", type=float, default=15.0, help="the simulated camera's frames per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long each run replays the camera")
    parser.add_argument("--letters", type=int, default=6, help="how many letters the sequence spells")
    parser.add_argument("--hold", type=int, default=15, help="frames each letter is held")
    args = parser.parse_args(argv)

    from sign_ml.ui.app import DactylApp

    app = DactylApp(model=args.model, data=None)
    frames = camera_frames(args.photos, args.letters, args.hold)
    print(
        f"model {app.model.ref} ({getattr(app.predictor, 'kind', 'image')}, {app.predictor.backend}); "
        f"camera {W}x{H} at {args.fps:g} fps, {len(frames)} frames looped for {args.seconds:g} s"
    )
    for n in (1, 2):
        results = [{} for _ in range(n)]
        start = time.perf_counter()
        threads = [
            threading.Thread(target=run_session, args=(app, frames, args.fps, args.seconds, start, r))
            for r in results
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        report(f"{n} at once:", results, args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
