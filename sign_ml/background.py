"""`sign-ml train` as a background OS process: start, poll progress, cancel, resume, re-attach after a restart.

A long MobileNetV3 run must survive a closed browser tab and never block the app, so it runs as its own
process in its own session (a process group the app can signal as one). Everything the app needs to know
lives in the run directory, so a restarted app re-attaches from files alone:

    RUN/job.json        {id, pid, started, request, argv, data, out, kind, epochs, cancel_requested}: at start
    RUN/job_exit.json   {id, returncode, ended}: written by the child itself just before it exits
    RUN/train.log       stdout + stderr of every job on this run, appended (for people: tqdm's \\r included)
    RUN/progress.jsonl  the running job's progress events (sign_ml.progress): what the progress bar reads
    RUN/metrics.csv     one row per finished epoch (sign_ml.curves), RUN/checkpoints/last.pt to resume

The child is `python -m sign_ml.background RUN JOB_ID REQUEST_JSON`: it runs `sign_ml.training.run_training`
(what `sign-ml train` runs), prints the same lines, and records the exit status, which the app could not
learn otherwise once it has restarted (the orphaned child is no longer its own). SIGTERM makes training
finish the current step, save checkpoints/last.pt and exit 130, so a cancelled run resumes exactly.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from curation.errors import one_line
from curation.fileio import atomic_write_json, file_lock, read_json
from sign_ml import progress
from sign_ml.curves import METRICS_FILE, read_metrics
from sign_ml.progress import PROGRESS_FILE, ProgressFile, last_event
from sign_ml.training import EXIT_INTERRUPTED, TrainRequest, planned_epochs, run_training

log = logging.getLogger(__name__)

JOB_FILE = "job.json"
EXIT_FILE = "job_exit.json"
LOG_FILE = "train.log"
LOCK_FILE = ".job.lock"
LAST_CHECKPOINT = Path("checkpoints") / "last.pt"
TAIL_BYTES = 16_384  # read this much of the log's end for the last line (tqdm lines are short)
EXIT_CANNOT_RUN = 2  # as `sign-ml train` exits when it cannot run (curation.cli.dispatch)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# --------------------------------------------------------------------------- pure helpers
def last_log_line(text: str) -> str:
    """The last non-empty line of a log, where a carriage return (tqdm's redraw) also ends a line."""
    for piece in reversed(re.split(r"[\r\n]", _ANSI.sub("", text))):
        piece = "".join(ch for ch in piece if ch.isprintable()).strip()
        if piece:
            return piece
    return ""


def progress_fraction(state: str, epoch: int, epochs: int, record: Mapping[str, Any] | None) -> float:
    """0..1 for a progress bar: from the job's last progress event, else the finished epochs of `epochs`."""
    if state == "finished":
        return 1.0
    if record:  # the running job's own count of epochs beats the planned one (auto may pick landmarks)
        return max(progress.fraction(record, epochs), min(1.0, epoch / epochs) if epochs > 0 else 0.0)
    if epochs <= 0:
        return 0.0
    return min(1.0, max(0.0, epoch / epochs))


def state_from(alive: bool, returncode: int | None, cancel_requested: bool) -> str:
    """The job's state from what is known: is it alive, how it exited (None: unknown), was it cancelled."""
    if alive:
        return "running"
    if returncode == 0:
        return "finished"
    if returncode == EXIT_INTERRUPTED or cancel_requested:  # SIGKILL after a timed-out cancel: no 130
        return "cancelled"
    return "failed"


@dataclass(frozen=True)
class JobStatus:
    """A background training job as the UI shows it; plain fields, so the UI can word them itself."""

    state: str  # "running" | "finished" | "failed" | "cancelled" | "absent"
    epoch: int  # epochs finished (rows of RUN/metrics.csv)
    epochs: int  # planned epochs
    fraction: float  # 0..1 for a progress bar
    last_line: str  # the last non-empty line of RUN/train.log
    returncode: int | None  # the child's exit status (None while running or when unknown)
    log_path: Path
    can_resume: bool  # ended without finishing, and RUN/checkpoints/last.pt exists

    def markdown(self) -> str:
        """A one-paragraph English summary."""
        head = {
            "running": "**Training is running**",
            "finished": "**Training finished**",
            "failed": "**Training failed**",
            "cancelled": "**Training was cancelled**",
            "absent": "**No training job** on this run",
        }.get(self.state, f"**{self.state}**")
        parts = [head]
        if self.state != "absent":
            planned = f" of {self.epochs}" if self.epochs else ""
            parts.append(f"epoch {self.epoch}{planned} done ({self.fraction:.0%})")
        if self.returncode not in (None, 0):
            parts.append(f"exit status {self.returncode}")
        text = ": " + ", ".join(parts[1:]) if len(parts) > 1 else ""
        text = parts[0] + text + "."
        if self.last_line:
            line = self.last_line.replace("`", "'")  # a backtick would end the code span early
            text += f" Last line: `{line}`."
        if self.can_resume:
            text += " It can be resumed from its last checkpoint."
        return text + f" Log: `{self.log_path}`."


# --------------------------------------------------------------------------- process identity (I/O)
def _cmdline(pid: int) -> list[str] | None:
    """The process's argv from /proc (None: no such process; [] a zombie); None also off Linux."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError:
        return None
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def is_job_process(pid: int, run_dir: Path) -> bool:
    """True when `pid` is alive and is this run's child (not a reused pid or a zombie)."""
    if pid <= 0:
        return False
    if Path("/proc").is_dir():
        argv = _cmdline(pid)
        return bool(argv) and "sign_ml.background" in argv and str(run_dir) in argv
    try:  # no /proc (macOS): the pid alone, which a reused pid can fool
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run_lock(run_dir: Path) -> contextlib.AbstractContextManager[None]:
    """One start at a time per run directory, across threads and processes (two browser tabs)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    return file_lock(run_dir / LOCK_FILE)


# --------------------------------------------------------------------------- the job
def _spawn(command: list[str], log_path: Path, header: str) -> subprocess.Popen:
    """Start `command` in its own session (one process group to signal), its output appended to the log."""
    # a live log: unbuffered output, and one progress-bar line a second rather than ten
    env = os.environ | {"PYTHONUNBUFFERED": "1", "TQDM_MININTERVAL": "1"}
    with open(log_path, "ab") as log_file:
        log_file.write(f"\n{header}\n".encode())
        log_file.flush()
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


# Popen objects this app process started, by run directory: attach() finds them again (after a page
# reload), so exit codes are known and finished children are reaped rather than left as zombies
_OWNED: dict[Path, subprocess.Popen] = {}


class TrainJob:
    """A `sign-ml train` process running in the background on one run directory."""

    def __init__(self, out: str | Path, job: dict[str, Any], proc: subprocess.Popen | None = None):
        self.run_dir = Path(out).resolve()
        self.job = job  # RUN/job.json as read or written
        self._proc = proc

    @property
    def pid(self) -> int:
        return int(self.job["pid"])

    @property
    def log_path(self) -> Path:
        return self.run_dir / LOG_FILE

    @classmethod
    def start(
        cls,
        data: str | Path,
        out: str | Path,
        *,
        kind: str = "image",
        resume: bool = False,
        overrides: Mapping[str, Any] | None = None,
        config_file: str | Path | None = None,
        python: str | None = None,
    ) -> TrainJob:
        """Start training DATA into OUT in the background (what `sign-ml train` would do with these settings).

        overrides: config field → value (e.g. {"epochs": 5, "hand_crop": True}); python: the interpreter
        to run it with (default: this one). Refuses (RuntimeError) while another job runs on OUT. The
        child's output is appended to OUT/train.log, its progress events to OUT/progress.jsonl.
        """
        run_dir = Path(out).resolve()
        request = TrainRequest(
            data=str(Path(data).resolve()),
            out=str(run_dir),
            kind=kind,
            resume=resume,
            config_file=None if config_file is None else str(config_file),
            overrides=dict(overrides or {}),
        )
        argv = request.command()
        with _run_lock(run_dir):
            current = cls.attach(run_dir)
            if current is not None and current.status().state == "running":
                raise RuntimeError(
                    f"{run_dir}: a training job is already running (pid {current.pid}); "
                    "cancel it or wait for it to end"
                )
            job_id = uuid.uuid4().hex
            # the previous job's ending and progress must not be read as this one's
            (run_dir / EXIT_FILE).unlink(missing_ok=True)
            (run_dir / PROGRESS_FILE).unlink(missing_ok=True)
            command = [
                python or sys.executable,
                "-m",
                "sign_ml.background",
                str(run_dir),
                job_id,
                json.dumps(request.to_dict()),
            ]
            started = datetime.now(UTC)
            proc = _spawn(
                command, run_dir / LOG_FILE, f"=== {started.isoformat(timespec='seconds')} {' '.join(argv)}"
            )
            job = {
                "id": job_id,
                "pid": proc.pid,
                "started": started.isoformat(),
                "started_unix": started.timestamp(),
                "request": request.to_dict(),
                "argv": argv,  # the equivalent terminal command, for people
                "command": command,
                "data": request.data,
                "out": str(run_dir),
                "kind": kind,
                "overrides": dict(request.overrides),
                "config_file": request.config_file,
                "python": python,
                "epochs": planned_epochs(request),
                "cancel_requested": False,
            }
            atomic_write_json(run_dir / JOB_FILE, job)
            _OWNED[run_dir] = proc
        log.info("started sign-ml train in the background on %s (pid %d)", run_dir, proc.pid)
        return cls(run_dir, job, proc)

    @classmethod
    def attach(cls, out: str | Path) -> TrainJob | None:
        """The job recorded in OUT/job.json (running or ended), e.g. after an app restart; None when there is none."""
        run_dir = Path(out).resolve()
        path = run_dir / JOB_FILE
        if not path.is_file():
            return None
        job = read_json(path)
        if not isinstance(job, dict) or "pid" not in job:
            raise ValueError(f"{path}: not a job file written by sign_ml.background")
        proc = _OWNED.get(run_dir)
        if proc is not None and proc.pid != int(job["pid"]):
            proc = None  # another app process started the newer job
        return cls(run_dir, job, proc)

    # ----------------------------------------------------------------- status
    def _alive(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None  # also reaps a finished child
        return is_job_process(self.pid, self.run_dir)

    def _returncode(self) -> int | None:
        if self._proc is not None and self._proc.returncode is not None:
            return self._proc.returncode
        exit_file = self.run_dir / EXIT_FILE
        if exit_file.is_file():
            with contextlib.suppress(ValueError, OSError):
                ended = read_json(exit_file)
                if ended.get("id") == self.job.get("id"):
                    return int(ended["returncode"])
        return None

    def _epochs_done(self) -> int:
        try:
            rows = read_metrics(self.run_dir / METRICS_FILE)
        except (ValueError, OSError) as exc:  # caught mid-write: the next poll reads it
            log.debug("metrics not readable yet: %s", exc)
            return 0
        return int(rows["epoch"].max()) if len(rows) else 0

    def _epochs_planned(self) -> int:
        """train_config.json once this job's child has written it (the truth), else what start() resolved."""
        saved = self.run_dir / "train_config.json"
        with contextlib.suppress(ValueError, OSError, KeyError, TypeError):
            if saved.stat().st_mtime >= float(self.job.get("started_unix", 0)) - 1:
                return int(read_json(saved)["epochs"])
        return int(self.job.get("epochs") or 0)

    def _progress(self) -> dict[str, Any] | None:
        return last_event(self.run_dir / PROGRESS_FILE)

    def _last_line(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(max(0, f.seek(0, os.SEEK_END) - TAIL_BYTES))
                return last_log_line(f.read().decode("utf-8", "replace"))
        except OSError:
            return ""

    def status(self) -> JobStatus:
        """Where the job stands, read from the process and the run directory's files."""
        alive = self._alive()
        returncode = None if alive else self._returncode()
        state = state_from(alive, returncode, bool(self.job.get("cancel_requested")))
        epoch, epochs, line = self._epochs_done(), self._epochs_planned(), self._last_line()
        record = self._progress()
        if record and record.get("epochs"):  # the job's own count (`auto` may have chosen landmarks)
            epochs = int(record["epochs"])
        can_resume = state in ("cancelled", "failed") and (self.run_dir / LAST_CHECKPOINT).is_file()
        return JobStatus(
            state=state,
            epoch=epoch,
            epochs=epochs,
            fraction=progress_fraction(state, epoch, epochs, record),
            last_line=line,
            returncode=returncode,
            log_path=self.log_path,
            can_resume=can_resume,
        )

    # ----------------------------------------------------------------- control
    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            # start_new_session: the child leads its own group (photo-decoding workers included)
            os.killpg(self.pid, sig)

    def _wait(self, timeout: float) -> bool:
        """Wait up to `timeout` s for the process to end; True when it has."""
        if self._proc is not None:
            try:
                self._proc.wait(timeout=timeout)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout
        while is_job_process(self.pid, self.run_dir):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True

    def cancel(self, timeout: float = 30.0) -> JobStatus:
        """SIGTERM the job (it saves checkpoints/last.pt and exits), SIGKILL after `timeout` s; returns the status."""
        if not self._alive():
            return self.status()
        self.job["cancel_requested"] = True  # a SIGKILLed child leaves no exit file: this says it was us
        atomic_write_json(self.run_dir / JOB_FILE, self.job)
        log.info("cancelling the training job on %s (pid %d)", self.run_dir, self.pid)
        self._signal_group(signal.SIGTERM)
        if not self._wait(timeout):
            log.warning("pid %d did not stop in %.0f s after SIGTERM: killing it", self.pid, timeout)
            self._signal_group(signal.SIGKILL)
            self._wait(10.0)
        return self.status()

    def resume(self, overrides: Mapping[str, Any] | None = None) -> TrainJob:
        """Start this run again: resumed from checkpoints/last.pt, or afresh when none was saved yet.

        overrides: replaces the job's overrides (e.g. {"epochs": 50} to train longer); None keeps them.
        """
        has_checkpoint = (self.run_dir / LAST_CHECKPOINT).is_file()
        if not has_checkpoint:
            log.info("%s: no checkpoint yet (stopped before the first one): starting afresh", self.run_dir)
        kept = self.job.get("overrides", {}) if overrides is None else dict(overrides)
        return TrainJob.start(
            self.job["data"],
            self.run_dir,
            kind=self.job.get("kind", "image"),
            resume=has_checkpoint,
            overrides=kept,
            config_file=self.job.get("config_file"),
            python=self.job.get("python"),
        )


def job_status(out: str | Path) -> JobStatus:
    """The status of the job recorded on run directory OUT, or state "absent" when none was ever started there."""
    job = TrainJob.attach(out)
    if job is not None:
        return job.status()
    log_path = Path(out).resolve() / LOG_FILE
    return JobStatus(
        state="absent",
        epoch=0,
        epochs=0,
        fraction=0.0,
        last_line="",
        returncode=None,
        log_path=log_path,
        can_resume=False,
    )


# --------------------------------------------------------------------------- the child process
def child_main(argv: list[str]) -> int:
    """`python -m sign_ml.background RUN JOB_ID REQUEST_JSON`: train, print what `sign-ml train` prints,
    record the exit status in RUN/job_exit.json."""
    run_dir, job_id = Path(argv[0]), argv[1]
    code = 1
    try:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        request = TrainRequest.from_dict(json.loads(argv[2]))
        outcome = run_training(request, progress=ProgressFile(run_dir / PROGRESS_FILE))
        for line in outcome.lines:
            print(line)
        code = outcome.code
    except KeyboardInterrupt:  # SIGTERM before training took it over
        print("sign-ml train: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except Exception as exc:  # one line, as the CLI gives it
        print(f"sign-ml train: error: {one_line(exc)}", file=sys.stderr)
        code = EXIT_CANNOT_RUN
    finally:
        atomic_write_json(
            run_dir / EXIT_FILE, {"id": job_id, "returncode": code, "ended": datetime.now(UTC).isoformat()}
        )
    return code


if __name__ == "__main__":
    # SIGTERM unwinds like Ctrl-C until training installs its own handler, so the exit status is recorded
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    raise SystemExit(child_main(sys.argv[1:]))
