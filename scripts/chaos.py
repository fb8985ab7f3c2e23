"""Chaos test: kill `sign-curate split`, `sign-ml train` and `sign-ml push` at random moments, N times, and check
that nothing is left inconsistent. Not part of the test suite (minutes of CPU); prints counts.

    python scripts/chaos.py --n 30 --seed 0

Each trial starts one command in a subprocess, sends it SIGKILL, SIGINT or SIGTERM after a random delay, then
checks what it left:
  split  the split directory is absent or complete and identical to an uninterrupted split of the same photos;
         after SIGINT/SIGTERM no temporary folder is left beside it
  train  last.pt (when present) verifies; `--resume` (or a fresh start when no checkpoint was saved) finishes,
         and metrics.csv then equals an uninterrupted run's, epoch by epoch
  push   the run directory is unchanged; the (loopback) Hub got a complete commit or none; after
         SIGINT/SIGTERM no temporary copy of the weights is left in $TMPDIR
and, for all three, that no worker process outlives the killed command. A leftover after SIGKILL (which runs no
clean-up) is counted apart from an inconsistency.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test helpers: photo folders, an evaluated run, the loopback Hub

from conftest import make_class_folder  # noqa: E402
from test_hub_push import SENTINEL, FakeHub  # noqa: E402
from test_model_card import make_run  # noqa: E402

from sign_ml.artifacts import load_model_dir  # noqa: E402
from sign_ml.train import load_checkpoint  # noqa: E402

BIN = Path(sys.executable).parent
SIGNALS = (signal.SIGKILL, signal.SIGINT, signal.SIGTERM)
TRAIN_ARGS = [
    "--kind",
    "image",
    "--epochs",
    "3",
    "--batch-size",
    "8",
    "--image-size",
    "32",
    "--width-mult",
    "0.25",
    "--num-workers",
    "2",
    "--lr",
    "0.001",
    "--seed",
    "1",
    "--device",
    "cpu",
]
SPLIT_ARGS = ["--ratios", "70,15,15", "--workers", "2", "--no-progress"]


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def kill_at_random(
    cmd: list[str], delay: float, sig: signal.Signals, env: dict[str, str]
) -> tuple[int, set[int], float | None]:
    """Start `cmd`, signal it after `delay` s.

    Returns (exit status, worker processes that outlived it, seconds after the start when the signal was really
    sent, or None when the command had finished first).
    """
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    start = time.monotonic()
    family: set[int] = set()
    sent_at = None
    while time.monotonic() < start + delay and proc.poll() is None:
        family |= descendants(proc.pid)
        time.sleep(0.05)
    if proc.poll() is None:
        family |= descendants(proc.pid)
        sent_at = time.monotonic() - start
        proc.send_signal(sig)
    try:
        code = proc.wait(timeout=120)
    except subprocess.TimeoutExpired:  # an interrupt that does not end the command is itself a failure
        proc.kill()
        code = proc.wait()
    limit = time.monotonic() + 15
    while any(alive(p) for p in family) and time.monotonic() < limit:
        time.sleep(0.2)
    return code, {p for p in family if alive(p)}, sent_at


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


class Chaos:
    def __init__(self, work: Path, rng: random.Random):
        self.work, self.rng = work, rng
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
        self.photos = make_class_folder(work / "photos", {c: 60 for c in "ABC"}, size=(96, 96))
        self.sent_at: float | None = None  # when the last trial's signal was really sent
        self.duration: dict[str, float] = {}  # each command's uninterrupted run time: signals land within it
        reference = work / "reference-split"
        started = time.monotonic()
        assert (
            run(
                [str(BIN / "sign-curate"), "split", str(self.photos), "--out", str(reference), *SPLIT_ARGS],
                self.env,
            ).returncode
            == 0
        )
        self.duration["split"] = time.monotonic() - started
        self.manifest = (reference / "manifest.csv").read_bytes()
        self.splits = reference
        ref_run = work / "reference-run"
        started = time.monotonic()
        done = run(
            [str(BIN / "sign-ml"), "train", "--data", str(reference), "--out", str(ref_run), *TRAIN_ARGS],
            self.env,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        self.duration["train"] = time.monotonic() - started
        self.metrics = pd.read_csv(ref_run / "metrics.csv")
        self.push_run = make_run(work / "push-run")
        self.push_hash = tree_hash(self.push_run)
        started = time.monotonic()
        assert self.push(-1, signal.SIGINT, 3600.0)[0] == "ok"  # uninterrupted: the signal never comes
        self.duration["push"] = time.monotonic() - started
        print("uninterrupted: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.duration.items()), flush=True)

    # --- one trial per command: returns "ok" | "leftover" | a description of what is inconsistent ---------
    def split(self, i: int, sig: signal.Signals, delay: float) -> tuple[str, set[int], int]:
        out = self.work / f"split-{i}"
        code, orphans, self.sent_at = kill_at_random(
            [str(BIN / "sign-curate"), "split", str(self.photos), "--out", str(out), *SPLIT_ARGS],
            delay,
            sig,
            self.env,
        )
        if out.exists():
            names = {p.name for p in out.iterdir()}
            if not {"manifest.csv", "splits.json", "dataset"} <= names:
                return f"split dir incomplete: {sorted(names)}", orphans, code
            if (out / "manifest.csv").read_bytes() != self.manifest:
                return "manifest differs from the uninterrupted split", orphans, code
        elif code == 0:
            return "exit 0 without a split directory", orphans, code
        temps = [p.name for p in self.work.glob(f".split-{i}.*")]
        if temps:
            return ("leftover" if sig == signal.SIGKILL else f"temporary folder left: {temps}"), orphans, code
        return "ok", orphans, code

    def train(self, i: int, sig: signal.Signals, delay: float) -> tuple[str, set[int], int]:
        out = self.work / f"run-{i}"
        cmd = [str(BIN / "sign-ml"), "train", "--data", str(self.splits), "--out", str(out), *TRAIN_ARGS]
        code, orphans, self.sent_at = kill_at_random(cmd, delay, sig, self.env)
        last = out / "checkpoints" / "last.pt"
        if last.is_file():
            try:
                load_checkpoint(last)
            except ValueError as exc:
                return f"checkpoint does not verify: {exc}", orphans, code
            done = run([*cmd, "--resume"], self.env)
        else:
            done = run(cmd, self.env)  # nothing saved yet: a fresh start must be allowed
        if done.returncode != 0:
            return f"could not continue (exit {done.returncode}): {done.stderr.strip()[-300:]}", orphans, code
        rows = pd.read_csv(out / "metrics.csv")
        if rows["epoch"].tolist() != self.metrics["epoch"].tolist():
            return f"metrics.csv epochs {rows['epoch'].tolist()}", orphans, code
        if rows["val_acc"].tolist() != self.metrics["val_acc"].tolist() or not (
            (rows["train_loss"] - self.metrics["train_loss"]).abs().max() < 1e-5
        ):
            return "resumed run differs from the uninterrupted one", orphans, code
        load_model_dir(out)
        return "ok", orphans, code

    def push(self, i: int, sig: signal.Signals, delay: float) -> tuple[str, set[int], int]:
        tmp = self.work / f"tmp-push-{i}"
        tmp.mkdir()
        with FakeHub() as hub:
            handler = hub.server.RequestHandlerClass
            original = handler.do_POST

            def slow_post(self, original=original):  # a slow Hub: the kill lands mid-upload more often
                time.sleep(0.4)
                original(self)

            handler.do_POST = slow_post
            hub.server.handle_error = lambda request, address: (
                None
            )  # a client killed mid-request: expected here
            env = {
                **self.env,
                "TMPDIR": str(tmp),
                "HF_ENDPOINT": hub.url,
                "HF_TOKEN": SENTINEL,
                "HF_HUB_DISABLE_XET": "1",
            }
            code, orphans, self.sent_at = kill_at_random(
                [str(BIN / "sign-ml"), "push", str(self.push_run), "--repo", "user/chaos"], delay, sig, env
            )
            commits = list(hub.commits)
        if tree_hash(self.push_run) != self.push_hash:
            return "the run directory changed", orphans, code
        if any("model.safetensors" not in c["files"] or "README.md" not in c["files"] for c in commits):
            return "a partial commit reached the Hub", orphans, code
        if code == 0 and not commits:
            return "exit 0 without a commit", orphans, code
        left = list(tmp.iterdir())
        if left:
            return ("leftover" if sig == signal.SIGKILL else f"temporary copy left: {left}"), orphans, code
        return "ok", orphans, code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=30, help="trials in all, spread over split, train and push")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", help="working folder (default: a temporary one, removed afterwards)")
    args = parser.parse_args(argv)
    # started in the background (nohup, `&`), this process ignores SIGINT and its children would inherit that,
    # turning every SIGINT trial into no signal at all; a handler here is reset to the default in each child
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rng = random.Random(args.seed)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="ukrsl-chaos-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    chaos = Chaos(work, rng)
    counts: Counter[tuple[str, str]] = Counter()
    problems: list[str] = []
    for i in range(args.n):
        command = ("split", "train", "push")[i % 3]
        sig = rng.choice(SIGNALS)
        delay = rng.uniform(0.1, chaos.duration[command])  # from start-up to the last moment
        verdict, orphans, code = getattr(chaos, command)(i, sig, delay)
        counts[(command, "signalled while running")] += chaos.sent_at is not None
        if orphans:
            verdict = f"{len(orphans)} orphaned worker(s)" if verdict == "ok" else verdict
        outcome = verdict if verdict in ("ok", "leftover") else "INCONSISTENT"
        counts[(command, outcome)] += 1
        ending = f"exit {code}" if code >= 0 else f"killed ({signal.Signals(-code).name})"
        when = f"at {chaos.sent_at:5.2f} s" if chaos.sent_at is not None else "never (finished first)"
        print(f"{i:3d} {command:<5} {sig.name:<7} sent {when}, {ending}: {verdict}", flush=True)
        if outcome == "INCONSISTENT":
            problems.append(f"{i} {command} {sig.name} {delay:.2f}s: {verdict}")
    print(f"\n{args.n} trials in {time.monotonic() - started:.0f} s (seed {args.seed})")
    for command in ("split", "train", "push"):
        c = {k[1]: v for k, v in counts.items() if k[0] == command}
        print(
            f"  {command:<5} signalled while running {c.get('signalled while running', 0):>3}   ok {c.get('ok', 0):>3}   "
            f"leftover after SIGKILL {c.get('leftover', 0):>3}   inconsistent {c.get('INCONSISTENT', 0):>3}"
        )
    for line in problems:
        print(f"  INCONSISTENT: {line}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
