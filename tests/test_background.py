"""A background `sign-ml train`: progress from the run's files, cancel (SIGTERM, then SIGKILL), resume, re-attach.

The real tests start real tiny trainings (quarter-width MobileNetV3, 32 px, 12 photos, from scratch: no
downloads) as separate processes; a few seconds each on 2 CPU cores.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest
from conftest import wait_until
from test_data import make_split_dir

import sign_ml.background as background
from sign_ml.background import (
    JobStatus,
    TrainJob,
    job_status,
    last_log_line,
    progress_fraction,
    state_from,
)
from sign_ml.progress import ProgressFile, event, last_event
from sign_ml.training import TrainRequest, planned_epochs

# fast tiny run; "epochs" is far more than a test waits for, so a cancel always lands mid-training
TINY = {
    "width_mult": 0.25,
    "image_size": 32,
    "batch_size": 4,
    "lr": 1e-3,
    "num_workers": 0,
    "device": "cpu",
    "seed": 3,
}
BOUND_S = 180  # a bound for a hang, not a timing claim: each wait ends in seconds


@pytest.fixture(autouse=True)
def one_thread_children(monkeypatch):
    """Children inherit the environment: one BLAS thread each on the shared machine; no jobs owned from before."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setattr(background, "_OWNED", {})


@pytest.fixture(scope="module")
def splits(tmp_path_factory) -> Path:
    return make_split_dir(
        tmp_path_factory.mktemp("data"), counts={"train": 6, "validation": 2, "test": 1}, size=32
    )


def wait_for(job: TrainJob, done, what: str) -> JobStatus:
    """Poll job.status() until done(status); fail naming what was awaited and the log's last line."""
    seen: list[JobStatus] = []

    def reached() -> JobStatus | None:
        seen[:] = [job.status()]
        return seen[0] if done(seen[0]) else None

    return wait_until(reached, lambda: f"no {what} (last status: {seen[-1] if seen else None})", BOUND_S)


def restart_app(monkeypatch) -> None:
    """Forget every process this 'app' started, as a restarted app would."""
    monkeypatch.setattr(background, "_OWNED", {})


# --------------------------------------------------------------------------- pure helpers
def test_last_log_line_reads_tqdm_redraws_and_skips_blank_clears():
    text = (
        "INFO sign_ml.train: training ...\n"
        "epoch 2/5:   0%|          | 0/3 [00:00<?, ?step/s]\repoch 2/5:  67%|██████▋   | 2/3 [00:01<00:00]"
        "\r\x1b[A" + " " * 40 + "\r"
    )
    assert last_log_line(text) == "epoch 2/5:  67%|██████▋   | 2/3 [00:01<00:00]"
    assert last_log_line("sign-ml train: error: /x: split directory not found\n\n") == (
        "sign-ml train: error: /x: split directory not found"
    )
    assert last_log_line("") == "" and last_log_line("\r\n \r") == ""


def test_progress_fraction_adds_the_current_epochs_share():
    record = event(epoch=3, epochs=4, step=2, steps=4, loss=0.5, accuracy=0.5)  # half of epoch 3
    assert progress_fraction("running", 2, 4, record) == pytest.approx((2 + 2 / 4) / 4)
    assert progress_fraction("running", 2, 4, None) == pytest.approx(0.5)  # no event yet: finished epochs
    # an event older than the finished epochs (a stale one) takes nothing away
    assert progress_fraction("running", 3, 4, record) == pytest.approx(0.75)
    assert progress_fraction("running", 0, 0, None) == 0.0  # planned epochs unknown
    assert progress_fraction("finished", 2, 10, None) == 1.0  # e.g. early stopping
    assert progress_fraction("running", 9, 4, None) == 1.0  # clamped
    landmark = event(epoch=91, epochs=300, step=0, steps=1, loss=1.0, accuracy=0.1)  # 90 epochs done
    assert progress_fraction("running", 0, 300, landmark) == pytest.approx(0.3)
    # --kind auto guessed the CNN's 100 epochs; the landmark trainer's own count wins
    assert progress_fraction("running", 0, 100, landmark) == pytest.approx(0.3)


