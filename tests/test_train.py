"""Training on tiny generated photos: the loss falls, the run directory is complete, resume is exact."""

from __future__ import annotations

import json
import os
import signal

import pandas as pd
import pytest
import torch
from conftest import train_argv
from test_data import make_split_dir

from sign_ml.artifacts import load_model_dir
from sign_ml.cli import main as sign_ml_main
from sign_ml.config import TrainConfig
from sign_ml.curves import METRICS_COLUMNS
from sign_ml.train import make_scheduler, resolve_device, train

# 2 classes × 6 train photos, batch 4 → 3 steps per epoch; seconds per run on 2 CPU cores
TINY = TrainConfig(width_mult=0.25, image_size=32, batch_size=4, epochs=3, lr=1e-3, num_workers=0, seed=3)


@pytest.fixture(scope="module")
def splits(tmp_path_factory):
    return make_split_dir(tmp_path_factory.mktemp("data"), counts={"train": 6, "validation": 2, "test": 1})


@pytest.fixture(scope="module")
def straight_run(splits, tmp_path_factory):
    """TINY trained 3 epochs without interruption: the reference for the resume tests."""
    out = tmp_path_factory.mktemp("straight") / "run"
    result = train(TINY, splits, out)
    return out, result


def _rows(run_dir) -> pd.DataFrame:
    return pd.read_csv(run_dir / "metrics.csv")


def _assert_same_metrics(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a["epoch"]) == list(b["epoch"])
    for col in ("train_loss", "val_loss", "lr"):
        assert a[col].tolist() == pytest.approx(b[col].tolist(), abs=1e-6, rel=0), col
    for col in ("train_acc", "val_acc"):
        assert a[col].tolist() == b[col].tolist(), col


def test_smoke_training_lowers_loss_and_writes_run_dir(tmp_path):
    # red vs blue: learnable in a few dozen steps even by a quarter-width MobileNetV3 at 32 px
    splits = make_split_dir(tmp_path / "data", counts={"train": 8, "validation": 2, "test": 1})
    cfg = TINY.replace(epochs=6, batch_size=8, lr=3e-3, seed=0)
    result = train(cfg, splits, tmp_path / "run")
    run = tmp_path / "run"
    rows = _rows(run)
    assert list(rows.columns) == METRICS_COLUMNS and rows["epoch"].tolist() == [1, 2, 3, 4, 5, 6]
    assert rows["train_loss"].iloc[-2:].mean() < 0.8 * rows["train_loss"].iloc[:2].mean()
    for name in (
        "model.safetensors",
        "config.json",
        "metrics.csv",
        "curves.png",
        "checkpoints/last.pt",
        "train_config.json",
    ):
        assert (run / name).is_file(), name
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result["epochs_trained"] == 6 and not result["interrupted"]
    assert result["best_val_accuracy"] == rows["val_acc"].max()
    # self-describing model directory
    model, meta = load_model_dir(run)
    assert meta.class_names == ["red", "blue"] and meta.preprocessing.size == 32 and meta.width_mult == 0.25
    assert meta.metrics["best_epoch"] == int(rows.loc[rows["val_acc"].idxmax(), "epoch"])
    assert meta.metrics["epochs_trained"] == 6 and meta.metrics["device"] == "cpu"
    assert (
        meta.data["counts"] == {"train": 16, "validation": 4, "test": 2}
        and meta.data["method"] == "hand-made"
    )
    assert TrainConfig.from_dict(meta.train_config) == cfg.replace(out_dir=str(run))
    assert json.loads((run / "train_config.json").read_text())["lr"] == 3e-3
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 2)
    # the checkpoint is weights_only-safe and complete
    ckpt = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert {
        "model",
        "optimizer",
        "scheduler",
        "epoch",
        "best_val_acc",
        "config",
        "rng",
        "epochs_without_improvement",
    } <= set(ckpt)
    assert ckpt["epoch"] == 6 and set(ckpt["rng"][0]) == {"torch", "cuda", "numpy", "python"}


def test_resume_after_an_epoch_is_exact(splits, straight_run, tmp_path):
    reference, _ = straight_run
    out = tmp_path / "run"
    train(TINY.replace(epochs=2), splits, out)
    assert _rows(out)["epoch"].tolist() == [1, 2]
    with pytest.raises(FileExistsError, match="--resume"):
        train(TINY, splits, out)  # never overwrites a run silently
    result = train(TINY, splits, out, resume=True)
    assert result["epochs_trained"] == 3
    _assert_same_metrics(_rows(out), _rows(reference))


