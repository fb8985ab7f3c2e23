"""benchmarks/gpu_check.sh still runs end to end (tiny, on the CPU), so it is ready the day a GPU is lent."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_check_runs_end_to_end_in_tiny_mode(tmp_path: Path) -> None:
    env = {**os.environ, "GPU_CHECK_TINY": "1", "PYTHON": sys.executable}
    done = subprocess.run(
        [
            "bash",
            str(ROOT / "benchmarks" / "gpu_check.sh"),
            "--batches",
            "8",
            "--workers",
            "1",
            "--work",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = {}
    for line in done.stdout.splitlines():
        if m := re.match(r"figure (\S+) (.*) : (\S+)", line):
            figures.setdefault(m[1], []).append((m[2], m[3]))
    modes = {re.search(r"mode=(\S+)", keys)[1] for keys, _ in figures["train_img_per_s"]}
    assert modes == {"eager", "compile-eager"}  # with and without torch.compile
    assert len(figures["train_img_per_s"]) == 4 and len(figures["pipeline_over_bare"]) == 2
    assert {"epoch_end_to_end_s", "epoch_end_to_end_img_per_s"} <= set(figures)
    numbers = [float(v) for rows in figures.values() for _, v in rows]
    assert all(math.isfinite(v) and v > 0 for v in numbers)
    (agree,) = [float(v) for _, v in figures["onnx_vs_torch_top1_agreement"]]
    assert agree == 1.0  # the exported model answers as torch does
    (diff,) = [float(v) for _, v in figures["onnx_vs_torch_max_abs_logit_diff"]]
    assert diff < 1e-3