def test_progress_file_round_trip(tmp_path):
    path = tmp_path / "progress.jsonl"
    assert last_event(path) is None
    write = ProgressFile(path)
    write(event(1, 2, 5, 10, 1.25, 0.5))
    write(event(1, 2, 10, 10, float("nan"), 0.75))
    with path.open("a", encoding="utf-8") as f:
        f.write('{"epoch": 2, "ep')  # a line caught mid-write is skipped
    assert last_event(path) == {
        "epoch": 1,
        "epochs": 2,
        "step": 10,
        "steps": 10,
        "loss": None,
        "accuracy": 0.75,
    }


@pytest.mark.parametrize(
    ("alive", "code", "cancelled", "state"),
    [
        (True, None, False, "running"),
        (True, None, True, "running"),
        (False, 0, False, "finished"),
        (False, 0, True, "finished"),  # cancelled too late: it had finished
        (False, 130, False, "cancelled"),  # Ctrl-C in a terminal, or SIGTERM from elsewhere
        (False, -9, True, "cancelled"),
        (False, None, True, "cancelled"),  # SIGKILLed after the timeout
        (False, 2, False, "failed"),
        (False, None, False, "failed"),
        (False, -9, False, "failed"),
    ],
)
def test_state_from(alive, code, cancelled, state):
    assert state_from(alive, code, cancelled) == state


def test_planned_epochs_resolves_like_the_cli(tmp_path):
    run = tmp_path / "run"

    def req(**kw):
        return TrainRequest(data=str(tmp_path / "d"), out=str(run), kind="image", **kw)

    assert planned_epochs(req()) == 100  # the thesis default
    assert planned_epochs(req(overrides={"epochs": 7})) == 7
    (tmp_path / "c.yaml").write_text("epochs: 12\n", encoding="utf-8")
    assert planned_epochs(req(config_file=str(tmp_path / "c.yaml"))) == 12
    run.mkdir()
    (run / "train_config.json").write_text(json.dumps({"epochs": 9}), encoding="utf-8")
    assert planned_epochs(req(resume=True)) == 9  # the run's own
    assert planned_epochs(req(resume=True, overrides={"epochs": 11})) == 11
    # the child reports it; the bar just says unknown
    assert planned_epochs(req(overrides={"epochs": "zero"})) == 0
    # the command a user would type for the same request
    assert req(resume=True, overrides={"epochs": 7, "hand_crop": True, "augment": False}).command()[-5:] == [
        "--resume",
        "--epochs",
        "7",
        "--hand-crop",
        "--no-augment",
    ]


def test_markdown_is_one_plain_paragraph(tmp_path):
    status = JobStatus(
        "cancelled", 2, 10, 0.2, "continue with: `sign-ml train`", 130, tmp_path / "train.log", True
    )
    text = status.markdown()
    assert "\n" not in text and "cancelled" in text and "epoch 2 of 10" in text and "20%" in text
    assert "resumed" in text and str(tmp_path / "train.log") in text and "`sign-ml train`" not in text


