"""What the app refuses: uploads over 10 MB however they arrive, decodes that would take too much memory,
and photo paths outside the data folders (sign_ml/ui/safety.py)."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import textwrap
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pytest
from conftest import make_model_dir, make_photo
from PIL import Image

from curation.images import UnreadableImageError
from sign_ml.ui import safety

REPO = Path(__file__).resolve().parents[1]


def test_a_13_mb_data_url_is_refused_before_it_is_decoded():
    payload = base64.b64encode(bytes(13 * 1024 * 1024)).decode()
    with pytest.raises(safety.UploadRefused) as refused:
        safety.upload_source({"url": "data:image/png;base64," + payload})
    assert refused.value.key == "too_big" and "13.0 MB > 10.0 MB" in refused.value.detail
    with pytest.raises(safety.UploadRefused):
        safety.upload_source("data:image/png;base64," + payload)
    small = io.BytesIO()
    Image.new("RGB", (40, 40)).save(small, "PNG")
    assert (
        safety.upload_source({"url": "data:image/png;base64," + base64.b64encode(small.getvalue()).decode()})
        == small.getvalue()
    )


def test_bytes_and_files_over_the_limit_are_refused(tmp_path, gradio_upload):
    with pytest.raises(safety.UploadRefused):
        safety.upload_source(bytes(safety.MAX_UPLOAD_BYTES + 1))
    big = tmp_path / "big.jpg"
    big.write_bytes(bytes(safety.MAX_UPLOAD_BYTES + 1))
    with pytest.raises(safety.UploadRefused) as refused:
        safety.upload_source(gradio_upload(big))
    assert refused.value.key == "too_big"
    with pytest.raises(safety.UploadRefused) as refused:
        safety.upload_source(None)
    assert refused.value.key == "no_image"


def test_a_huge_png_is_refused_from_its_header_and_a_huge_jpeg_is_not(tmp_path):
    png = tmp_path / "huge.png"
    Image.new("RGB", (8000, 8000)).save(png, compress_level=1)
    with (
        pytest.raises(UnreadableImageError, match="too large to decode safely"),
        safety.bounded_decode(str(png)),
    ):
        pass
    jpeg = tmp_path / "huge.jpg"
    Image.new("RGB", (8000, 4000)).save(jpeg, quality=50)  # a JPEG decodes reduced (DCT draft), so it is fine
    with safety.bounded_decode(str(jpeg)):
        pass


def test_heavy_decodes_are_capped_in_concurrency(tmp_path):
    jpeg = tmp_path / "large.jpg"
    Image.new("RGB", (3000, 2000)).save(jpeg, quality=50)  # 6 MP > HEAVY_PIXELS
    with ExitStack() as stack:
        for _ in range(safety.HEAVY_SLOTS):
            stack.enter_context(safety.bounded_decode(str(jpeg)))
        assert not safety._heavy.acquire(blocking=False)  # a third heavy decode would wait
    assert safety._heavy.acquire(blocking=False)  # released again
    safety._heavy.release()


def test_an_8000_px_png_keeps_peak_memory_bounded(tmp_path):
    """The issue's attack: a small 8000×8000 PNG sent to /predict and to the Recognize tab. Measured in a
    fresh process as the rise of its peak resident memory (ru_maxrss) over a warmed-up baseline."""
    model = tmp_path / "model"
    make_model_dir(model, class_names=("А", "Б", "В"), size=32)
    png = tmp_path / "bomb.png"
    Image.new("RGB", (8000, 8000), (90, 120, 30)).save(png, compress_level=9)
    assert png.stat().st_size < 1_000_000  # a small file
    cache = tmp_path / "gradio-cache"
    (cache / "upload").mkdir(parents=True)
    png = png.rename(cache / "upload" / "bomb.png")  # where Gradio keeps an upload
    script = textwrap.dedent(f"""
        import io, json, os, resource
        os.environ["GRADIO_TEMP_DIR"] = {str(cache)!r}
        from PIL import Image
        from sign_ml.ui.app import DactylApp
        app = DactylApp(model={str(model)!r}, data=None, backend="torch")
        warm = io.BytesIO(); Image.new("RGB", (64, 64), (1, 2, 3)).save(warm, "PNG")
        app.recognize(warm.getvalue(), 0.5, False)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            app.predict({{"path": {str(png)!r}, "orig_name": "bomb.png", "meta": {{"_type": "gradio.FileData"}}}})
        except Exception as exc:
            refused = str(exc)
        answer = app.recognize(
            {{"path": {str(png)!r}, "orig_name": "bomb.png", "meta": {{"_type": "gradio.FileData"}}}}, 0.5, False
        )[0]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"rise_mb": (peak - base) / 1024, "refused": refused, "answer": answer}}))
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert "too large to decode safely" in result["refused"] and "too large" in result["answer"]
    assert result["rise_mb"] < 64, result  # was ~480 MB per request before the header check


