"""A short video as the input of a recognition: what counts as one, the limits it must keep, and the one call
(`recognize_video`) that the Recognize tab, the /predict API and `sign-ml predict` share.

A video is an mp4/webm/mov/avi/mkv (OpenCV's FFmpeg, which comes with mediapipe) or an animated GIF/WebP
(Pillow). Which one a file is comes from its first bytes, not its name: an upload's name is the client's.
A GIF or WebP of one frame is a photo and goes the photo's way.

Before the hand stage runs, the file is measured (`probe_video`): its size, its frames (counted by
grabbing them, since a browser's webm recording declares no frame count) and its length. A letter takes
about 1.5 s, so a recognition takes at most MAX_SECONDS and MAX_FRAMES; a clip of one frame is no
movement. Every refusal is one line naming the file; nothing is written anywhere.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_SECONDS = 10.0  # s: a fingerspelled letter takes ~1.5 s; a recording longer than this is not one letter
MAX_FRAMES = 300  # frames read by the hand stage per recognition (10 s at 30 fps, ~5 s of CPU)
MIN_FRAMES = 2  # one frame is a photo, not a movement
MAX_BYTES = (
    10 * 1024 * 1024
)  # the app's upload limit (sign_ml.ui.safety.MAX_UPLOAD_BYTES), kept by the CLI too
CONTAINER_SUFFIXES = frozenset({".mp4", ".webm", ".mov", ".avi", ".mkv", ".m4v"})


class VideoRefused(ValueError):
    """A video that will not be recognized; str() is one line naming the file."""


@dataclass(frozen=True)
class VideoInfo:
    """What `probe_video` measured."""

    kind: str  # "container" (OpenCV) | "animation" (Pillow: GIF, WebP)
    frames: int
    seconds: float


def _magic(path: str | os.PathLike) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(16)
    except OSError:
        return b""


def _is_container(head: bytes) -> bool:
    """mp4/mov (an ISO-BMFF 'ftyp' box), webm/mkv (EBML), avi (RIFF…AVI)."""
    return (
        head[4:8] == b"ftyp"
        or head[:4] == b"\x1a\x45\xdf\xa3"
        or (head[:4] == b"RIFF" and head[8:11] == b"AVI")
    )


def _animation_frames(path: str | os.PathLike) -> int:
    """Frames of a GIF/WebP (1 for a still, 0 for anything else)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            if image.format not in ("GIF", "WEBP"):
                return 0
            return int(getattr(image, "n_frames", 1))
    except Exception:  # not an image at all: the photo path names the reason
        return 0


def is_video(path: str | os.PathLike) -> bool:
    """True for a file to recognize as a movement: a video container, or a GIF/WebP of several frames."""
    head = _magic(path)
    if _is_container(head):
        return True
    if head[:6] in (b"GIF87a", b"GIF89a") or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return _animation_frames(path) > 1
    return False


def probe_video(
    path: str | os.PathLike,
    name: str | None = None,
    max_seconds: float = MAX_SECONDS,
    max_frames: int = MAX_FRAMES,
    max_bytes: int = MAX_BYTES,
) -> VideoInfo:
    """Measure a video without running the hand stage; VideoRefused (naming `name`, default the path) when it
    cannot be decoded or is over a limit."""
    shown = name or str(path)
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise VideoRefused(f"{shown}: cannot read ({exc.strerror or exc})") from None
    if size > max_bytes:
        raise VideoRefused(
            f"{shown}: {size / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB video limit"
        )
    head = _magic(path)
    if _is_container(head):
        info = _probe_container(path, shown, max_frames, max_seconds)
    else:
        info = _probe_animation(path, shown, max_frames)
    if info.frames < MIN_FRAMES:
        raise VideoRefused(
            f"{shown}: {info.frames} frame(s) decoded; a movement needs at least {MIN_FRAMES} (a photo goes as a photo)"
        )
    if info.frames > max_frames or info.seconds > max_seconds:
        raise VideoRefused(
            f"{shown}: longer than the limit of {max_seconds:g} s and {max_frames} frames for one letter"
            " (sign one letter, about 1.5 s)"
        )
    return info


def _probe_container(path: str | os.PathLike, shown: str, max_frames: int, max_seconds: float) -> VideoInfo:
    import cv2  # opencv-contrib-python comes with mediapipe; its FFmpeg reads mp4, webm, mov, avi

    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise VideoRefused(f"{shown}: cannot be decoded as a video")
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        frames, last_ms = 0, 0.0
        # grab() (no pixel conversion) until the end or one past the limit: cheap, and counts what a
        # browser's recording does not declare
        while frames <= max_frames and capture.grab():
            frames += 1
            last_ms = float(capture.get(cv2.CAP_PROP_POS_MSEC) or 0.0)
            if last_ms / 1000.0 > max_seconds:
                break
    finally:
        capture.release()
    if frames == 0:
        raise VideoRefused(f"{shown}: cannot be decoded as a video (no frame could be read)")
    seconds = last_ms / 1000.0 if last_ms > 0 else (frames / fps if math.isfinite(fps) and fps > 0 else 0.0)
    return VideoInfo("container", frames, seconds)


def _probe_animation(path: str | os.PathLike, shown: str, max_frames: int) -> VideoInfo:
    from PIL import Image, ImageSequence

    try:
        with Image.open(path) as image:
            if image.format not in ("GIF", "WEBP"):
                raise VideoRefused(f"{shown}: not a video (mp4, webm, mov, avi, animated GIF or WebP)")
            durations: list[float] = []  # ms each frame is shown
            for frame in ImageSequence.Iterator(image):
                durations.append(float(frame.info.get("duration", 100) or 100))
                if len(durations) > max_frames:
                    break
    except VideoRefused:
        raise
    except Exception as exc:  # a truncated or malformed animation
        raise VideoRefused(f"{shown}: cannot be decoded as an animation ({type(exc).__name__})") from None
    # the time from the first frame to the last, as a clip's timestamps run
    return VideoInfo("animation", len(durations), sum(durations[:-1]) / 1000.0)


def _reason(error: str, *names: str) -> str:
    """An error without its leading 'name: ' (the callers name the file as the user knows it)."""
    for name in names:
        if error.startswith(f"{name}: "):
            return error[len(name) + 2 :]
    return error


def recognize_video(predictor: Any, path: str | os.PathLike, top_k: int = 5, name: str | None = None) -> Any:
    """A video through the model: a `sign_ml.predict.Prediction` whose source is `name` (default the path):
    "ok"; "no_hand" (no frame has a hand); or "unreadable" with `error` the one-line reason (undecodable,
    over a limit, one frame). Never raises for a bad file; writes nothing."""
    from sign_ml.predict import NO_HAND_FOUND, UNREADABLE, Prediction

    path = str(path)
    shown = name or path
    try:
        probe_video(path, shown)
    except VideoRefused as exc:
        return Prediction(shown, UNREADABLE, error=_reason(str(exc), shown))
    prediction = predictor.predict_video(path, top_k=top_k)  # the VIDEO-mode hand stage, then the model
    prediction.source = shown
    if prediction.error:
        prediction.error = _reason(prediction.error, path, shown)
        if prediction.status == UNREADABLE and "no hand found" in prediction.error:
            prediction.status = NO_HAND_FOUND
    return prediction


__all__ = ["VideoRefused", "VideoInfo", "is_video", "probe_video", "recognize_video"]