# --------------------------------------------------------------------------- real background trainings
def test_train_cancel_resume_finish_and_reattach(splits, tmp_path, monkeypatch):
    run = tmp_path / "run"
    job = TrainJob.start(splits, run, kind="image", overrides={"epochs": 10000, **TINY})
    saved = json.loads((run / "job.json").read_text())
    assert saved["pid"] == job.pid and saved["argv"][:2] == ["sign-ml", "train"] and "--kind" in saved["argv"]
    assert saved["epochs"] == 10000 and saved["started"]

    with pytest.raises(RuntimeError, match="already running"):
        TrainJob.start(splits, run, overrides=TINY)
    assert json.loads((run / "job.json").read_text())["pid"] == job.pid  # the running job's record is kept

    status = wait_for(job, lambda s: s.epoch >= 1, "finished epoch")
    assert status.state == "running" and status.epochs == 10000 and 0 < status.fraction < 0.01
    record = last_event(run / "progress.jsonl")  # the bar reads the trainer's own events, not its text
    assert record["epochs"] == 10000 and record["epoch"] >= 1 and record["steps"] >= 1 and record["loss"] > 0
    assert (
        status.returncode is None and not status.can_resume and status.log_path == run.resolve() / "train.log"
    )

    # the app restarts: a new TrainJob from job.json sees the same job and can cancel it
    restart_app(monkeypatch)
    attached = TrainJob.attach(run)
    assert attached is not None and attached.pid == job.pid and attached.status().state == "running"
    cancelled = attached.cancel(timeout=60)
    assert cancelled.state == "cancelled" and cancelled.returncode == 130 and cancelled.can_resume
    assert (run / "checkpoints" / "last.pt").is_file()
    assert "--resume" in cancelled.last_line  # the CLI's own "continue with: ... --resume"
    # the original object agrees once the kernel lets it reap its child (/proc empties a moment before that)
    assert wait_for(job, lambda s: s.state != "running", "reaped child").state == "cancelled"
    done = cancelled.epoch
    assert done >= 1

    resumed = attached.resume(overrides={**TINY, "epochs": done + 1})  # one more epoch, then it ends
    assert "--resume" in resumed.job["argv"]
    finished = wait_for(resumed, lambda s: s.state != "running", "end of the resumed run")
    assert finished.state == "finished", finished.last_line
    assert finished.epoch == finished.epochs == done + 1 and finished.fraction == 1.0
    assert finished.returncode == 0 and not finished.can_resume
    assert "best validation accuracy" in finished.last_line

    restart_app(monkeypatch)  # after another restart the files alone tell the same story
    again = TrainJob.attach(run).status()
    assert (again.state, again.epoch, again.epochs, again.returncode, again.last_line) == (
        "finished",
        done + 1,
        done + 1,
        0,
        finished.last_line,
    )
    log_text = (run / "train.log").read_text(encoding="utf-8")
    assert log_text.count("=== ") == 2 and "SIGTERM: finishing this step" in log_text  # both jobs, appended


def test_bad_data_path_fails_with_the_cli_error(tmp_path):
    job = TrainJob.start(tmp_path / "no-such-splits", tmp_path / "run", overrides=TINY)
    status = wait_for(job, lambda s: s.state != "running", "end")
    assert status.state == "failed" and status.returncode == 2 and not status.can_resume
    assert (
        status.last_line.startswith("sign-ml train: error: ")
        and "split directory not found" in status.last_line
    )
    assert "Traceback" not in (tmp_path / "run" / "train.log").read_text(encoding="utf-8")
    assert TrainJob.attach(tmp_path / "run").status().state == "failed"
    assert TrainJob.attach(tmp_path / "elsewhere") is None
    absent = job_status(tmp_path / "elsewhere")
    assert (absent.state, absent.epoch, absent.returncode, absent.can_resume) == ("absent", 0, None, False)
    assert job_status(tmp_path / "run") == TrainJob.attach(tmp_path / "run").status()
    retry = job.resume()  # nothing saved yet: starts afresh rather than failing on a missing checkpoint
    assert "--resume" not in retry.job["argv"]
    assert wait_for(retry, lambda s: s.state != "running", "end").state == "failed"


FAKE_TRAINER = """\
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a trainer stuck where SIGTERM cannot reach it
print("fake trainer ready", flush=True)
time.sleep(600)
"""


def test_cancel_kills_a_job_that_ignores_sigterm(tmp_path, monkeypatch):
    fake = tmp_path / "fake-python"
    fake.write_text(f"#!{sys.executable}\n{FAKE_TRAINER}", encoding="utf-8")
    fake.chmod(0o755)
    run = tmp_path / "run"
    job = TrainJob.start(tmp_path / "splits", run, python=str(fake))
    wait_for(job, lambda s: s.last_line == "fake trainer ready", "ready line")
    status = job.cancel(timeout=0.5)
    assert status.state == "cancelled" and status.returncode == -signal.SIGKILL and not status.can_resume
    assert json.loads((run / "job.json").read_text())["cancel_requested"] is True
    restart_app(monkeypatch)  # no exit file (killed), but the job file says it was cancelled
    after = TrainJob.attach(run).status()
    assert after.state == "cancelled" and after.returncode is None


def test_attach_ignores_a_reused_pid(tmp_path):
    """A job file whose pid now belongs to another process (this test itself) is not that job."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "job.json").write_text(
        json.dumps({"id": "x", "pid": os.getpid(), "argv": [], "data": "d", "epochs": 3}), encoding="utf-8"
    )
    assert TrainJob.attach(run).status().state == "failed"  # ended, no exit file, not cancelled
