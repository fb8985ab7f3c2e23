"""The hand stage: every photo goes through here first (detect → 21 landmarks → box → crop).

MediaPipe's Tasks `HandLandmarker` finds hands and their 21 landmarks. Curation checks its findings,
training learns from them (the landmark model) or from the crop (MobileNetV3 with `hand_crop`), and the
predictor refuses to guess a letter when it finds no hand. One image stage per process (a bounded pool of
landmarkers) and one video stage per live session; results are plain frozen dataclasses that serialize to JSON.

The model file is `curation/assets/hand_landmarker.task` (made by `recipes/hand_landmarker_task.py`);
`DACTYL_HAND_MODEL=PATH` points at another, e.g. Google's official `hand_landmarker.task`.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import os
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageOps

log = logging.getLogger(__name__)

DEFAULT_MODEL = Path(__file__).resolve().parent / "assets" / "hand_landmarker.task"
MODEL_ENV = "DACTYL_HAND_MODEL"
POOL_ENV = "DACTYL_HAND_POOL"  # landmarkers per image stage (default: one per core, 2..8)
DETECT_MAX_SIDE = 1280  # px: larger photos are reduced first; the networks work at 192-224 px anyway
# MediaPipe's default 0.5 missed 7% of the shared sample's hands; 0.3 finds 94% (0.2: 96%) and still found
# nothing in pure noise or flat colour (benchmarks/hand_stage.py prints both figures)
MIN_CONFIDENCE = 0.3
# Tight crops and hands cut by the border defeat the palm detector. On a miss, look again on the photo
# with a black border (fraction of the longer side, each way), then on its mirror image. On the shared
# sample this found 55 of the 67 hands missed at first (one plain retry on a mean-colour border: 26).
RETRIES: tuple[tuple[float, bool], ...] = ((0.35, False), (0.6, False), (0.6, True))  # (border, mirrored)
N_LANDMARKS = 21
WRIST = 0
# the 21-point skeleton, finger by finger, then across the palm (MediaPipe's hand topology)
HAND_CONNECTIONS: tuple[tuple[int, int], ...] = (
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 4),  # thumb
    (0, 5),
    (5, 6),
    (6, 7),
    (7, 8),  # index
    (9, 10),
    (10, 11),
    (11, 12),  # middle
    (13, 14),
    (14, 15),
    (15, 16),  # ring
    (0, 17),
    (17, 18),
    (18, 19),
    (19, 20),  # little
    (5, 9),
    (9, 13),
    (13, 17),  # palm
)
FINGERTIPS = (4, 8, 12, 16, 20)


@dataclass(frozen=True)
class Hand:
    """One detected hand, in the coordinates of the upright photo it was found in."""

    landmarks: np.ndarray  # (21, 3) float32: x, y as fractions of width/height; z depth, in units of width
    world: np.ndarray  # (21, 3) float32: metres, origin near the hand's centre
    handedness: str  # "Left" | "Right", as MediaPipe classifies the hand
    handedness_score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 as fractions of width/height (may leave 0..1)

    def box_pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The box in pixels of a width×height version of the photo, clipped to it."""
        x0, y0, x1, y1 = self.box
        return (
            max(0, int(np.floor(x0 * width))),
            max(0, int(np.floor(y0 * height))),
            min(width, int(np.ceil(x1 * width))),
            min(height, int(np.ceil(y1 * height))),
        )

    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "landmarks": np.round(self.landmarks.astype(np.float64), 5).tolist(),
            "world": np.round(self.world.astype(np.float64), 5).tolist(),
            "handedness": self.handedness,
            "handedness_score": round(float(self.handedness_score), 6),
            "box": [round(float(v), 6) for v in self.box],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Hand:
        return cls(
            landmarks=np.asarray(d["landmarks"], dtype=np.float32).reshape(N_LANDMARKS, 3),
            world=np.asarray(d["world"], dtype=np.float32).reshape(N_LANDMARKS, 3),
            handedness=str(d["handedness"]),
            handedness_score=float(d["handedness_score"]),
            box=tuple(float(v) for v in d["box"]),
        )


@dataclass(frozen=True)
class HandDetection:
    """What the hand stage found in one photo: zero or more hands, the largest first."""

    width: int  # of the upright photo the coordinates refer to
    height: int
    hands: tuple[Hand, ...] = ()
    retried: bool = False  # found only after padding the border (tight crops defeat the palm detector)
    source: str = field(default="", compare=False)

    @property
    def found(self) -> bool:
        return bool(self.hands)

    @property
    def hand(self) -> Hand | None:
        """The hand the letter is read from: the largest one."""
        return self.hands[0] if self.hands else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "retried": self.retried,
            "hands": [h.to_dict() for h in self.hands],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "") -> HandDetection:
        return cls(
            width=int(d["width"]),
            height=int(d["height"]),
            retried=bool(d.get("retried", False)),
            hands=tuple(Hand.from_dict(h) for h in d["hands"]),
            source=source,
        )


