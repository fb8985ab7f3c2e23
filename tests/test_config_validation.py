"""Configuration is validated completely when it is read: types coerced or refused by field and file, ranges checked."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from conftest import train_argv

from sign_ml.cli import main
from sign_ml.cli.train import resolve_config
from sign_ml.config import LandmarkConfig, TrainConfig


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("cls", [TrainConfig, LandmarkConfig])
def test_yaml_exponent_without_dot_is_a_number(cls, tmp_path: Path) -> None:
    cfg = cls.from_file(write(tmp_path / "c.yaml", "lr: 5e-4\nepochs: '7'\n"))  # PyYAML: both strings
    assert cfg.lr == 5e-4 and isinstance(cfg.lr, float) and cfg.epochs == 7


@pytest.mark.parametrize("cls", [TrainConfig, LandmarkConfig])
@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('epochs: "two"\n', "epochs"),
        ("batch_size: 2.5\n", "batch_size"),
        ("augment: maybe\n", "augment"),
        ("lr: .nan\n", "lr"),
        ("dropout: [1]\n", "dropout"),
    ],
)
def test_wrong_types_are_refused_naming_field_and_file(cls, text: str, field: str, tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(ValueError, match=rf"bad\.yaml: invalid {cls.__name__}: {field}: expected"):
        cls.from_file(path)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("early_stopping", -1),
        ("color_jitter", 99),
        ("rotation_deg", -720),
        ("warmup_epochs", -5),
        ("label_smoothing", 1.5),
        ("weight_decay", -1e-4),
        ("num_workers", -2),
    ],
)
def test_out_of_range_values_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=rf"{field} must be"):
        TrainConfig(**{field: value})


def test_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.yaml", "lr: 1e-3\nepochs: [1, 2\n")
    with pytest.raises(ValueError, match=r"broken\.yaml: not valid YAML .*line"):
        TrainConfig.read_file(path)


def test_fixed_length_tuple_is_checked_and_written_as_a_list() -> None:
    with pytest.raises(ValueError, match="betas: expected 2 values"):
        TrainConfig(betas=(0.9,))
    assert TrainConfig(betas=[0.8, "0.99"]).to_dict()["betas"] == [0.8, 0.99]


def test_partial_config_on_resume_keeps_the_runs_other_fields(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    saved = TrainConfig(lr=1e-3, lr_schedule="cosine", epochs=3).to_dict()
    (run / "train_config.json").write_text(json.dumps(saved), encoding="utf-8")
    extra = write(tmp_path / "more.yaml", "epochs: 6\n")
    args = argparse.Namespace(out=str(run), resume=True, config=str(extra))
    cfg = resolve_config(args)
    assert (cfg.epochs, cfg.lr, cfg.lr_schedule) == (6, 1e-3, "cosine")  # the file names only epochs


@pytest.mark.parametrize("text", ['epochs: "two"\n', "epochs: [1\n", "color_jitter: 99\n"])
def test_cli_bad_config_is_one_line_exit_2(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "c.yaml", text)
    code = main(train_argv(tmp_path, tmp_path / "run", "--config", str(path), kind="image"))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "c.yaml" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--early-stopping", "-1"], "early_stopping must be ≥ 0"),
        (["--warmup-epochs", "-5"], "warmup_epochs must be ≥ 0"),
    ],
)
def test_cli_bad_flag_is_one_line_exit_2(
    flags, message, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(train_argv(tmp_path, tmp_path / "run", *flags, kind="image"))
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()  # refused before anything was written


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("keep", "best"),
        ("handedness", "both"),
        ("dropout", 1.0),
        ("epochs", 0),
        ("weight_decay", -1.0),
        ("label_smoothing", 1.0),
        ("tilt_deg", 91.0),
        ("noise", 2.0),
        ("seed", -1),
    ],
)
def test_the_landmark_kinds_refuse_the_fields_they_share_alike(field: str, value: object) -> None:
    from sign_ml.temporal_train import TemporalConfig

    messages = []
    for cls in (LandmarkConfig, TemporalConfig):
        with pytest.raises(ValueError, match=rf"invalid {cls.__name__}: ") as caught:
            cls(**{field: value})
        messages.append(str(caught.value).split(": ", 1)[1])
    assert messages[0] == messages[1] and field in messages[0]
