"""What the app refuses, in one place: oversized uploads (however they arrive), payloads naming files
Gradio did not receive, decodes that would take too much memory, and photo paths outside the data folders
given at start-up.

Gradio's `max_file_size` guards its /upload route only; a base64 `data:` URL in an API payload, raw bytes
from a Python caller or a file already in the cache reach `upload_source` instead, which measures them
the same way. JPEGs decode reduced (DCT draft) whatever their size; PNG, WebP, TIFF… decode whole, so
their pixel count is capped and heavy decodes run a few at a time, after which freed memory is handed
back to the system (glibc keeps freed arenas otherwise: 3.9 GB stayed held after 12 large PNGs).
"""

from __future__ import annotations

import base64
import binascii
import ctypes
import io
import logging
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from PIL import Image

from curation.images import UnreadableImageError

log = logging.getLogger(__name__)

MAX_FILE_SIZE = "10mb"  # Gradio's form of MAX_UPLOAD_BYTES, for launch(max_file_size=...)
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_WHOLE_DECODE_PIXELS = 24_000_000  # formats decoded whole (all but JPEG): ≤ 72 MB as RGB (6000×4000)
HEAVY_PIXELS = 4_000_000  # a decode above this waits for one of the HEAVY_SLOTS
HEAVY_SLOTS = 2
_heavy = threading.BoundedSemaphore(HEAVY_SLOTS)


class UploadRefused(ValueError):
    """An upload the app will not decode; `key` names the reason in the i18n table, `detail` the numbers."""

    def __init__(self, key: str, detail: str = ""):
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key = key
        self.detail = detail


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def upload_source(value: Any) -> Any:
    """Whatever Gradio or a caller hands over (FileData dict, path, bytes, data URL, PIL, numpy) → path,
    bytes or PIL image, refusing anything over MAX_UPLOAD_BYTES before it is decoded. None → UploadRefused."""
    if value is None:
        raise UploadRefused("no_image")
    if isinstance(value, dict):  # the image component's payload (the events use preprocess=False)
        if value.get("path"):
            value = received_path(value)
        elif str(value.get("url") or "").startswith("data:"):
            value = value["url"]
        else:
            raise UploadRefused("no_image")
    if isinstance(value, str) and value.startswith("data:"):
        payload = value.split(",", 1)[1] if "," in value else ""
        if len(payload) * 3 // 4 > MAX_UPLOAD_BYTES:  # measured before decoding the base64
            raise UploadRefused("too_big", f"{_mb(len(payload) * 3 // 4)} > {_mb(MAX_UPLOAD_BYTES)}")
        try:
            return base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError):
            raise UploadRefused("not_image") from None
    if isinstance(value, bytes | bytearray):
        if len(value) > MAX_UPLOAD_BYTES:
            raise UploadRefused("too_big", f"{_mb(len(value))} > {_mb(MAX_UPLOAD_BYTES)}")
        return bytes(value)
    if isinstance(value, str | os.PathLike):
        try:
            info = os.stat(value)
        except OSError:
            return value  # the decoder names the missing file
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the worker forever, a device never end
            raise UnreadableImageError(str(value), "not a regular file")
        size = info.st_size
        if size > MAX_UPLOAD_BYTES:
            raise UploadRefused("too_big", f"{_mb(size)} > {_mb(MAX_UPLOAD_BYTES)}")
        return value
    if isinstance(value, np.ndarray):
        return Image.fromarray(value.astype(np.uint8))
    return value


def upload_folder() -> Path:
    """Gradio's own upload cache (GRADIO_TEMP_DIR, else TMPDIR/gradio): the one folder a payload may name."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()


def received_path(value: dict[str, Any]) -> str:
    """The file a FileData payload names, only if Gradio vetted it: `meta` says gradio.FileData (Gradio
    then checks the path is its upload) and the path lies in Gradio's upload cache as a regular file.

    Without `meta` Gradio passes a dict on unchecked, so `{"path": "/etc/passwd"}` would reach the decoder.
    Every refusal is the same UploadRefused("not_received"), whether or not the file exists, so the answer
    tells nothing about the server's files; a FIFO, device or folder is never opened.
    """
    meta = value.get("meta")
    if not isinstance(meta, dict) or meta.get("_type") != "gradio.FileData":
        raise UploadRefused("not_received")
    try:
        path = Path(str(value["path"])).resolve()
        if not path.is_relative_to(upload_folder()) or not stat.S_ISREG(path.stat().st_mode):
            raise UploadRefused("not_received")
    except (OSError, ValueError):  # missing, unreadable, a NUL in the name
        raise UploadRefused("not_received") from None
    return str(path)


def _header(source: Any) -> tuple[str, int, int] | None:
    """(format, width, height) from the file's header only (no pixel is decoded), or None if unknown."""
    if isinstance(source, Image.Image):
        return None
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as img:
            return img.format or "", img.width, img.height
    except Exception:  # the decoder gives the reason a file is not an image
        return None