class NoHandModelError(RuntimeError):
    """The hand model file is missing or not a MediaPipe task bundle."""


def model_path(path: str | os.PathLike | None = None) -> Path:
    """The hand model to use: `path`, else $DACTYL_HAND_MODEL, else the bundled one."""
    chosen = Path(path or os.environ.get(MODEL_ENV) or DEFAULT_MODEL)
    if not chosen.is_file():
        raise NoHandModelError(f"{chosen}: hand model not found (a MediaPipe hand_landmarker.task file)")
    return chosen


def _hands_from_result(result, width: int, height: int) -> list[Hand]:
    hands = []
    for marks, world, handed in zip(
        result.hand_landmarks, result.hand_world_landmarks, result.handedness, strict=True
    ):
        pts = np.array([[p.x, p.y, p.z] for p in marks], dtype=np.float32)
        wpts = np.array([[p.x, p.y, p.z] for p in world], dtype=np.float32)
        box = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
        top = handed[0]
        hands.append(Hand(pts, wpts, str(top.category_name), float(top.score), box))
    return sorted(hands, key=lambda h: -h.area())


def _unpad(
    hands: list[Hand], pad_x: int, pad_y: int, width: int, height: int, mirrored: bool = False
) -> list[Hand]:
    """Map hands found in the padded (and perhaps mirrored) image back to the original's coordinates."""
    pw, ph = width + 2 * pad_x, height + 2 * pad_y
    out = []
    for h in hands:
        pts = h.landmarks.copy()
        if mirrored:
            pts[:, 0] = 1.0 - pts[:, 0]
        pts[:, 0] = (pts[:, 0] * pw - pad_x) / width
        pts[:, 1] = (pts[:, 1] * ph - pad_y) / height
        pts[:, 2] = pts[:, 2] * pw / width  # z is in units of the image width
        box = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
        world = h.world
        handedness = h.handedness
        if mirrored:  # a mirrored left hand looks like a right hand: undo both
            world = world * np.array([-1.0, 1.0, 1.0], dtype=np.float32)
            handedness = {"Left": "Right", "Right": "Left"}.get(handedness, handedness)
        out.append(Hand(pts, world, handedness, h.handedness_score, box))
    return out


def pad_border(image: Image.Image, fraction: float) -> tuple[Image.Image, int, int]:
    """The photo on a larger black canvas; returns it and the x, y padding in px."""
    pad = int(round(max(image.size) * fraction))
    return ImageOps.expand(image, border=pad, fill=(0, 0, 0)), pad, pad


class HandStageClosed(RuntimeError):
    """A use of a hand stage after its `close()`: an error, never a silent "no hand"."""


