"""`sign-ml predict` prints its answers and its own messages, not MediaPipe's and LiteRT's C++ log lines
(issue 20: about 13 `W0000 …`/`INFO: …` lines around one answer). A fresh landmark cache makes the hand stage
really run in a process of its own, as when a user types the command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sign_ml.cli.native_logs import is_native_noise

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "models" / "demo"

SEEN = [  # as `sign-ml predict models/demo A16.jpg` printed them with mediapipe 1.2.3
    b"INFO: [environment.cc:36] Creating LiteRT environment with options\n",
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n",
    b"WARNING: Logging before InitGoogle() is written to STDERR\n",
    b"W0000 00:00:1796295204.055406   20679 inference_runner_litert.cc:1433] Input tensor memory is not "
    b"aligned according to LiteRt's memory alignment requirements.\n",
    b"I0000 00:00:1796295204.084932   20680 gl_context.cc:369] GL version: 3.2\n",
]
KEPT = [
    b"INFO sign_ml.predict: models/demo: serving with ONNX Runtime (models/demo/model.onnx)\n",
    b"E0000 00:00:1796295204.084932   20680 calculator_graph.cc:887] the graph failed\n",
    b"/photos/x.jpg\terror: cannot read (No such file or directory)\n",
    b"WARNING: the split has no test set\n",
]


@pytest.mark.parametrize("line", SEEN)
def test_native_info_and_warning_lines_are_noise(line: bytes) -> None:
    assert is_native_noise(line)


@pytest.mark.parametrize("line", KEPT)
def test_the_commands_own_lines_and_native_errors_are_kept(line: bytes) -> None:
    assert not is_native_noise(line)


def test_predict_stderr_has_only_its_own_lines(tmp_path: Path) -> None:
    photo = next(iter(sorted((DEMO / "eval" / "test" / "thumbs").rglob("*.jpg"))), None)
    if not (DEMO / "config.json").is_file() or photo is None:
        pytest.skip("no embedded demo model")
    env = {**os.environ, "DACTYL_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    missing = tmp_path / "missing.jpg"
    done = subprocess.run(
        [sys.executable, "-m", "sign_ml.cli", "predict", str(DEMO), str(photo), str(missing)],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr.decode()  # one of the two files could not be read
    assert done.stdout.decode().startswith(f"{photo}\t")  # the answer (a letter or "no hand found")
    lines = done.stderr.decode().splitlines()
    assert [line for line in lines if is_native_noise(line.encode())] == []
    assert f"{missing}\terror: cannot read (No such file or directory)" in lines  # its own lines pass
    assert "1 of 2 file(s) could not be read" in lines