@contextmanager
def bounded_decode(source: Any) -> Iterator[None]:
    """Run one decode of `source` within the memory bounds: refuse whole-decoded formats over
    MAX_WHOLE_DECODE_PIXELS; let at most HEAVY_SLOTS large decodes run at once; give freed memory back."""
    header = _header(source)
    pixels = header[1] * header[2] if header else 0
    if header and header[0] != "JPEG" and pixels > MAX_WHOLE_DECODE_PIXELS:
        raise UnreadableImageError(
            str(source) if isinstance(source, str | os.PathLike) else "<uploaded bytes>",
            f"too large to decode safely ({header[1]}×{header[2]} px {header[0]} > {MAX_WHOLE_DECODE_PIXELS:,} px;"
            " JPEGs of any size are fine)",
        )
    if pixels <= HEAVY_PIXELS:
        yield
        return
    with _heavy:
        try:
            yield
        finally:
            release_memory()


def release_memory() -> None:
    """Return freed heap to the OS (glibc's malloc_trim); a no-op elsewhere."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def inside_roots(row_path: str, relpath: str, roots: list[Path]) -> Path | None:
    """The file a predictions/manifest row names, only if it resolves inside one of `roots`.

    An absolute `relpath` or one with `..` is refused with a warning; `row_path` (absolute, from the
    machine that evaluated) is used only when it too lies inside a root.
    """
    rel = PurePosixPath(str(relpath or "").replace("\\", "/"))
    if relpath and (rel.is_absolute() or ".." in rel.parts):
        log.warning("refused photo path %r: absolute or '..' in an evaluation file", relpath)
        return None
    resolved_roots = [r.resolve() for r in roots]
    candidates = [root / rel for root in resolved_roots] if relpath else []
    if row_path and Path(row_path).is_absolute():
        candidates.append(Path(row_path))
    elif row_path and not relpath:
        given = PurePosixPath(str(row_path).replace("\\", "/"))
        if ".." in given.parts:
            log.warning("refused photo path %r: '..' in an evaluation file", row_path)
            return None
        candidates += [root / given for root in resolved_roots]
    for candidate in candidates:
        path = candidate.resolve()
        if any(path.is_relative_to(root) for root in resolved_roots):
            if path.is_file():
                return path
        elif candidate.is_absolute() and str(candidate) == str(row_path):
            log.warning("refused photo path %r: outside the data folders given at start-up", row_path)
    return None


# any request body: a 10 MB photo as base64 in JSON (~13.4 MB) fits, more does not
MAX_BODY_BYTES = 16 * 1024 * 1024
# a body without Content-Length (chunked): browsers and gradio_client always declare one, and what the app
# had buffered before the cut stayed held (~16 MB a request at the full limit)
MAX_CHUNKED_BYTES = 1024 * 1024


class BodyLimit:
    """ASGI middleware: refuse (413) a request body over `max_bytes` before the app reads it.

    A declared Content-Length over the limit is refused before one byte is received; a chunked body is
    counted as it streams and cut off where it passes `max_chunked` (1 MB), and a body that sends more
    than it declared where it passes the limit. Gradio's own checks run only after the
    JSON is parsed (three 420 MB bodies took a served app from 2.7 to 5.3 GB, never given back).
    """

    def __init__(self, app: Any, max_bytes: int = MAX_BODY_BYTES, max_chunked: int = MAX_CHUNKED_BYTES):
        self.app = app
        self.max_bytes = int(max_bytes)
        self.max_chunked = min(int(max_chunked), self.max_bytes)

    async def _refuse(self, send: Any) -> None:
        body = f'{{"error": "request body over {self.max_bytes} bytes"}}'.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            log.warning(
                "refused a %s-byte request body to %s", declared.decode(errors="replace"), scope.get("path")
            )
            await self._refuse(send)
            return
        limit = self.max_bytes if declared is not None else self.max_chunked
        seen = 0
        cut = False
        started = False

        async def counted_receive() -> dict:
            nonlocal seen, cut
            if cut:
                return {"type": "http.disconnect"}
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body") or b"")
                if seen > limit:
                    cut = True
                    log.warning("cut off a streamed request body at %d bytes to %s", seen, scope.get("path"))
                    return {"type": "http.disconnect"}  # the app sees the client gone and stops reading
            return message

        async def guarded_send(message: dict) -> None:
            nonlocal started
            if cut:  # the 413 below answers instead
                return
            started = started or message.get("type") == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not cut:
                raise
        if cut and not started:
            await self._refuse(send)