def default_pool_size() -> int:
    """How many image landmarkers one stage keeps at most: one per CPU core (MediaPipe keeps each core busy;
    more threads would only wait), at least 2 and at most 8. $DACTYL_HAND_POOL overrides."""
    given = os.environ.get(POOL_ENV, "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    return max(2, min(8, os.cpu_count() or 2))


class HandStage:
    """MediaPipe's hand landmarker: `HandStage(...)` gives an ImageHandStage, `HandStage(mode="video")` a
    VideoHandStage. Both build their landmarkers with one factory (`_make_landmarker`), and after `close()`
    every use, from any thread, raises HandStageClosed.

    model: the .task file (None: $DACTYL_HAND_MODEL, else the bundled one). max_hands: how many hands to
    look for (2 lets curation flag photos with several hands). retry_padded: in image mode, look again on a
    padded copy when no hand is found at first.
    """

    mode = ""

    def __new__(cls, *args: Any, mode: str = "image", **kwargs: Any) -> HandStage:
        if cls is HandStage:
            if mode not in ("image", "video"):
                raise ValueError(f"mode must be 'image' or 'video', got {mode!r}")
            cls = ImageHandStage if mode == "image" else VideoHandStage
        return super().__new__(cls)

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        mode: str | None = None,
        max_hands: int = 2,
        min_detection_confidence: float = MIN_CONFIDENCE,
        min_presence_confidence: float = MIN_CONFIDENCE,
        min_tracking_confidence: float = 0.5,
        retry_padded: bool = True,
    ):
        if mode is not None and mode != self.mode:
            raise ValueError(f"{type(self).__name__} is mode {self.mode!r}, not {mode!r}")
        self.model = model_path(model)
        self.options = {
            "max_hands": int(max_hands),
            "min_detection_confidence": float(min_detection_confidence),
            "min_presence_confidence": float(min_presence_confidence),
            "min_tracking_confidence": float(min_tracking_confidence),
        }
        self.retry_padded = retry_padded and self.mode == "image"
        self._closed = False
        self.fingerprint = self._fingerprint()
        _LIVE.add(self)

    def _fingerprint(self) -> str:
        """Identifies what this stage would answer: the model's bytes and every option that matters."""
        digest = hashlib.sha256(self.model.read_bytes()).hexdigest()[:16]
        opts = ",".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        return f"{digest}|{opts}|retry={self.retry_padded}|max_side={DETECT_MAX_SIDE}"

    def _make_landmarker(self) -> Any:
        """A new MediaPipe landmarker for this stage's model, mode and options (the one factory)."""
        from mediapipe.tasks.python import BaseOptions, vision

        running = vision.RunningMode.IMAGE if self.mode == "image" else vision.RunningMode.VIDEO
        options = vision.HandLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model)),
            running_mode=running,
            num_hands=self.options["max_hands"],
            min_hand_detection_confidence=self.options["min_detection_confidence"],
            min_hand_presence_confidence=self.options["min_presence_confidence"],
            min_tracking_confidence=self.options["min_tracking_confidence"],
        )
        try:
            return vision.HandLandmarker.create_from_options(options)
        except Exception as exc:  # a file that is not a task bundle fails deep inside MediaPipe
            raise NoHandModelError(f"{self.model}: not a usable hand model ({exc})") from None

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise HandStageClosed(f"this {type(self).__name__} is closed")

    @staticmethod
    def _mp_image(image: Image.Image):
        import mediapipe as mp

        return mp.Image(
            image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(np.asarray(image.convert("RGB")))
        )

    @staticmethod
    def _reduce(image: Image.Image) -> Image.Image:
        if max(image.size) > DETECT_MAX_SIDE:
            image = image.copy()
            image.thumbnail((DETECT_MAX_SIDE, DETECT_MAX_SIDE), Image.Resampling.BILINEAR)
        return image

    def detect(self, image: Image.Image, source: str = "") -> HandDetection:
        raise RuntimeError("detect() is for image mode; use detect_video() on a video stage")

    def detect_video(self, image: Image.Image, timestamp_ms: int) -> HandDetection:
        raise RuntimeError("detect_video() needs a stage made with mode='video'")

    @property
    def landmarkers(self) -> int:
        """How many MediaPipe landmarkers this stage holds now (each has its own threads and memory)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> HandStage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ImageHandStage(HandStage):
    """Photos (IMAGE mode). Thread-safe: a caller borrows a landmarker from a bounded pool and returns it,
    so however many threads a server starts and ends, at most `pool_size` landmarkers exist (a landmarker
    per thread grew a served app from 880 MB to 5 GB over six bursts of 200 requests)."""

    mode = "image"

    def __init__(self, *args: Any, pool_size: int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.pool_size = int(pool_size or default_pool_size())
        self._cond = threading.Condition()
        self._idle: list[Any] = []
        self._made = 0  # landmarkers alive or being built (idle + borrowed)

    @property
    def landmarkers(self) -> int:
        return self._made

    @contextlib.contextmanager
    def _borrow(self) -> Iterator[Any]:
        """A landmarker for one photo: an idle one, a new one while under pool_size, else wait for one."""
        with self._cond:
            while True:
                self._refuse_if_closed()
                if self._idle:
                    marker = self._idle.pop()
                    break
                if self._made < self.pool_size:
                    self._made += 1
                    marker = None
                    break
                self._cond.wait()
        if marker is None:
            try:
                marker = self._make_landmarker()
            except BaseException:
                with self._cond:
                    self._made -= 1
                    self._cond.notify()
                raise
        try:
            yield marker
        finally:
            with self._cond:
                keep = not self._closed
                if keep:
                    self._idle.append(marker)
                else:
                    self._made -= 1
                self._cond.notify()
            if not keep:  # closed while in use: the last photo finished, now release it
                _close_marker(marker)

    def detect(self, image: Image.Image, source: str = "") -> HandDetection:
        """Hands in one upright RGB photo (decode it with `curation.images.load_rgb`)."""
        width, height = image.size
        small = self._reduce(image)
        with self._borrow() as marker:
            hands = _hands_from_result(marker.detect(self._mp_image(small)), width, height)
            retried = False
            for fraction, mirrored in RETRIES if self.retry_padded else ():
                if hands:
                    break
                padded, pad_x, pad_y = pad_border(ImageOps.mirror(small) if mirrored else small, fraction)
                found = _hands_from_result(marker.detect(self._mp_image(padded)), *padded.size)
                hands = _unpad(found, pad_x, pad_y, *small.size, mirrored=mirrored)
                retried = bool(hands)
        return HandDetection(width, height, tuple(hands), retried, source)

    def close(self) -> None:
        """Release every idle landmarker now and each borrowed one when it comes back; later uses raise."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._made -= len(idle)
            self._cond.notify_all()  # waiters wake to HandStageClosed
        for marker in idle:
            _close_marker(marker)


