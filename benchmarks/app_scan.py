"""The workspace scan inside the app against the same scan from the CLI, on the same photos.

    python benchmarks/app_scan.py [--sample ../shared/data/asl-letters-sample] [--n 65] [--rounds 3]

Saves the first N sample photos into a fresh recording workspace (two signers, as the Record tab does),
then times `sign-curate split` of it twice ways, each `--rounds` times:
- the CLI: a fresh `sign-curate split ...` process (this checkout's), the scan in its main thread;
- the app: this very process, which imported app.py at the top (so the Blocks are built, as under
  `python app.py`) and launched it on a free loopback port, runs `sign_ml.studio.split` from a worker thread
  while the server's threads are alive, as the Record tab's Train does.
Both print the scan's own log line ("scanned N photos in S s"); the ratio app/CLI is the figure.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import app  # noqa: E402  (built at import, like `python app.py`: what a scan worker process would re-import)

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "asl-letters-sample"
SCANNED = re.compile(r"scanned (\d+) photos in ([\d.]+) s with (\d+) worker")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_workspace(root: Path, sample: Path, n: int) -> Path:
    from curation.workspace import Workspace

    ws = Workspace(root)
    photos = sorted(sample.glob("*/*.jpg"))[:n]
    ws.set_alphabet("custom", sorted({p.parent.name for p in photos}))
    for i, photo in enumerate(photos):
        ws.save_photo(
            photo.read_bytes(), signer=("anna", "bohdan")[i % 2], session=1, letter=photo.parent.name
        )
    return ws.root


def split_argv(ws: Path, out: Path) -> list[str]:
    from sign_ml import studio

    ratios, extra = studio.split_plan(2)
    return [str(ws), "--out", str(out), "--ratios", ratios, *extra, "--force", "--no-progress"]


def cli_scan(ws: Path, out: Path) -> tuple[float, float]:
    """(scan seconds from the log line, wall seconds of the whole command) for one CLI run."""
    start = time.perf_counter()
    done = subprocess.run(
        # `sign-curate split ...` from this checkout, as a terminal runs it
        [
            sys.executable,
            "-c",
            "import sys; from curation.cli import main; sys.exit(main())",
            "split",
            *split_argv(ws, out),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    match = SCANNED.search(done.stderr)
    if match is None:
        raise RuntimeError(f"no scan line in the CLI's output:\n{done.stderr[-2000:]}")
    return float(match.group(2)), time.perf_counter() - start


class _Scans(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        match = SCANNED.search(record.getMessage())
        if match:
            self.seconds.append(float(match.group(2)))


def app_scan(ws: Path, out: Path, scans: _Scans) -> tuple[float, float]:
    """(scan seconds, wall seconds of studio.split) run from a thread of this (app) process."""
    from curation.cli import main

    result: dict[str, float] = {}

    def work() -> None:
        start = time.perf_counter()
        code = main(["split", *split_argv(ws, out)])
        result["wall"] = time.perf_counter() - start
        result["code"] = code

    thread = threading.Thread(target=work, name="gradio-worker-like")
    thread.start()
    thread.join()
    if result.get("code") != 0:
        raise RuntimeError(f"the in-app split failed with exit {result.get('code')}")
    return scans.seconds[-1], result["wall"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--n", type=int, default=65)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    scans = _Scans()
    logging.getLogger("curation.scan").addHandler(scans)
    logging.getLogger("curation.scan").setLevel(logging.INFO)
    app.demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        with tempfile.TemporaryDirectory(prefix="dactyl-scan-bench-") as tmp:
            ws = make_workspace(Path(tmp) / "ws", args.sample, args.n)
            print(f"{args.n} photos, 2 signers; {threading.active_count()} threads alive in the app process")
            cli_scan(ws, Path(tmp) / "warm")  # hand cache and page cache warm for both
            rows = []
            for r in range(args.rounds):
                cli = cli_scan(ws, Path(tmp) / f"cli-{r}")
                inapp = app_scan(ws, Path(tmp) / f"app-{r}", scans)
                rows.append((cli, inapp))
                print(
                    f"round {r + 1}: scan CLI {cli[0]:.2f} s, in the app {inapp[0]:.2f} s "
                    f"(whole split: CLI process {cli[1]:.1f} s, in the app {inapp[1]:.1f} s)"
                )
            cli_med = sorted(c[0] for c, _ in rows)[len(rows) // 2]
            app_med = sorted(a[0] for _, a in rows)[len(rows) // 2]
            print(
                f"median scan: CLI {cli_med:.2f} s, in the app {app_med:.2f} s, ratio {app_med / cli_med:.2f}"
            )
    finally:
        app.demo.close()
    os._exit(0)  # the launched server's threads would otherwise keep the benchmark alive


if __name__ == "__main__":
    main()
