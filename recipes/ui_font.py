"""Rebuild sign_ml/ui/assets/NotoSans-{Regular,Bold}.woff2, the app's one typeface, from Debian's Noto Sans.

    python recipes/ui_font.py [--src /usr/share/fonts/truetype/noto] [--out sign_ml/ui/assets]

Gradio 6.31's Soft theme ships a "Montserrat-Regular.woff2" that is really Montserrat Alternates: M N E W
read as "m n ε ш", т as "m", д as "g". In an app whose whole output is letters, that is a correctness
problem, so the app serves Noto Sans instead (SIL Open Font License 1.1, `OFL.txt` beside the fonts),
embedded in its CSS: no CDN, no file route. The source is the Debian package fonts-noto-core 20201225-1
(`NotoSans-Regular.ttf`, `NotoSans-Bold.ttf`, checked against the sha256 sums below); the subset keeps
Latin, Cyrillic and the punctuation and symbols the app writes, so each face is ~40 KB. fontTools writes
the same bytes for the same input, so the output is checked against the sums in `FONTS` too.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

SOURCES = {  # Debian fonts-noto-core 20201225-1
    "NotoSans-Regular.ttf": "89c3c497f618fdaa0b2d1e98fef93582f28c71debd2c4a8cdf41f190ced2909d",
    "NotoSans-Bold.ttf": "e83493c945848ecd4a9ad0f6d19164541a0d3e23a9c952304a00a46e00272ac5",
}
# Basic Latin, Latin-1 and Latin Extended-A, Ukrainian and Russian Cyrillic (with Ґ ґ), dashes, quotes and
# bullets, € and №, arrows (↻ marks a motion letter), ≈ ≤ ≥: what the app's text uses, no more
UNICODES = "U+0020-007E,U+00A0-017F,U+0400-045F,U+0490-0491,U+2010-2027,U+2030-203A,U+20AC,U+2116,U+2190-2193,U+21BB,U+2248,U+2264-2265"
OUTPUTS = {"NotoSans-Regular.ttf": "NotoSans-Regular.woff2", "NotoSans-Bold.ttf": "NotoSans-Bold.woff2"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(src_dir: Path, out_dir: Path) -> list[Path]:
    from fontTools import subset

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source, target in OUTPUTS.items():
        path = src_dir / source
        if not path.is_file():
            raise SystemExit(f"{path} not found: install Debian's fonts-noto-core or pass --src")
        if sha256(path) != SOURCES[source]:
            raise SystemExit(f"{path}: sha256 {sha256(path)} is not fonts-noto-core 20201225-1's")
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = ["kern", "liga", "calt", "ccmp", "locl", "mark", "mkmk"]  # kerning, accents
        options.name_IDs = ["*"]  # keep the copyright and licence records
        options.notdef_outline = True
        font = subset.load_font(str(path), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=subset.parse_unicodes(UNICODES))
        subsetter.subset(font)
        subset.save_font(font, str(out_dir / target), options)
        written.append(out_dir / target)
        print(
            f"{source} ({sha256(path)[:16]}…) -> {out_dir / target} ({(out_dir / target).stat().st_size} bytes)"
        )
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=Path("/usr/share/fonts/truetype/noto"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "sign_ml/ui/assets")
    args = parser.parse_args(argv)
    for path in build(args.src, args.out):
        print(f"{sha256(path)}  {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
