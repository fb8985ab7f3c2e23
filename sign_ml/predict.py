"""The predictor: a model directory (or Hub id) in, letters with probabilities out — or "no hand".

Every photo goes through the hand stage first (`curation.hands`): with no hand found there is no letter.
Then, by the model directory's kind: the landmark model reads features of the 21 landmarks
(`sign_ml.landmarks`); the image model reads the whole photo, or the hand crop when it was trained on crops.
Serves through ONNX Runtime when it can (about 3x faster than torch eager on a few CPU cores), with the
graph exported from the weights on first load and checked against torch; falls back to torch with a logged
reason. Torch stays available (`torch_model()`) for Grad-CAM. Photos are decoded and sized only through
`sign_ml.presets` and `decode_for_hands`, exactly as in training.
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

from curation.alphabet import is_motion_letter
from curation.hands import HandDetection, HandStage, crop_hand, shared_stage
from curation.images import ImageSource, UnreadableImageError
from sign_ml.artifacts import ModelMeta, read_meta
from sign_ml.landmarks import hand_features
from sign_ml.presets import (
    Preprocessing,
    decode_for_hands,
    hand_crop_uint8,
    normalize,
    normalize_numpy,
    to_uint8_array,
)
from sign_ml.resolve import resolve_model_dir

log = logging.getLogger(__name__)

BACKENDS = ("auto", "onnx", "torch")
NO_HAND = "no hand found"  # the answer, in every interface, for a photo in which the hand stage finds no hand


@dataclass
class PredictionResult:
    """One file's outcome: the top-k (label, probability) pairs, "no hand", or why it could not be read."""

    source: str
    top: list[tuple[str, float]] | None = None
    error: str | None = None
    no_hand: bool = False  # readable, but no hand was found: no letter is given

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Recognition:
    """One photo through the whole pipeline: what was decoded, what the hand stage found, what was read."""

    source: str
    image: Image.Image  # upright RGB, as the hand stage saw it
    detection: HandDetection
    top: list[tuple[str, float]] | None  # None when no hand was found
    probs: np.ndarray | None  # (K,) float32, class order = the model's
    crop: Image.Image | None  # the hand crop (what a crop model reads; shown by the app for every kind)
    motion: bool = False  # the top letter is signed with movement: a still shows only its start

    @property
    def no_hand(self) -> bool:
        return not self.detection.found


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

    def __init__(
        self,
        model_dir: str | Path,
        meta: ModelMeta,
        backend: str,
        session=None,
        model=None,
        device: str = "cpu",
        fallback_reason: str | None = None,
    ):
        self.model_dir = Path(model_dir)
        self.meta = meta
        self.kind = meta.kind
        self.class_names: list[str] = list(meta.class_names)
        self.preprocessing: Preprocessing = meta.preprocessing
        tc = meta.train_config or {}
        self.hand_crop = self.kind == "image" and bool(tc.get("hand_crop", False))
        self.hand_crop_margin = float(tc.get("hand_crop_margin", 0.25))
        self._hands: HandStage | None = None
        self.backend = backend
        self.device = device
        self.fallback_reason = fallback_reason
        self._session = session
        self._model = model
        self._model_lock = threading.Lock()  # the app serves requests from several threads
        self.onnx_path: Path | None = None

    # --- loading ---
    @classmethod
    def from_pretrained(
        cls, name_or_path: str | Path, backend: str = "auto", device: str = "cpu", revision: str | None = None
    ) -> Predictor:
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
            return cls(
                model_dir,
                meta,
                "torch",
                model=_load_torch(model_dir, device),
                device=device,
                fallback_reason=reason,
            )
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

    @property
    def hands(self) -> HandStage:
        """The hand stage (MediaPipe), shared by every predictor in the process; loaded on first use."""
        if self._hands is None:
            self._hands = shared_stage()
        return self._hands

    def torch_model(self):
        """The fp32 torch model (eval mode, on `device`), built on first use; for Grad-CAM and checks."""
        with self._model_lock:
            if self._model is None:
                self._model = _load_torch(self.model_dir, self.device)
        return self._model

    # --- predicting ---
    def logits(self, batch: np.ndarray) -> np.ndarray:
        """Model logits (B, K) for a batch of model inputs: uint8 (B, S, S, 3) photos for the image kind,
        float32 (B, F) features for the landmark kind."""
        if self.kind == "image":
            return self.logits_uint8(batch)
        x = np.ascontiguousarray(batch, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != int(self.meta.landmarks["n_features"]):
            raise ValueError(
                f"expected float32 (B, {self.meta.landmarks['n_features']}) features, got {x.shape}"
            )
        if self.backend == "onnx":
            from sign_ml.onnx_export import INPUT_NAME, OUTPUT_NAME

            return self._session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]
        import torch

        with torch.inference_mode():
            return self.torch_model()(torch.from_numpy(x).to(self.device)).float().cpu().numpy()

    def model_input(
        self, source: ImageSource, image: Image.Image | None, detection: HandDetection
    ) -> np.ndarray:
        """One photo's model input, from its (non-empty) detection and, for a crop model, its decode."""
        hand = detection.hand
        if self.kind == "landmarks":
            spec = self.meta.landmarks
            return hand_features(
                hand.landmarks,
                detection.width,
                detection.height,
                left=hand.handedness == "Left",
                mirror_left=spec.get("handedness") == "mirror_left",
            )
        if self.hand_crop:
            return hand_crop_uint8(image, detection, self.preprocessing.size, self.hand_crop_margin)
        return self.load_uint8(image if isinstance(source, Image.Image) else source)

    def recognize(self, source: ImageSource, top_k: int = 5) -> Recognition:
        """The whole pipeline for one photo (path, bytes or PIL image). Raises UnreadableImageError."""
        image = decode_for_hands(source)
        name = source if isinstance(source, str | os.PathLike) else "<image>"
        detection = self.hands.detect(image, source=str(name))
        if not detection.found:
            return Recognition(str(name), image, detection, None, None, None)
        probs = softmax(self.logits(self.model_input(source, image, detection)[None]))[0]
        top = self.top(probs, top_k)
        crop = crop_hand(image, detection.hand, margin=self.hand_crop_margin)
        return Recognition(
            str(name),
            image,
            detection,
            top,
            probs,
            crop,
            motion=is_motion_letter(top[0][0], self.class_names),
        )

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
        """Probabilities (N, K), class order = class_names; an all-zero row where no hand was found.

        Raises UnreadableImageError on the first bad photo.
        """
        if _is_single(sources):
            sources = [sources]
        sources = list(sources)
        out = np.zeros((len(sources), len(self.class_names)), dtype=np.float32)
        for start in range(0, len(sources), batch_size):
            chunk = sources[start : start + batch_size]
            inputs, rows = [], []
            for k, src in enumerate(chunk):
                image = decode_for_hands(src)
                detection = self.hands.detect(image)
                if detection.found:
                    inputs.append(self.model_input(src, image, detection))
                    rows.append(start + k)
            if inputs:
                out[rows] = softmax(self.logits(np.stack(inputs)))
        return out

    def predict(self, source: ImageSource, top_k: int = 5) -> list[tuple[str, float]]:
        """The top_k (label, probability) pairs for one photo (path, bytes or PIL image), most likely first;
        an empty list when no hand was found."""
        recognition = self.recognize(source, top_k)
        return [] if recognition.top is None else recognition.top

    def top(self, probs: np.ndarray, top_k: int = 5) -> list[tuple[str, float]]:
        """(label, probability) pairs of one probability row, most likely first (ties: class order)."""
        if top_k < 1:
            raise ValueError(f"top_k must be ≥ 1, got {top_k}")
        order = np.argsort(-probs, kind="stable")[:top_k]
        return [(self.class_names[i], float(probs[i])) for i in order]

    def proba_files(
        self, paths: Sequence[str | Path], batch_size: int = 32, progress: bool = False, desc: str = "predict"
    ) -> tuple[np.ndarray, list[str | None]]:
        """Probabilities (N, K) for files, NaN rows where unreadable, all-zero rows where no hand was found,
        and per-file errors (None = read)."""
        probs = np.full((len(paths), len(self.class_names)), np.nan, dtype=np.float32)
        errors: list[str | None] = [None] * len(paths)
        for indices, batch_probs, batch_errors in self._iter_batches(paths, batch_size, progress, desc):
            for i, p, e in zip(indices, batch_probs, batch_errors, strict=True):
                errors[i] = e
                if p is not None:
                    probs[i] = p
        return probs, errors

    def iter_predict_files(
        self, paths: Sequence[str | Path], top_k: int = 5, batch_size: int = 32, progress: bool = False
    ) -> Iterator[PredictionResult]:
        """PredictionResults in input order, a batch at a time (so a CLI can print while it works)."""
        for indices, batch_probs, batch_errors in self._iter_batches(paths, batch_size, progress, "predict"):
            for i, p, e in zip(indices, batch_probs, batch_errors, strict=True):
                no_hand = p is not None and not p.any()
                top = None if p is None or no_hand else self.top(p, top_k)
                yield PredictionResult(source=str(paths[i]), top=top, error=e, no_hand=no_hand)

    def predict_files(
        self, paths: Sequence[str | Path], top_k: int = 5, batch_size: int = 32
    ) -> list[PredictionResult]:
        """One PredictionResult per path, in order; an unreadable file gets its error, the others are predicted."""
        return list(self.iter_predict_files(paths, top_k=top_k, batch_size=batch_size))

    def _iter_batches(self, paths: Sequence[str | Path], batch_size: int, progress: bool, desc: str):
        """Yield (indices, [probs row | None], [error | None]) per batch: None rows are unreadable, all-zero
        rows had no hand. Hand detection goes through the landmark cache; decoding runs in threads."""
        from tqdm.auto import tqdm

        from curation.hand_cache import HandCache, detect_files

        if batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1, got {batch_size}")
        workers = min(8, os.cpu_count() or 1)
        cache = HandCache()
        try:
            with (
                ThreadPoolExecutor(max_workers=workers) as pool,
                tqdm(total=len(paths), desc=desc, unit="img", disable=not progress) as bar,
            ):
                for start in range(0, len(paths), batch_size):
                    indices = list(range(start, min(start + batch_size, len(paths))))
                    outcomes, _ = detect_files(
                        [paths[i] for i in indices], self.hands, cache=cache, workers=workers
                    )
                    # PIL decodes without holding the GIL, so threads overlap decoding
                    inputs = list(pool.map(self._try_input, [paths[i] for i in indices], outcomes))
                    rows: list[np.ndarray | None] = [None] * len(indices)
                    errors = [error for _, error in inputs]
                    good = [k for k, (x, _) in enumerate(inputs) if x is not None]
                    for k, o in enumerate(outcomes):
                        if o.detection is not None and not o.detection.found:
                            rows[k] = np.zeros(len(self.class_names), dtype=np.float32)
                    if good:
                        batch_probs = softmax(self.logits(np.stack([inputs[k][0] for k in good])))
                        for k, p in zip(good, batch_probs, strict=True):
                            rows[k] = p
                    yield indices, rows, errors
                    bar.update(len(indices))
        finally:
            cache.close()

    def _try_input(self, path: str | Path, outcome) -> tuple[np.ndarray | None, str | None]:
        """The model input for a file whose hand was found; (None, None) without a hand; (None, error)."""
        if outcome.error is not None:
            return None, outcome.error
        if not outcome.detection.found:
            return None, None
        try:
            image = decode_for_hands(path) if self.hand_crop else None
            return self.model_input(path, image, outcome.detection), None
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
