"""Safe image reading shared by curation, training, prediction and the app.

Every photo in the project is opened through `load_rgb` (decode) or `inspect_image`
(decode once and describe), so odd files behave the same everywhere: a clear
`UnreadableImageError` naming the file, never a crash deep inside PIL.
Source files are only ever opened for reading.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
MIN_SIDE = 32  # smaller than this cannot show a hand at any useful resolution
MAX_PIXELS = 64_000_000  # refuse to decode more (decompression-bomb guard); JPEGs decode reduced instead
_ORIENTATION_TAG = 0x0112
_UNUSUAL_MODES = {
    "CMYK": "cmyk",
    "I;16": "16-bit",
    "I;16B": "16-bit",
    "I;16L": "16-bit",
    "I": "32-bit int",
    "F": "float",
    "P": "palette",
    "PA": "palette",
    "RGBA": "alpha",
    "LA": "alpha",
    "1": "1-bit",
    "L": "grayscale",
    "YCbCr": "ycbcr",
    "LAB": "lab",
    "HSV": "hsv",
}

ImageSource = str | os.PathLike | bytes | Image.Image


class UnreadableImageError(ValueError):
    """A file that cannot be used as a photo; the message names the file and the reason."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


def is_image_file(path: str | os.PathLike) -> bool:
    """By extension only: the cheap filter used while walking folders."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


@dataclass
class ImageProbe:
    """What one decode of a file revealed. `error` set means the file is unusable."""

    source: str
    error: str | None = None
    width: int = 0  # after EXIF rotation
    height: int = 0
    mode: str = ""
    format: str = ""
    n_frames: int = 1
    exif_rotated: bool = False
    flags: list[str] = field(default_factory=list)  # unusual but usable: cmyk, 16-bit, alpha, animated, ...
    image: Image.Image | None = None  # the decoded RGB image, reduced to `max_side` when asked

    @property
    def ok(self) -> bool:
        return self.error is None


def _name(source: ImageSource) -> str:
    if isinstance(source, bytes):
        return "<uploaded bytes>"
    if isinstance(source, Image.Image):
        return getattr(source, "filename", "") or "<image>"
    return os.fspath(source)


def _open(source: ImageSource) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, bytes):
        return Image.open(io.BytesIO(source))
    return Image.open(os.fspath(source))  # PIL opens read-only


def _decode(source: ImageSource, max_side: int | None, probe: ImageProbe) -> Image.Image:
    name = probe.source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = _open(source)
            probe.format = img.format or ""
            probe.mode = img.mode
            probe.n_frames = getattr(img, "n_frames", 1)
            probe.width, probe.height = full_w, full_h = w, h = img.size  # as stored; turned below
            if img.format == "JPEG" and max_side is not None:
                img.draft("RGB", (max_side, max_side))  # DCT-domain downscale: decode 2-8x fewer pixels
                w, h = img.size
            if w * h > MAX_PIXELS:
                raise UnreadableImageError(
                    name, f"too large to decode safely ({w}×{h} px > {MAX_PIXELS:,} px)"
                )
            # after the size guard: PNG's getexif() decodes the whole image to find a trailing eXIf chunk
            orientation = img.getexif().get(_ORIENTATION_TAG, 1)
            probe.exif_rotated = orientation not in (1, None)
            probe.width, probe.height = (full_h, full_w) if orientation in (5, 6, 7, 8) else (full_w, full_h)
            img.load()  # forces the full decode: truncated or corrupt data fails here
    except UnreadableImageError:
        raise
    except UnidentifiedImageError:
        raise UnreadableImageError(
            name, "not an image that can be read (corrupt, or not a picture)"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnreadableImageError(name, f"too large to decode safely ({exc})") from None
    except FileNotFoundError:
        raise UnreadableImageError(name, "file not found") from None
    except OSError as exc:  # truncated files, broken streams, permission errors
        raise UnreadableImageError(name, f"cannot decode ({exc})") from None
    except (ValueError, SyntaxError, MemoryError) as exc:
        raise UnreadableImageError(name, f"cannot decode ({type(exc).__name__}: {exc})") from None
    return img


def _to_rgb(img: Image.Image, max_side: int | None) -> Image.Image:
    img = ImageOps.exif_transpose(img)  # phones store portrait photos landscape + a rotation tag
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit grayscale: scale to 8 bits instead of clipping everything to white
        img = img.point(lambda v: v / 256).convert("L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)  # transparent areas become white, not black
    img = img.convert("RGB")
    if max_side is not None and max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return img


def inspect_image(source: ImageSource, max_side: int | None = None, keep_image: bool = True) -> ImageProbe:
    """Decode a photo once and describe it; never raises for a bad file (see `ImageProbe.error`).

    max_side: reduce the decoded image so its longer side is at most this (cheap for JPEGs).
    keep_image: keep the decoded RGB image on the probe (for hashing) instead of dropping it.
    """
    probe = ImageProbe(source=_name(source))
    try:
        rgb = _to_rgb(_decode(source, max_side, probe), max_side)
    except UnreadableImageError as exc:
        probe.error = exc.reason
        return probe
    if probe.mode in _UNUSUAL_MODES and probe.mode != "L":
        probe.flags.append(_UNUSUAL_MODES[probe.mode])
    if probe.n_frames > 1:
        probe.flags.append("animated")
    if probe.exif_rotated:
        probe.flags.append("exif-rotated")
    if min(probe.width, probe.height) < MIN_SIDE:
        probe.flags.append("tiny")
    probe.image = rgb if keep_image else None
    return probe


def load_rgb(source: ImageSource, max_side: int | None = None) -> Image.Image:
    """Decode any supported photo to an upright 8-bit RGB image, or raise `UnreadableImageError`.

    Animated files give their first frame; alpha is composited on white; 16-bit is scaled to 8.
    """
    probe = ImageProbe(source=_name(source))
    return _to_rgb(_decode(source, max_side, probe), max_side)


ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is an error to report, not a grey bottom half
