"""The predictor: a model directory (or Hub id) in, a `Prediction` out for every photo, frame or hand.

Every input goes through one pipeline: the hand stage (`curation.hands`) finds the hand (no hand, no
letter), the model kind's *encoder* turns what was found into the model's input, the *backend* runs the
model, and one softmax and ranking make the Prediction. Both are chosen once, when the model is loaded:

    encoder   landmarks   features of the 21 landmarks (`sign_ml.landmarks`)
              hand crop   the hand stage's crop, sized as in training (`presets.hand_crop_uint8`)
              photo       the whole photo, sized as in training (`presets.to_uint8_array`)
    backend   onnx        ONNX Runtime (about 3x faster than torch eager on a few CPU cores); the graph is
                          exported from the weights on first load and checked against torch
              torch       torch eager on any device; also the fallback (with a logged reason)

A clip (`curation.clips.Clip`: one hand's landmarks over time, from a video, a `.clip.json` file or the
Live tab's rolling window) is one more input: the temporal kind encodes the whole clip (a photo is a clip
of one frame); a still kind reads one frame of it (`still_frame`: the hand frame nearest the middle of the
time the hand was seen), and its answer for a motion letter is marked `motion` (only the start is shown).

Every public call answers with a Prediction whose `status` is "ok", "no_hand" or "unreadable"; there is no
other encoding of "no result". Torch stays available (`torch_model()`) for Grad-CAM.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np
from PIL import Image

from curation.alphabet import is_motion_letter
from curation.clips import CLIP_SUFFIX, Clip, ClipError, read_clip
from curation.hands import Hand, HandDetection, HandStage, crop_hand, shared_stage
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
OK, NO_HAND_FOUND, UNREADABLE = "ok", "no_hand", "unreadable"  # Prediction.status
WINDOW_SECONDS = 1.5  # the Live tab's rolling window: a fingerspelled motion letter takes about this long
# video containers decoded frame by frame (curation.clips.clip_from_video); a GIF or WebP is a video only
# when it has more than one frame, else it is a photo
VIDEO_SUFFIXES = frozenset({".mp4", ".webm", ".mov", ".avi", ".mkv", ".m4v"})
ANIMATED_SUFFIXES = frozenset({".gif", ".webp"})


@dataclass
class Prediction:
    """One input's outcome. status: "ok" (top and probs are set), "no_hand" (readable, no hand found: no
    letter) or "unreadable" (error says why)."""

    source: str
    status: str
    top: list[tuple[str, float]] = field(default_factory=list)  # (label, probability), most likely first
    probs: np.ndarray | None = None  # (K,) float32, class order = the model's
    error: str | None = None
    detection: HandDetection | None = None  # what the hand stage found (None: unreadable)
    image: Image.Image | None = None  # the upright RGB photo the hand stage saw (single-photo calls)
    crop: Image.Image | None = None  # the hand crop (single-photo calls; shown by the app for every kind)
    # the top letter is signed with movement and this answer saw none (a photo, a still clip, or a still
    # model reading one frame of a clip): it shows only the letter's start
    motion: bool = False
    frames: int = (
        0  # hand frames the answer rests on: 1 for a photo, more for a clip read by the temporal kind
    )

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def no_hand(self) -> bool:
        return self.status == NO_HAND_FOUND


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax (numerically stable), float32."""
    z = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def probability_rows(predictions: Sequence[Prediction], n_classes: int) -> np.ndarray:
    """(N, K) probabilities of predictions; rows of the ones that are not "ok" are zero (see their status)."""
    out = np.zeros((len(predictions), n_classes), dtype=np.float32)
    for i, p in enumerate(predictions):
        if p.ok:
            out[i] = p.probs
    return out


# --------------------------------------------------------------------------- encoders (one per model kind)
class Encoder(Protocol):
    """Turns what the hand stage found in one input into one model input row."""

    needs_image: bool  # encode() needs the decoded upright photo (else the source or the detection suffice)
    takes_clips: bool  # encode_clip() reads a whole clip (the temporal kind); else one frame of it is read

    def encode(
        self, source: ImageSource | None, image: Image.Image | None, detection: HandDetection
    ) -> np.ndarray:
        """One model input (no batch axis)."""
        ...

    def check(self, batch: np.ndarray) -> np.ndarray:
        """The batch as the backend takes it, or ValueError naming the expected shape."""
        ...


