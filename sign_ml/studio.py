"""The Record tab's pipeline over a recording workspace: check, split, train, evaluate, leave-one-signer-out.

Each step calls the library function behind the command-line tool (`curation.pipeline.check_dataset` /
`split_dataset`, `sign_ml.training.run_training`, `sign_ml.evaluate.evaluate_run`, `sign_ml.loso.loso_for_run`)
and keeps the lines the tool would print plus the warnings logged while it ran, so the app and the terminal
can never disagree. Nothing here touches sys.stdout: the warnings are caught by a logging handler that
keeps only the records of the calling thread, so two pipelines at once keep their outputs apart.
Everything the pipeline writes goes to WORKSPACE/.dactyl/ (hidden: every load of the workspace skips it).
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.errors import one_line
from curation.pipeline import SplitOptions

log = logging.getLogger(__name__)

OUTPUTS = ".dactyl"  # hidden: `load_table` skips it, so nothing written here is ever taken for a photo
SIGNER_COLUMN = "signer"  # the workspace's metadata.csv column the split groups by
EXIT_CANNOT_RUN = 2  # as the CLIs exit when a step cannot run (curation.cli.dispatch)
# called with {"stage": "split" | "train" | "evaluate" | "loso", ...}; training adds sign_ml.progress's fields
StageProgress = Callable[[dict[str, Any]], None]


@dataclass
class Step:
    """One step's outcome: its exit status and what it reported (its lines, then the warnings it logged)."""

    command: str  # the equivalent terminal command, shown to the user
    code: int
    output: str

    @property
    def ok(self) -> bool:
        return self.code == 0


@dataclass
class TrainOutcome:
    """What "train" produced: the run directory, its evaluation and the leave-one-signer-out result."""

    steps: list[Step] = field(default_factory=list)
    run_dir: Path | None = None
    splits_dir: Path | None = None
    loso: Any = None  # sign_ml.loso.LosoResult
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps) and self.run_dir is not None


def outputs_dir(root: Path) -> Path:
    return Path(root) / OUTPUTS


class _ThreadRecords(logging.Handler):
    """Keeps the formatted WARNING+ records logged by one thread (the job's), whichever logger they came from."""

    def __init__(self, thread: int) -> None:
        super().__init__(logging.WARNING)
        self.thread = thread
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread == self.thread

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def _job_log() -> Iterator[_ThreadRecords]:
    """A handler on the root logger for the calling thread's records while a step runs."""
    handler = _ThreadRecords(threading.get_ident())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def run_step(prog: str, words: list[str], call: Callable[[], tuple[list[str], list[str]]]) -> Step:
    """Run `call` (returning its (lines, warnings)) as one step shown as the command `words`; an error
    becomes the one line the CLI would print, and exit status 2."""
    command = shlex.join(words)
    with _job_log() as records:
        try:
            lines, warnings = call()
            code = 0
        except Exception as exc:  # the step fails, the app goes on; the user sees what the CLI would say
            lines, warnings, code = [], [f"{prog}: error: {one_line(exc)}"], EXIT_CANNOT_RUN
    return Step(command, code, "\n".join([*lines, *warnings, *records.lines]).strip())


def split_plan(n_signers: int) -> SplitOptions:
    """The split options for a workspace with `n_signers` signers.

    One signer: the thesis's stratified 85/10/5 of that signer's photos. Two or more: grouped by signer, so
    validation and test hold signers the model never saw. A signer is a large unit, and the greedy grouped
    split keeps every unit in train that would overshoot a small quota; so with few signers the ratios are
    one signer's share each: 2 signers → 50/50 (train, validation), 3-9 → one signer each for validation and
    test, 10 or more → 80/10/10. Letters too small for every split stay in train rather than stopping the run.
    """
    if n_signers <= 1:
        return SplitOptions(ratios="85,10,5", small_classes="train")
    if n_signers == 2:
        ratios = "50,50"
    else:
        share = 100 // n_signers if n_signers < 10 else 10
        ratios = f"{100 - 2 * share},{share},{share}"
    return SplitOptions(ratios=ratios, group_column=SIGNER_COLUMN, small_classes="train")


def check(root: Path) -> Step:
    """`sign-curate check` over the workspace (the hands check included); the report goes to .dactyl/report."""
    from curation.pipeline import check_dataset

    out = outputs_dir(root) / "report"
    words = ["sign-curate", "check", str(root), "--out", str(out), "--group-column", SIGNER_COLUMN]

    def call() -> tuple[list[str], list[str]]:
        outcome = check_dataset(root, out, group_column=SIGNER_COLUMN)
        return outcome.lines, outcome.warnings

    return run_step("sign-curate check", words, call)


def split(root: Path, n_signers: int, seed: int = 0) -> tuple[Step, Path]:
    """`sign-curate split` of the workspace into .dactyl/splits (replacing the previous split)."""
    from dataclasses import replace

    from curation.pipeline import split_dataset

    out = outputs_dir(root) / "splits"
    opts = replace(split_plan(n_signers), seed=seed, force=True)
    words = [
        "sign-curate",
        "split",
        str(root),
        "--out",
        str(out),
        "--ratios",
        opts.ratios,
        "--seed",
        str(seed),
    ]
    words += ["--small-classes", opts.small_classes]
    words += ["--group-column", opts.group_column] if opts.group_column else []

    def call() -> tuple[list[str], list[str]]:
        outcome = split_dataset(root, out, opts)
        return outcome.lines, outcome.warnings

    return run_step("sign-curate split", [*words, "--force"], call), out


