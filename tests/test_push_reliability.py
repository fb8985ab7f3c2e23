"""`push` against a Hub that accepts and never answers: bounded timeouts and retries, and SIGTERM cleans up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import push_in_thread, silent_hub_at, wait_until
from test_hub_push import SENTINEL
from test_model_card import make_run

import curation.hub as curation_hub

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def silent_hub(monkeypatch, tmp_path):
    yield from silent_hub_at(monkeypatch, tmp_path, SENTINEL)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("push"))


def test_silent_hub_fails_after_bounded_retries(run_dir, silent_hub, monkeypatch, capsys) -> None:
    monkeypatch.setattr(curation_hub, "HUB_TIMEOUT_S", 0.5)
    monkeypatch.setattr(curation_hub, "HUB_RETRY_WAIT_S", 0.01)
    done = push_in_thread(run_dir, 120)  # a bound for a hang, not a timing claim: it ends in a few seconds
    assert done == [2], "push hung on a Hub that never answers"
    err = capsys.readouterr().err
    assert f"did not answer after {curation_hub.HUB_ATTEMPTS} tries" in err and "Traceback" not in err
    assert len(silent_hub.connections) >= curation_hub.HUB_ATTEMPTS  # it did retry


def test_sigterm_during_upload_removes_the_temporary_copy(run_dir, silent_hub, tmp_path) -> None:
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    env = {
        **os.environ,
        "TMPDIR": str(tmp),
        "HF_ENDPOINT": silent_hub.url,
        "HF_TOKEN": SENTINEL,
        "HF_HUB_DISABLE_XET": "1",
        "PYTHONPATH": str(ROOT),
    }
    code = "import sys; from sign_ml.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "push", str(run_dir), "--repo", "user/x"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: silent_hub.connections, "push reaching the Hub")  # weights copied, upload begun
        assert any(tmp.iterdir()), "push reached the Hub without its copy of the weights"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "interrupted" in err
    assert list(tmp.iterdir()) == []  # no copy of the weights left behind


def test_retries_only_what_may_pass_on_a_second_try(monkeypatch) -> None:
    monkeypatch.setattr(curation_hub, "HUB_RETRY_WAIT_S", 0.0)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise TimeoutError("no answer")
        return "done"

    assert curation_hub.with_retries("step", flaky) == "done" and len(calls) == 3
    calls.clear()

    def refused():
        calls.append(1)
        raise ValueError("401: bad token")  # retrying would only repeat it

    with pytest.raises(ValueError, match="bad token"):
        curation_hub.with_retries("step", refused)
    assert len(calls) == 1
