"""How many live users one server holds: server-frame users (640×480 JPEGs, the server finds the hand) against
browser-landmark users (the page finds the hand and sends 21 landmarks), through the real Gradio endpoints.

The app (`app.py`, the embedded demo model unless --model) runs in its own process on a loopback port. Each
simulated user has its own Gradio session and event stream and works like the page at --fps (15): frame i
exists from i/fps s on, and the user sends the newest one as soon as its previous one is answered (latest
wins; the frames it never sent are dropped). Frame users stream through the Live camera's stream event
(queue/join, then /stream/<event>). Landmark users do what the page does: one Gradio event of their own
session for a token (the link event), then one POST a message to the light endpoint
(sign_ml/ui/live_route.py), on one kept-alive connection with a browser's headers. For comparison the old
way is measured too, "landmarks-event": the browser path's Gradio send event, one POST to
/gradio_api/run/predict a message (what the page falls back to). For each path the script finds the
largest N for which every user keeps >= --min-fps processed frames a second and the p95 round trip is
<= --p95-ms, doubling N and then bisecting, each trial --seconds long after a warm-up, and prints the
server process's CPU per answered message (its /proc/<pid>/stat times). Loopback only, at most
--max-landmarks / --max-frames users, bounded time.

    python benchmarks/live_capacity.py [--photos ../shared/data/asl-letters-sample]

The last line is exactly `capacity: frames=<N> landmarks=<M>` (M: the light endpoint, the page's way).
The load generator runs on the same machine as the server, so its own CPU counts against the server's:
the figures are a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
W, H = 640, 480
# the Live tab's events the users trigger: the server path's camera stream, the page's send event (the
# fallback) and the link event that gives the light endpoint's token
EVENTS = (("live-cam", "stream"), ("live-lm-send", "click"), ("live-link", "click"))
LIGHT_PATH = "/gradio_api/dactyl/live"  # sign_ml.ui.live_route.PATH


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sample_frames(photos: Path, letters: int) -> list[Image.Image]:
    """One photo per letter folder, on a 640×480 canvas."""
    frames = []
    folders = sorted(d for d in photos.iterdir() if d.is_dir())[:letters]
    for folder in folders:
        paths = sorted(folder.glob("*.jpg"))
        if not paths:
            continue
        photo = Image.open(paths[0]).convert("RGB")
        photo = photo.resize((H * photo.width // photo.height, H), Image.Resampling.BILINEAR)
        canvas = Image.new("RGB", (W, H), (200, 200, 200))
        canvas.paste(photo, ((W - photo.width) // 2, 0))
        frames.append(canvas)
    return frames


def jpeg_payload(frame: Image.Image) -> dict:
    """A frame as the streaming webcam sends it: a JPEG data URL."""
    buffer = io.BytesIO()
    frame.save(buffer, format="JPEG", quality=90)
    return {"url": "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()}


def landmark_payloads(frames: list[Image.Image]) -> list[dict]:
    """The landmarks the page would send for these frames (found here once by the Python landmarker)."""
    from curation.hands import HandStage

    out = []
    with HandStage(max_hands=1) as stage:
        for frame in frames:
            detection = stage.detect(frame)
            hands = [
                {"lm": np.round(h.landmarks.astype(np.float64), 5).ravel().tolist(), "hd": h.handedness}
                for h in detection.hands
            ]
            out.append({"w": W, "h": H, "hands": hands})
    return out


class Server:
    """app.py in its own process, and the fn indices of the Live events."""

    def __init__(self, model: str | None):
        self.port = free_port()
        env = {**os.environ, "PYTHONPATH": str(REPO), "GRADIO_ANALYTICS_ENABLED": "False"}
        cmd = [sys.executable, str(REPO / "app.py"), "--host", "127.0.0.1", "--port", str(self.port)]
        if model:
            cmd += ["--model", model]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait(self, timeout: float = 180.0) -> dict:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"app.py exited with {self.proc.returncode}")
            try:
                config = httpx.get(f"{self.url}/config", timeout=2).json()
                break
            except (httpx.HTTPError, ValueError):
                time.sleep(0.5)
        else:
            raise SystemExit("app.py did not start in time")
        elem = {c["id"]: (c.get("props") or {}).get("elem_id") for c in config["components"]}
        found = {}
        for index, dep in enumerate(config["dependencies"]):
            for block, event in dep["targets"]:
                if (elem.get(block), event) in EVENTS:
                    found[elem[block]] = (dep.get("id", index), block)
        if set(found) != {elem for elem, _ in EVENTS}:
            raise SystemExit(f"Live events not found in the app's config: {found}")
        return found

    def cpu_s(self) -> float:
        """The server process's CPU time so far (user + system, s)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class User:
    """One simulated page: its own session hash and event stream (SSE), frames sent latest-wins."""

    def __init__(self, client, url: str, kind: str, fn: int, trigger: int, payloads: list, fps: float):
        self.client, self.url, self.kind, self.fn, self.trigger = client, url, kind, fn, trigger
        self.light: LightLink | None = None
        self.payloads, self.fps = payloads, fps
        self.session = uuid.uuid4().hex[:11]
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.latencies: list[float] = []
        self.processed = 0
        self.errors = 0
        self.answered = 0  # warm-up included (the server's CPU per message)

    async def listen(self) -> None:
        async with self.client.stream(
            "GET", f"{self.url}/gradio_api/queue/data", params={"session_hash": self.session}, timeout=None
        ) as response:
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    self.inbox.put_nowait(json.loads(line[5:]))

    async def answer(self, kinds: tuple[str, ...], timeout: float = 10.0) -> dict:
        while True:
            msg = await asyncio.wait_for(self.inbox.get(), timeout)
            if msg.get("msg") in kinds:
                return msg
            if msg.get("msg") in ("process_completed", "unexpected_error") and not msg.get("success", True):
                raise RuntimeError(str(msg)[:200])

    def data(self, k: int, t_ms: float) -> list:
        payload = self.payloads[(k // 15) % len(self.payloads)]  # each letter held for a second
        if self.kind == "frames":
            return [None, payload, 600, False]
        return [json.dumps({"t": t_ms, **payload}), None, 600, False]

    def event(self, data: list) -> dict:
        """The body of a call of this user's event (the page's session), as the page posts it."""
        return {
            "data": data,
            "fn_index": self.fn,
            "trigger_id": self.trigger,
            "session_hash": self.session,
            "event_data": None,
        }

    async def link(self) -> None:
        """The page's start: the link event of its own session gives the light endpoint's token, and the
        page keeps one connection to it (a browser's fetch keeps it alive)."""
        body = self.event([None, 600, False])
        response = await self.client.post(f"{self.url}/gradio_api/run/predict", json=body)
        token = response.json()["data"][1]
        if response.status_code != 200 or not token:
            raise RuntimeError(f"no live link: {response.status_code}: {response.text[:200]}")
        self.light = LightLink(self.url, token)
        await self.light.open()

    async def predict(self, data: list) -> None:
        """One landmarks message as the page sends it: the send event is outside the queue (queue=False),
        one plain POST whose reply is the answer."""
        body = self.event(data)
        response = await self.client.post(f"{self.url}/gradio_api/run/predict", json=body)
        if response.status_code != 200 or "data" not in response.json():
            raise RuntimeError(f"{response.status_code}: {response.text[:200]}")

    async def join(self, data: list) -> str:
        body = self.event(data)
        response = await self.client.post(f"{self.url}/gradio_api/queue/join", json=body)
        response.raise_for_status()
        return response.json()["event_id"]

    async def run(self, start: float, warmup: float, seconds: float) -> None:
        listener = None
        event_id, last = None, -1
        try:
            while (now := time.perf_counter() - start) < warmup + seconds:
                newest = int(now * self.fps)
                if newest <= last:
                    await asyncio.sleep((last + 1) / self.fps - now)
                    continue
                last = newest
                t0 = time.perf_counter()
                try:
                    if self.kind == "landmarks":
                        if self.light is None:
                            await self.link()
                        await self.light.post(self.data(newest, t0 * 1000)[0])
                    elif self.kind == "landmarks-event":
                        await self.predict(self.data(newest, t0 * 1000))
                    elif event_id is None:
                        event_id = await self.join(self.data(newest, 0))
                        listener = asyncio.create_task(self.listen())  # the stream's event stays pending
                        await self.answer(("process_streaming", "process_generating"), timeout=60)
                    else:
                        body = {
                            "data": self.data(newest, 0),
                            "fn_index": self.fn,
                            "session_hash": self.session,
                            "event_data": None,
                        }
                        await self.client.post(f"{self.url}/gradio_api/stream/{event_id}", json=body)
                        await self.answer(("process_streaming", "process_generating"))
                except (TimeoutError, RuntimeError, OSError, ValueError):
                    self.errors += 1
                    continue
                self.answered += 1
                if now >= warmup:
                    self.latencies.append((time.perf_counter() - t0) * 1000)
                    self.processed += 1
        finally:
            if event_id is not None:
                with contextlib.suppress(OSError):
                    await self.client.post(f"{self.url}/gradio_api/stream/{event_id}/close")
            if listener is not None:
                listener.cancel()
            if self.light is not None:
                self.light.close()


class LightLink:
    """The page's connection to the light endpoint: HTTP/1.1 kept alive, the headers a browser's fetch
    sends, one message at a time (a plain asyncio stream: httpx's own CPU per request would crowd out the
    server it measures on these two cores)."""

    def __init__(self, url: str, token: str):
        self.host = url.split("//", 1)[1]
        self.url, self.token = url, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        host, port = self.host.rsplit(":", 1)
        self.reader, self.writer = await asyncio.open_connection(host, int(port))

    async def post(self, message: str) -> dict:
        body = message.encode()
        head = (
            f"POST {LIGHT_PATH} HTTP/1.1\r\nHost: {self.host}\r\nConnection: keep-alive\r\n"
            f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\nAccept: */*\r\n"
            f"X-Dactyl-Live: {self.token}\r\nOrigin: {self.url}\r\nReferer: {self.url}/\r\n"
            "Accept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"
            "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/140.0.0.0 Safari/537.36\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        answer = await self.reader.readexactly(length)
        if status != 200:
            raise RuntimeError(f"{status}: {answer[:200]!r}")
        return json.loads(answer) if answer[:1] == b"{" else {}  # a large answer may come compressed

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def trial(server, kind: str, n: int, fn: int, trigger: int, payloads, args) -> tuple[bool, str]:
    import httpx

    url = server.url
    cpu0 = server.cpu_s()
    limits = httpx.Limits(max_connections=4 * n + 8, max_keepalive_connections=4 * n + 8)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        users = [User(client, url, kind, fn, trigger, payloads, args.fps) for _ in range(n)]
        start = time.perf_counter()
        await asyncio.gather(*(u.run(start, args.warmup, args.seconds) for u in users))
    cpu_ms = (server.cpu_s() - cpu0) * 1000 / max(1, sum(u.answered for u in users))
    rates = [u.processed / args.seconds for u in users]
    lat = np.concatenate([u.latencies for u in users]) if any(u.latencies for u in users) else np.array([1e9])
    p50, p95 = np.percentile(lat, 50), np.percentile(lat, 95)
    ok = min(rates) >= args.min_fps and p95 <= args.p95_ms
    line = (
        f"{kind:15s} N={n:4d}: frames/s per user min {min(rates):5.1f} mean {np.mean(rates):5.1f}  "
        f"round trip p50 {p50:6.1f} ms p95 {p95:6.1f} ms  server CPU {cpu_ms:5.2f} ms a message  "
        f"errors {sum(u.errors for u in users)}  {'holds' if ok else 'fails'}"
    )
    return ok, line


def search(run, start: int, cap: int) -> int:
    """The largest N in 1..cap for which run(N) holds: doubling, then bisecting."""
    best, n = 0, start
    while n <= cap and run(n):
        best, n = n, n * 2
    if best == 0:
        return 0
    lo, hi = best, min(n, cap + 1)  # run(lo) holds, run(hi) fails (or hi is past the cap)
    while hi - lo > max(1, lo // 8):  # within 12.5%: enough for a capacity figure, bounded in time
        mid = (lo + hi) // 2
        if run(mid):
            lo = mid
        else:
            hi = mid
    return lo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=REPO.parent / "shared" / "data" / "asl-letters-sample")
    parser.add_argument("--model", default=None, help="run/model directory (default: the embedded demo)")
    parser.add_argument("--fps", type=float, default=15.0, help="each user's camera frames per second")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per trial")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per trial before measuring")
    parser.add_argument("--min-fps", type=float, default=14.0, help="processed frames/s every user must keep")
    parser.add_argument("--p95-ms", type=float, default=150.0, help="p95 round trip that must hold (ms)")
    parser.add_argument("--max-frames", type=int, default=16, help="most frame users tried")
    parser.add_argument("--max-landmarks", type=int, default=256, help="most landmark users tried")
    parser.add_argument("--letters", type=int, default=6)
    args = parser.parse_args(argv)

    photos = args.photos if args.photos.is_dir() else REPO / "models" / "demo" / "eval" / "test"
    frames = sample_frames(photos, args.letters)
    jpegs = [jpeg_payload(f) for f in frames]
    marks = [m for m in landmark_payloads(frames) if m["hands"]]
    if not marks:
        raise SystemExit(f"{photos}: no photo with a hand found")
    jpeg_kb = np.mean([len(j["url"]) for j in jpegs]) / 1024
    mark_kb = np.mean([len(json.dumps({"t": 123456.7, **m})) for m in marks]) / 1024
    print(
        f"photos {photos} ({len(frames)} letters); message sizes: JPEG {jpeg_kb:.1f} KB, landmarks {mark_kb:.2f} KB"
    )
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before the run")
    server = Server(args.model)
    try:
        events = server.wait()
        found: dict[str, int] = {}
        for kind, elem, payloads, cap in (
            ("frames", "live-cam", jpegs, args.max_frames),
            ("landmarks-event", "live-lm-send", marks, args.max_landmarks),
            ("landmarks", "live-link", marks, args.max_landmarks),
        ):
            fn, trigger = events[elem]

            def run(n: int, kind=kind, fn=fn, trigger=trigger, payloads=payloads) -> bool:
                ok, line = asyncio.run(trial(server, kind, n, fn, trigger, payloads, args))
                print(line, flush=True)
                return ok

            found[kind] = search(run, 1, cap)
    finally:
        server.stop()
    print(f"load average {os.getloadavg()[0]:.1f} after the run")
    print(f"the old way, the Gradio send event (the page's fallback): landmarks={found['landmarks-event']}")
    print(f"capacity: frames={found['frames']} landmarks={found['landmarks']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
