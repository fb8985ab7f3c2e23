"""The landmark kind validates and resumes like the image kind (issue 22): short runs train, flags of the
image kind alone are refused by name, and --resume continues exactly or refuses naming what differs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import test_landmark_train as tlt
import torch
from conftest import train_argv
from test_landmark_train import planted, planted_split

from sign_ml.artifacts import load_model_dir
from sign_ml.cli import main
from sign_ml.config import LandmarkConfig
from sign_ml.landmark_model import LandmarkMLP
from sign_ml.landmark_train import HandSet, fit_landmark_model, train_landmarks
from sign_ml.landmarks import N_FEATURES

TIMING = ["seconds", "img_per_s"]


def hands(n_per_class: int, seed: int = 1) -> HandSet:
    from sign_ml.data import SplitItems
    from sign_ml.landmark_train import hand_set

    dets, labels = planted(n_per_class, seed)
    items = SplitItems("train", [f"p{i}" for i in range(len(labels))], np.asarray(labels))
    return hand_set(items, dets, "symmetric")


def files_of(run: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def splits(tmp_path_factory) -> Path:
    return planted_split(tmp_path_factory.mktemp("lm"), no_hand_in_test=0)[0]


def test_one_epoch_of_exactly_ten_steps_trains() -> None:
    # 615 hands in batches of 64 = 10 steps: OneCycleLR's 10 % warm-up is one step, and it divided by zero
    train = hands(205)
    assert len(train.labels) == 615
    fit = fit_landmark_model(LandmarkConfig(epochs=1, hidden=(16,)), train, None, 3)
    assert len(fit.rows) == 1 and np.isfinite(fit.rows[0]["train_loss"])


def test_one_step_with_a_batch_larger_than_the_data_learns() -> None:
    cfg = LandmarkConfig(epochs=1, batch_size=10_000, hidden=(16,), dropout=0.0)
    fit = fit_landmark_model(cfg, hands(10), None, 3)
    torch.manual_seed(cfg.seed)  # the same initial weights as the fit's
    start = LandmarkMLP(N_FEATURES, 3, cfg.hidden, cfg.dropout, symmetric=True).state_dict()
    moved = max(float((fit.model.state_dict()[k] - v).abs().max()) for k, v in start.items() if "weight" in k)
    # the one step is taken at the configured rate (OneCycleLR would take it at lr / 250,000)
    assert moved > cfg.lr / 10


def test_cli_one_epoch_run_trains(splits, tmp_path, capsys) -> None:
    run = tmp_path / "run"
    # 90 training hands in batches of 9: ten steps, the case that crashed
    assert main(train_argv(splits, run, "--epochs", "1", "--batch-size", "9", "--kind", "landmarks")) == 0
    assert json.loads((run / "config.json").read_text())["metrics"]["epochs_trained"] == 1


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--early-stopping", "-1"), ("--early-stopping", "5"), ("--num-workers", "-2"), ("--image-size", "64")],
)
def test_a_flag_of_the_image_kind_alone_is_refused_by_name(splits, tmp_path, capsys, flag, value) -> None:
    for kind in ("landmarks", "auto"):
        assert main(train_argv(splits, tmp_path / kind, "--kind", kind, flag, value)) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and flag in err and "image model only" in err
        assert not (tmp_path / kind).exists()


@pytest.mark.parametrize(
    ("name", "flag"), [("hand_crop", "--hand-crop"), ("augment", None), ("hflip", "--hflip")]
)
def test_the_library_request_refuses_image_settings_too(splits, tmp_path, name, flag) -> None:
    """The background job and the Record tab build TrainRequests without the CLI: the same refusal."""
    from sign_ml.training import TrainRequest, resolve_landmark_config

    req = TrainRequest(data=str(splits), out=str(tmp_path / "r"), kind="landmarks", overrides={name: True})
    if flag is None:  # augment is a landmark setting as well
        assert resolve_landmark_config(req).augment is True
        return
    with pytest.raises(ValueError, match=f"{flag} applies to the image model only"):
        resolve_landmark_config(req)


@pytest.fixture
def run(splits, tmp_path) -> Path:
    run = tmp_path / "run"
    assert main(train_argv(splits, run, "--kind", "landmarks", "--epochs", "3", "--batch-size", "32")) == 0
    return run


def test_garbage_checkpoint_is_refused_and_nothing_is_overwritten(splits, run, capsys) -> None:
    last = run / "checkpoints" / "last.pt"
    last.write_bytes(np.random.default_rng(0).bytes(100_000))
    before = files_of(run)
    capsys.readouterr()
    assert main(train_argv(splits, run, "--resume")) == 2
    err = capsys.readouterr().err
    assert "damaged" in err and str(last) in err and len(err.strip().splitlines()) == 1
    (run / "checkpoints" / "last.pt.sha256").unlink()  # no sidecar: then torch itself refuses it
    assert main(train_argv(splits, run, "--resume", "--kind", "landmarks")) == 2
    assert "not a readable checkpoint" in capsys.readouterr().err
    before.pop("last.pt.sha256")
    assert files_of(run) == before


def test_resume_onto_other_class_names_is_refused(splits, run, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(tlt, "CLASSES", ["X", "Y", "Z"])
    other = planted_split(tmp_path / "other", no_hand_in_test=0)[0]
    before = files_of(run)
    capsys.readouterr()
    assert main(train_argv(other, run, "--resume")) == 2
    err = capsys.readouterr().err
    assert "class names differ" in err and "X, Y, Z" in err and len(err.strip().splitlines()) == 1
    assert files_of(run) == before  # the run's model is not replaced


def test_resume_with_other_settings_names_them(splits, run, capsys) -> None:
    before = files_of(run)
    capsys.readouterr()
    assert main(train_argv(splits, run, "--resume", "--epochs", "5", "--lr", "0.01")) == 2
    err = capsys.readouterr().err
    assert "epochs differs (checkpoint 3, now 5)" in err and "lr differs" in err
    assert files_of(run) == before


def test_resume_of_nothing_is_refused_for_every_kind(splits, tmp_path, capsys) -> None:
    for kind in ("auto", "landmarks", "image"):
        out = tmp_path / f"empty-{kind}"
        assert main(train_argv(splits, out, "--resume", "--kind", kind)) == 2
        assert "nothing to resume" in capsys.readouterr().err
        assert not out.exists()  # nothing trained from scratch in its place


def test_resume_as_the_other_kind_is_refused(splits, run, capsys) -> None:
    before = files_of(run)
    capsys.readouterr()
    assert main(train_argv(splits, run, "--resume", "--kind", "image")) == 2
    assert "landmarks kind; --kind image cannot resume it" in capsys.readouterr().err
    assert files_of(run) == before


def test_training_into_a_finished_run_without_resume_is_refused(splits, run, capsys) -> None:
    before = files_of(run)
    assert main(train_argv(splits, run, "--kind", "landmarks", "--epochs", "3", "--batch-size", "32")) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert files_of(run) == before


def test_resume_continues_exactly(splits, tmp_path) -> None:
    cfg = LandmarkConfig(epochs=6, hidden=(16,), batch_size=16)
    whole = train_landmarks(cfg, splits, tmp_path / "whole", progress=False)
    assert not whole["interrupted"]
    epochs_seen = []
    stopped = train_landmarks(
        cfg,
        splits,
        tmp_path / "parts",
        progress=False,
        should_stop=lambda: epochs_seen.append(1) or len(epochs_seen) >= 3,
    )
    assert stopped["interrupted"] and stopped["epochs_trained"] == 3
    resumed = train_landmarks(cfg, splits, tmp_path / "parts", progress=False, resume=True)
    assert not resumed["interrupted"] and resumed["epochs_trained"] == 6
    a = pd.read_csv(tmp_path / "whole" / "metrics.csv").drop(columns=TIMING)
    b = pd.read_csv(tmp_path / "parts" / "metrics.csv").drop(columns=TIMING)
    pd.testing.assert_frame_equal(a, b)
    wa, _ = load_model_dir(tmp_path / "whole")
    wb, _ = load_model_dir(tmp_path / "parts")
    for k, v in wa.state_dict().items():
        assert torch.equal(v, wb.state_dict()[k]), k


@pytest.mark.parametrize(("epochs", "warmup"), [(1, 0), (2, 1), (1, 1)])
def test_image_one_cycle_schedule_of_one_step_an_epoch_builds_and_trains(epochs, warmup) -> None:
    from sign_ml.config import TrainConfig
    from sign_ml.train import make_scheduler

    cfg = TrainConfig(lr_schedule="onecycle", epochs=epochs, warmup_epochs=warmup, lr=0.01)
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=cfg.lr)
    scheduler = make_scheduler(optimizer, cfg, steps_per_epoch=1)  # (2, 1): OneCycleLR divided by zero
    assert optimizer.param_groups[0]["lr"] > cfg.lr / 10  # the first step is taken at a real rate
    for _ in range(epochs):
        optimizer.step()
        scheduler.step()
