"""`sign-curate clips VIDEOS --out DIR`: landmark clips from a folder of videos per letter (or a CSV of path,label).

Each video goes through the VIDEO-mode hand stage once and becomes OUT/<letter>/<name>.clip.json (the
format is in `curation.clips`). A video that cannot be decoded, is over a limit or shows no hand gets one
line naming it, and the exit status is 1; the videos themselves are only read.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from curation.engines import add_engine_arguments, engine_from_args

_SHOW = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("videos", help="folder of letter folders of videos, or a CSV with columns path,label")
    parser.add_argument("--out", required=True, help="folder to write OUT/<letter>/<name>.clip.json into")
    parser.add_argument("--workers", type=int, default=None, help="videos at once (default: all cores)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_engine_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from curation.clips import clip_name, list_videos, write_clips

    videos = list_videos(args.videos)
    names = Counter((label, clip_name(path)) for path, label in videos)
    clashes = sorted(f"{label}/{name}" for (label, name), n in names.items() if n > 1)
    if clashes:
        raise ValueError(f"two videos of one letter would make the same clip: {', '.join(clashes[:_SHOW])}")
    engine = engine_from_args(args)
    results = engine.video_clips(videos, progress=not args.no_progress, workers=args.workers)
    source = Path(args.videos)
    root = source if source.is_dir() else source.parent
    written = write_clips(results, args.out, root=root)
    failed = [r for r in results if r.clip is None]
    hand_frames = sum(int(r.clip.hand_found.sum()) for r in results if r.clip is not None)
    frames = sum(r.clip.n_frames for r in results if r.clip is not None)
    print(
        f"{len(written)} clips from {len(videos)} videos in {args.out} "
        f"({frames} frames, a hand in {hand_frames}; engine {engine.name})"
    )
    for r in failed[:_SHOW]:
        print(f"  {r.error}", file=sys.stderr)
    if len(failed) > _SHOW:
        print(f"  ... and {len(failed) - _SHOW} more", file=sys.stderr)
    return 1 if failed else 0