def new_run_dir(root: Path, kind: str) -> Path:
    """A fresh run folder .dactyl/runs/<kind>-<UTC time>, never an existing one."""
    base = outputs_dir(root) / "runs"
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    for n in range(1000):
        candidate = base / (f"{kind}-{stamp}" if n == 0 else f"{kind}-{stamp}-{n}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"{base}: no free run name for {stamp}")


def evaluated_split(splits_dir: Path) -> str | None:
    """The split the Evaluation tab shows: test when it has photos, else validation, else None (train only)."""
    from curation.manifest import read_manifest

    table, _ = read_manifest(splits_dir)
    present = set(table["split"])
    return next((name for name in ("test", "validation") if name in present), None)


def train_kind(splits_dir: Path) -> str:
    """The Record tab's model kind: the landmark kind, or the temporal kind once the split's train side holds
    clips (recorded motion letters, or static letters recorded as clips), so they are read as movements."""
    from curation.clips import is_clip_path
    from sign_ml.data import read_split_dir

    train = read_split_dir(splits_dir).splits["train"].paths
    return "temporal" if any(is_clip_path(p) for p in train) else "landmarks"


def train_request(splits_dir: Path, run_dir: Path, kind: str | None = None) -> Any:
    """The Record tab's training of the split into `run_dir`; kind None: `train_kind`'s choice."""
    from sign_ml.training import TrainRequest

    return TrainRequest(data=str(splits_dir), out=str(run_dir), kind=kind or train_kind(splits_dir))


def train_step(
    splits_dir: Path, run_dir: Path, progress: StageProgress | None = None, kind: str | None = None
) -> Step:
    """`sign-ml train --kind landmarks|temporal` of the split into `run_dir` (see `train_request`)."""
    from sign_ml.training import run_training

    request = train_request(splits_dir, run_dir, kind)

    def call() -> tuple[list[str], list[str]]:
        report = None if progress is None else (lambda e: progress({"stage": "train", **e}))
        return run_training(request, progress=report).lines, []

    return run_step("sign-ml train", request.command(), call)


def evaluate_step(run_dir: Path, splits_dir: Path, which: str) -> Step:
    """`sign-ml evaluate RUN --data SPLITS --split WHICH`."""
    from sign_ml.evaluate import evaluate_run, summary_lines

    words = ["sign-ml", "evaluate", str(run_dir), "--data", str(splits_dir), "--split", which]

    def call() -> tuple[list[str], list[str]]:
        interp = evaluate_run(run_dir, splits_dir, split=which, backend="torch")
        return summary_lines(interp, which, str(run_dir)), []

    return run_step("sign-ml evaluate", words, call)


def loso_step(run_dir: Path, splits_dir: Path) -> Step:
    """`sign-ml loso --data SPLITS --run RUN`."""
    from sign_ml.loso import loso_for_run, loso_lines

    words = ["sign-ml", "loso", "--data", str(splits_dir), "--run", str(run_dir)]

    def call() -> tuple[list[str], list[str]]:
        return loso_lines(*loso_for_run(run_dir, splits_dir)), []

    return run_step("sign-ml loso", words, call)


def train_landmarks(
    root: Path,
    n_signers: int,
    seed: int = 0,
    progress: StageProgress | None = None,
    kind: str | None = None,
) -> TrainOutcome:
    """Split, train the landmark (or temporal) model, evaluate it, and measure it on signers it has not seen.

    progress: told when each stage starts ({"stage": name}) and, while training, each epoch's event.
    kind: "landmarks" | "temporal"; None: `train_kind`'s choice from the split. The run folder is named by it."""

    def stage(name: str) -> None:
        if progress is not None:
            progress({"stage": name})

    start = time.perf_counter()
    result = TrainOutcome()
    stage("split")
    step, splits_dir = split(root, n_signers, seed)
    result.steps.append(step)
    if not step.ok:
        return result
    result.splits_dir = splits_dir
    kind = kind or train_kind(splits_dir)
    run_dir = new_run_dir(root, kind)  # temporal-<time> or landmarks-<time>: the folder says what it holds
    stage("train")
    result.steps.append(train_step(splits_dir, run_dir, progress, kind))
    if not result.steps[-1].ok:
        return result
    result.run_dir = run_dir
    which = evaluated_split(splits_dir)
    if which is not None:  # too few photos for a validation or test split: the LOSO number remains
        stage("evaluate")
        result.steps.append(evaluate_step(run_dir, splits_dir, which))
    stage("loso")
    result.steps.append(loso_step(run_dir, splits_dir))
    from sign_ml.loso import load_loso, run_eval_dir

    result.loso = load_loso(run_eval_dir(run_dir))
    result.seconds = time.perf_counter() - start
    return result


RECORD_KINDS = ("landmarks", "temporal")  # the kinds Train trains (and names its run folders by)


def _run_time(name: str, kind: str) -> tuple[str, int]:
    """(UTC stamp, clash number) of a run folder `<kind>-<stamp>[-n]`: runs of two kinds sort by time."""
    parts = name[len(kind) + 1 :].split("-")  # YYYYmmdd, HHMMSS[, n]
    n = parts[2] if len(parts) > 2 else ""
    return "-".join(parts[:2]), int(n) if n.isdigit() else 0


def latest_run(root: Path, kind: str | None = None) -> Path | None:
    """The newest finished run of `kind` in the workspace (one with a config.json), or None; kind None: of
    the kinds Train trains (old temporal runs, named landmarks-…, are found too: by time, not by name)."""
    runs = [
        (_run_time(p.parent.name, k), p.parent)
        for k in ((kind,) if kind else RECORD_KINDS)
        for p in (outputs_dir(root) / "runs").glob(f"{k}-*/config.json")
    ]
    return max(runs)[1] if runs else None
