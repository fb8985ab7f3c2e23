"""Every command that writes a file refuses a path inside the data (issue 22): the next check would read
it as a (bad) photo. One check (`refuse_output_in_data`) serves check, split, issues --csv, predict --out
and both push --dry-run."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import file_hashes, make_class_folder
from test_model_card import make_run

from curation.cli import main as curate
from sign_ml.cli import main as sign_ml


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_class_folder(tmp_path / "photos", {"A": 3, "B": 3})


def one_line_refusal(capsys, flag: str) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and flag in err and "overlaps the data folder" in err, err
    return err


@pytest.mark.parametrize("where", ["A/x.csv", "x.csv", "A/deeper/x.csv"])
def test_issues_csv_inside_the_data_is_refused(data, capsys, where) -> None:
    before = file_hashes(data)
    assert curate(["issues", str(data), "--csv", str(data / where)]) == 2
    one_line_refusal(capsys, "--csv")
    assert file_hashes(data) == before


def test_issues_csv_inside_the_photos_of_a_split_is_refused(data, tmp_path, capsys) -> None:
    splits = tmp_path / "splits"
    assert curate(["split", str(data), "--out", str(splits), "--workers", "1", "--no-progress"]) == 0
    before = file_hashes(data)
    assert curate(["issues", str(splits), "--csv", str(data / "A" / "x.csv")]) == 2
    one_line_refusal(capsys, "--csv")
    assert file_hashes(data) == before
    # and the split's own dataset is the other place refused
    assert curate(["push", str(splits), "--repo", "u/x", "--dry-run", str(data / "A")]) == 2
    one_line_refusal(capsys, "--dry-run")
    assert curate(["push", str(splits), "--repo", "u/x", "--dry-run", str(splits / "dataset" / "x")]) == 2
    one_line_refusal(capsys, "--dry-run")
    assert file_hashes(data) == before


def test_predict_out_inside_a_photo_folder_is_refused(data, tmp_path, capsys) -> None:
    before = file_hashes(data)
    for images, out in (([data], data / "A" / "p.jsonl"), ([data / "A" / "A_0.png"], data / "A" / "p.txt")):
        argv = ["predict", str(tmp_path / "no-model"), *map(str, images), "--json", "--out", str(out)]
        assert sign_ml(argv) == 2
        one_line_refusal(capsys, "--out")
    assert file_hashes(data) == before


def test_predict_out_beside_the_data_gets_the_lines(tmp_path, capsys) -> None:
    run = make_run(tmp_path / "r")
    photos = tmp_path / "r" / "photos"
    out = tmp_path / "predictions.jsonl"
    code = sign_ml(["predict", str(run), str(photos), "--json", "--out", str(out)])
    shown = capsys.readouterr().out
    lines = out.read_text(encoding="utf-8").splitlines()
    assert code in (0, 1) and len(lines) == len(list(photos.rglob("*.png")))
    assert all(line.startswith('{"file"') for line in lines) and '{"file"' not in shown


def test_push_dry_run_inside_the_training_data_is_refused(tmp_path, capsys) -> None:
    photos = tmp_path / "train-photos"
    make_class_folder(photos, {"A": 1})
    run = make_run(tmp_path / "r", data={"data_root": str(photos), "splits_dir": str(tmp_path / "s")})
    before = file_hashes(photos)
    for where in (photos / "A", photos, run / "repo", tmp_path / "s" / "x"):
        assert sign_ml(["push", str(run), "--repo", "u/x", "--dry-run", str(where)]) == 2
        one_line_refusal(capsys, "--dry-run")
    assert file_hashes(photos) == before
    assert sign_ml(["push", str(run), "--repo", "u/x", "--dry-run", str(tmp_path / "repo")]) == 0


def test_the_one_check_allows_hidden_folders_and_refuses_the_rest(tmp_path) -> None:
    from curation.fileio import refuse_output_in_data

    root = tmp_path / "data"
    assert refuse_output_in_data(root / ".dactyl" / "x.csv", [root]) == (root / ".dactyl" / "x.csv")
    assert refuse_output_in_data(tmp_path / "beside.csv", [root, None]) == tmp_path / "beside.csv"
    for inside in (root, root / "A" / "x.csv"):
        with pytest.raises(ValueError, match="--csv .* overlaps the data folder"):
            refuse_output_in_data(inside, [tmp_path / "other", root], "--csv")
    with pytest.raises(ValueError, match="overlaps"):
        refuse_output_in_data(tmp_path, [root], outside_too=True)
