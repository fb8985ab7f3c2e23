"""The predictor: a model directory (or Hub id) in, letters with probabilities out.

Serves through ONNX Runtime when it can (about 3x faster than torch eager on a few CPU cores), with the
graph exported from the weights on first load and checked against torch; falls back to torch with a logged
reason. Torch stays available (`torch_model()`) for Grad-CAM. Photos are decoded and sized only through
`sign_ml.presets`, from the model directory's own preprocessing, exactly as in training's validation.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from curation.images import ImageSource, UnreadableImageError
from sign_ml.artifacts import ModelMeta, read_meta
from sign_ml.presets import Preprocessing, normalize, normalize_numpy, to_uint8_array
from sign_ml.resolve import resolve_model_dir

log = logging.getLogger(__name__)

BACKENDS = ("auto", "onnx", "torch")


@dataclass
class PredictionResult:
    """One file's outcome: the top-k (label, probability) pairs, or why it could not be read."""

    source: str
    top: list[tuple[str, float]] | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax (numerically stable), float32."""
    z = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def _is_single(sources) -> bool:
    return isinstance(sources, str | bytes | os.PathLike | Image.Image)


class Predictor:
    """Predicts letters from photos with the model of one model directory.

    Attributes: meta (ModelMeta), class_names, preprocessing, backend ("onnx" or "torch", the one in use),
    fallback_reason (why "auto" ended on torch, else None), model_dir.
    """

    def __init__(self, model_dir: str | Path, meta: ModelMeta, backend: str, session=None, model=None,
                 device: str = "cpu", fallback_reason: str | None = None):  # fmt: skip
        self.model_dir = Path(model_dir)
        self.meta = meta
        self.class_names: list[str] = list(meta.class_names)
        self.preprocessing: Preprocessing = meta.preprocessing
        self.backend = backend
        self.device = device
        self.fallback_reason = fallback_reason
        self._session = session
        self._model = model
        self._model_lock = threading.Lock()  # the app serves requests from several threads
        self.onnx_path: Path | None = None

    # --- loading ---
    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, backend: str = "auto", device: str = "cpu",
                        revision: str | None = None) -> Predictor:  # fmt: skip
        """Load from a run/model directory or a Hub id.

        backend: "auto" = ONNX Runtime on CPU, falling back to torch (reason in `fallback_reason`);
        "onnx" = ONNX Runtime or an error; "torch" = torch eager on `device`.
        """
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        model_dir = resolve_model_dir(name_or_path, revision=revision)
        meta = read_meta(model_dir)
        if backend == "torch" or (backend == "auto" and device != "cpu"):
            # ONNX Runtime here is the CPU build; on a GPU torch is the fast path
            return cls(model_dir, meta, "torch", model=_load_torch(model_dir, device), device=device)
        try:
            predictor = cls._with_onnx(model_dir, meta)
        except Exception as exc:
            if backend == "onnx":
                raise RuntimeError(
                    f"{model_dir}: ONNX backend unavailable: {type(exc).__name__}: {exc}"
                ) from exc
            reason = f"ONNX backend unavailable ({type(exc).__name__}: {exc})"
            log.warning("%s: %s; using torch", model_dir, reason)
            return cls(model_dir, meta, "torch", model=_load_torch(model_dir, device), device=device,
                       fallback_reason=reason)  # fmt: skip
        return predictor

    @classmethod
    def _with_onnx(cls, model_dir: Path, meta: ModelMeta) -> Predictor:
        from sign_ml import onnx_export

        model = None
        path = onnx_export.find_onnx(model_dir)
        if path is None:  # no export of these exact weights yet: export once, prove it matches torch
            model = _load_torch(model_dir, "cpu")
            path = onnx_export.export_onnx(model_dir, model=model)
            try:
                session = onnx_export.make_session(path)
                onnx_export.verify_onnx(model_dir, path, model=model, session=session)
            except Exception:
                path.unlink(missing_ok=True)  # its hash matches, so a later load would trust it unverified
                raise
        else:
            session = onnx_export.make_session(path)
        predictor = cls(model_dir, meta, "onnx", session=session, model=model, device="cpu")
        predictor.onnx_path = path
        log.info("%s: serving with ONNX Runtime (%s)", model_dir, path)
        return predictor

    def torch_model(self):
        """The fp32 torch model (eval mode, on `device`), built on first use; for Grad-CAM and checks."""
        with self._model_lock:
            if self._model is None:
                self._model = _load_torch(self.model_dir, self.device)
        return self._model

    # --- predicting ---
    def logits_uint8(self, batch: np.ndarray) -> np.ndarray:
        """Model logits (B, K) float32 for a uint8 batch (B, S, S, 3) as made by `presets.to_uint8_array`."""
        if batch.ndim != 4 or batch.shape[1:] != (self.preprocessing.size, self.preprocessing.size, 3):
            raise ValueError(
                f"expected uint8 (B, {self.preprocessing.size}, {self.preprocessing.size}, 3), got {batch.shape}"
            )
        if self.backend == "onnx":
            from sign_ml.onnx_export import INPUT_NAME, OUTPUT_NAME

            x = normalize_numpy(batch, self.preprocessing)  # (B, 3, S, S) float32
            return self._session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]
        import torch

        if not batch.flags.writeable:  # e.g. a view of np.asarray(PIL image); torch wants writable memory
            batch = batch.copy()
        x = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device)
        x = x.permute(0, 3, 1, 2).contiguous()  # (B, 3, S, S) uint8, plain NCHW as in training's validation
        with torch.inference_mode():
            return self.torch_model()(normalize(x, self.preprocessing)).float().cpu().numpy()

    def proba_uint8(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities (B, K) float32 for a uint8 batch (B, S, S, 3)."""
        return softmax(self.logits_uint8(batch))

    def load_uint8(self, source: ImageSource) -> np.ndarray:
        """Decode and size one photo for this model: uint8 (S, S, 3). Raises UnreadableImageError."""
        return to_uint8_array(source, self.preprocessing.size)

    def predict_proba(self, sources: Sequence[ImageSource] | ImageSource, batch_size: int = 32) -> np.ndarray:
        """Probabilities (N, K), class order = class_names. Raises UnreadableImageError on the first bad photo."""
        if _is_single(sources):
            sources = [sources]
        sources = list(sources)
        out = np.zeros((len(sources), len(self.class_names)), dtype=np.float32)
        for start in range(0, len(sources), batch_size):
            chunk = sources[start : start + batch_size]
            out[start : start + len(chunk)] = self.proba_uint8(np.stack([self.load_uint8(s) for s in chunk]))
        return out

    def predict(self, source: ImageSource, top_k: int = 5) -> list[tuple[str, float]]:
        """The top_k (label, probability) pairs for one photo (path, bytes or PIL image), most likely first."""
        return self.top(self.predict_proba([source])[0], top_k)

    def top(self, probs: np.ndarray, top_k: int = 5) -> list[tuple[str, float]]:
        """(label, probability) pairs of one probability row, most likely first (ties: class order)."""
        if top_k < 1:
            raise ValueError(f"top_k must be ≥ 1, got {top_k}")
        order = np.argsort(-probs, kind="stable")[:top_k]
        return [(self.class_names[i], float(probs[i])) for i in order]

    def proba_files(self, paths: Sequence[str | Path], batch_size: int = 32, progress: bool = False,
                    desc: str = "predict") -> tuple[np.ndarray, list[str | None]]:  # fmt: skip
        """Probabilities (N, K) for files, NaN rows where unreadable, and per-file errors (None = ok)."""
        probs = np.full((len(paths), len(self.class_names)), np.nan, dtype=np.float32)
        errors: list[str | None] = [None] * len(paths)
        for indices, batch_probs, batch_errors in self._iter_batches(paths, batch_size, progress, desc):
            for i, p, e in zip(indices, batch_probs, batch_errors, strict=True):
                errors[i] = e
                if p is not None:
                    probs[i] = p
        return probs, errors

    def iter_predict_files(self, paths: Sequence[str | Path], top_k: int = 5, batch_size: int = 32,
                           progress: bool = False) -> Iterator[PredictionResult]:  # fmt: skip
        """PredictionResults in input order, a batch at a time (so a CLI can print while it works)."""
        for indices, batch_probs, batch_errors in self._iter_batches(paths, batch_size, progress, "predict"):
            for i, p, e in zip(indices, batch_probs, batch_errors, strict=True):
                top = None if p is None else self.top(p, top_k)
                yield PredictionResult(source=str(paths[i]), top=top, error=e)

    def predict_files(
        self, paths: Sequence[str | Path], top_k: int = 5, batch_size: int = 32
    ) -> list[PredictionResult]:
        """One PredictionResult per path, in order; an unreadable file gets its error, the others are predicted."""
        return list(self.iter_predict_files(paths, top_k=top_k, batch_size=batch_size))

    def _iter_batches(self, paths: Sequence[str | Path], batch_size: int, progress: bool, desc: str):
        """Yield (indices, [probs row | None], [error | None]) per batch; decoding runs in threads."""
        from tqdm.auto import tqdm

        if batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1, got {batch_size}")
        workers = min(8, os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as pool, tqdm(total=len(paths), desc=desc, unit="img",
                                                                   disable=not progress) as bar:  # fmt: skip
            for start in range(0, len(paths), batch_size):
                indices = list(range(start, min(start + batch_size, len(paths))))
                # PIL decodes without holding the GIL, so threads overlap decoding
                decoded = list(pool.map(self._try_load, [paths[i] for i in indices]))
                good = [k for k, (array, _) in enumerate(decoded) if array is not None]
                rows: list[np.ndarray | None] = [None] * len(indices)
                if good:
                    batch_probs = self.proba_uint8(np.stack([decoded[k][0] for k in good]))
                    for k, p in zip(good, batch_probs, strict=True):
                        rows[k] = p
                yield indices, rows, [error for _, error in decoded]
                bar.update(len(indices))

    def _try_load(self, path: str | Path) -> tuple[np.ndarray | None, str | None]:
        try:
            return self.load_uint8(path), None
        except UnreadableImageError as exc:
            return None, exc.reason

    def __repr__(self) -> str:
        size = self.preprocessing.size
        return (
            f"Predictor({self.model_dir}, {len(self.class_names)} classes, {size}px, backend={self.backend})"
        )


def _load_torch(model_dir: Path, device: str):
    from sign_ml.artifacts import load_model_dir

    model, _ = load_model_dir(model_dir, device)
    return model