def test_paths_outside_the_roots_are_refused(tmp_path, caplog):
    root = tmp_path / "data"
    inside = make_photo(root / "А" / "a.png", seed=1)
    outside = make_photo(tmp_path / "private.png", seed=2)
    assert safety.inside_roots("", "А/a.png", [root]) == inside.resolve()
    assert safety.inside_roots(str(inside), "", [root]) == inside.resolve()
    with caplog.at_level("WARNING"):
        assert safety.inside_roots(str(outside), str(outside), [root]) is None
        assert safety.inside_roots("x", "../private.png", [root]) is None
        assert safety.inside_roots(str(outside), "", [root]) is None
    assert caplog.text.count("refused photo path") >= 3
    (root / "link.png").symlink_to(outside)  # a link inside the root that points out of it
    assert safety.inside_roots("", "link.png", [root]) is None
    assert np.asarray(Image.open(inside)).shape[2] == 3


def test_a_payload_naming_a_file_gradio_did_not_receive_is_refused_alike(tmp_path, gradio_upload):
    """A bare {"path": ...} (no `meta`: Gradio passes it on unchecked) or one outside Gradio's upload cache
    is refused with one message whether the file exists, is a photo, a folder or a FIFO: no oracle, no hang."""
    import os

    real = make_photo(tmp_path / "private" / "hand.png", seed=3)
    fifo = tmp_path / "gradio-cache" / "x" / "pipe.jpg"
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    meta = {"_type": "gradio.FileData"}
    payloads = [
        {"path": str(real)},
        {"path": str(tmp_path / "missing.jpg")},
        {"path": "/etc/passwd"},
        {"path": str(tmp_path)},
        {"path": str(real), "meta": meta},  # meta, but not Gradio's upload
        {"path": str(fifo), "meta": meta},  # in the cache, but a FIFO: opening it would block forever
        {"path": str(tmp_path / "gradio-cache" / ".." / "private" / "hand.png"), "meta": meta},
    ]
    for payload in payloads:
        with pytest.raises(safety.UploadRefused) as refused:
            safety.upload_source(payload)
        assert refused.value.key == "not_received", payload
    assert safety.upload_source(gradio_upload(real)).endswith("hand.png")  # the page's own upload is fine
    with pytest.raises(UnreadableImageError, match="not a regular file"):  # a path from Python code
        safety.upload_source(str(fifo))


def test_symlinked_thumbs_are_refused(tmp_path):
    from sign_ml.ui.thumbnails import find_thumbnail

    secret = make_photo(tmp_path / "private" / "A" / "x.jpg", seed=4)
    eval_dir = tmp_path / "model" / "eval" / "test"
    eval_dir.mkdir(parents=True)
    (eval_dir / "thumbs").symlink_to(tmp_path / "private")  # thumbs/ is itself a link out of the model
    assert find_thumbnail(eval_dir, "A/x.jpg") is None
    (eval_dir / "thumbs").unlink()
    (eval_dir / "thumbs").mkdir()
    (eval_dir / "thumbs" / "A").symlink_to(secret.parent)  # a link inside thumbs/
    assert find_thumbnail(eval_dir, "A/x.jpg") is None
    (eval_dir / "thumbs" / "A").unlink()
    own = make_photo(eval_dir / "thumbs" / "A" / "x.jpg", seed=5)
    assert find_thumbnail(eval_dir, "A/x.jpg") == own.resolve()
