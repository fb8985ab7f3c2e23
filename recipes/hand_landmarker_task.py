"""Rebuild curation/assets/hand_landmarker.task byte for byte from the mediapipe 0.10.21 wheel.

    python recipes/hand_landmarker_task.py [--wheel PATH] [--out curation/assets/hand_landmarker.task]

mediapipe ≥ 1.2 wheels ship no hand model and Google's hand_landmarker.task cannot be downloaded on
this project's machines. The 0.10.21 wheel (Apache-2.0) ships the two networks the Tasks API needs;
a .task file is a zip of them under the names HandLandmarker looks for. Without --wheel the script
runs `pip download --no-deps mediapipe==0.10.21` for CPython 3.11 on x86-64 Linux (the tflite files
are the same in every platform's wheel). The zip is written with fixed dates and no compression, and the
members are checked against the sha256 sums below, so the output is identical on every machine.
"""

from __future__ import annotations

import argparse
import hashlib
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "mediapipe==0.10.21"
# member name in the bundle -> (path inside the wheel, sha256)
MEMBERS = {
    "hand_detector.tflite": (
        "mediapipe/modules/palm_detection/palm_detection_full.tflite",
        "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54",
    ),
    "hand_landmarks_detector.tflite": (
        "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
        "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3",
    ),
}
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # zip's earliest date: no build time leaks into the bytes
ALIGN = 64  # TFLite maps each model in place only when its bytes start aligned (else it copies and warns)
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "curation" / "assets" / "hand_landmarker.task"


def download_wheel(dest: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--python-version",
        "3.11",
        "--implementation",
        "cp",
        "--platform",
        "manylinux_2_28_x86_64",
        "-d",
        str(dest),
        WHEEL,
    ]
    subprocess.run(cmd, check=True)
    return next(dest.glob("mediapipe-0.10.21-*.whl"))


def build_task(wheel: Path, out: Path) -> str:
    """Write the bundle and return its sha256."""
    with zipfile.ZipFile(wheel) as src:
        payload = {}
        for name, (inner, digest) in MEMBERS.items():
            data = src.read(inner)
            got = hashlib.sha256(data).hexdigest()
            if got != digest:
                raise SystemExit(f"{wheel}: {inner} has sha256 {got}, expected {digest}")
            payload[name] = data
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as dst:
        for name in sorted(payload):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.external_attr = 0o644 << 16
            # pad the local header's extra field (zipalign's 0xD935 record) so the data starts aligned
            data_start = dst.fp.tell() + 30 + len(name.encode()) + 4
            info.extra = struct.pack("<HH", 0xD935, (-data_start) % ALIGN) + b"\0" * ((-data_start) % ALIGN)
            dst.writestr(info, payload[name])
    tmp.replace(out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--wheel", type=Path, help="a downloaded mediapipe-0.10.21 wheel (default: pip download)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        digest = build_task(wheel, args.out)
    print(f"{args.out}  sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
