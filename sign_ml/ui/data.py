"""What the app loads: the model (with its evaluation outputs) and the data behind `--data`.

The I/O layer of the app: everything here reads files, nothing here draws. Loading never raises
to the UI: a missing model or an unreadable data folder becomes a message the tab shows.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image

from curation.images import UnreadableImageError, load_rgb
from sign_ml.curves import METRICS_FILE, read_metrics
from sign_ml.ui import report_cache
from sign_ml.ui.safety import inside_roots
from sign_ml.ui.thumbnails import find_thumbnail

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_MODEL = REPO_ROOT / "models" / "demo"  # the embedded demo model (shipped by the demo-model issue)
SHARED_SAMPLE = REPO_ROOT.parent / "shared" / "data" / "asl-letters-sample"  # only in the project's workplace
SHARED_ENV = "DACTYL_SHARED_DATA"  # overrides SHARED_SAMPLE; set it empty to act as a fresh clone (no photos)
REPORT_FILE = "report.json"
THUMB_SIDE = 256  # px, longest side of the photos shown in galleries


# ---------------------------------------------------------------- the model
@dataclass
class ModelContext:
    """The loaded predictor and what the Evaluation and Model tabs read beside it."""

    ref: str = ""  # what the user asked for (path or Hub id)
    predictor: Any = None  # sign_ml.predict.Predictor, or None when no model could be loaded
    error: str | None = None  # why there is no predictor
    eval_dir: Path | None = None  # RUN/eval/<split>/, test preferred
    history: pd.DataFrame | None = None  # RUN/metrics.csv (per-epoch), when present
    curves_png: Path | None = None

    @property
    def ok(self) -> bool:
        return self.predictor is not None


def default_model_ref() -> str | None:
    """DACTYL_MODEL, else the embedded demo model when the repository ships it."""
    env = os.environ.get("DACTYL_MODEL")
    if env:
        return env
    return str(DEMO_MODEL) if (DEMO_MODEL / "config.json").is_file() else None


def load_model(ref: str | None, backend: str = "auto") -> ModelContext:
    """Load a run directory or Hub id; a failure becomes `ModelContext.error`, never an exception."""
    if not ref:
        return ModelContext(error="no model given and no embedded demo model at models/demo/")
    try:
        from sign_ml.predict import Predictor

        predictor = Predictor.from_pretrained(ref, backend=backend)
    except Exception as exc:  # the app still starts and says what went wrong
        log.warning("could not load model %s: %s", ref, exc)
        return ModelContext(ref=str(ref), error=f"{type(exc).__name__}: {exc}")
    model_dir = Path(predictor.model_dir)
    history = None
    if (model_dir / METRICS_FILE).is_file():
        try:
            history = read_metrics(model_dir / METRICS_FILE)  # the one metrics.csv reader
        except (OSError, ValueError) as exc:
            log.warning("%s/%s unreadable: %s", model_dir, METRICS_FILE, exc)
    curves = model_dir / "curves.png"
    return ModelContext(
        ref=str(ref),
        predictor=predictor,
        eval_dir=find_eval_dir(model_dir),
        history=history,
        curves_png=curves if curves.is_file() else None,
    )


def find_eval_dir(model_dir: str | Path) -> Path | None:
    """RUN/eval/test/ when present, else the first other RUN/eval/<split>/ with metrics.json."""
    root = Path(model_dir) / "eval"
    if (root / "test" / "metrics.json").is_file():
        return root / "test"
    if (root / "metrics.json").is_file():
        return root
    found = sorted(p.parent for p in root.glob("*/metrics.json"))
    return found[0] if found else None


def load_evaluation(eval_dir: Path | None) -> tuple[Any, dict[str, Any] | None]:
    """(Interpretation, metrics dict) of an evaluation folder, or (None, None) when unusable."""
    if eval_dir is None:
        return None, None
    try:
        from sign_ml.evaluate import Interpretation

        interp = Interpretation.load(eval_dir)
        metrics = json.loads((eval_dir / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        log.warning("evaluation %s unusable: %s", eval_dir, exc)
        return None, None
    return interp, metrics


# ---------------------------------------------------------------- the data
@dataclass
class DataContext:
    """What `--data` points at: a split directory, a folder with report.json, or a raw photo folder."""

    path: Path | None = None
    kind: str = "none"  # "splits" | "report" | "folder" | "none"
    roots: list[Path] = field(default_factory=list)  # where relative photo paths are looked up
    manifest: pd.DataFrame | None = None  # splits only
    info: dict[str, Any] = field(default_factory=dict)  # splits.json
    report: dict[str, Any] | None = None  # report.json when present or computed
    error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def shared_sample() -> Path | None:
    """The demo model's photos beside the checkout (or $DACTYL_SHARED_DATA; empty = none), when present."""
    env = os.environ.get(SHARED_ENV)
    path = (Path(env) if env else None) if env is not None else SHARED_SAMPLE
    return path if path is not None and path.is_dir() else None


