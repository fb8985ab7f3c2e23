"""What the Record tab's Train costs on a full-size workspace with clips, for the temporal and landmark kinds.

    python benchmarks/temporal_loso_cost.py [--sample ../shared/data/asl-letters-sample] [--signers 4]
        [--kinds auto landmarks]

Builds a recording workspace in a temporary folder: the shared sample's 720 photos (saved through
`Workspace.save_photo`, as the Record tab saves frames) plus the SYNTHETIC J and Z clips of
`recipes/demo_motion_clips.py` (2 per I or D photo with a hand, saved through `Workspace.save_clip`). The
sample has ONE real signer: each letter's photos are dealt, in sorted file order, into `--signers`
contiguous blocks of pseudo-signers (p0 the first quarter, ...), and a clip goes to the pseudo-signer of the
photo it was made from. So the accuracies printed here say nothing about new signers; only the times and
counts mean something.

Then, for each kind, times what Train runs (`studio.train_landmarks`: split by signer → train → evaluate →
leave-one-signer-out) stage by stage, and each leave-one-signer-out fold's fit (from `sign_ml.loso`'s log).
"auto" is what the Record tab's Train does (the temporal kind, since the split holds clips); "landmarks"
forces the landmark MLP on the same workspace (clips read by their middle hand frame). The hand stage's
cache is a fresh temporary one, filled once before the first kind, so neither kind pays for detection.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "asl-letters-sample"


class FoldTimes(logging.Handler):
    """Keeps the fit seconds of each leave-one-signer-out fold that `sign_ml.loso` logs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.folds: list[tuple[str, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = re.match(r"signer (\S+): .*fit ([\d.]+) s", record.getMessage())
        if found:
            self.folds.append((found[1], float(found[2])))


def build_workspace(ws, sample: Path, signers: int) -> tuple[int, int]:
    """Save the sample's photos and the synthetic J/Z clips into `ws`; (photos, clips)."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "recipes"))
    from demo_motion_clips import MOTION, make_clip, still_hands

    from curation.clips import SYNTHETIC

    letters = sorted(p.name for p in sample.iterdir() if p.is_dir())
    ws.set_alphabet("custom", letters)
    signer_of: dict[str, str] = {}
    n_photos = 0
    for letter in letters:
        photos = sorted((sample / letter).glob("*.jpg"))
        for i, photo in enumerate(photos):
            who = f"p{i * signers // len(photos)}"  # contiguous blocks in file order
            ws.save_photo(photo.read_bytes(), signer=who, session=1, letter=letter)
            signer_of[f"{letter}/{photo.name}"] = who
            n_photos += 1
    rng = np.random.default_rng(0)
    n_clips = 0
    for letter, (still_letter, _) in MOTION.items():
        for source, points, world, width, height in still_hands(sample, still_letter):
            for _ in range(2):  # as the demo recipe: 2 clips per still
                clip = make_clip(letter, SYNTHETIC + source, points, world, width, height, rng)
                ws.save_clip(clip, signer=signer_of[source], session=1, letter=letter)
                n_clips += 1
    return n_photos, n_clips


def time_train(root: Path, n_signers: int, kind: str, folds: FoldTimes) -> None:
    """Run Train once for `kind` and print each stage's seconds and each fold's fit."""
    from sign_ml import studio

    marks: list[tuple[str, float]] = []

    def progress(event: dict) -> None:
        if not marks or marks[-1][0] != event["stage"]:
            marks.append((event["stage"], time.perf_counter()))

    folds.folds.clear()
    t0 = time.perf_counter()
    outcome = studio.train_landmarks(
        root, n_signers, progress=progress, kind=None if kind == "auto" else kind
    )
    end = time.perf_counter()
    trained = outcome.run_dir.name if outcome.run_dir else "no run"
    codes = ", ".join(f"{' '.join(s.command.split()[:2])} → {s.code}" for s in outcome.steps)
    print(f"\n--kind {kind}: {trained}; {end - t0:.1f} s in all; {codes}")
    for (name, start), (_, stop) in zip(marks, [*marks[1:], ("end", end)], strict=True):
        print(f"  {name:9s} {stop - start:7.1f} s")
    if "evaluate" not in {name for name, _ in marks} and outcome.run_dir is not None:
        # one real signer: its near-duplicate photos join the pseudo-signers into one group
        print("  evaluate  skipped: the split held out no validation or test samples")
    for signer, seconds in folds.folds:
        print(f"  leave-one-signer-out fold holding out {signer}: fit {seconds:.1f} s")
    if outcome.loso is not None and outcome.loso.status == "ok":
        print(
            f"  leave-one-signer-out: {outcome.loso.kind} folds, {outcome.loso.seconds:.1f} s, accuracy "
            f"{outcome.loso.accuracy:.3f} over {int(outcome.loso.per_signer['photos'].sum())} samples "
            f"({outcome.loso.n_clips} clips) — NOT a new-signer figure: one real signer"
        )
    for step in outcome.steps:
        if not step.ok:
            print(step.output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--signers", type=int, default=4)
    parser.add_argument("--kinds", nargs="+", default=["auto", "landmarks"], choices=["auto", "landmarks"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    folds = FoldTimes()
    logging.getLogger("sign_ml.loso").addHandler(folds)
    logging.getLogger("sign_ml.loso").setLevel(logging.INFO)
    with tempfile.TemporaryDirectory(prefix="dactyl-bench-") as tmp:
        os.environ["DACTYL_CACHE"] = str(Path(tmp) / "cache")  # before any hand-stage import reads it
        from curation.workspace import Workspace
        from sign_ml import studio

        ws = Workspace(Path(tmp) / "ws")
        t0 = time.perf_counter()
        n_photos, n_clips = build_workspace(ws, args.sample, args.signers)
        print(
            f"workspace: {n_photos} photos + {n_clips} synthetic J/Z clips, {len(ws.signers())} pseudo-signers "
            f"(each letter's photos in file order, {args.signers} blocks), built in "
            f"{time.perf_counter() - t0:.1f} s (hand detection of the I and D photos included)"
        )
        t0 = time.perf_counter()
        step = studio.check(ws.root)  # fills the hand cache: neither kind below pays for detection
        print(f"check (hand detection of every photo): exit {step.code} in {time.perf_counter() - t0:.1f} s")
        for kind in args.kinds:
            time_train(ws.root, len(ws.signers()), kind, folds)


if __name__ == "__main__":
    main()