@dataclass(frozen=True)
class LandmarkEncoder:
    """The landmark kind: features of the largest hand's 21 landmarks."""

    n_features: int
    mirror_left: bool  # mirror left hands into right ones first (the model's handedness setting)
    needs_image: bool = False
    takes_clips: bool = False

    def encode(self, source: Any, image: Any, detection: HandDetection) -> np.ndarray:
        hand = detection.hand
        return hand_features(
            hand.landmarks,
            detection.width,
            detection.height,
            left=hand.handedness == "Left",
            mirror_left=self.mirror_left,
        )

    def check(self, batch: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(batch, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"expected float32 (B, {self.n_features}) features, got {x.shape}")
        return x


@dataclass(frozen=True)
class CropEncoder:
    """The image kind trained on hand crops: the hand stage's crop, sized as in training."""

    size: int
    margin: float
    needs_image: bool = True
    takes_clips: bool = False

    def encode(self, source: Any, image: Image.Image | None, detection: HandDetection) -> np.ndarray:
        return hand_crop_uint8(image, detection, self.size, self.margin)

    def check(self, batch: np.ndarray) -> np.ndarray:
        return _check_uint8(batch, self.size)


@dataclass(frozen=True)
class PhotoEncoder:
    """The image kind trained on whole photos: the photo, decoded and sized as in training."""

    size: int
    needs_image: bool = False
    takes_clips: bool = False

    def encode(self, source: Any, image: Image.Image | None, detection: HandDetection | None) -> np.ndarray:
        # a file or bytes are decoded and sized from the source itself, exactly as training did
        use = source if source is not None and not (isinstance(source, Image.Image) and image) else image
        return to_uint8_array(use, self.size)

    def check(self, batch: np.ndarray) -> np.ndarray:
        return _check_uint8(batch, self.size)


def _check_uint8(batch: np.ndarray, size: int) -> np.ndarray:
    if batch.ndim != 4 or batch.shape[1:] != (size, size, 3):
        raise ValueError(f"expected uint8 (B, {size}, {size}, 3), got {batch.shape}")
    return batch


def make_encoder(meta: ModelMeta) -> Encoder:
    """The encoder of a model directory's kind (config.json: kind, train_config.hand_crop)."""
    tc = meta.train_config or {}
    if meta.kind == "landmarks":
        spec = meta.landmarks
        return LandmarkEncoder(int(spec["n_features"]), spec.get("handedness") == "mirror_left")
    if bool(tc.get("hand_crop", False)):
        return CropEncoder(meta.preprocessing.size, float(tc.get("hand_crop_margin", 0.25)))
    return PhotoEncoder(meta.preprocessing.size)


# --------------------------------------------------------------------------- clips
class WindowFrame(NamedTuple):
    """One frame of the Live tab's rolling window, as `predict_landmarks` takes a hand."""

    t: float  # seconds on the caller's clock (strictly increasing within a window)
    landmarks: np.ndarray | None  # (21, 3): x, y fractions of width × height, z depth; None = no hand
    handedness: str | None  # "Left" | "Right" as MediaPipe names it; None without a hand
    width: int  # px of the frame the fractions refer to
    height: int


def window_frame(message: Any) -> WindowFrame:
    """A checked browser message (`sign_ml.landmark_messages.LandmarkMessage`) as a window frame: its
    largest hand (the page sends them largest first), t from ms to seconds."""
    if message.landmarks:
        return WindowFrame(
            message.t_ms / 1000.0, message.landmarks[0], message.handedness[0], message.width, message.height
        )
    return WindowFrame(message.t_ms / 1000.0, None, None, message.width, message.height)


def clip_problem(clip: Any) -> str | None:
    """Why `clip` is not a usable Clip (one phrase), or None. Clips from read_clip are always usable; this
    guards clips built in memory (the Live window, callers' own)."""
    if not isinstance(clip, Clip):
        return f"expected a curation.clips.Clip, got {type(clip).__name__}"
    marks, times = np.asarray(clip.landmarks), np.asarray(clip.times)
    if marks.ndim != 3 or marks.shape[1:] != (21, 3) or len(marks) == 0:
        return f"landmarks must have shape (frames, 21, 3), got {marks.shape}"
    if times.shape != (len(marks),) or len(clip.handedness) != len(marks):
        return f"{len(marks)} frames but {times.shape} times and {len(clip.handedness)} handedness entries"
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        return "frame times must be finite and strictly increasing"
    found = ~np.isnan(marks).any(axis=(1, 2))
    if not np.all(np.isfinite(marks[found])):
        return "landmarks must be finite numbers (NaN marks a frame without a hand)"
    if not (clip.width > 0 and clip.height > 0):
        return f"frame size {clip.width}x{clip.height} is not positive"
    return None


def still_frame(clip: Clip) -> int | None:
    """The frame a still model reads from a clip: among the frames with a hand, the one nearest the middle
    of the time the hand was seen (a held letter's steadiest, a moving one's midpoint); None without a hand."""
    found = np.flatnonzero(clip.hand_found)
    if len(found) == 0:
        return None
    t = np.asarray(clip.times)[found]
    middle = 0.5 * (t[0] + t[-1])
    return int(found[np.argmin(np.abs(t - middle))])  # argmin: the earlier of two equally near


def clip_detection(clip: Clip, k: int) -> HandDetection:
    """Frame k of a clip as a hand-stage detection (one hand, or none)."""
    if not clip.hand_found[k]:
        return HandDetection(int(clip.width), int(clip.height), ())
    points = np.asarray(clip.landmarks[k], dtype=np.float32)
    world = np.asarray(clip.world[k], dtype=np.float32)
    world = np.where(np.isfinite(world), world, 0.0).astype(np.float32)
    x0, y0 = points[:, :2].min(0)
    x1, y1 = points[:, :2].max(0)
    handed = clip.handedness[k] or "Right"
    score = clip.scores[k] if clip.scores[k] is not None else 1.0
    box = (float(x0), float(y0), float(x1), float(y1))
    return HandDetection(int(clip.width), int(clip.height), (Hand(points, world, handed, float(score), box),))


def is_video_file(path: str | os.PathLike) -> bool:
    """A video container by extension, or a GIF/WebP with more than one frame (one frame is a photo)."""
    suffix = Path(path).suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return True
    if suffix not in ANIMATED_SUFFIXES:
        return False
    try:
        with Image.open(path) as image:
            return int(getattr(image, "n_frames", 1)) > 1
    except (OSError, ValueError, Image.DecompressionBombError):
        return False  # the photo path reports why it cannot be read


def is_clip_file(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(CLIP_SUFFIX)


def _one_frame(clip: Clip, k: int) -> Clip:
    """Frame k of a clip as a clip of its own (at t = 0)."""
    one = slice(k, k + 1)
    return Clip(
        clip.label,
        clip.fps,
        clip.width,
        clip.height,
        np.zeros(1),
        clip.landmarks[one],
        clip.world[one],
        clip.handedness[one],
        clip.scores[one],
        clip.source,
    )


# --------------------------------------------------------------------------- backends
class OnnxBackend:
    """ONNX Runtime on CPU; uint8 photos are normalized here exactly as in training."""

    name = "onnx"

    def __init__(self, session: Any, prep: Preprocessing, images: bool):
        self.session, self.prep, self.images = session, prep, images

    def logits(self, x: np.ndarray) -> np.ndarray:
        from sign_ml.onnx_export import INPUT_NAME, OUTPUT_NAME

        if self.images:
            x = normalize_numpy(x, self.prep)  # (B, 3, S, S) float32
        return self.session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]


class TorchBackend:
    """Torch eager on `device`; the model is built on first use (thread-safe)."""

    name = "torch"

    def __init__(self, model_dir: Path, device: str, prep: Preprocessing, images: bool, model: Any = None):
        self.model_dir, self.device, self.prep, self.images = model_dir, device, prep, images
        self._model = model
        self._lock = threading.Lock()  # the app serves requests from several threads

    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = _load_torch(self.model_dir, self.device)
        return self._model

    def logits(self, x: np.ndarray) -> np.ndarray:
        import torch

        if not x.flags.writeable:  # e.g. a view of np.asarray(PIL image); torch wants writable memory
            x = x.copy()
        t = torch.from_numpy(np.ascontiguousarray(x)).to(self.device)
        if self.images:  # (B, 3, S, S) uint8, plain NCHW as in training's validation
            t = normalize(t.permute(0, 3, 1, 2).contiguous(), self.prep)
        with torch.inference_mode():
            return self.model()(t).float().cpu().numpy()


# --------------------------------------------------------------------------- the predictor
@dataclass
class _Item:
    """One input on its way through the pipeline."""

    source: str
    raw: Any  # what the caller gave (path, bytes, PIL image), for the photo encoder
    detection: HandDetection | None = None
    image: Image.Image | None = None
    error: str | None = None
    x: np.ndarray | None = None
    clip: Clip | None = None  # a clip input (from a clip file, a video or the Live window)
    frames: int = 0  # hand frames the encoded input holds


class Predictor:
    """Predicts letters with the model of one model directory.

    Attributes: meta (ModelMeta), kind, class_names, preprocessing, encoder, backend ("onnx" or "torch",
    the one in use), fallback_reason (why "auto" ended on torch, else None), model_dir, onnx_path.
    """

    def __init__(
        self,
        model_dir: str | Path,
        meta: ModelMeta,
        backend: str,
        session: Any = None,
        model: Any = None,
        device: str = "cpu",
        fallback_reason: str | None = None,
    ):
        self.model_dir = Path(model_dir)
        self.meta = meta
        self.kind = meta.kind
        self.class_names: list[str] = list(meta.class_names)
        self.preprocessing: Preprocessing = meta.preprocessing
        self.encoder = make_encoder(meta)
        self.hand_crop = isinstance(self.encoder, CropEncoder)
        tc = meta.train_config or {}
        self.hand_crop_margin = float(tc.get("hand_crop_margin", 0.25))
        self._hands: HandStage | None = None
        self.device = device
        self.fallback_reason = fallback_reason
        images = self.kind == "image"
        self._torch = TorchBackend(self.model_dir, device, self.preprocessing, images, model)
        self._engine = OnnxBackend(session, self.preprocessing, images) if backend == "onnx" else self._torch
        self.backend = self._engine.name
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
            return cls._with_onnx(model_dir, meta)
        except Exception as exc:
            if backend == "onnx":
                raise RuntimeError(
                    f"{model_dir}: ONNX backend unavailable: {type(exc).__name__}: {exc}"
                ) from exc
            reason = f"ONNX backend unavailable ({type(exc).__name__}: {exc})"
            log.warning("%s: %s; using torch", model_dir, reason)
            model = _load_torch(model_dir, device)
            return cls(model_dir, meta, "torch", model=model, device=device, fallback_reason=reason)

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

    def torch_model(self) -> Any:
        """The fp32 torch model (eval mode, on `device`), built on first use; for Grad-CAM and checks."""
        return self._torch.model()

    # --- the building blocks, public for checks and benchmarks ---
    def encode(
        self,
        source: ImageSource | None,
        image: Image.Image | None = None,
        detection: HandDetection | None = None,
    ) -> np.ndarray:
        """One model input from what the hand stage found (the photo encoder needs only the source)."""
        return self.encoder.encode(source, image, detection)

    def forward(self, batch: np.ndarray) -> np.ndarray:
        """Model logits (B, K) for a batch of encoded inputs: uint8 (B, S, S, 3) photos for the image kind,
        float32 (B, F) features for the landmark kind."""
        return self._engine.logits(self.encoder.check(batch))

    def top(self, probs: np.ndarray, top_k: int = 5) -> list[tuple[str, float]]:
        """(label, probability) pairs of one probability row, most likely first (ties: class order)."""
        if top_k < 1:
            raise ValueError(f"top_k must be ≥ 1, got {top_k}")
        order = np.argsort(-probs, kind="stable")[:top_k]
        return [(self.class_names[i], float(probs[i])) for i in order]

    # --- predicting ---
    def predict(self, source: ImageSource, top_k: int = 5) -> Prediction:
        """One photo (path, bytes or PIL image) through the whole pipeline, with the upright image and the
        hand crop for display."""
        name = str(source) if isinstance(source, str | os.PathLike) else "<image>"
        try:
            image = decode_for_hands(source)
        except UnreadableImageError as exc:
            return Prediction(name, UNREADABLE, error=exc.reason)
        item = _Item(name, source, self.hands.detect(image, source=name), image)
        (prediction,) = self._finish([item], top_k)
        prediction.image = image
        if item.detection.found:
            prediction.crop = crop_hand(image, item.detection.hand, margin=self.hand_crop_margin)
        return prediction

    def predict_detection(
        self,
        image: Image.Image | None,
        detection: HandDetection,
        top_k: int | None = None,
        source: str = "<frame>",
    ) -> Prediction:
        """What another hand stage already found (e.g. the Live tab's VIDEO landmarker on a frame).

        image: the upright frame the detection refers to (needed by the image kinds)."""
        if image is None and self.kind == "image":
            raise ValueError(f"{self.model_dir}: an image model needs the frame, not only its landmarks")
        (prediction,) = self._finish([_Item(source, image, detection, image)], top_k)
        return prediction

    def predict_landmarks(
        self,
        landmarks: np.ndarray,
        handedness: str,
        width: int,
        height: int,
        top_k: int | None = None,
        source: str = "<landmarks>",
    ) -> Prediction:
        """21 landmarks found elsewhere (the browser's hand landmarker): (21, 3) x, y as fractions of the
        frame's width × height, z depth; handedness "Left" | "Right" as MediaPipe names it. Landmark models only."""
        points = np.asarray(landmarks, dtype=np.float32)
        if points.shape != (21, 3) or not np.isfinite(points).all():
            raise ValueError(f"{source}: expected 21 finite (x, y, z) landmarks, got shape {points.shape}")
        if handedness not in ("Left", "Right"):
            raise ValueError(f"{source}: handedness must be 'Left' or 'Right', got {handedness!r}")
        x0, y0 = points[:, :2].min(0)
        x1, y1 = points[:, :2].max(0)
        hand = Hand(
            points, np.zeros_like(points), handedness, 1.0, (float(x0), float(y0), float(x1), float(y1))
        )
        return self.predict_detection(None, HandDetection(int(width), int(height), (hand,)), top_k, source)

    def predict_clip(self, clip: Clip, top_k: int | None = None, source: str | None = None) -> Prediction:
        """One clip (`curation.clips.Clip`, e.g. from `read_clip` or `clip_from_video`), for every kind.

        The temporal kind reads the whole clip; the still kinds read `still_frame(clip)` (the landmark kind
        its landmarks; the image kinds need pixels, which a clip file lacks: see `predict_video`). A clip
        without a hand frame is "no_hand"; a malformed one "unreadable" with one line naming `source`
        (default: the clip's own source)."""
        name = source or (getattr(clip, "source", "") or "<clip>")
        problem = clip_problem(clip)
        if problem is not None:
            return Prediction(name, UNREADABLE, error=f"{name}: {problem}")
        (prediction,) = self._finish([_Item(name, None, clip=clip)], top_k)
        return prediction

    def predict_video(self, path: str | os.PathLike, top_k: int | None = None) -> Prediction:
        """A short video (mp4, webm, mov, animated GIF or WebP): its clip, from the VIDEO-mode hand stage
        (`curation.clips.clip_from_video`), through `predict_clip`. A file that cannot be decoded, is over
        the size or length limit or shows no hand answers with one line naming it, never an exception."""
        (prediction,) = self._finish([self._video_item(str(path))], top_k)
        return prediction

    def predict_window(self, frames: Sequence[WindowFrame], top_k: int | None = None) -> Prediction:
        """The Live tab's rolling window: the frames of the last `WINDOW_SECONDS` before the newest one
        (older ones are dropped here), as a clip. Frames are (t seconds, landmarks (21, 3) or None,
        handedness, width, height), oldest first, as `predict_landmarks` takes a hand (`window_frame`
        converts a browser message). The temporal kind reads the movement; a still kind reads the newest
        hand frame (what the camera shows now). An empty window or one without a hand is "no_hand"."""
        source = "<window>"
        frames = list(frames)
        if not frames:
            return Prediction(source, NO_HAND_FOUND, detection=HandDetection(1, 1, ()))
        try:
            clip = self._window_clip(frames)
        except (TypeError, ValueError) as exc:
            return Prediction(source, UNREADABLE, error=f"{source}: {exc}")
        if not self.encoder.takes_clips:
            found = np.flatnonzero(clip.hand_found)
            if len(found) == 0:
                return Prediction(source, NO_HAND_FOUND, detection=clip_detection(clip, len(clip.times) - 1))
            clip = _one_frame(clip, int(found[-1]))
        return self.predict_clip(clip, top_k, source)

    def _window_clip(self, frames: list[WindowFrame]) -> Clip:
        """The window's frames within WINDOW_SECONDS of the newest, as a Clip (ValueError when malformed)."""
        newest = float(frames[-1][0])
        keep = [f for f in frames if newest - float(f[0]) <= WINDOW_SECONDS + 1e-9]
        n = len(keep)
        marks = np.full((n, 21, 3), np.nan, dtype=np.float32)
        hands: list[str | None] = []
        for k, frame in enumerate(keep):
            t, landmarks, handedness, width, height = frame
            if landmarks is None:
                hands.append(None)
                continue
            points = np.asarray(landmarks, dtype=np.float32)
            if points.shape != (21, 3) or not np.isfinite(points).all():
                raise ValueError(
                    f"frame {k}: expected 21 finite (x, y, z) landmarks, got shape {points.shape}"
                )
            if handedness not in ("Left", "Right"):
                raise ValueError(f"frame {k}: handedness must be 'Left' or 'Right', got {handedness!r}")
            marks[k] = points
            hands.append(handedness)
        times = np.asarray([float(f[0]) for f in keep], dtype=np.float64)
        if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
            raise ValueError("frame times must be finite and strictly increasing")
        width, height = int(keep[-1][3]), int(keep[-1][4])
        if width < 1 or height < 1:
            raise ValueError(f"frame size {width}x{height} is not positive")
        times = times - times[0]
        fps = (n - 1) / times[-1] if n > 1 else 30.0
        scores = tuple(1.0 if h else None for h in hands)
        world = np.where(np.isnan(marks), np.nan, 0.0).astype(np.float32)
        return Clip("", float(fps), width, height, times, marks, world, tuple(hands), scores, "<window>")

    def predict_files(
        self,
        sources: Sequence[ImageSource],
        top_k: int = 5,
        batch_size: int = 32,
        progress: bool = False,
        desc: str = "predict",
    ) -> Iterator[Prediction]:
        """Predictions in input order, a batch at a time (so a CLI can print while it works). Photo files go
        through the landmark cache; decoding runs in threads (PIL releases the GIL). Paths ending in
        `.clip.json` are read as clips and videos (`is_video_file`) decoded into clips, both answered as
        `predict_clip` does; a clip or video that cannot be used is "unreadable" with its one line."""
        from tqdm.auto import tqdm

        from curation.hand_cache import HandCache

        if batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1, got {batch_size}")
        sources = list(sources)
        workers = min(8, os.cpu_count() or 1)
        cache = HandCache()
        try:
            with (
                ThreadPoolExecutor(max_workers=workers) as pool,
                tqdm(total=len(sources), desc=desc, unit="img", disable=not progress) as bar,
            ):
                for start in range(0, len(sources), batch_size):
                    chunk = sources[start : start + batch_size]
                    items = self._detect(chunk, cache, pool, workers)
                    yield from self._finish(items, top_k, pool)
                    bar.update(len(chunk))
        finally:
            cache.close()

    # --- the one pipeline ---
    def _detect(
        self, chunk: list[ImageSource], cache: Any, pool: ThreadPoolExecutor, workers: int
    ) -> list[_Item]:
        """The hand stage over one batch: files through the landmark cache, in-memory photos decoded here."""
        from curation.hand_cache import detect_files

        paths = [k for k, s in enumerate(chunk) if isinstance(s, str | os.PathLike)]
        moving = {k for k in paths if is_clip_file(chunk[k]) or is_video_file(chunk[k])}
        files = [k for k in paths if k not in moving]
        in_memory = [k for k in range(len(chunk)) if k not in set(paths)]
        items = [_Item(str(s) if isinstance(s, str | os.PathLike) else "<image>", s) for s in chunk]
        order = sorted(moving)
        for k, item in zip(order, pool.map(self._moving_item, [chunk[k] for k in order]), strict=True):
            items[k] = item
        if files:
            outcomes, _ = detect_files([chunk[k] for k in files], self.hands, cache=cache, workers=workers)
            for k, outcome in zip(files, outcomes, strict=True):
                items[k].detection, items[k].error = outcome.detection, outcome.error
        for item in (items[k] for k in in_memory):
            try:
                item.image = decode_for_hands(item.raw)
                item.detection = self.hands.detect(item.image)
            except UnreadableImageError as exc:
                item.error = exc.reason
        return items

    def _moving_item(self, path: str | os.PathLike) -> _Item:
        """A clip file or a video as an item (its clip, or the one line why there is none)."""
        if not is_clip_file(path):
            return self._video_item(str(path))
        try:
            return _Item(str(path), None, clip=read_clip(path))
        except ClipError as exc:
            return _Item(str(path), None, error=str(exc))

    def _video_item(self, path: str) -> _Item:
        """A video's clip as an item; image kinds also get the pixels of the frame they read."""
        from curation.clips import clip_from_video, video_frame

        result = clip_from_video(path, label="?")
        if result.clip is None:
            if result.no_hand:  # decoded, readable, and no hand anywhere: no letter, not an error
                return _Item(path, None, detection=HandDetection(1, 1, ()), error=None, clip=None)
            return _Item(path, None, error=result.error)
        item = _Item(path, None, clip=result.clip)
        k = still_frame(result.clip)
        if self.kind == "image" and k is not None:
            try:
                item.image = Image.fromarray(video_frame(path, k))
                item.raw = item.image
            except ClipError as exc:
                item.error = str(exc)
        return item

    def _encode_clip(self, item: _Item) -> _Item:
        """A clip's model input: the whole clip for the temporal kind, else its still frame's."""
        clip = item.clip
        k = still_frame(clip)
        if k is None:
            item.detection = clip_detection(clip, len(clip.times) - 1)
            return item
        item.detection = clip_detection(clip, k)
        if self.encoder.takes_clips:
            item.x = self.encoder.encode_clip(clip)
            item.frames = int(item.x.shape[0])
            return item
        if self.kind == "image" and item.image is None:
            item.error = (
                f"{item.source}: an image model reads pixels, and a clip holds only landmarks "
                "(give the video itself)"
            )
            return item
        item.x = self.encoder.encode(item.raw, item.image, item.detection)
        item.frames = 1
        return item

    def _encode(self, item: _Item) -> _Item:
        """The model input of an item whose hand was found; a decode failure makes it unreadable."""
        if item.error is None and item.clip is not None:
            return self._encode_clip(item)
        if item.error is not None or not item.detection.found:
            return item
        item.frames = 1
        try:
            if self.encoder.needs_image and item.image is None:
                item.image = decode_for_hands(item.raw)
            item.x = self.encoder.encode(item.raw, item.image, item.detection)
        except UnreadableImageError as exc:
            item.error = exc.reason
        return item

    def _finish(
        self, items: list[_Item], top_k: int | None, pool: ThreadPoolExecutor | None = None
    ) -> list[Prediction]:
        """Encode the items with a hand, run the model once over them, and make one Prediction each."""
        items = list(pool.map(self._encode, items)) if pool is not None else [self._encode(i) for i in items]
        good = [i for i in items if i.x is not None]
        by_id: dict[int, np.ndarray] = {}
        for shape in dict.fromkeys(i.x.shape for i in good):  # one forward per input shape (clip length)
            group = [i for i in good if i.x.shape == shape]
            probs = softmax(self.forward(np.stack([i.x for i in group])))
            by_id.update({id(i): p for i, p in zip(group, probs, strict=True)})
        k = top_k or len(self.class_names)
        out = []
        for item in items:
            if item.error is not None:
                out.append(Prediction(item.source, UNREADABLE, error=item.error, detection=item.detection))
            elif id(item) not in by_id:
                out.append(Prediction(item.source, NO_HAND_FOUND, detection=item.detection))
            else:
                p = by_id[id(item)]
                top = self.top(p, k)
                # a motion letter read from a movement is the letter itself, not only its start
                moved = self.encoder.takes_clips and item.frames > 1
                motion = is_motion_letter(top[0][0], self.class_names) and not moved
                out.append(
                    Prediction(
                        item.source, OK, top, p, detection=item.detection, motion=motion, frames=item.frames
                    )
                )
        return out

    def __repr__(self) -> str:
        size = self.preprocessing.size
        return (
            f"Predictor({self.model_dir}, {len(self.class_names)} classes, {size}px, backend={self.backend})"
        )


def _load_torch(model_dir: Path, device: str) -> Any:
    from sign_ml.artifacts import load_model_dir

    model, _ = load_model_dir(model_dir, device)
    return model
