"""The bundled hand model is exactly what its recipe builds from the mediapipe 0.10.21 wheel."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
from pathlib import Path

import pytest

from curation.hands import DEFAULT_MODEL

REPO = Path(__file__).resolve().parents[1]
WHEEL_ENV = "DACTYL_MEDIAPIPE_WHEEL"  # a downloaded mediapipe-0.10.21 wheel, to skip the download


def recipe():
    spec = importlib.util.spec_from_file_location(
        "hand_landmarker_task", REPO / "recipes" / "hand_landmarker_task.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if os.environ.get(WHEEL_ENV):
        return Path(os.environ[WHEEL_ENV])
    dest = tmp_path_factory.mktemp("wheel")
    try:
        return recipe().download_wheel(dest)
    except (subprocess.CalledProcessError, StopIteration, OSError) as exc:
        pytest.skip(
            f"cannot download mediapipe==0.10.21 from the package index here ({exc}); set {WHEEL_ENV}"
        )


@pytest.mark.slow
def test_recipe_rebuilds_the_bundled_task_byte_for_byte(wheel, tmp_path):
    out = tmp_path / "hand_landmarker.task"
    digest = recipe().build_task(wheel, out)
    assert out.read_bytes() == DEFAULT_MODEL.read_bytes()
    assert digest == hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest()


def test_recipe_refuses_a_wheel_whose_networks_differ(tmp_path):
    import zipfile

    fake = tmp_path / "mediapipe-0.10.21-fake.whl"
    with zipfile.ZipFile(fake, "w") as z:
        for inner, _ in recipe().MEMBERS.values():
            z.writestr(inner, b"not the real network")
    with pytest.raises(SystemExit, match="expected"):
        recipe().build_task(fake, tmp_path / "out.task")
    assert not (tmp_path / "out.task").exists()


def test_the_bundled_model_ships_with_the_package():
    # package data: an installed wheel must carry it, not only a source checkout
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"assets/*.task"' in pyproject
    assert DEFAULT_MODEL.is_file() and DEFAULT_MODEL.stat().st_size > 5_000_000
