"""How fast the app answers: its predict function per photo, next to its parts, and the served API under load.

    python benchmarks/predict_latency.py [--model RUN_OR_HUB_ID] [--photos DIR] [--n 200] [--clients 20]

Prints, over the same ≥ 100 real photos (batch 1, single process):
  app predict   the app's API function: file → decode → preprocess → ONNX Runtime → {letter: p}
  decode+prep   decode + resize + normalise alone (sign_ml.presets, as the predictor does it)
  bare forward  ONNX Runtime `session.run` alone, on the same preprocessed tensors
and the ratio app / (decode+prep + bare forward). Then it starts `app.py` on a free loopback port in a
subprocess and lets `--clients` threads call its /predict API over HTTP (upload + call + result, as
gradio_client does), `--requests` calls in all, and prints photos/s and the latency percentiles.
Without --model it uses an untrained width-1.0 MobileNetV3-Large at 224 px (speed does not depend on
the weights). The machine may be shared: the side-by-side ratio is the robust figure.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from anywhere: the app package lives beside this folder
SHARED_SAMPLE = REPO.parent / "shared" / "data" / "asl-letters-sample"


def percentiles(ms: list[float]) -> str:
    a = np.asarray(ms)
    return (
        f"p50 {np.percentile(a, 50):7.2f} ms   p95 {np.percentile(a, 95):7.2f} ms   mean {a.mean():7.2f} ms"
    )


def untrained_model_dir(out: Path, classes: list[str], size: int) -> Path:
    """A width-1.0 MobileNetV3-Large with random weights, saved as a model directory."""
    import torch

    from sign_ml.artifacts import ModelMeta, save_model_dir
    from sign_ml.model import build_model
    from sign_ml.presets import Preprocessing

    torch.manual_seed(0)
    meta = ModelMeta(
        class_names=classes, preprocessing=Preprocessing(size=size), data={"source": "untrained, benchmark"}
    )
    return save_model_dir(out, build_model(len(classes), width_mult=1.0), meta)


def list_photos(folder: Path, n: int) -> list[Path]:
    from curation.images import is_image_file

    photos = sorted(p for p in folder.rglob("*") if p.is_file() and is_image_file(p))
    if len(photos) < 100:
        raise SystemExit(f"{folder}: {len(photos)} photos; the benchmark needs at least 100")
    picks = np.linspace(0, len(photos) - 1, num=min(n, len(photos))).round().astype(int)
    return [photos[i] for i in sorted(set(picks))]  # spread evenly over every class folder


def timed(fn, items, repeat: int = 1) -> list[float]:
    out = []
    for _ in range(repeat):
        for item in items:
            start = time.perf_counter()
            fn(item)
            out.append((time.perf_counter() - start) * 1e3)
    return out


def in_process(model: str, photos: list[Path]) -> None:
    """The app's predict function vs its parts, interleaved photo by photo so load spikes hit all alike."""
    from sign_ml.onnx_export import INPUT_NAME, OUTPUT_NAME, make_session
    from sign_ml.presets import normalize_numpy, to_uint8_array
    from sign_ml.ui import DactylApp

    app = DactylApp(model=model)
    predictor = app.predictor
    if predictor is None:
        raise SystemExit(f"no model: {app.model.error}")
    prep = predictor.preprocessing
    print(
        f"model {model}: {len(predictor.class_names)} classes, {prep.size} px, backend {predictor.backend}"
        + (f" ({predictor.fallback_reason})" if predictor.fallback_reason else "")
    )
    session = make_session(predictor.onnx_path) if predictor.backend == "onnx" else None
    calm = None  # the same session without spin-waiting threads: kinder to a CPU shared with other work
    if session is not None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        calm = ort.InferenceSession(str(predictor.onnx_path), options, providers=["CPUExecutionProvider"])
    tensors = [normalize_numpy(to_uint8_array(p, prep.size)[None], prep) for p in photos]  # (1, 3, S, S) each

    def forward(x: np.ndarray) -> None:
        if session is not None:
            session.run([OUTPUT_NAME], {INPUT_NAME: x})
        else:
            predictor.forward(np.zeros((1, prep.size, prep.size, 3), np.uint8))

    for p, x in list(zip(photos, tensors, strict=True))[:20]:  # warm-up: page cache, ORT arenas, allocator
        app.predict({"path": str(p)}), forward(x)
    app_ms, prep_ms, fwd_ms, calm_ms = [], [], [], []
    for _ in range(2):
        for p, x in zip(photos, tensors, strict=True):
            app_ms += timed(lambda q: app.predict({"path": str(q)}), [p])
            prep_ms += timed(lambda q: normalize_numpy(to_uint8_array(q, prep.size)[None], prep), [p])
            fwd_ms += timed(forward, [x])
            if calm is not None:
                calm_ms += timed(lambda t: calm.run([OUTPUT_NAME], {INPUT_NAME: t}), [x])
    print(f"photos: {len(photos)} real JPEGs × 2 passes, batch 1, ONNX Runtime threads {os.cpu_count()}")
    print(f"  app predict   {percentiles(app_ms)}")
    print(f"  decode+prep   {percentiles(prep_ms)}")
    print(f"  bare forward  {percentiles(fwd_ms)}")
    if calm_ms:
        print(f"  (forward, ORT spinning off: {percentiles(calm_ms)})")
    parts = statistics.median(prep_ms) + statistics.median(fwd_ms)
    ratio = statistics.median(app_ms) / parts
    print(
        f"  app p50 / (decode+prep p50 + forward p50) = {statistics.median(app_ms):.2f} / {parts:.2f} = {ratio:.2f}× "
        f"(target ≤ 1.2×; p50 target ≤ 8 ms at 224 px)"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def served(model: str, photos: list[Path], clients: int, requests: int) -> None:
    """Throughput of the running app's /predict API under `clients` concurrent loopback clients."""
    import httpx

    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "DACTYL_DATA": ""}
    log = Path(tempfile.gettempdir()) / f"predict_latency_app_{port}.log"
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), "--model", model, "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the app did not start; see {log}")
            try:
                if httpx.get(base + "/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        blobs = [(p.name, p.read_bytes()) for p in photos]
        latencies: list[float] = []
        errors: list[str] = []
        counter = iter(range(requests))
        lock = threading.Lock()

        def call(client: httpx.Client, name: str, blob: bytes) -> dict:
            uploaded = client.post(
                base + "/gradio_api/upload", files={"files": (name, blob, "image/jpeg")}
            ).json()[0]
            payload = {"data": [{"path": uploaded, "orig_name": name, "meta": {"_type": "gradio.FileData"}}]}
            event = client.post(base + "/gradio_api/call/predict", json=payload).json()["event_id"]
            with client.stream("GET", f"{base}/gradio_api/call/predict/{event}") as stream:
                kind = None
                for line in stream.iter_lines():
                    if line.startswith("event:"):
                        kind = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and kind in ("complete", "error"):
                        if kind == "error":
                            raise RuntimeError(line)
                        return json.loads(line[5:])[0]
            raise RuntimeError("no result")

        def worker() -> None:
            with httpx.Client(timeout=60) as client:
                while True:
                    with lock:
                        i = next(counter, None)
                    if i is None:
                        return
                    name, blob = blobs[i % len(blobs)]
                    start = time.perf_counter()
                    try:
                        result = call(client, name, blob)
                        assert len(result) > 1
                    except Exception as exc:  # counted and reported, the run goes on
                        with lock:
                            errors.append(f"{type(exc).__name__}: {exc}")
                        continue
                    with lock:
                        latencies.append((time.perf_counter() - start) * 1e3)

        with httpx.Client(timeout=60) as client:  # warm-up: first calls build the queue's workers
            for name, blob in blobs[:5]:
                call(client, name, blob)
        start = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - start
        print(
            f"served app, {clients} concurrent loopback clients, {requests} requests (upload + /predict + result):"
        )
        print(
            f"  throughput {len(latencies) / seconds:6.1f} photos/s over {seconds:.1f} s; {len(errors)} errors"
        )
        if latencies:
            print(f"  per request {percentiles(latencies)}")
        if errors:
            print(f"  first error: {errors[0]}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", default=None, help="run dir or Hub id (default: an untrained width-1.0 model, 224 px)"
    )
    parser.add_argument("--photos", type=Path, default=SHARED_SAMPLE, help="folder of real photos (≥ 100)")
    parser.add_argument("--n", type=int, default=200, help="photos to time (default 200)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent API clients (default 20)")
    parser.add_argument("--requests", type=int, default=400, help="API calls in all (default 400)")
    parser.add_argument(
        "--size", type=int, default=224, help="input size of the untrained model (default 224)"
    )
    parser.add_argument("--skip-served", action="store_true", help="only the in-process figures")
    args = parser.parse_args(argv)
    if not args.photos.is_dir():
        raise SystemExit(f"{args.photos}: no such folder (the shared sample lives beside the checkout)")
    photos = list_photos(args.photos, args.n)
    with tempfile.TemporaryDirectory(prefix="predict_latency_") as tmp:
        model = args.model
        if model is None:
            classes = sorted(
                d.name for d in args.photos.iterdir() if d.is_dir() and not d.name.startswith(".")
            )
            model = str(untrained_model_dir(Path(tmp) / "untrained", classes, args.size))
        in_process(model, photos)
        if not args.skip_served:
            served(model, photos, args.clients, args.requests)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
