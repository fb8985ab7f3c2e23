"""The misuse of a user's first hour gives one line naming the file or field and a non-zero exit (issue 22):
a binary YAML, a 100,000-deep JSON, an absurd batch size, class names that are not text, negative workers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_class_folder
from test_landmark_train import planted_split
from test_model_card import make_run

from curation.cli import main as curate
from sign_ml.cli import main as sign_ml
from sign_ml.config import LandmarkConfig, TrainConfig


@pytest.fixture(scope="module")
def splits(tmp_path_factory) -> Path:
    return planted_split(tmp_path_factory.mktemp("limits"), no_hand_in_test=0)[0]


def refused(capsys, *names: str) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for name in names:
        assert name in err, err
    return err


@pytest.mark.parametrize("kind", ["landmarks", "image"])
@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("binary.yaml", bytes(range(256)) * 40, "not a text file"),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        ("deep.yaml", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        ("huge.yaml", b"batch_size: 99999999999999999999999\n", "batch_size"),
        ("big.yaml", b"batch_size: 1000000\n", "batch_size must be in 1..65,536"),
        ("epochs.json", b'{"epochs": 1e9}', "epochs must be in 1..100,000"),
    ],
)
def test_a_bad_config_file_names_itself_and_the_field(splits, tmp_path, capsys, kind, name, content, says):
    config = tmp_path / name
    config.write_bytes(content)
    argv = ["train", "--data", str(splits), "--out", str(tmp_path / "run"), "--config", str(config)]
    assert sign_ml([*argv, "--kind", kind]) == 2
    refused(capsys, str(config), says)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("cls", [TrainConfig, LandmarkConfig])
def test_a_whole_number_beyond_the_limit_is_refused_by_name(cls) -> None:
    with pytest.raises(ValueError, match="seed: .* too large"):
        cls(seed=99999999999999999999999)


def test_class_names_that_are_not_text_are_refused_naming_the_file(tmp_path, splits, capsys) -> None:
    run = make_run(tmp_path / "m")
    config = json.loads((run / "config.json").read_text())
    config["class_names"] = list(range(len(config["class_names"])))
    (run / "config.json").write_text(json.dumps(config))
    photo = next((tmp_path / "m" / "photos").rglob("*.png"))
    assert sign_ml(["predict", str(run), str(photo)]) == 2
    refused(capsys, str(run / "config.json"), "class_names must be a list of non-empty text, got 0")

    info = json.loads((splits / "splits.json").read_text())
    copy = tmp_path / "splits"
    copy.mkdir()
    (copy / "manifest.csv").write_bytes((splits / "manifest.csv").read_bytes())
    (copy / "splits.json").write_text(json.dumps(info | {"class_names": [1, 2, 3]}))
    assert sign_ml(["train", "--data", str(copy), "--out", str(tmp_path / "run"), "--kind", "landmarks"]) == 2
    refused(capsys, str(copy / "splits.json"), "class_names must be a list of non-empty text, got 1")


@pytest.mark.parametrize("command", ["check", "split"])
@pytest.mark.parametrize("value", ["-2", "0", "two"])
def test_workers_below_one_are_refused_by_flag(tmp_path, capsys, command, value) -> None:
    data = make_class_folder(tmp_path / "photos", {"A": 2, "B": 2})
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:  # argparse's own exit, as for every bad flag
        curate([command, str(data), "--out", str(out), "--workers", value, "--no-progress"])
    assert exit_.value.code == 2
    refused(capsys, "--workers", "≥ 1")
    assert not out.exists()