def test_ctrl_c_mid_epoch_saves_and_resume_is_exact(splits, straight_run, tmp_path):
    reference, _ = straight_run
    out = tmp_path / "run"
    calls = {"n": 0}

    def ctrl_c_on_step_5() -> bool:  # a real SIGINT, caught by the training loop's handler
        calls["n"] += 1
        if calls["n"] == 5:
            os.kill(os.getpid(), signal.SIGINT)
        return False

    result = train(TINY, splits, out, should_stop=ctrl_c_on_step_5)
    assert result["interrupted"] and result["epochs_trained"] == 1
    ckpt = torch.load(out / "checkpoints" / "last.pt", weights_only=True)
    assert (ckpt["epoch"], ckpt["step_in_epoch"]) == (1, 1)  # in epoch 2, after its 1st step
    assert _rows(out)["epoch"].tolist() == [1]
    train(TINY, splits, out, resume=True)
    _assert_same_metrics(_rows(out), _rows(reference))


def test_early_stopping(tmp_path):
    splits = make_split_dir(tmp_path / "data", counts={"train": 2, "validation": 2, "test": 1})
    # lr so small that validation accuracy cannot move: epoch 1 is best, epoch 2 is not better
    result = train(TINY.replace(epochs=10, lr=1e-9, early_stopping=1), splits, tmp_path / "run")
    assert result["stopped_early"] and result["epochs_trained"] == 2 and result["best_epoch"] == 1


def test_lr_schedules_per_iteration():
    def lrs(**changes) -> list[float]:
        cfg = TrainConfig(epochs=4, lr=1.0, **changes)
        opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=cfg.lr)
        sched = make_scheduler(opt, cfg, steps_per_epoch=5)
        out = []
        for _ in range(20):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return out

    assert lrs() == [1.0] * 20  # thesis: constant
    warm = lrs(warmup_epochs=1)
    assert warm[:5] == pytest.approx([1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6]) and warm[5:] == [1.0] * 15
    cosine = lrs(lr_schedule="cosine")
    assert (
        cosine[0] == 1.0
        and all(a >= b for a, b in zip(cosine, cosine[1:], strict=False))
        and cosine[-1] < 0.01
    )
    one = lrs(lr_schedule="onecycle")
    assert max(one) == pytest.approx(1.0) and one[0] < 0.1 and one[-1] < 0.01


def test_cli_train_and_resume(splits, tmp_path, capsys):
    out = tmp_path / "run"
    config = tmp_path / "cfg.yaml"
    config.write_text(
        "width_mult: 0.25\nimage_size: 32\nbatch_size: 4\nepochs: 5\nnum_workers: 0\nlr: 0.001\n"
    )
    argv = train_argv(splits, out, "--config", str(config), "--epochs", "1", kind="image")
    assert sign_ml_main(argv) == 0
    printed = capsys.readouterr().out
    assert str(out.resolve()) in printed and "best validation accuracy" in printed
    saved = json.loads((out / "train_config.json").read_text())
    assert (
        saved["epochs"] == 1 and saved["image_size"] == 32
    )  # the flag beat the file, the file beat defaults
    # resume takes the saved config; only --epochs changes
    assert (
        sign_ml_main(["train", "--data", str(splits), "--out", str(out), "--resume", "--epochs", "2"]) == 0
    )  # kind from the run
    assert _rows(out)["epoch"].tolist() == [1, 2]


@pytest.mark.parametrize(
    ("argv_tail", "message"),
    [
        (["--data", "{tmp}/nowhere"], "split directory"),
        (["--data", "{empty}"], "has no photos"),
        (["--data", "{splits}", "--device", "cuda"], "CUDA is not available"),
    ],
)
def test_cli_errors_are_one_line(argv_tail, message, splits, tmp_path, capsys):
    if message == "CUDA is not available" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    empty = make_split_dir(tmp_path / "empty", counts={"train": 0, "validation": 2, "test": 1})
    argv = [
        "train",
        "--kind",
        "image",
        "--out",
        str(tmp_path / "run"),
        "--image-size",
        "32",
        "--num-workers",
        "0",
    ]
    argv += [a.format(tmp=tmp_path, empty=empty, splits=splits) for a in argv_tail]
    assert sign_ml_main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith("sign-ml train: error:")


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_loop_state_round_trips_through_a_checkpoint():
    """Every LoopState field comes back from last.pt: dropping one on resume (best accuracy, patience,
    seconds) would change early stopping, the kept model or the reported time without failing the run."""
    from dataclasses import fields

    from sign_ml.train import LoopState

    state = LoopState(3, 7, {"loss_sum": 1.5, "correct": 2.0, "seen": 4.0, "seconds": 0.5}, 0.75, 2, 1, 12.5)
    assert all(getattr(state, f.name) != f.default for f in fields(LoopState))  # none left at its default
    assert LoopState.from_checkpoint({"model": None, **state.to_checkpoint()}) == state
