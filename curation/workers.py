"""Worker processes that die with their parent: a killed `sign-curate split` or `sign-ml train` leaves no orphans.

Pool workers (forkserver or spawn) are not children of the command itself, and a SIGKILLed parent
runs no clean-up, so without this they lived on, ~120 MB each, until someone found them.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
POLL_SECONDS = 1.0


def die_with_parent() -> None:
    """Pool initializer: end this process when its parent goes (Linux: at once; elsewhere: within a second)."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watcher below still works
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="die-with-parent").start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if os.getppid() != parent:  # re-parented: the parent is gone
            os._exit(1)
