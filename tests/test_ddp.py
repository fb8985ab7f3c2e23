"""Multi-process training through torchrun + DistributedDataParallel, on 2 CPU processes (gloo)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import torch
from conftest import train_argv
from test_data import make_split_dir

from sign_ml.artifacts import read_meta


def test_torchrun_two_cpu_processes(tmp_path):
    splits = make_split_dir(tmp_path / "data", counts={"train": 6, "validation": 3, "test": 1})
    out = tmp_path / "run"
    sign_ml = Path(sys.executable).with_name("sign-ml")  # the installed console script, as a user runs it
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--standalone",
        str(sign_ml),
        *train_argv(splits, out, kind="image"),
        *("--epochs", "1", "--image-size", "32", "--width-mult", "0.25", "--batch-size", "4"),
        *("--num-workers", "0", "--device", "cpu"),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "rank 0/2" in proc.stderr and "rank 1/2" in proc.stderr
    assert proc.stdout.count("best validation accuracy") == 1  # only rank 0 reports
    rows = pd.read_csv(out / "metrics.csv")
    assert rows["epoch"].tolist() == [1]
    for name in ("model.safetensors", "config.json", "curves.png", "train_config.json"):
        assert (out / name).is_file(), name
    ckpt = torch.load(out / "checkpoints" / "last.pt", weights_only=True)
    assert ckpt["world_size"] == 2 and len(ckpt["rng"]) == 2  # each rank's RNG, for an exact resume
    assert read_meta(out).metrics["epochs_trained"] == 1
