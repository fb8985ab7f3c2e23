"""`sign-ml predict RUN IMAGE...`: the top-k letters for each photo; folders are expanded to their photos.

Every photo goes through the hand stage first: where it finds no hand, the answer is "no hand found",
never a letter. Motion letters (UkrSL Ґ Д З Ї Й Ц Щ, ASL J Z) are marked: a photo shows only their start.
Text output: `path<TAB>label prob, label prob, ...` per file on stdout (`path<TAB>no hand found` without a
hand), `path<TAB>error: reason` on stderr.
--json: one object per line on stdout, {"file", "top": [{"label", "prob", "motion"?}] | null,
"no_hand": bool, "error": str | null}; `top` is null when no_hand is true or the file is unreadable.
--out FILE: the same lines into FILE (written whole at the end), refused inside a folder of the photos.
Exit status: 0 all files predicted, 1 some file failed, 2 the command could not run (e.g. no model).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", help="run/model directory, or a Hugging Face Hub model id (user/name)")
    parser.add_argument(
        "images", nargs="+", metavar="IMAGE", help="photos, or folders (searched recursively)"
    )
    parser.add_argument("--top-k", type=int, default=5, help="labels per photo (default 5)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="write the answers to FILE (not inside a photo folder) instead of stdout",
    )
    parser.add_argument(
        "--backend",
        default="auto",
        choices=["auto", "onnx", "torch"],
        help="auto (default): ONNX Runtime, falling back to torch",
    )
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, ...")
    parser.add_argument("--batch-size", type=int, default=32, help="photos per forward pass (default 32)")
    parser.add_argument("--revision", default=None, help="Hub branch, tag or commit (Hub ids only)")


def expand_inputs(items: list[str]) -> list[str]:
    """Files as given; folders replaced by their image files (recursive, sorted)."""
    from curation.images import is_image_file

    out: list[str] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            # a broken symlink is neither file nor folder; keep it so it is reported, not silently dropped
            found = sorted(
                str(p)
                for p in path.rglob("*")
                if (p.is_file() or (p.is_symlink() and not p.exists())) and is_image_file(p)
            )
            if not found:
                print(f"{item}: folder holds no image files", file=sys.stderr)
            out.extend(found)
        else:
            out.append(item)  # a missing file is reported per file, like an unreadable one
    return out


def run(args: argparse.Namespace) -> int:
    from sign_ml.cli.native_logs import quiet_native_logs

    with quiet_native_logs():  # the hand stage's C++ log lines are no part of the answer (issue 20)
        return predict(args)


def predict(args: argparse.Namespace) -> int:
    from curation.alphabet import motion_letters
    from sign_ml.predict import NO_HAND, Predictor

    if args.top_k < 1:
        raise ValueError("--top-k must be ≥ 1")
    if args.out:  # a file among the photos would be read as one (a bad one) by the next load
        from curation.fileio import refuse_output_in_data

        folders = [Path(i) if Path(i).is_dir() else Path(i).parent for i in args.images]
        refuse_output_in_data(args.out, folders, "--out")
    files = expand_inputs(args.images)
    if not files:
        raise ValueError("no image files to predict")
    lines: list[str] = []

    def emit(line: str) -> None:
        if args.out:
            lines.append(line)
        else:
            print(line, flush=True)

    predictor = Predictor.from_pretrained(
        args.run, backend=args.backend, device=args.device, revision=args.revision
    )
    failed = 0
    motion = set(motion_letters(predictor.class_names))
    for result in predictor.predict_files(files, top_k=args.top_k, batch_size=args.batch_size):
        failed += result.status == "unreadable"
        if args.json:
            top = (
                None
                if not result.ok
                else [
                    {"label": label, "prob": round(p, 6), **({"motion": True} if label in motion else {})}
                    for label, p in result.top
                ]
            )
            record = {"file": result.source, "top": top, "no_hand": result.no_hand, "error": result.error}
            emit(json.dumps(record, ensure_ascii=False))
        elif result.no_hand:
            emit(f"{result.source}	{NO_HAND}")
        elif result.ok:
            mark = " (motion letter: static start only)" if result.motion else ""
            emit(f"{result.source}	" + ", ".join(f"{label} {p:.4f}" for label, p in result.top) + mark)
        else:
            print(f"{result.source}\terror: {result.error}", file=sys.stderr, flush=True)
    if args.out:
        from curation.fileio import atomic_write_text

        atomic_write_text(args.out, "".join(f"{line}\n" for line in lines))
    if failed:
        print(f"{failed} of {len(files)} file(s) could not be read", file=sys.stderr)
    return 1 if failed else 0
