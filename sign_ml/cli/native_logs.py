"""Keep MediaPipe's and LiteRT's C++ log lines out of a command's stderr, for the CLIs only.

MediaPipe (the hand stage) writes its own C++ logs straight to file descriptor 2: absl lines such as
`W0000 00:00:… landmark_projection_calculator.cc:81] …` and LiteRT's `INFO: Created TensorFlow Lite XNNPACK
delegate for CPU.`, about 13 lines for one photo. They are not errors, yet they sit among a command's real
messages. No setting turns them off: the libmediapipe.so that mediapipe 1.2.x ships reads none of
GLOG_minloglevel, TF_CPP_MIN_LOG_LEVEL or absl's flags from the environment (each tried: still 13 lines).

So a command runs with fd 2 fed through a pipe whose reader drops exactly those lines and passes every other
byte on (Python's own messages and logging, MediaPipe's E-level errors). Replacing fd 2 changes the whole
process, which is why only a CLI entry point does it, never library or app code.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# absl/glog INFO and WARNING lines (`I0000 …`, `W1203 …` + time, thread, file.cc:line]), LiteRT/TFLite's
# `INFO: …` lines, and absl's one-off notice; E and F lines (real failures) stay
NATIVE_NOISE = re.compile(
    rb"^(?:[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w./-]+:\d+\]"
    rb"|INFO: |WARNING: Logging before InitGoogle\(\))"
)


def is_native_noise(line: bytes) -> bool:
    """Whether one stderr line is a MediaPipe/LiteRT INFO or WARNING line."""
    return NATIVE_NOISE.match(line) is not None


@contextmanager
def quiet_native_logs() -> Iterator[None]:
    """Within the block, fd 2 goes through a filter that drops native log noise (see the module's text)."""
    sys.stderr.flush()
    saved = os.dup(2)  # the real stderr (a terminal, a file, pytest's capture)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump() -> None:
        with os.fdopen(read_end, "rb") as source, os.fdopen(os.dup(saved), "wb", buffering=0) as sink:
            for line in source:  # ends when the last write end (fd 2) is closed below
                if not is_native_noise(line):
                    sink.write(line)

    reader = threading.Thread(target=pump, name="native-log-filter", daemon=True)
    reader.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's write end: the reader drains it and stops
        reader.join(timeout=10)
        os.close(saved)
