"""`sign-ml predict` input expansion: nothing the user passed may vanish from the output or the failure count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_model_dir, make_photo

from sign_ml.cli import main
from sign_ml.cli.predict import expand_inputs


def test_broken_symlink_in_a_folder_is_kept(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_photo(folder / "a.png", seed=1)
    (folder / "gone.jpg").symlink_to(tmp_path / "deleted.jpg")
    assert expand_inputs([str(folder)]) == [str(folder / "a.png"), str(folder / "gone.jpg")]


def test_broken_symlink_is_reported_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "model"
    make_model_dir(model)
    folder = tmp_path / "photos"
    make_photo(folder / "a.png", seed=1)
    (folder / "gone.jpg").symlink_to(tmp_path / "deleted.jpg")
    code = main(["predict", str(model), str(folder), "--json", "--backend", "torch"])
    captured = capsys.readouterr()
    rows = {Path(r["file"]).name: r for r in map(json.loads, captured.out.splitlines())}
    assert code == 1
    assert rows["a.png"]["error"] is None and rows["gone.jpg"]["top"] is None and rows["gone.jpg"]["error"]
    assert "1 of 2 file(s) could not be read" in captured.err
