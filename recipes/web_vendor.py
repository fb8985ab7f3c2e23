"""Rebuild sign_ml/web/vendor/ (the browser's hand stage and ONNX runtime) from the npm registry's tarballs.

    python recipes/web_vendor.py [--tgz-dir DIR] [--out sign_ml/web/vendor]

Without --tgz-dir the script runs `npm pack` for the two pinned packages in a temporary folder. Only the
files the page loads are kept: the Tasks Vision ESM bundle and its SIMD WebAssembly build (every browser
with WebAssembly SIMD, i.e. Chrome/Edge ≥ 91, Firefox ≥ 89, Safari ≥ 16.4; the non-SIMD build would add
12 MB), and onnxruntime-web's wasm-only ESM build with its one WebAssembly binary (CPU, no WebGL/WebGPU).
Each package folder gets its licence (the tarballs carry none: Apache-2.0 and MIT, as their package.json
declare) and `MANIFEST.json` lists every file's sha256, which tests/test_web_vendor.py checks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "sign_ml" / "web" / "vendor"
# npm package, exact version, its tarball's sha256, the folder under vendor/, {path in the tarball: name}
PACKAGES = (
    (
        "@mediapipe/tasks-vision",
        "1.1.0",
        "tasks-vision",
        {
            "package/vision_bundle.mjs": "vision_bundle.mjs",
            "package/wasm/vision_wasm_internal.js": "vision_wasm_internal.js",
            "package/wasm/vision_wasm_internal.wasm": "vision_wasm_internal.wasm",
        },
    ),
    (
        "onnxruntime-web",
        "1.31.1",
        "onnxruntime-web",
        {
            "package/dist/ort.wasm.min.mjs": "ort.wasm.min.mjs",
            "package/dist/ort-wasm-simd-threaded.mjs": "ort-wasm-simd-threaded.mjs",
            "package/dist/ort-wasm-simd-threaded.wasm": "ort-wasm-simd-threaded.wasm",
        },
    ),
)
MIT_ORT = """MIT License

Copyright (c) Microsoft Corporation.

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""
APACHE = REPO / "curation" / "assets" / "LICENSE.mediapipe"  # the Apache-2.0 text already shipped


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tarball_name(name: str, version: str) -> str:
    return f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"


def npm_pack(dest: Path) -> None:
    specs = [f"{name}@{version}" for name, version, _, _ in PACKAGES]
    subprocess.run(["npm", "pack", "--silent", *specs], cwd=dest, check=True)


def build(tgz_dir: Path, out: Path) -> dict:
    manifest: dict = {"packages": {}, "files": {}}
    for name, version, folder, members in PACKAGES:
        tgz = tgz_dir / tarball_name(name, version)
        target = out / folder
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with tarfile.open(tgz) as tar:
            for member, local in members.items():
                data = tar.extractfile(member)
                if data is None:
                    raise SystemExit(f"{tgz}: {member} missing")
                (target / local).write_bytes(data.read())
        licence = target / "LICENSE"
        if name.startswith("@mediapipe"):
            licence.write_bytes(APACHE.read_bytes())
        else:
            licence.write_text(MIT_ORT, encoding="utf-8")
        manifest["packages"][folder] = {"npm": name, "version": version, "tarball_sha256": sha256(tgz)}
        for path in sorted(target.iterdir()):
            manifest["files"][f"{folder}/{path.name}"] = sha256(path)
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tgz-dir", type=Path, help="folder holding the npm tarballs (default: npm pack)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.tgz_dir is not None:
        manifest = build(args.tgz_dir, args.out)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            npm_pack(Path(tmp))
            manifest = build(Path(tmp), args.out)
    total = sum((args.out / p).stat().st_size for p in manifest["files"])
    print(f"{args.out}: {len(manifest['files'])} files, {total / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
