"""`sign-ml space` works from an installed wheel: the Space template is package data, not a checkout folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sign_ml.space import TEMPLATE_DIR, TEMPLATE_FILES

ROOT = Path(__file__).resolve().parents[1]
ASSEMBLE = """
import sys
from pathlib import Path
import sign_ml.space as space
assert "site" in Path(space.__file__).parts, space.__file__  # the installed copy, not the checkout
space.assemble_space("user/asl-demo", sys.argv[1], space_repo="user/demo-space")
"""


def test_template_lives_in_the_package() -> None:
    assert TEMPLATE_DIR.parent == Path(__file__).resolve().parents[1] / "sign_ml"
    assert all((TEMPLATE_DIR / name).is_file() for name in TEMPLATE_FILES)


@pytest.mark.slow
def test_space_assembles_from_an_installed_wheel(tmp_path: Path) -> None:
    src = tmp_path / "src"  # a copy of the tracked files: the build never writes into the checkout
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source, target = ROOT / name, src / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, target)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    site = tmp_path / "site"
    with zipfile.ZipFile(next(wheels.glob("*.whl"))) as wheel:
        wheel.extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = tmp_path / "space"
    done = subprocess.run(
        [sys.executable, "-c", ASSEMBLE, str(out)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert {p.name for p in out.iterdir()} >= {
        "README.md",
        "app.py",
        "requirements.txt",
        "sign_ml",
        "curation",
    }
    assert 'DEFAULT_MODEL = "user/asl-demo"' in (out / "app.py").read_text(encoding="utf-8")
