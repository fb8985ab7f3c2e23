"""Live and Recognize on the same still frame: how often the Live tab's letter is Recognize's letter.

    python benchmarks/live_agreement.py [--photos ../shared/data/asl-letters-sample] [--per-letter 2]
                                        [--frames 10] [--model models/demo]

For `--per-letter` photos of every letter, Recognize's answer is `DactylApp.predict` on the photo (the
IMAGE-mode hand stage). Live gets the same photo as `--frames` camera frames in a row, as a fake camera
showing a still picture would send them, through `tab_live.live_frame` (its own VIDEO-mode landmarker,
the model, then the smoothing); a second fresh session gives the frames' raw top-1 without smoothing.
Printed: of the frames in which Live found a hand, the share whose letter is Recognize's, smoothed and raw;
and the photos where they disagree most.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SAMPLE = REPO.parent / "shared" / "data" / "asl-letters-sample"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=SAMPLE)
    parser.add_argument("--per-letter", type=int, default=2)
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--model", default=str(REPO / "models" / "demo"))
    parser.add_argument(
        "--loop",
        default="",
        help="letters (e.g. ABCLVY): one session watches their first photos in turn, --frames each, twice "
        "round, on a 640×480 canvas, as the issue's fake camera did; every frame counts, changes included",
    )
    args = parser.parse_args()
    if args.loop:
        return loop(args)

    from sign_ml.ui import tab_live
    from sign_ml.ui.app import DactylApp

    app = DactylApp(model=args.model, data=None)
    photos = [
        p
        for d in sorted(x for x in args.photos.iterdir() if x.is_dir())
        for p in sorted(d.glob("*.jpg"))[: args.per_letter]
    ]
    hand_frames = agree = raw_agree = 0
    worst: list[tuple[float, str, str, str]] = []
    for path in photos:
        image = Image.open(path).convert("RGB")
        answer = app.predict(image)
        if not answer:
            continue  # no hand in Recognize either: nothing to agree on
        want = next(iter(answer))
        frame = np.asarray(image)
        smooth, raw = tab_live.LiveSession(), tab_live.LiveSession()
        shown: list[str] = []
        try:
            for _ in range(args.frames):
                tab_live.live_frame(app, smooth, frame, hold_ms=600)
                letter = smooth.smoothed.letter
                _, top = tab_live.recognize_frame(app, raw, image)
                if letter is None:
                    continue
                hand_frames += 1
                shown.append(letter)
                agree += letter == want
                raw_agree += bool(top) and top[0][0] == want
        finally:
            smooth.close()
            raw.close()
        if shown:
            share = sum(x == want for x in shown) / len(shown)
            worst.append(
                (share, path.relative_to(args.photos).as_posix(), want, Counter(shown).most_common(1)[0][0])
            )
    print(
        f"{len(photos)} photos ({args.per_letter} per letter), {args.frames} frames each, model {Path(args.model).name}"
    )
    if not hand_frames:
        print("no frame with a hand")
        return
    print(
        f"frames with a hand in Live: {hand_frames}; Live's letter = Recognize's in {agree / hand_frames:.1%} "
        f"(smoothed, as the tab shows it) and {raw_agree / hand_frames:.1%} (each frame's raw top-1)"
    )
    for share, name, want, got in sorted(worst)[:5]:
        if share < 1:
            print(f"  {name}: Recognize {want}, Live mostly {got}, agreeing in {share:.0%} of its frames")


def canvas(photo: Image.Image) -> Image.Image:
    frame = Image.new("RGB", (640, 480), (200, 200, 200))
    photo = photo.copy()
    photo.thumbnail((480, 480))
    frame.paste(photo, ((640 - photo.width) // 2, (480 - photo.height) // 2))
    return frame


def loop(args: argparse.Namespace) -> None:
    from sign_ml.ui import tab_live
    from sign_ml.ui.app import DactylApp

    app = DactylApp(model=args.model, data=None)
    frames = [
        canvas(Image.open(sorted((args.photos / c).glob("*.jpg"))[0]).convert("RGB")) for c in args.loop
    ]
    wants = [next(iter(app.predict(f)), None) for f in frames]
    smooth, raw = tab_live.LiveSession(), tab_live.LiveSession()
    n = agree = raw_agree = 0
    word = ""
    try:
        for _ in range(2):
            for frame, want in zip(frames, wants, strict=True):
                for _ in range(args.frames):
                    tab_live.live_frame(app, smooth, np.asarray(frame), hold_ms=600)
                    _, top = tab_live.recognize_frame(app, raw, frame)
                    if smooth.smoothed.letter is None or want is None:
                        continue
                    n += 1
                    agree += smooth.smoothed.letter == want
                    raw_agree += bool(top) and top[0][0] == want
        word = smooth.word
    finally:
        smooth.close()
        raw.close()
    print(
        f"loop {args.loop} ({args.frames} frames per photo, twice round): Recognize reads {''.join(w or '-' for w in wants)}"
    )
    print(
        f"frames with a hand: {n}; Live's letter = Recognize's in {agree / max(n, 1):.1%} (smoothed) and "
        f"{raw_agree / max(n, 1):.1%} (raw top-1); the word spelled: {word}"
    )


if __name__ == "__main__":
    main()
