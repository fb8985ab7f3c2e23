"""Write the demo's synthetic J and Z clips (OUT/J/*.clip.json, OUT/Z/*.clip.json) from the sample's stills.

    .venv/bin/python recipes/demo_motion_clips.py runs/motion_clips
    .venv/bin/python recipes/demo_motion_clips.py runs/motion_clips --gif runs/j.gif

No recorded motion clips exist for the demo, so these are SYNTHETIC: the hand stage finds the hand in each
of the sample's I photos (for J) and D photos (for Z), and `sign_ml.synthetic_motion` moves those
landmarks along the letter's path, with speed, size, start point and frame rate drawn from a seeded RNG
(the same seed writes the same files). Every clip names its source photo and says it is synthetic
("source": "synthetic:I/I3.jpg"), so the split and the leakage check keep clips of one photo together
with it, and the model card can say how many of a letter's clips are synthetic. Real clips come from the
Record tab.

--gif PATH renders one synthetic J as an animated GIF by moving an I photo itself along the J path (one
affine warp per frame, fitted to where the synthetic landmarks went): a video-like input for testing
video prediction end to end (the hand stage must find the hand again in every frame).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curation.clips import CLIP_SUFFIX, SYNTHETIC, Clip, write_clip  # noqa: E402
from sign_ml.landmarks import to_points  # noqa: E402
from sign_ml.synthetic_motion import synthesize_j, synthesize_z  # noqa: E402

log = logging.getLogger("demo_motion_clips")
SAMPLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "asl-letters-sample"
# letter -> (the still handshape it starts from, the path synthesizer)
MOTION = {"J": ("I", synthesize_j), "Z": ("D", synthesize_z)}


def still_hands(sample: Path, letter: str, detect=None) -> list[tuple[str, np.ndarray, np.ndarray, int, int]]:
    """(photo relpath, (21, 3) points in isotropic pixels, (21, 3) world metres, width, height) of every
    photo of `letter` in which the hand stage finds a hand (photos without one are skipped)."""
    if detect is None:
        from curation.hand_cache import detect_files as detect
    folder = sample / letter
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such letter folder")
    photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})
    outcomes, _ = detect([str(p) for p in photos])
    out = []
    for photo, outcome in zip(photos, outcomes, strict=True):
        d = outcome.detection
        if d is None or d.hand is None:
            log.info("%s: no hand found; skipped", photo)
            continue
        points = to_points(d.hand.landmarks, d.width, d.height)
        out.append((f"{letter}/{photo.name}", points, d.hand.world.astype(np.float64), d.width, d.height))
    return out


def _rotation(still: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """(3, 3) rotation best taking the still's centred points onto the moved frame's (Kabsch): the world
    landmarks turn with the hand, they do not move with it (they are centred on the hand)."""
    a, b = still - still.mean(axis=0), moved - moved.mean(axis=0)
    u, _, vt = np.linalg.svd(a.T @ b)
    d = np.sign(np.linalg.det(u @ vt))
    return (u @ np.diag([1.0, 1.0, d]) @ vt).T


def make_clip(
    letter: str,
    source: str,
    points: np.ndarray,
    world: np.ndarray,
    width: int,
    height: int,
    rng: np.random.Generator,
) -> Clip:
    """One synthetic clip of `letter` from one still hand (points in isotropic pixels)."""
    moved, times = MOTION[letter][1](points, rng)  # (T, 21, 3) pixels, (T,) seconds
    fps = (len(times) - 1) / float(times[-1]) if len(times) > 1 else 30.0
    marks = moved.copy()
    marks[..., 0] /= width
    marks[..., 1] /= height
    marks[..., 2] /= width
    turned = np.stack([world @ _rotation(points, m).T for m in moved])
    n = len(times)
    return Clip(
        label=letter,
        fps=fps,
        width=width,
        height=height,
        times=times.astype(np.float64),
        landmarks=marks.astype(np.float32),
        world=turned.astype(np.float32),
        handedness=("Right",) * n,
        scores=(1.0,) * n,
        source=source,
    )


def write_motion_clips(
    sample: Path, out: Path, per_photo: int = 2, seed: int = 0, detect=None
) -> dict[str, list[Path]]:
    """Write `per_photo` synthetic clips per still to OUT/<letter>/<stem>_<k>.clip.json; returns the paths."""
    rng = np.random.default_rng(seed)
    written: dict[str, list[Path]] = {}
    for letter, (still_letter, _) in MOTION.items():
        written[letter] = []
        for source, points, world, width, height in still_hands(sample, still_letter, detect):
            for k in range(per_photo):
                clip = make_clip(letter, SYNTHETIC + source, points, world, width, height, rng)
                name = f"syn_{Path(source).stem}_{k}{CLIP_SUFFIX}"
                written[letter].append(write_clip(out / letter / name, clip))
    return written


def _affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(2, 3) least-squares affine taking src (N, 2) onto dst (N, 2)."""
    a = np.hstack([src, np.ones((len(src), 1))])
    m, *_ = np.linalg.lstsq(a, dst, rcond=None)  # (3, 2)
    return m.T


