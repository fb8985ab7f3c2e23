"""What the app refuses: uploads over 10 MB however they arrive, decodes that would take too much memory,
and photo paths outside the data folders (sign_ml/ui/safety.py)."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
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


def _request(username=None, oauth_user=None, lang="en"):
    """A gr.Request as Gradio builds it for an event: Gradio's login name, or an OAuth session's user."""
    import gradio as gr
    from starlette.requests import Request

    session = {}
    if oauth_user:
        session["oauth_info"] = {"userinfo": {"preferred_username": oauth_user}, "expires_at": 4102444800}
    scope = {"type": "http", "headers": [(b"accept-language", lang.encode())], "session": session}
    return gr.Request(request=Request(scope), username=username)


@contextlib.contextmanager
def _as_caller(request):
    from gradio.context import LocalContext

    token = LocalContext.request.set(request)
    try:
        yield
    finally:
        LocalContext.request.reset(token)


WRITERS = {  # every Record-tab and review handler that writes, trains, publishes or changes the workspace
    "on_alphabet",
    "on_start",
    "on_frame",
    "on_control",
    "on_check",
    "on_train",
    "on_job",
    "on_preview",
    "on_publish",
    "on_find",
    "on_decide",
}


def test_every_writing_event_refuses_a_caller_who_is_not_an_owner(tmp_path, monkeypatch):
    """`api_visibility="private"` hides an event from the API page only: queue/join with its fn_index runs
    it. Each owner-only handler checks the caller on the server: anonymous and a stranger get the owner
    message (the page's own load/tick refreshes get no change), and the workspace stays as it was."""
    import gradio as gr

    from sign_ml.ui.app import DactylApp
    from sign_ml.ui.owners import Owners

    monkeypatch.setenv("DACTYL_SHARED_DATA", "")
    model = tmp_path / "model"
    make_model_dir(model, class_names=("А", "Б"), size=32)
    ws = tmp_path / "ws"
    app = DactylApp(model=str(model), workspace=str(ws), owners=Owners("password", frozenset({"owner"})))
    demo = app.build()
    before = sorted((p.relative_to(ws).as_posix(), p.read_bytes()) for p in ws.rglob("*") if p.is_file())
    guarded = [fn for fn in demo.fns.values() if getattr(fn.fn, "owner_only", False)]
    names = {fn.fn.__name__ for fn in guarded}
    assert names >= WRITERS, WRITERS - names
    # (a page-only event, such as the Live tab's show event, has no server function: nothing to guard)
    public = [
        fn.fn for fn in demo.fns.values() if fn.fn is not None and not getattr(fn.fn, "owner_only", False)
    ]
    assert not [f for f in public if f.__module__.endswith(("tab_record", "tab_mislabels"))]
    assert {"predict", "recognize"} <= {f.__name__ for f in public}
    for caller in (_request(), _request(username="mallory"), _request(oauth_user="mallory", lang="uk")):
        for block_fn in guarded:
            quiet = {name for _, name in block_fn.targets} <= {"load", "tick"}
            with _as_caller(caller):
                if quiet:
                    out = block_fn.fn()
                    out = out if isinstance(out, tuple) else (out,)
                    assert len(out) == len(block_fn.outputs)
                    assert all(
                        isinstance(v, dict) and v.get("__type__") == "update" and len(v) == 1 for v in out
                    )
                    continue
                with pytest.raises(gr.Error, match="owner|власник"):
                    block_fn.fn(*[None] * 6)
    after = sorted((p.relative_to(ws).as_posix(), p.read_bytes()) for p in ws.rglob("*") if p.is_file())
    assert after == before
    # the owner, logged in, gets through to the handler itself
    on_alphabet = next(fn.fn for fn in guarded if fn.fn.__name__ == "on_alphabet")
    with _as_caller(_request(username="owner")):
        on_alphabet("custom", "Х Ц", _request(username="owner"))
    assert app.workspace.alphabet()[1] == ["Х", "Ц"]


def test_an_oauth_owner_is_told_apart_from_other_signed_in_users():
    from sign_ml.ui.owners import Owners, caller_name

    owners = Owners("oauth", frozenset({"owner"}))
    assert (
        owners.allows(_request(oauth_user="owner")) and caller_name(_request(oauth_user="owner")) == "owner"
    )
    assert not owners.allows(_request(oauth_user="mallory")) and not owners.allows(_request())
    expired = _request(oauth_user="owner")
    expired.request.scope["session"]["oauth_info"]["expires_at"] = 1
    assert not owners.allows(expired) and not owners.allows(None)


def test_without_an_owner_no_event_writes_or_searches(tmp_path, monkeypatch):
    from sign_ml.ui.app import DactylApp

    monkeypatch.setenv("DACTYL_SHARED_DATA", "")
    model = tmp_path / "model"
    make_model_dir(model, class_names=("А", "Б"), size=32)
    demo = DactylApp(model=str(model), workspace=str(tmp_path / "ws"), owners=None).build()
    modules = {getattr(fn.fn, "__module__", "") for fn in demo.fns.values()}
    assert not [m for m in modules if m.endswith(("tab_record", "tab_mislabels"))]
    assert "sign_ml.ui.tab_recognize" in modules or "sign_ml.ui.app" in modules


def test_owners_resolve_from_flags_and_the_space(monkeypatch):
    from sign_ml.ui.owners import LOCAL, parse_auth, resolve_owners, start_refusal

    assert resolve_owners("127.0.0.1", None, None, None, None) == LOCAL
    assert resolve_owners("0.0.0.0", None, None, None, None) is None
    assert resolve_owners("0.0.0.0", ("me", "pw"), None, None, None).names == {"me"}
    # a Space only has an owner once OAuth is on (hf_oauth: true gives it OAUTH_CLIENT_ID)
    assert resolve_owners("0.0.0.0", None, "me/space", None, "me") is None
    space = resolve_owners("0.0.0.0", None, "me/space", "anna, bo", "me", oauth_enabled=True)
    assert space.kind == "oauth" and space.names == {"anna", "bo"}
    assert resolve_owners("0.0.0.0", None, "me/space", None, "me", oauth_enabled=True).names == {"me"}
    assert "--auth" in start_refusal("/data", "0.0.0.0", None)
    assert start_refusal(None, "0.0.0.0", None) is None and start_refusal("/data", "::1", LOCAL) is None
    assert parse_auth("me:pa:ss") == ("me", "pa:ss")
    for bad in ("me", ":pw", "me:"):
        with pytest.raises(ValueError, match="USER:PASSWORD"):
            parse_auth(bad)


async def _asgi_call(app, body_chunks, headers):
    """Drive an ASGI app with one POST: → (status, how many body bytes the app read)."""
    sent, chunks = [], list(body_chunks)

    async def receive():
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/gradio_api/queue/join", "headers": headers}
    await app(scope, receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


def test_a_50_mb_body_is_refused_before_it_is_read():
    import asyncio

    read = []

    async def inner(scope, receive, send):  # the app: reads the whole body, like a JSON route
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            read.append(len(message["body"]))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limited = safety.BodyLimit(inner, max_bytes=safety.MAX_BODY_BYTES)
    mb = 1024 * 1024
    declared = [(b"content-length", str(50 * mb).encode())]
    assert asyncio.run(_asgi_call(limited, [bytes(mb)] * 50, declared)) == 413
    assert read == []  # refused on its Content-Length, before one byte was received
    streamed = asyncio.run(_asgi_call(limited, [bytes(mb)] * 50, []))  # chunked: no length declared
    assert streamed == 413 and sum(read) <= safety.MAX_CHUNKED_BYTES
    read.clear()
    assert (
        asyncio.run(_asgi_call(limited, [bytes(mb)] * 3, [(b"content-length", str(3 * mb).encode())])) == 200
    )
    assert sum(read) == 3 * mb


START_UP_MISTAKES = {
    "a file as workspace": ["--workspace", "/etc/passwd"],
    "/proc as workspace": ["--workspace", "/proc/1"],
    "port out of range": ["--port", "99999"],
    "auth without a password": ["--auth", "me"],
}


def test_start_up_mistakes_give_one_line_and_exit_2(tmp_path):
    """As the CLIs: one line on stderr naming the problem, exit status 2, no traceback; and a workspace on
    a non-loopback address without --auth is refused, saying how to add it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DACTYL_", "GRADIO_", "SPACE_"))}
    env.update(DACTYL_SHARED_DATA="", GRADIO_ANALYTICS_ENABLED="False")
    cases = dict(START_UP_MISTAKES)
    cases["workspace on the network without auth"] = [
        "--host",
        "0.0.0.0",
        "--workspace",
        str(tmp_path / "ws"),
    ]
    runs = {
        name: subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), *argv],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, argv in cases.items()
    }
    for name, proc in runs.items():
        out, err = proc.communicate(timeout=300)
        lines = [line for line in err.splitlines() if not line.startswith(("INFO ", "WARNING "))]
        assert proc.returncode == 2, (name, err[-2000:])
        assert len(lines) == 1 and lines[0].startswith("app.py: error: "), (name, err[-2000:])
        assert "Traceback" not in err
    assert not (tmp_path / "ws").exists()  # refused before the workspace was made


def test_start_up_refusals_name_the_fix():
    import app as app_module

    args = app_module.parse_args(["--host", "0.0.0.0", "--workspace", "/data"])
    with pytest.raises(ValueError, match=r"--auth USER:PASSWORD .*DACTYL_AUTH.*hf_oauth"):
        app_module.make_app(args)
    with pytest.raises(SystemExit) as exited:
        app_module.parse_args(["--port", "99999"])
    assert exited.value.code == 2
