"""One Hub that stops answering costs at most the documented time (issue 22): huggingface_hub's own retries
(5 more per request, inside each of ours) are off, and our policy alone decides."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import push_in_thread, silent_hub_at
from test_hub_push import SENTINEL
from test_model_card import make_run

import curation.hub as curation_hub
from sign_ml.cli import main


@pytest.fixture
def hub(monkeypatch, tmp_path):
    yield from silent_hub_at(
        monkeypatch, tmp_path, SENTINEL, answered=("/api/repos/create",)
    )  # create_repo only


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("bound"))


def test_half_silent_hub_ends_within_the_documented_bound(run_dir, hub, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DACTYL_HUB_TIMEOUT", "2")
    bound = curation_hub.hub_worst_case_s(steps=1)  # the upload step; create_repo was answered
    assert bound == 3 * 2 + 2 + 4
    start = time.monotonic()
    done = push_in_thread(
        run_dir, bound + 30
    )  # with huggingface_hub's own retries: 3 × (6 × 2 s + 23 s) = 105 s
    elapsed = time.monotonic() - start
    assert done == [2], "push still waiting past the bound"
    err = capsys.readouterr().err
    assert "did not answer after 3 tries" in err and "2 s allowed per request" in err
    # one unanswered request per try: huggingface_hub retried none of them itself (its once-a-day fetch of
    # an "agent harnesses" list has its own 3 s timeout and is not part of the push)
    tries = [r for r in hub.silent if r != "GET /api/agent-harnesses"]
    assert len(tries) == curation_hub.HUB_ATTEMPTS, hub.silent
    assert elapsed < bound + 3 + 10  # + that fetch, + building the repo folder and starting the client


@pytest.mark.parametrize("value", ["abc", "-1", "0", "nan", "inf"])
def test_a_bad_hub_timeout_names_the_variable(run_dir, hub, monkeypatch, capsys, value) -> None:
    monkeypatch.setenv("DACTYL_HUB_TIMEOUT", value)
    assert main(["push", str(run_dir), "--repo", "user/x"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "DACTYL_HUB_TIMEOUT" in err and repr(value) in err
    assert hub.silent == []  # refused before any request
