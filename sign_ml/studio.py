"""The Record tab's pipeline over a recording workspace: check, split, train, evaluate, leave-one-signer-out.

Each step runs the command-line tool's own code in-process (`sign-curate check`, `sign-curate split`,
`sign-ml train --kind landmarks`, `sign-ml evaluate`, `sign-ml loso`), so the app and the terminal can
never disagree; what the command printed is returned for the page. Everything the pipeline writes goes
to WORKSPACE/.dactyl/ (hidden: every load of the workspace skips it), never beside the photos.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

OUTPUTS = ".dactyl"  # hidden: `load_table` skips it, so nothing written here is ever taken for a photo
SIGNER_COLUMN = "signer"  # the workspace's metadata.csv column the split groups by


@dataclass
class Step:
    """One command's outcome: its exit status and what it printed (stdout and stderr, in order)."""

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


class _KeepMessages(io.TextIOBase):
    """stderr while a command runs: progress bars go on to the terminal, every other line is kept too."""

    def __init__(self, kept: io.StringIO, terminal: Any) -> None:
        self.kept, self.terminal = kept, terminal

    def write(self, s: str) -> int:
        if "\r" not in s and "%|" not in s:  # tqdm redraws with \r and draws "NN%|███"
            self.kept.write(s)
        return self.terminal.write(s)

    def flush(self) -> None:
        self.terminal.flush()


def run_command(main: Callable[[list[str]], int], argv: Sequence[str], shown: str) -> Step:
    """Call a CLI's `main(argv)` and keep what it printed (its errors too); progress bars still reach the terminal."""
    import sys

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(_KeepMessages(out, sys.stderr)):
        try:
            code = int(main(list(argv)) or 0)
        except SystemExit as exc:  # argparse's own exits
            code = int(exc.code or 0) if isinstance(exc.code, int) else 2
    return Step(shown, code, out.getvalue().strip())


def split_plan(n_signers: int) -> tuple[str, list[str]]:
    """(ratios, extra split arguments) for a workspace with `n_signers` signers.

    One signer: the thesis's stratified 85/10/5 of that signer's photos. Two or more: grouped by signer, so
    validation and test hold signers the model never saw. A signer is a large unit, and the greedy grouped
    split keeps every unit in train that would overshoot a small quota; so with few signers the ratios are
    one signer's share each: 2 signers → 50/50 (train, validation), 3-9 → one signer each for validation and
    test, 10 or more → 80/10/10. Letters too small for every split stay in train rather than stopping the run.
    """
    extra = ["--small-classes", "train"]
    if n_signers <= 1:
        return "85,10,5", extra
    extra += ["--group-column", SIGNER_COLUMN]
    if n_signers == 2:
        return "50,50", extra
    share = 100 // n_signers if n_signers < 10 else 10
    return f"{100 - 2 * share},{share},{share}", extra


def check(root: Path) -> Step:
    """`sign-curate check` over the workspace (the hands check included); the report goes to .dactyl/report."""
    from curation.cli import main

    out = outputs_dir(root) / "report"
    argv = [str(root), "--out", str(out), "--group-column", SIGNER_COLUMN]
    return run_command(lambda a: main(["check", *a]), argv, "sign-curate check " + " ".join(argv))


def split(root: Path, n_signers: int, seed: int = 0) -> tuple[Step, Path]:
    """`sign-curate split` of the workspace into .dactyl/splits (replacing the previous split)."""
    from curation.cli import main

    out = outputs_dir(root) / "splits"
    ratios, extra = split_plan(n_signers)
    argv = [str(root), "--out", str(out), "--ratios", ratios, "--seed", str(seed), *extra, "--force"]
    return run_command(lambda a: main(["split", *a]), argv, "sign-curate split " + " ".join(argv)), out


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


def train_landmarks(root: Path, n_signers: int, seed: int = 0) -> TrainOutcome:
    """Split, train the landmark model, evaluate it, and measure it on signers it has not seen."""
    from sign_ml.cli import main as sign_ml

    start = time.perf_counter()
    result = TrainOutcome()
    step, splits_dir = split(root, n_signers, seed)
    result.steps.append(step)
    if not step.ok:
        return result
    result.splits_dir = splits_dir
    run_dir = new_run_dir(root, "landmarks")
    argv = ["--data", str(splits_dir), "--out", str(run_dir), "--kind", "landmarks"]
    result.steps.append(
        run_command(lambda a: sign_ml(["train", *a]), argv, "sign-ml train " + " ".join(argv))
    )
    if not result.steps[-1].ok:
        return result
    result.run_dir = run_dir
    which = evaluated_split(splits_dir)
    if (
        which is not None
    ):  # too few photos for a validation or test split: the leave-one-signer-out number remains
        argv = [str(run_dir), "--data", str(splits_dir), "--split", which]
        result.steps.append(
            run_command(lambda a: sign_ml(["evaluate", *a]), argv, "sign-ml evaluate " + " ".join(argv))
        )
    argv = ["--data", str(splits_dir), "--run", str(run_dir)]
    result.steps.append(run_command(lambda a: sign_ml(["loso", *a]), argv, "sign-ml loso " + " ".join(argv)))
    from sign_ml.loso import load_loso, run_eval_dir

    result.loso = load_loso(run_eval_dir(run_dir))
    result.seconds = time.perf_counter() - start
    return result


def latest_run(root: Path, kind: str = "landmarks") -> Path | None:
    """The newest finished run of `kind` in the workspace (one with a config.json), or None."""
    runs = sorted((outputs_dir(root) / "runs").glob(f"{kind}-*/config.json"))
    return runs[-1].parent if runs else None
