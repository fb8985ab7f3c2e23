"""Training refuses what it cannot continue exactly, verifies checkpoints, and really applies augmentation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import train_argv
from test_data import make_split_dir
from torch import nn

import sign_ml.train as train_module
from sign_ml.cli import main as sign_ml_main
from sign_ml.config import TrainConfig
from sign_ml.train import CheckpointError, load_checkpoint, resume_problems, save_checkpoint, train

TINY = TrainConfig(width_mult=0.25, image_size=32, batch_size=4, epochs=1, lr=1e-3, num_workers=0, seed=3)


@pytest.fixture(scope="module")
def splits(tmp_path_factory) -> Path:
    return make_split_dir(tmp_path_factory.mktemp("data"), counts={"train": 6, "validation": 2, "test": 1})


@pytest.fixture
def one_epoch_run(splits: Path, tmp_path: Path) -> Path:
    out = tmp_path / "run"
    train(TINY, splits, out)
    return out


def _cli_resume(splits: Path, out: Path, *extra: str) -> list[str]:
    return train_argv(splits, out, "--resume", "--epochs", "2", *extra, kind="image")


# --- checkpoint integrity ---------------------------------------------------------------------------------


def test_bit_flipped_checkpoint_is_refused(one_epoch_run: Path, splits: Path, capsys) -> None:
    last = one_epoch_run / "checkpoints" / "last.pt"
    data = bytearray(last.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, deep inside a tensor: torch.load alone does not notice
    last.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(last)
    assert sign_ml_main(_cli_resume(splits, one_epoch_run)) == 2
    err = capsys.readouterr().err
    assert err.startswith("sign-ml train: error: ") and "last.pt: damaged" in err and err.count("\n") == 1


@pytest.mark.parametrize("content", [b"", b"garbage, not a zip file" * 10])
def test_garbage_checkpoint_is_one_line(content: bytes, one_epoch_run: Path, splits: Path, capsys) -> None:
    last = one_epoch_run / "checkpoints" / "last.pt"
    last.write_bytes(content)
    (one_epoch_run / "checkpoints" / "last.pt.sha256").unlink()  # no checksum to catch it: torch.load must
    assert sign_ml_main(_cli_resume(splits, one_epoch_run)) == 2
    err = capsys.readouterr().err
    assert "last.pt: not a readable checkpoint" in err and err.count("\n") == 1
    assert "weights_only=False" not in err  # torch's advice is wrong for a file we cannot trust


def test_crash_while_replacing_a_checkpoint_leaves_one_that_verifies(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "last.pt"
    save_checkpoint({"epoch": 1}, path)

    def die(*args, **kwargs):
        raise KeyboardInterrupt  # killed after the sidecar was rewritten, before the rename

    monkeypatch.setattr(train_module, "atomic_write_bytes", die)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"epoch": 2}, path)
    assert torch.load(path, weights_only=True) == {"epoch": 1}
    assert len(train_module._digests(path)) == 2  # old and new both accepted until the swap completes
    monkeypatch.undo()
    save_checkpoint({"epoch": 2}, path)
    assert len(train_module._digests(path)) == 1


# --- resume compatibility ---------------------------------------------------------------------------------


def test_resume_with_other_class_names_is_refused(one_epoch_run: Path, tmp_path: Path, capsys) -> None:
    other = make_split_dir(
        tmp_path / "other",
        counts={"train": 6, "validation": 2, "test": 1},
        colours={"green": (0, 200, 0), "blue": (0, 0, 200)},
    )
    assert sign_ml_main(_cli_resume(other, one_epoch_run)) == 2
    err = capsys.readouterr().err
    assert "cannot resume" in err and "class names differ" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        (["--batch-size", "3"], "batch_size"),
        (["--lr-schedule", "onecycle"], "lr_schedule"),
        (["--width-mult", "0.5"], "width_mult"),
    ],
)
def test_resume_with_other_settings_is_refused(
    flags, field, one_epoch_run: Path, splits: Path, capsys
) -> None:
    assert sign_ml_main(_cli_resume(splits, one_epoch_run, *flags)) == 2
    err = capsys.readouterr().err
    assert f"{field} differs" in err and err.count("\n") == 1 and "Traceback" not in err
    assert json.loads((one_epoch_run / "train_config.json").read_text())[field] == TINY.to_dict()[field]


def test_resume_problems_allow_longer_training_only() -> None:
    saved = TINY.to_dict()
    assert resume_problems(saved, TINY.replace(epochs=9, early_stopping=2, num_workers=2), ["a"], ["a"]) == []
    assert resume_problems(saved, TINY.replace(lr=2e-3), ["a"], ["a"]) == [
        "lr differs (checkpoint 0.001, now 0.002)"
    ]
    older = {k: v for k, v in saved.items() if k != "hand_crop"}  # written before the field existed
    assert resume_problems(older, TINY, ["a"], ["a"]) == []


def test_splits_json_without_counts_trains(tmp_path: Path) -> None:
    splits = make_split_dir(tmp_path / "data", counts={"train": 4, "validation": 2, "test": 1})
    info = json.loads((splits / "splits.json").read_text())
    del info["counts"]
    (splits / "splits.json").write_text(json.dumps(info))
    result = train(TINY, splits, tmp_path / "run")
    assert result["epochs_trained"] == 1 and result["counts"] is None


# --- augmentation is applied, and --hflip changes the batches -------------------------------------------------


class Recorder(nn.Module):
    """A tiny classifier that keeps every training input it is given."""

    def __init__(self, num_classes: int, seen: list[torch.Tensor]):
        super().__init__()
        self.head = nn.Linear(3, num_classes)
        self.seen = seen

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.seen.append(x.detach().clone())
        return self.head(x.mean((2, 3)))


def _training_inputs(splits: Path, out: Path, monkeypatch, *flags: str) -> torch.Tensor:
    seen: list[torch.Tensor] = []
    monkeypatch.setattr(train_module, "build_model", lambda n, **kw: Recorder(n, seen))
    argv = train_argv(
        splits,
        out,
        *("--epochs", "1", "--batch-size", "4", "--image-size", "32", "--num-workers", "0", "--seed", "5"),
        *flags,
        kind="image",
    )
    assert sign_ml_main(argv) == 0
    return torch.cat(seen)


def test_training_applies_augmentation(splits: Path, tmp_path: Path, monkeypatch) -> None:
    plain = _training_inputs(splits, tmp_path / "plain", monkeypatch, "--no-augment")
    augmented = _training_inputs(splits, tmp_path / "aug", monkeypatch)
    assert plain.shape == augmented.shape == (12, 3, 32, 32)
    per_photo = (plain - augmented).abs().flatten(1).mean(1)
    assert (per_photo > 0.05).all()  # every photo changed, not just a few pixels


def test_hflip_mirrors_some_photos_and_only_mirrors(splits: Path, tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "geometry-only.yaml"  # crop and aspect stay random; no rotation, no colour change
    config.write_text("rotation_deg: 0\ncolor_jitter: 0\n", encoding="utf-8")
    base = _training_inputs(splits, tmp_path / "a", monkeypatch, "--config", str(config))
    flipped = _training_inputs(splits, tmp_path / "b", monkeypatch, "--config", str(config), "--hflip")
    same = [torch.allclose(f, b, atol=1e-4) for f, b in zip(flipped, base, strict=True)]
    mirrored = [torch.allclose(f, b.flip(-1), atol=1e-4) for f, b in zip(flipped, base, strict=True)]
    assert all(s or m for s, m in zip(same, mirrored, strict=True))  # the same crops, some of them mirrored
    assert sum(mirrored) >= 2 and sum(same) >= 2