class VideoHandStage(HandStage):
    """One video stream (VIDEO mode): one landmarker, frames one at a time under a lock, timestamps increasing."""

    mode = "video"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._marker: Any = None
        self._last_ts = -1

    @property
    def landmarkers(self) -> int:
        return int(self._marker is not None)

    def detect_video(self, image: Image.Image, timestamp_ms: int) -> HandDetection:
        """Hands in one frame of a stream; timestamps must increase (older frames are refused)."""
        width, height = image.size
        with self._lock:
            self._refuse_if_closed()
            if timestamp_ms <= self._last_ts:
                raise ValueError(
                    f"timestamp {timestamp_ms} ms is not after the last one ({self._last_ts} ms)"
                )
            if self._marker is None:
                self._marker = self._make_landmarker()
            self._last_ts = int(timestamp_ms)
            result = self._marker.detect_for_video(self._mp_image(self._reduce(image)), int(timestamp_ms))
        return HandDetection(width, height, tuple(_hands_from_result(result, width, height)))

    def close(self) -> None:
        """Release the landmarker (after the frame in progress); later frames raise HandStageClosed."""
        with self._lock:
            self._closed = True
            marker, self._marker = self._marker, None
        if marker is not None:
            _close_marker(marker)


def _close_marker(marker: Any) -> None:
    with contextlib.suppress(Exception):  # at interpreter exit MediaPipe may be half torn down
        marker.close()


_LIVE: weakref.WeakSet[HandStage] = weakref.WeakSet()
_SHARED: dict[tuple[str, str], HandStage] = {}
_SHARED_LOCK = threading.Lock()


@atexit.register
def _close_all() -> None:  # MediaPipe's own __del__ fails at interpreter exit; close while it still can
    for stage in list(_LIVE):
        stage.close()


def shared_stage(model: str | os.PathLike | None = None) -> ImageHandStage:
    """The process-wide image-mode stage for `model` (built on first use; the predictor and curation share it)."""
    key = (str(model_path(model)), "image")
    with _SHARED_LOCK:
        stage = _SHARED.get(key)
        if stage is None:
            stage = _SHARED[key] = ImageHandStage(model)
        return stage


# --- pictures of what the stage found ---


def crop_box(hand: Hand, width: int, height: int, margin: float = 0.25) -> tuple[int, int, int, int]:
    """A square box around the hand, grown by `margin` × its longer side each way, clipped to the photo."""
    x0, y0, x1, y1 = hand.box
    cx, cy = (x0 + x1) / 2 * width, (y0 + y1) / 2 * height
    side = max((x1 - x0) * width, (y1 - y0) * height) * (1 + 2 * margin)
    side = max(side, 8.0)
    left, top = int(round(cx - side / 2)), int(round(cy - side / 2))
    right, bottom = int(round(cx + side / 2)), int(round(cy + side / 2))
    return max(0, left), max(0, top), min(width, right), min(height, bottom)


def crop_hand(image: Image.Image, hand: Hand, margin: float = 0.25) -> Image.Image:
    """The photo cut to the hand (square where the border allows): what a crop model sees."""
    return image.crop(crop_box(hand, *image.size, margin=margin))


def draw_hand(image: Image.Image, detection: HandDetection, max_side: int | None = 640) -> Image.Image:
    """A copy of the photo with each hand's box and skeleton drawn on it (the main hand in green)."""
    shown = image.convert("RGB").copy()
    if max_side and max(shown.size) > max_side:
        shown.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    w, h = shown.size
    draw = ImageDraw.Draw(shown)
    line = max(2, round(max(w, h) / 200))
    for k, hand in enumerate(detection.hands):
        colour = (40, 200, 90) if k == 0 else (240, 170, 30)
        draw.rectangle(hand.box_pixels(w, h), outline=colour, width=line)
        pts = [(float(x * w), float(y * h)) for x, y, _ in hand.landmarks]
        for a, b in HAND_CONNECTIONS:
            draw.line([pts[a], pts[b]], fill=(255, 255, 255), width=line + 2)
            draw.line([pts[a], pts[b]], fill=colour, width=line)
        r = line + 1
        for i, (x, y) in enumerate(pts):
            fill = (230, 60, 60) if i in FINGERTIPS else (255, 255, 255)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=fill, outline=colour)
    return shown
