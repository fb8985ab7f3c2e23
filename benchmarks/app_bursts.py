"""Benchmark: the served app's memory under bursty load and oversized request bodies, on loopback.

Starts `python app.py` (the embedded demo model) on a free loopback port, uploads one photo, then sends
`--bursts` bursts of `--n` /predict calls, each from its own short-lived thread (as a server's workers come
and go), and prints the server's RSS and thread count after each burst. Then `--bodies` request bodies of
`--body-mb` MB each (declared length, then chunked) and the RSS after each.

    python benchmarks/app_bursts.py --photo ../shared/data/asl-letters-sample/A/A16.jpg
    python benchmarks/app_bursts.py --bursts 2 --n 50 --bodies 1     # quick look
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import httpx
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def status(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return -1


def rss_mb(pid: int) -> float:
    return status(pid, "VmRSS") / 1024


def start_app(port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(REPO)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"app did not start; see {log}")


def burst(base: str, payload: dict, n: int) -> int:
    """n /predict calls, one short-lived thread each; returns how many failed."""
    errors: list[str] = []

    def call() -> None:
        try:
            start = httpx.post(base + "gradio_api/call/predict", json={"data": [payload]}, timeout=600)
            out = httpx.get(base + f"gradio_api/call/predict/{start.json()['event_id']}", timeout=600).text
            if "event: complete" not in out:
                errors.append(out[:100])
        except Exception as exc:  # counted, the burst goes on
            errors.append(repr(exc)[:100])

    threads = [threading.Thread(target=call) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(errors)


def body(base: str, size_mb: int, chunked: bool) -> str:
    def chunks():
        block = b'{"data": ["' + b"A" * (MB - 11)
        for _ in range(size_mb):
            yield block

    headers = {"content-type": "application/json"}
    if not chunked:
        headers["content-length"] = str(size_mb * MB)
    try:
        return str(
            httpx.post(
                base + "gradio_api/queue/join", content=chunks(), headers=headers, timeout=300
            ).status_code
        )
    except httpx.HTTPError as exc:
        return type(exc).__name__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photo", help="a hand photo to send (default: a generated 320×240 picture)")
    parser.add_argument("--bursts", type=int, default=6)
    parser.add_argument("--n", type=int, default=200, help="calls per burst")
    parser.add_argument("--bodies", type=int, default=3, help="oversized bodies of each kind")
    parser.add_argument("--body-mb", type=int, default=420)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = Path(tempfile.mkdtemp(prefix="app-bursts-"))
    photo = Path(args.photo) if args.photo else tmp / "photo.jpg"
    if not args.photo:
        Image.new("RGB", (320, 240), (180, 140, 120)).save(photo)
    proc = start_app(port, tmp / "app.log")
    base = f"http://127.0.0.1:{port}/"
    try:
        with photo.open("rb") as f:
            uploaded = httpx.post(
                base + "gradio_api/upload", files={"files": (photo.name, f)}, timeout=60
            ).json()[0]
        payload = {"path": uploaded, "orig_name": photo.name, "meta": {"_type": "gradio.FileData"}}
        print(f"start: RSS {rss_mb(proc.pid):.0f} MB, {status(proc.pid, 'Threads')} threads")
        for k in range(args.bursts):
            t0 = time.monotonic()
            failed = burst(base, payload, args.n)
            time.sleep(2)  # let the worker threads wind down
            print(
                f"burst {k + 1}: {args.n} calls in {time.monotonic() - t0:.0f} s, {failed} failed, "
                f"RSS {rss_mb(proc.pid):.0f} MB, {status(proc.pid, 'Threads')} threads",
                flush=True,
            )
        for _ in range(args.bodies):
            for chunked in (False, True):
                answer = body(base, args.body_mb, chunked)
                kind = "chunked" if chunked else "declared length"
                print(f"{args.body_mb} MB body ({kind}): {answer}, RSS {rss_mb(proc.pid):.0f} MB", flush=True)
    finally:
        proc.terminate()
        proc.wait(60)


if __name__ == "__main__":
    main()