def default_data_ref(model_ref: str | None) -> str | None:
    """DACTYL_DATA, else the shared ASL sample when the demo model is what is served and the folder exists."""
    env = os.environ.get("DACTYL_DATA")
    if env:
        return env
    sample = shared_sample()
    if model_ref and sample is not None and Path(model_ref).resolve() == DEMO_MODEL.resolve():
        return str(sample)
    return None


def open_data(ref: str | None) -> DataContext:
    """Classify and read `--data` (cheap: no photo is decoded here). Its folders become the only roots
    that photos are served from."""
    if not ref:
        return DataContext()
    path = Path(ref).expanduser().resolve()
    if not path.is_dir():
        return DataContext(path=path, error=f"{ref}: no such folder")
    ctx = DataContext(path=path)
    if (path / REPORT_FILE).is_file():
        ctx.report = _read_json(path / REPORT_FILE)
    if (path / "manifest.csv").is_file() and (path / "splits.json").is_file():
        from curation.manifest import read_manifest

        try:
            ctx.manifest, ctx.info = read_manifest(path)
        except (OSError, ValueError) as exc:
            return DataContext(path=path, error=str(exc))
        ctx.kind = "splits"
        data_root = ctx.info.get("data_root")
        ctx.roots = [_under(path, data_root)] if data_root else []
    elif ctx.report is not None:
        ctx.kind = "report"
        data_root = ctx.report.get("root") or ctx.report.get("data_root")
        ctx.roots = [_under(path, data_root)] if data_root else []
    else:
        ctx.kind = "folder"
        ctx.roots = [path]
    return ctx


def _under(base: Path, root: str) -> Path:
    """A data root as written in splits.json/report.json: absolute, or relative to that file's folder."""
    return Path(root) if Path(root).is_absolute() else (base / root).resolve()


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("%s unreadable: %s", path, exc)
        return None


def data_fingerprint(ctx: DataContext) -> str:
    """The report cache's key: every photo's path, size and mtime (a manifest's files, or the folder's)."""
    if ctx.kind == "splits" and ctx.manifest is not None:
        files = [str(p) for p in ctx.manifest["path"]] + [str(ctx.path / "manifest.csv")]
    else:
        files = [str(p) for p in report_cache.folder_files(ctx.path)]
    return report_cache.fingerprint(files, extra=f"{ctx.kind}:{ctx.path}")


def ensure_report(ctx: DataContext) -> dict[str, Any]:
    """The curation report of `ctx`: as given, cached (signed by this app, same data), or computed once now.

    Raises FileNotFoundError / ValueError / RuntimeError when the checks cannot run.
    """
    with ctx._lock:  # two clicks or two browser tabs compute it once
        if ctx.report is not None:
            return ctx.report
        if ctx.path is None or ctx.kind == "none":
            raise FileNotFoundError("no data folder given (start the app with --data)")
        key = data_fingerprint(ctx)
        report = report_cache.load(key)
        if report is None:
            folder = report_cache.report_dir(key)
            if folder is None:  # no private cache: compute into a throw-away folder
                import tempfile

                with tempfile.TemporaryDirectory(prefix="ukrsl-dactyl-report-") as tmp:
                    report = run_curation(ctx, Path(tmp))
            else:
                report = run_curation(ctx, folder)
                report_cache.sign(key)
        ctx.report = report
        return report