def write_j_gif(sample: Path, gif: Path, seed: int = 0, detect=None, photo_index: int = 0) -> Path:
    """An animated GIF of one I photo moved along a synthetic J path (PIL affine per frame)."""
    from PIL import Image

    hands = still_hands(sample, "I", detect)
    if not hands:
        raise ValueError(f"{sample / 'I'}: no photo with a hand to animate")
    source, points, _, width, height = hands[photo_index % len(hands)]
    rng = np.random.default_rng(seed)
    # no jitter and no random start: the photo itself is moved, so noise would only shake the picture
    moved, times = synthesize_j(points, rng, jitter=0.0, start=0.0, fps=(15.0, 15.0))
    photo = Image.open(sample / source).convert("RGB")
    scale_x, scale_y = photo.width / width, photo.height / height
    still_px = points[:, :2] * [scale_x, scale_y]
    moved_px = moved[..., :2] * [scale_x, scale_y]
    # a canvas that holds the whole path: the photo's size plus the path's extent, the photo placed so
    # that the path's box is centred
    lo, hi = moved_px.reshape(-1, 2).min(0), moved_px.reshape(-1, 2).max(0)
    reach = np.maximum(hi - lo - (still_px.max(0) - still_px.min(0)), 0)
    canvas = (int(photo.width + reach[0] + 1), int(photo.height + reach[1] + 1))
    offset = (np.array(canvas) - (lo + hi)) / 2  # where the photo's origin lands on the canvas
    fill = tuple(int(v) for v in np.asarray(photo).reshape(-1, 3).mean(0))
    frames = []
    for m in moved_px:
        forward = _affine(still_px, m + offset)  # photo pixels -> canvas pixels
        full = np.vstack([forward, [0, 0, 1]])
        inverse = np.linalg.inv(full)[:2].ravel()  # PIL maps each output pixel back to the input
        frames.append(photo.transform(canvas, Image.AFFINE, tuple(inverse), Image.BILINEAR, fillcolor=fill))
    gif.parent.mkdir(parents=True, exist_ok=True)
    duration = int(round(1000 * float(times[-1]) / max(len(times) - 1, 1)))
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=duration, loop=0)
    log.info("%s: %d frames of %s moved along a J path", gif, len(frames), source)
    return gif


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "out", type=Path, help="output folder (OUT/J, OUT/Z); keep it outside the repo or in runs/"
    )
    parser.add_argument("--sample", type=Path, default=SAMPLE, help="the ASL sample (letter folders)")
    parser.add_argument("--per-photo", type=int, default=2, help="clips per still photo (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--gif", type=Path, default=None, help="also write one synthetic J as an animated GIF"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if not args.sample.is_dir():
        print(f"{args.sample}: no such folder", file=sys.stderr)
        return 2
    if args.per_photo < 1:
        print(f"--per-photo {args.per_photo}: must be at least 1", file=sys.stderr)
        return 2
    try:
        written = write_motion_clips(args.sample, args.out, args.per_photo, args.seed)
        for letter, paths in written.items():
            print(f"{letter}: {len(paths)} synthetic clips in {args.out / letter}")
        if args.gif is not None:
            print(f"{write_j_gif(args.sample, args.gif, args.seed)}: a synthetic J as an animated GIF")
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0 if all(written.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
