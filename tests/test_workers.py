"""Pool workers die with their parent: killing `sign-curate split` mid-scan leaves no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import wait_until

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import os, sys, time
import pandas as pd
import curation.scan as scan

def slow_chunk(paths, max_side):  # a worker busy decoding when its parent is killed
    os.write(1, f"worker {os.getpid()}\\n".encode())  # one write: two workers' lines never interleave
    time.sleep(120)
    return []

scan._scan_chunk = slow_chunk
scan.scan_table(pd.DataFrame({"path": [f"/nowhere/{i}.jpg" for i in range(400)]}), workers=2, progress=False)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; only its exit status waits to be collected


def test_scan_workers_die_when_the_parent_is_killed() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True, env=env)
    try:
        workers = [int(parent.stdout.readline().split()[1]) for _ in range(2)]
        assert all(_alive(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)  # no clean-up runs in the parent
        parent.wait()
        wait_until(
            lambda: not any(_alive(pid) for pid in workers), "the workers ending with their parent", 30
        )
    finally:
        for pid in locals().get("workers", []):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
