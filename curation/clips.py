"""Clips: a short sequence of one hand's landmarks with timestamps, taken from a video by the VIDEO-mode hand stage.

On disk a clip is one JSON file, `<name>.clip.json`, readable without this project:

    {
      "format": "ukrsl-dactyl-clip",   always this string
      "version": 1,                    CLIP_VERSION; a reader refuses a newer one
      "label": "Й",                    the letter (the class folder the video came from)
      "source": "Й/take3.mp4",         the video it was made from (relative to the corpus when it was inside)
      "fps": 30.0,                     frames per second of the video
      "width": 640, "height": 480,     pixels of the frames the coordinates refer to
      "frames": [                      one entry per video frame, in time order
        {"t": 0.0,                     seconds from the first frame (strictly increasing)
         "landmarks": [[x, y, z], ...] 21 points (MediaPipe's hand topology): x, y as fractions of width
                                       and height, z depth in units of width; null when no hand was found
         "world": [[x, y, z], ...]     the same 21 points in metres around the hand's centre, or null
         "handedness": "Right",        "Left" | "Right" as MediaPipe classifies the hand, or null
         "score": 0.98}                its handedness confidence, or null
      ]
    }

Frames with no hand stay in the clip (landmarks null), so a reader sees gaps and the true timing.
When a frame holds several hands only the largest is kept: a clip is one hand's movement.
Limits (a reader checks them and names the file in one line): MIN_FRAMES..MAX_FRAMES frames, every
number finite, coordinates within COORD_LIMIT, times strictly increasing. Files are written atomically.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curation.fileio import atomic_write_text

CLIP_FORMAT = "ukrsl-dactyl-clip"
CLIP_VERSION = 1
CLIP_SUFFIX = ".clip.json"
N_LANDMARKS = 21
MIN_FRAMES = 2  # one frame is a photo, not a movement
MAX_FRAMES = 1800  # 60 s at 30 fps: a fingerspelled letter takes about 1.5 s
COORD_LIMIT = 100.0  # |value| above this is not a landmark (image fractions are ~0..1, world metres < 1)
MAX_VIDEO_BYTES = 200 * 1024 * 1024
MAX_VIDEO_SECONDS = 60.0
VIDEO_EXTENSIONS = frozenset({".mp4", ".webm", ".mov", ".avi", ".mkv", ".m4v", ".gif"})


class ClipError(ValueError):
    """A clip file or video that cannot be used; the message is one line naming the file."""


@dataclass(frozen=True)
class Clip:
    """One hand's landmarks over time. Arrays are per frame; a frame without a hand holds NaN."""

    label: str
    fps: float
    width: int
    height: int
    times: np.ndarray  # (n,) float64 seconds from the first frame
    landmarks: np.ndarray  # (n, 21, 3) float32, NaN where no hand
    world: np.ndarray  # (n, 21, 3) float32, NaN where no hand
    handedness: tuple[str | None, ...]  # (n,) "Left" | "Right" | None
    scores: tuple[float | None, ...]  # (n,)
    source: str = ""

    @property
    def n_frames(self) -> int:
        return len(self.times)

    @property
    def hand_found(self) -> np.ndarray:
        """(n,) bool: frames where a hand was found."""
        return ~np.isnan(self.landmarks[:, 0, 0])

    def to_dict(self) -> dict[str, Any]:
        frames = []
        for k in range(self.n_frames):
            found = bool(self.hand_found[k])
            frames.append(
                {
                    "t": round(float(self.times[k]), 6),
                    "landmarks": _points(self.landmarks[k]) if found else None,
                    "world": _points(self.world[k]) if found else None,
                    "handedness": self.handedness[k] if found else None,
                    "score": round(float(self.scores[k]), 6)
                    if found and self.scores[k] is not None
                    else None,
                }
            )
        return {
            "format": CLIP_FORMAT,
            "version": CLIP_VERSION,
            "label": self.label,
            "source": self.source,
            "fps": round(float(self.fps), 6),
            "width": int(self.width),
            "height": int(self.height),
            "frames": frames,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any, name: str = "clip") -> Clip:
        """A validated Clip; ClipError naming `name` for anything out of shape or bounds."""
        if not isinstance(data, dict) or data.get("format") != CLIP_FORMAT:
            raise ClipError(f'{name}: not a clip file (no "format": "{CLIP_FORMAT}")')
        version = data.get("version")
        if not isinstance(version, int) or not 1 <= version <= CLIP_VERSION:
            raise ClipError(
                f"{name}: clip version {version!r} is not supported (this reader knows 1..{CLIP_VERSION})"
            )
        try:
            label, source = str(data["label"]), str(data.get("source", ""))
            fps, width, height = float(data["fps"]), int(data["width"]), int(data["height"])
            frames = data["frames"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ClipError(f"{name}: missing or malformed field {exc}") from None
        if not label:
            raise ClipError(f"{name}: empty label")
        if not (math.isfinite(fps) and 0 < fps <= 1000) or width <= 0 or height <= 0:
            raise ClipError(f"{name}: fps {fps}, size {width}x{height} out of range")
        if not isinstance(frames, list) or not MIN_FRAMES <= len(frames) <= MAX_FRAMES:
            n = len(frames) if isinstance(frames, list) else "no"
            raise ClipError(f"{name}: {n} frames; a clip has {MIN_FRAMES} to {MAX_FRAMES}")
        n = len(frames)
        times = np.empty(n, dtype=np.float64)
        marks = np.full((n, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        world = np.full((n, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        hands: list[str | None] = []
        scores: list[float | None] = []
        for k, frame in enumerate(frames):
            where = f"{name}: frame {k}"
            if not isinstance(frame, dict):
                raise ClipError(f"{where}: not an object")
            times[k] = _finite(frame.get("t"), f"{where} t")
            if frame.get("landmarks") is None:
                hands.append(None)
                scores.append(None)
                continue
            marks[k] = _array(frame["landmarks"], f"{where} landmarks")
            world[k] = _array(frame.get("world"), f"{where} world") if frame.get("world") is not None else 0.0
            handed = frame.get("handedness")
            if handed not in ("Left", "Right", None):
                raise ClipError(f"{where}: handedness {handed!r} is not Left, Right or null")
            hands.append(handed)
            scores.append(
                _finite(frame["score"], f"{where} score") if frame.get("score") is not None else None
            )
        if n and (times[0] < 0 or np.any(np.diff(times) <= 0)):
            raise ClipError(f"{name}: frame times must start at 0 or later and strictly increase")
        return cls(label, fps, width, height, times, marks, world, tuple(hands), tuple(scores), source)

    @classmethod
    def from_json(cls, text: str, name: str = "clip") -> Clip:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ClipError(f"{name}: not JSON ({exc.msg} at line {exc.lineno})") from None
        return cls.from_dict(data, name)


def _points(a: np.ndarray) -> list[list[float]]:
    return np.round(a.astype(np.float64), 5).tolist()


def _finite(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ClipError(f"{where}: {value!r} is not a finite number")
    return float(value)


def _array(value: Any, where: str) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ClipError(f"{where}: not a list of numbers") from None
    if a.shape != (N_LANDMARKS, 3):
        raise ClipError(f"{where}: shape {a.shape}, expected ({N_LANDMARKS}, 3)")
    if not np.all(np.isfinite(a)) or np.any(np.abs(a) > COORD_LIMIT):
        raise ClipError(f"{where}: values must be finite and within ±{COORD_LIMIT:g}")
    return a.astype(np.float32)


SYNTHETIC = "synthetic:"  # a `source` starting so names the still a synthetic clip was made from


def is_clip_path(path: str | os.PathLike) -> bool:
    """By name only (as `curation.images.is_image_file`): a `.clip.json` file is a clip sample."""
    return os.fspath(path).lower().endswith(CLIP_SUFFIX)


def sample_kinds(paths) -> list[str]:
    """ "clip" or "photo" for each path: what a row of a sample table is (photos and clips share tables)."""
    return ["clip" if is_clip_path(str(p)) else "photo" for p in paths]


def write_clip(path: str | os.PathLike, clip: Clip) -> Path:
    """Write `clip` as JSON, atomically (a reader never sees half a file)."""
    Clip.from_dict(clip.to_dict(), str(path))  # never write what read_clip would refuse
    return atomic_write_text(path, clip.to_json() + "\n")


def read_clip(path: str | os.PathLike) -> Clip:
    """A clip file, validated; ClipError (one line naming the file) when it is not a usable clip."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > 64 * 1024 * 1024:
            raise ClipError(f"{path}: {size} bytes is too large for a clip")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ClipError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ClipError(f"{path}: not UTF-8 text") from None
    return Clip.from_json(text, str(path))


# --- from a video ---


@dataclass(frozen=True)
class ClipResult:
    """One video's outcome: a clip, or the one line saying why there is none."""

    path: str
    clip: Clip | None = None
    error: str | None = None
    no_hand: bool = False  # the video was decoded and no frame shows a hand (error says so)


def _frames(path: str):
    """(fps, iterator of RGB uint8 frames); ClipError when the file cannot be decoded or is over a limit."""
    size = os.path.getsize(path)
    if size > MAX_VIDEO_BYTES:
        raise ClipError(
            f"{path}: {size / 2**20:.0f} MB is over the {MAX_VIDEO_BYTES / 2**20:.0f} MB video limit"
        )
    if Path(path).suffix.lower() in (".gif", ".webp"):  # FFmpeg in OpenCV reads neither animation
        return _gif_frames(path)
    import cv2  # opencv-contrib-python comes with mediapipe; its FFmpeg decodes mp4, webm, mov, avi

    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise ClipError(f"{path}: cannot be decoded as a video")
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    if not (math.isfinite(fps) and 0 < fps <= 1000):
        capture.release()
        raise ClipError(f"{path}: the video declares no usable frame rate ({fps})")

    def frames():
        try:
            while True:
                ok, bgr = capture.read()
                if not ok:
                    return
                yield np.ascontiguousarray(bgr[:, :, ::-1])
        finally:
            capture.release()

    return fps, frames()


def _gif_frames(path: str):
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(path)
        durations = []
        arrays = []
        for frame in ImageSequence.Iterator(image):
            if len(arrays) > MAX_FRAMES:
                break
            durations.append(frame.info.get("duration", 100) or 100)
            arrays.append(np.asarray(frame.convert("RGB")))
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise ClipError(f"{path}: cannot be decoded as an animated GIF or WebP ({exc})") from None
    fps = 1000.0 / float(np.median(durations)) if durations else 10.0
    return fps, iter(arrays)


def clip_from_video(path: str, label: str, stage_factory=None) -> ClipResult:
    """The clip of one video: the VIDEO-mode hand stage over every frame. Never raises for a bad file.

    A fresh stage per video, so tracking never carries over from another video and every engine, in
    whatever order it meets the videos, gives the same clip.
    """
    from PIL import Image

    from curation.hands import HandStage

    try:
        fps, frames = _frames(path)
        stage = stage_factory() if stage_factory is not None else HandStage(mode="video", max_hands=1)
        times, marks, world, hands, scores = [], [], [], [], []
        width = height = 0
        with stage:
            for k, rgb in enumerate(frames):
                if k >= MAX_FRAMES or k / fps > MAX_VIDEO_SECONDS:
                    raise ClipError(
                        f"{path}: longer than the limit ({MAX_FRAMES} frames, {MAX_VIDEO_SECONDS:g} s)"
                    )
                image = Image.fromarray(rgb)
                width, height = image.size
                t = k / fps
                detection = stage.detect_video(image, int(round(t * 1000)) + k)  # +k: strictly increasing ms
                times.append(t)
                hand = detection.hand
                if hand is None:
                    marks.append(np.full((N_LANDMARKS, 3), np.nan, np.float32))
                    world.append(np.full((N_LANDMARKS, 3), np.nan, np.float32))
                    hands.append(None)
                    scores.append(None)
                else:
                    marks.append(hand.landmarks)
                    world.append(hand.world)
                    hands.append(hand.handedness)
                    scores.append(hand.handedness_score)
        if len(times) < MIN_FRAMES:
            raise ClipError(f"{path}: {len(times)} frame(s) decoded; a clip needs at least {MIN_FRAMES}")
        if all(h is None for h in hands):
            return ClipResult(
                path, error=f"{path}: no hand found in any of its {len(times)} frames", no_hand=True
            )
        clip = Clip(
            label,
            fps,
            width,
            height,
            np.asarray(times, dtype=np.float64),
            np.stack(marks).astype(np.float32),
            np.stack(world).astype(np.float32),
            tuple(hands),
            tuple(scores),
            source=path,
        )
        # what is returned is what a reader of the file gets back (rounded as written)
        return ClipResult(path, Clip.from_dict(clip.to_dict(), path))
    except ClipError as exc:
        return ClipResult(path, error=str(exc))
    except OSError as exc:
        return ClipResult(path, error=f"{path}: cannot read ({exc.strerror or exc})")


def video_frame(path: str, index: int) -> np.ndarray:
    """Frame `index` of a video as RGB uint8 (the pixels an image model reads); ClipError when absent."""
    try:
        _, frames = _frames(path)
        for k, rgb in enumerate(frames):
            if k == index:
                return rgb
            if k >= MAX_FRAMES:
                break
    except OSError as exc:
        raise ClipError(f"{path}: cannot read ({exc.strerror or exc})") from None
    raise ClipError(f"{path}: has no frame {index}")


# --- a corpus of videos ---


def list_videos(source: str | os.PathLike) -> list[tuple[str, str]]:
    """(video path, letter) pairs from a folder of letter folders, or from a CSV with columns path,label.

    CSV paths may be relative to the CSV's folder. Hidden files and folders are skipped.
    """
    import unicodedata

    source = Path(source)
    if source.is_file():
        import csv

        try:
            with source.open(newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise ValueError(f"{source}: cannot read the video list ({exc})") from None
        if not rows or not {"path", "label"} <= set(rows[0]):
            raise ValueError(f"{source}: a video list needs the columns path,label")
        out = []
        for k, row in enumerate(rows, start=2):
            path, label = (row.get("path") or "").strip(), (row.get("label") or "").strip()
            if not path or not label:
                raise ValueError(f"{source}: line {k}: empty path or label")
            full = Path(path) if Path(path).is_absolute() else source.parent / path
            out.append((str(full), unicodedata.normalize("NFC", label)))
        return out
    if not source.is_dir():
        raise ValueError(f"{source}: no such folder or video list")
    out = []
    for folder in sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for f in sorted(folder.iterdir()):
            if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in VIDEO_EXTENSIONS:
                out.append((str(f), unicodedata.normalize("NFC", folder.name)))
    if not out:
        raise ValueError(f"{source}: no videos ({', '.join(sorted(VIDEO_EXTENSIONS))}) in letter folders")
    return out


def clip_name(video: str) -> str:
    """The clip file name of a video: its stem plus CLIP_SUFFIX."""
    return Path(video).stem + CLIP_SUFFIX


def write_clips(
    results: list[ClipResult], out_dir: str | os.PathLike, root: Path | None = None
) -> list[Path]:
    """Write each usable clip to OUT/<label>/<stem>.clip.json; `source` is made relative to `root`."""
    out = Path(out_dir)
    written = []
    for result in results:
        if result.clip is None:
            continue
        clip = result.clip
        source = clip.source
        if root is not None:
            with contextlib.suppress(ValueError):
                source = Path(source).resolve().relative_to(root.resolve()).as_posix()
        target = out / clip.label / clip_name(result.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_clip(target, Clip(**{**clip.__dict__, "source": source})))
    return written
