"""Where the per-photo work runs: the local engine (a process pool and threads, the default) or Ray.

Both engines run the same pure functions of one file, so they give the same answers, row for row:
    scan        `curation.scan.scan_one(path, max_side)`: the decode-once record of one photo
    hands       `curation.hand_cache.detect_one(path, stage, cache)`: the hand stage on one photo
    clips       `curation.clips.clip_from_video(path, label)`: one video's landmark clip
An engine only decides where those calls happen and puts the rows back in table order.

The Ray engine (`pip install -e ".[ray]"`) runs them as Ray Data batches: scan and clips as tasks, the
hand stage in actors that each build one landmarker and keep it for every batch they are given. The
landmark cache stays on the driver: the workers are told which cache keys exist and skip those photos;
the driver fills them in and stores what the workers found, so a second run detects nothing again.
A worker that dies is restarted by Ray and its batch run again (`MAX_RETRIES`). Every node must have this
project installed and see the data at the same paths (a shared file system).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

ENGINES = ("local", "ray")
SCAN_BATCH = 128  # photos per Ray task: large enough that scheduling is noise
HANDS_BATCH = 16  # photos per actor call (~0.5 s of work): a killed worker loses little
MAX_RETRIES = 3  # a batch whose worker dies is run again this many times before the run fails
INSTALL_HINT = 'the Ray engine needs Ray: pip install -e ".[ray]" (or pip install "ray[data]")'


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """--engine and --address, the same on every command that runs per-photo work."""
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="where the per-photo work runs: this machine's cores (default) or a Ray cluster",
    )
    parser.add_argument(
        "--address",
        default=None,
        metavar="auto|HOST:PORT",
        help="the Ray cluster to join (--engine ray; default: start one on this machine)",
    )


def engine_from_args(args: argparse.Namespace) -> LocalEngine | RayEngine:
    engine = getattr(args, "engine", "local") or "local"
    address = getattr(args, "address", None)
    if engine == "local":
        if address:
            raise ValueError("--address needs --engine ray")
        return LocalEngine()
    if engine == "ray":
        return RayEngine(address=address)
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def import_ray():
    """The ray module, or one clear line when it is not installed."""
    try:
        import ray
        import ray.data  # noqa: F401  (the `data` extra)
    except ImportError as exc:
        raise RuntimeError(f"{INSTALL_HINT} ({exc})") from None
    return ray


class LocalEngine:
    """This machine: the scan in a process pool, the hand stage in threads (MediaPipe releases the GIL)."""

    name = "local"

    def scan_table(self, table: pd.DataFrame, *, workers: int | None = None, progress: bool = True, **kw):
        from curation.scan import scan_table

        out = scan_table(table, workers=workers, progress=progress, **kw)
        out.attrs["scan"]["engine"] = self.name
        return out

    def detect_files(self, paths: Sequence[str], *, progress: bool = False, workers: int | None = None, **kw):
        from curation.hand_cache import detect_files

        return detect_files(paths, progress=progress, workers=workers, **kw)

    def add_hand_columns(self, table: pd.DataFrame, *, progress: bool = False, workers: int | None = None):
        from curation.hand_cache import add_hand_columns

        return add_hand_columns(table, progress=progress, workers=workers, detect=self.detect_files)

    def video_clips(self, videos: Sequence[tuple[str, str]], *, progress: bool = False, workers=None):
        from concurrent.futures import ThreadPoolExecutor

        from tqdm.auto import tqdm

        from curation.clips import clip_from_video

        workers = max(1, workers or os.cpu_count() or 1)
        with (
            ThreadPoolExecutor(max_workers=workers) as pool,
            tqdm(total=len(videos), desc="videos", unit="video", disable=not progress) as bar,
        ):
            results = []
            for result in pool.map(lambda v: clip_from_video(*v), videos):
                results.append(result)
                bar.update(1)
        return results


# --- Ray ---


class _KnownKeys:
    """A cache stand-in for a remote worker: it knows which keys the driver's cache holds, not their values.

    get() answers a placeholder for a known key, so `detect_one` skips the hand stage and marks the outcome
    cached; the driver then swaps in the stored detection. put() keeps nothing: the driver stores results.
    """

    def __init__(self, keys: frozenset[str]):
        self.keys = keys

    def get(self, key: str):
        from curation.hands import HandDetection

        return HandDetection(0, 0) if key in self.keys else None

    def put(self, key: str, detection) -> None:
        pass


def _scan_batch(batch: dict[str, Any], max_side: int) -> dict[str, Any]:
    from curation.scan import SCAN_COLUMNS, scan_one

    rows = [scan_one(str(p), max_side) for p in batch["path"]]
    out = {"i": list(batch["i"])}
    for k, col in enumerate(SCAN_COLUMNS):
        out[col] = [r[k] for r in rows]
    return out


class _HandsActor:
    """One landmarker per actor, kept for every batch it is given."""

    def __init__(self, known: list, stage_factory: Callable | None = None):
        import ray

        from curation.hands import HandStage

        # one photo at a time per actor, so one landmarker (Ray runs as many actors as there are cores)
        self.stage = stage_factory() if stage_factory is not None else HandStage(pool_size=1)
        self.cache = _KnownKeys(ray.get(known[0]))  # [ref]: nested, so Ray passes the ref, not a copy

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import json

        from curation.hand_cache import detect_one

        out: dict[str, list] = {"i": [], "detection": [], "error": [], "cached": [], "key": []}
        for i, path in zip(batch["i"], batch["path"], strict=True):
            o = detect_one(str(path), self.stage, self.cache)
            out["i"].append(int(i))
            found = o.detection is not None and not o.cached
            out["detection"].append(json.dumps(o.detection.to_dict()) if found else "")
            out["error"].append(o.error or "")
            out["cached"].append(bool(o.cached))
            out["key"].append(o.key)
        return out


def _clip_batch(batch: dict[str, Any]) -> dict[str, Any]:
    from curation.clips import clip_from_video

    out: dict[str, list] = {"i": [], "clip": [], "error": []}
    for i, path, label in zip(batch["i"], batch["path"], batch["label"], strict=True):
        result = clip_from_video(str(path), str(label))
        out["i"].append(int(i))
        out["clip"].append(result.clip.to_json() if result.clip is not None else "")
        out["error"].append(result.error or "")
    return out


class RayEngine:
    """Ray Data over a cluster: `address` "auto", "HOST:PORT", or None (a Ray already started in this
    process, else a new one on this machine). workers: parallel tasks/actors (default: the cluster's CPUs).
    stage_factory: builds each actor's hand stage (default `HandStage()`; tests inject faults through it).
    """

    name = "ray"

    def __init__(self, address: str | None = None, stage_factory: Callable | None = None):
        self.address = address
        self.stage_factory = stage_factory

    # -- the cluster --

    def _ray(self):
        ray = import_ray()
        if not ray.is_initialized():
            _check_reachable(self.address)
            kwargs: dict[str, Any] = {
                "address": self.address,
                "logging_level": logging.WARNING,
                "log_to_driver": False,
                "configure_logging": False,
            }
            if not self.address:
                kwargs["include_dashboard"] = False
            try:
                ray.init(**kwargs)
            except ConnectionError as exc:
                cause = f"{exc} {exc.__cause__ or ''}"
                hint = ""
                if "InvalidAuthToken" in cause or "Authentication" in cause:
                    # `ray start` turns token auth on by default, but a driver only sends the token in token mode
                    hint = " (the cluster wants Ray's auth token: set RAY_AUTH_MODE=token; see ray get-auth-token)"
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise RuntimeError(f"cannot join the Ray cluster at {self.address}: {first}{hint}") from None
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # ours covers the whole corpus
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # no "execution finished" line per pass
        return ray

    def _slots(self, ray, workers: int | None) -> int:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        return max(1, min(workers, cpus) if workers else cpus)

    def _rows(
        self, ray, items: list[dict[str, Any]], fn, desc: str, unit: str, progress: bool, **kwargs
    ) -> list[dict[str, Any]]:
        """`fn` mapped over `items` in Ray batches (one CPU each; kwargs: map_batches' other settings), its
        rows in input order, with a progress bar."""
        ds = ray.data.from_items([{"i": i, **item} for i, item in enumerate(items)])
        return self._collect(_map_batches(ds, fn, num_cpus=1, **kwargs), len(items), desc, unit, progress)

    def _collect(self, ds, n: int, desc: str, unit: str, progress: bool) -> list[dict[str, Any]]:
        """Rows of `ds` in input order (column i), with a progress bar over all n."""
        from tqdm.auto import tqdm

        rows: list[dict[str, Any] | None] = [None] * n
        with tqdm(total=n, desc=desc, unit=unit, disable=not progress) as bar:
            for batch in ds.iter_batches(batch_size=None, batch_format="pandas"):
                for row in batch.to_dict("records"):
                    rows[int(row["i"])] = row
                bar.update(len(batch))
        missing = [i for i, r in enumerate(rows) if r is None]
        if missing:  # Ray gave up on a batch: never return a partial result as if complete
            raise RuntimeError(f"the Ray run lost {len(missing)} of {n} rows")
        return rows  # type: ignore[return-value]

    # -- the work --

    def scan_table(
        self,
        table: pd.DataFrame,
        *,
        workers: int | None = None,
        progress: bool = True,
        max_side: int = 256,
    ) -> pd.DataFrame:
        from curation.scan import INT_COLUMNS, SCAN_COLUMNS, _get_fingerprint

        ray = self._ray()
        paths = [str(p) for p in table["path"]]
        _get_fingerprint()
        start = time.perf_counter()
        slots = self._slots(ray, workers)
        rows: list[dict[str, Any]] = []
        if paths:
            rows = self._rows(
                ray,
                [{"path": p} for p in paths],
                _scan_batch,
                "scan",
                "photo",
                progress,
                fn_kwargs={"max_side": max_side},
                batch_size=SCAN_BATCH,
                compute=ray.data.TaskPoolStrategy(size=slots),
                max_retries=MAX_RETRIES,
            )
        seconds = time.perf_counter() - start
        out = table.copy()
        ints = INT_COLUMNS
        records = [tuple(int(r[c]) if c in ints else str(r[c]) for c in SCAN_COLUMNS) for r in rows]
        scanned = pd.DataFrame(records, columns=SCAN_COLUMNS, index=table.index)  # as scan_table builds it
        for col in SCAN_COLUMNS:
            out[col] = scanned[col]
        n = len(paths)
        out.attrs["scan"] = {
            "seconds": round(seconds, 3),
            "workers": slots,
            "max_side": max_side,
            "photos_per_s": round(n / seconds, 1) if seconds > 0 else None,
            "engine": "ray",
        }
        log.info("scanned %d photos on Ray in %.1f s with %d slot(s)", n, seconds, slots)
        return out

    def detect_files(
        self,
        paths: Sequence[str | os.PathLike],
        *,
        progress: bool = False,
        workers: int | None = None,
        cache=True,
        desc: str = "hands",
    ):
        """As `curation.hand_cache.detect_files`, the hand stage running in Ray actors."""
        import json

        from curation.hand_cache import DetectOutcome, HandCache, detect_one, summarize
        from curation.hands import HandDetection, shared_stage

        ray = self._ray()
        names = [os.fspath(p) for p in paths]
        store = HandCache() if cache is True else (cache if isinstance(cache, HandCache) else None)
        start = time.perf_counter()
        try:
            # the workers' stage, built here only for its fingerprint (the landmarker itself is built on use)
            here = self.stage_factory() if self.stage_factory else shared_stage()
            known = frozenset(store.keys(here.fingerprint)) if store is not None else None
            rows: list[dict[str, Any]] = []
            if names:
                rows = self._rows(
                    ray,
                    [{"path": p} for p in names],
                    _HandsActor,
                    desc,
                    "img",
                    progress,
                    fn_constructor_kwargs={
                        "known": [ray.put(known if known is not None else frozenset())],
                        "stage_factory": self.stage_factory,
                    },
                    batch_size=HANDS_BATCH,
                    compute=ray.data.ActorPoolStrategy(size=self._slots(ray, workers)),
                    max_restarts=MAX_RETRIES,
                    max_task_retries=MAX_RETRIES,
                )
            outcomes = []
            for name, row in zip(names, rows, strict=True):
                key = row["key"] if store is not None else ""
                if row["error"]:
                    outcomes.append(DetectOutcome(name, error=row["error"]))
                    continue
                if row["cached"]:
                    hit = store.get(key) if store is not None else None
                    if hit is not None:
                        outcomes.append(
                            DetectOutcome(name, detection=_sourced(hit, name), cached=True, key=key)
                        )
                        continue
                    outcomes.append(detect_one(name, here, store))  # gone from the cache since the run began
                    continue
                detection = HandDetection.from_dict(json.loads(row["detection"]), source=name)
                if store is not None:
                    store.put(key, detection)
                outcomes.append(DetectOutcome(name, detection=detection, key=key))
        finally:
            if cache is True and store is not None:
                store.close()
        summary = summarize(outcomes, time.perf_counter() - start)
        log.debug("%s", summary.line())
        return outcomes, summary

    def add_hand_columns(self, table: pd.DataFrame, *, progress: bool = False, workers: int | None = None):
        from curation.hand_cache import add_hand_columns

        return add_hand_columns(table, progress=progress, workers=workers, detect=self.detect_files)

    def video_clips(self, videos: Sequence[tuple[str, str]], *, progress: bool = False, workers=None):
        from curation.clips import Clip, ClipResult

        ray = self._ray()
        if not videos:
            return []
        rows = self._rows(
            ray,
            [{"path": p, "label": lab} for p, lab in videos],
            _clip_batch,
            "videos",
            "video",
            progress,
            batch_size=1,  # a video is already a long task
            compute=ray.data.TaskPoolStrategy(size=self._slots(ray, workers)),
            max_retries=MAX_RETRIES,
        )
        return [
            ClipResult(path, Clip.from_json(r["clip"], path) if r["clip"] else None, r["error"] or None)
            for (path, _), r in zip(videos, rows, strict=True)
        ]


def _check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """A HOST:PORT that nothing answers on fails in seconds here; Ray itself would wait for minutes."""
    import socket

    if not address or address == "auto" or "://" in address:
        return
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"--address must be auto or HOST:PORT, got {address!r}")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise RuntimeError(
            f"cannot join the Ray cluster at {address}: nothing answers there ({exc.strerror or exc})"
        ) from None


def _map_batches(ds, fn, **kwargs):
    """ds.map_batches; Ray 2.5x warns that retry settings go through `ray_remote_args`, the only way there is."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ray_remote_args.*")
        return ds.map_batches(fn, **kwargs)


def _sourced(detection, source: str):
    import dataclasses

    return dataclasses.replace(detection, source=source)