def run_curation(ctx: DataContext, out_dir: Path) -> dict[str, Any]:
    """Load, scan (decode every photo once) and check the photos behind `ctx`; write report.json into out_dir."""
    from curation.loading import LoadedData, load_table
    from curation.report import REPORT_JSON, run_checks, write_report
    from curation.scan import scan_table

    if (
        ctx.kind == "splits"
    ):  # the manifest is already a sample table, with its splits: leakage is checked too
        root = ctx.roots[0] if ctx.roots else None
        loaded = LoadedData(
            table=ctx.manifest.copy(),
            class_names=list(ctx.info.get("class_names", [])),
            root=root,
            source=f"split directory {ctx.path}",
        )
    else:
        loaded = load_table(ctx.path)
    scanned = scan_table(
        loaded.table, progress=True
    )  # tqdm: the app's gr.Progress(track_tqdm=True) follows it
    from curation.manifest import HAND_COLUMNS

    if not set(HAND_COLUMNS) <= set(
        scanned.columns
    ):  # the hands check reads them; a split may carry them already
        from curation.hand_cache import add_hand_columns

        scanned, _ = add_hand_columns(scanned, progress=True)
    results = run_checks(scanned, class_names=loaded.class_names, empty_classes=loaded.empty_classes)
    paths = write_report(results, loaded, out_dir, scanned=scanned)
    report = _read_json(Path(paths.get("json", out_dir / REPORT_JSON)))
    if report is None:
        raise RuntimeError(f"the curation report in {out_dir} could not be read back")
    return report


# ---------------------------------------------------------------- photos
def photo_path(
    row: pd.Series | dict[str, Any], roots: list[Path], eval_dir: Path | None = None
) -> Path | None:
    """Where a predictions/manifest row's photo is on this machine: inside a data root given at start-up,
    else the thumbnail shipped beside the model; None when neither (or when the row points outside)."""
    relpath = str(row.get("relpath") or "")
    found = inside_roots(str(row.get("path") or ""), relpath, roots)
    if found is None and relpath:
        found = find_thumbnail(eval_dir, relpath)
    return found


def thumbnail(path: Path | None, side: int = THUMB_SIDE) -> Image.Image | None:
    """A small RGB copy for a gallery (returned as an image, so Gradio never serves the data folder)."""
    if path is None:
        return None
    try:
        return load_rgb(path, max_side=side)
    except UnreadableImageError as exc:
        log.warning("gallery: %s", exc)
        return None


def example_photos(
    interp: Any, roots: list[Path], eval_dir: Path | None, per_class: int = 1
) -> list[tuple[str, str]]:
    """[(photo path, true class)] for the Recognize tab's examples: test-split photos only (the evaluation's
    own), `per_class` per class in class order, originals where present else the shipped thumbnails."""
    if interp is None:
        return []
    from curation.images import is_image_file

    table = interp.table()
    picked: list[tuple[str, str]] = []
    for name in interp.class_names:
        rows = table[table["true"] == name].sort_values("relpath", kind="stable")
        found = [  # photos only: a clip (.clip.json) is no picture to show or to recognize as one
            (p, name)
            for p in (photo_path(r, roots, eval_dir) for _, r in rows.iterrows())
            if p is not None and is_image_file(p)
        ]
        picked += [(str(p), n) for p, n in found[:per_class]]
    return picked


def copy_examples(examples: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Copies of the example photos (≤ MAX_UPLOAD_BYTES each) in a temp folder that is removed at exit."""
    import atexit
    import shutil
    import tempfile

    from sign_ml.ui.safety import MAX_UPLOAD_BYTES

    folder = Path(tempfile.mkdtemp(prefix="ukrsl-dactyl-examples-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    copies = []
    for k, (path, label) in enumerate(examples):
        source = Path(path)
        if source.stat().st_size > MAX_UPLOAD_BYTES:
            continue
        target = folder / f"{k:03d}{source.suffix.lower()}"
        shutil.copyfile(source, target)
        copies.append((str(target), label))
    return copies
