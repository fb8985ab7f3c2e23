"""The vendored browser assets: every file the manifest names is there with its sha256, nothing else is,
each package has its licence, the versions are the recipe's pins, and pip installs them (package data)."""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENDOR = REPO / "sign_ml" / "web" / "vendor"
sys.path.insert(0, str(REPO / "recipes"))


def test_every_vendored_file_matches_its_checksum_and_nothing_unlisted_is_there():
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text(encoding="utf-8"))
    present = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()} - {"MANIFEST.json"}
    assert present == set(manifest["files"])
    for rel, digest in manifest["files"].items():
        assert hashlib.sha256((VENDOR / rel).read_bytes()).hexdigest() == digest, rel
    assert {"tasks-vision/LICENSE", "onnxruntime-web/LICENSE"} <= present
    assert "Apache License" in (VENDOR / "tasks-vision" / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in (VENDOR / "onnxruntime-web" / "LICENSE").read_text(encoding="utf-8")


def test_the_manifest_pins_what_the_recipe_pins():
    import web_vendor

    manifest = json.loads((VENDOR / "MANIFEST.json").read_text(encoding="utf-8"))
    for name, version, folder, members in web_vendor.PACKAGES:
        assert manifest["packages"][folder]["npm"] == name
        assert manifest["packages"][folder]["version"] == version
        assert {f"{folder}/{local}" for local in members.values()} | {f"{folder}/LICENSE"} == {
            f for f in manifest["files"] if f.startswith(folder + "/")
        }


def test_pip_installs_the_browser_assets():
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = data["tool"]["setuptools"]["package-data"]["sign_ml"]
    web = REPO / "sign_ml"
    files = [p.relative_to(web).as_posix() for p in (web / "web").rglob("*") if p.is_file()]
    assert files and all(any(fnmatch(f, g) for g in globs) for f in files), [
        f for f in files if not any(fnmatch(f, g) for g in globs)
    ]
