"""How long the Record tab's steps take on a workspace the size of the shared sample.

    python benchmarks/workspace_pipeline.py [--sample ../shared/data/asl-letters-sample] [--signers 3]

Builds a recording workspace in a temporary folder from the shared sample's photos (saved through
`Workspace.save_photo`, as the Record tab saves frames), then times each step the tab runs: `sign-curate
check`, Train (split by signer → landmark model → evaluate → leave-one-signer-out) and the mislabel check
(5-fold out-of-sample + cleanlab). The sample has ONE real signer: its photos are dealt to `--signers`
pseudo-signers by index, so the accuracies printed here measure nothing about new signers; only the times
and counts mean something. The landmark cache is a fresh temporary one, so hand detection is included.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "asl-letters-sample"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--signers", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dactyl-bench-") as tmp:
        os.environ["DACTYL_CACHE"] = str(Path(tmp) / "cache")  # before any hand-stage import reads it
        from curation.workspace import Workspace
        from sign_ml import studio
        from sign_ml.mislabels import find_mislabels

        ws = Workspace(Path(tmp) / "ws")
        letters = sorted(p.name for p in args.sample.iterdir() if p.is_dir())
        ws.set_alphabet("custom", letters)
        t0 = time.perf_counter()
        n = 0
        for letter in letters:
            for i, photo in enumerate(sorted((args.sample / letter).glob("*.jpg"))):
                ws.save_photo(photo.read_bytes(), signer=f"p{i % args.signers}", session=1, letter=letter)
                n += 1
        print(
            f"saved {n} photos of {len(letters)} letters for {args.signers} pseudo-signers in "
            f"{time.perf_counter() - t0:.1f} s (atomic writes + metadata.csv)"
        )
        for name, step in (("check", lambda: studio.check(ws.root)),):
            t0 = time.perf_counter()
            result = step()
            print(f"{name}: exit {result.code} in {time.perf_counter() - t0:.1f} s (hand detection included)")
        t0 = time.perf_counter()
        outcome = studio.train_landmarks(ws.root, len(ws.signers()))
        codes = ", ".join(f"{s.command.split()[0]} {s.command.split()[1]} → {s.code}" for s in outcome.steps)
        print(
            f"train (split + landmark model + evaluate + leave-one-signer-out): {time.perf_counter() - t0:.1f} s; {codes}"
        )
        if outcome.loso is not None:
            print(
                f"  leave-one-signer-out over {len(outcome.loso.per_signer)} pseudo-signers took "
                f"{outcome.loso.seconds:.1f} s (its accuracy {outcome.loso.accuracy:.3f} is NOT a new-signer figure: "
                "one real signer)"
            )
        t0 = time.perf_counter()
        found = find_mislabels(ws.root, progress=False)
        print(
            f"mislabel check: {found.n_checked} photos, {found.folds} folds, {found.n_suspected} suspected, "
            f"{time.perf_counter() - t0:.1f} s"
        )


if __name__ == "__main__":
    main()
