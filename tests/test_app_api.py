"""The /predict API of a served app, as a program calls it: gradio_client and plain HTTP over loopback.

A photo with a hand: {letter: probability} over every letter. No hand (a blank image): `{}`, never a letter.
A data URL over the size limit: refused. The tiny model here is untrained; the hand stage is MediaPipe."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx
import pytest
from conftest import make_model_dir, stop_process
from PIL import Image

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
CLASSES = ("А", "Б", "В", "Г")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(tmp: Path, *flags: str):
    """`python app.py --model TINY FLAGS` on a free loopback port: a context manager yielding its URL."""
    return _launch(tmp, flags)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`python app.py --model TINY` on a free loopback port; yields its URL."""
    with launch(tmp_path_factory.mktemp("api")) as url:
        yield url


@contextlib.contextmanager
def _launch(tmp: Path, flags: tuple[str, ...]):
    make_model_dir(tmp / "run", class_names=CLASSES, size=32)
    with serve_app(tmp / "run", tmp / "app.log", *flags) as url:
        yield url


@contextlib.contextmanager
def serve_app(model: Path, log: Path, *flags: str):
    """`python app.py --model MODEL FLAGS` on a free loopback port, its output in `log`: a context manager
    yielding its URL once it answers (a failure names the log's tail); the app is stopped on exit."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "DACTYL_SHARED_DATA": "",
    }
    env.pop("DACTYL_DATA", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "app.py"),
                "--model",
                str(model),
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
                *flags,
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 240
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"app did not start:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        stop_process(proc)


def test_no_hand_is_an_empty_object_through_gradio_client(served, tmp_path):
    from gradio_client import Client, handle_file

    blank = tmp_path / "blank.png"
    Image.new("RGB", (320, 240), (255, 255, 255)).save(blank)
    client = Client(served, verbose=False)
    assert client.predict(handle_file(str(blank)), api_name="/predict") == {}
    info = client.view_api(return_format="dict", print_info=False)
    (returns,) = info["named_endpoints"]["/predict"]["returns"]
    assert returns["type"]["type"] == "object"  # the documented shape is the returned one


@pytest.mark.shared_data
def test_a_hand_photo_gives_every_letter_through_gradio_client(served, asl_sample):
    from gradio_client import Client, handle_file

    photo = sorted((asl_sample / "C").glob("*.jpg"))[0]
    out = Client(served, verbose=False).predict(handle_file(str(photo)), api_name="/predict")
    assert set(out) == set(CLASSES) and abs(sum(out.values()) - 1.0) < 1e-4


def test_a_13_mb_data_url_is_rejected_over_http(served):
    payload = base64.b64encode(bytes(13 * 1024 * 1024)).decode()
    body = {"data": [{"url": "data:image/png;base64," + payload, "meta": {"_type": "gradio.FileData"}}]}
    start = httpx.post(served + "gradio_api/call/predict", json=body, timeout=120)
    if start.status_code != 200:  # refused at the door is refused too
        assert start.status_code in (400, 413, 422)
        return
    event_id = start.json()["event_id"]
    stream = httpx.get(served + f"gradio_api/call/predict/{event_id}", timeout=120).text
    assert "event: error" in stream and "event: complete" not in stream
    assert "The photo is larger than 10 MB (13.0 MB > 10.0 MB)" in stream  # the reason, no traceback


def _call_predict(served: str, payload) -> str:
    start = httpx.post(served + "gradio_api/call/predict", json={"data": [payload]}, timeout=60)
    assert start.status_code == 200, start.text
    return httpx.get(served + f"gradio_api/call/predict/{start.json()['event_id']}", timeout=60).text


def test_a_bare_path_to_a_server_photo_is_refused_like_a_missing_file(served, tmp_path):
    """{"path": ...} without Gradio's `meta` names any file on the server: a real photo outside the upload
    cache, a missing file and /etc/passwd get the very same answer, never probabilities."""
    photo = tmp_path / "private.png"
    Image.new("RGB", (320, 240), (200, 150, 120)).save(photo)
    answers = {
        name: _call_predict(served, {"path": path})
        for name, path in {
            "photo": str(photo),
            "missing": str(tmp_path / "nope.jpg"),
            "passwd": "/etc/passwd",
            "folder": "/etc",
        }.items()
    }
    assert "event: error" in answers["photo"] and "event: complete" not in answers["photo"]
    assert "was not uploaded to the app" in answers["photo"]
    assert len(set(answers.values())) == 1, answers


def test_a_50_mb_body_is_refused_before_it_is_parsed(served):
    """The limit sits in front of Gradio's routes: a body over it gets 413 on its Content-Length."""
    body = b'{"data": ["' + b"A" * (50 * 1024 * 1024) + b'"]}'
    answer = httpx.post(
        served + "gradio_api/call/predict",
        content=body,
        headers={"content-type": "application/json"},
        timeout=60,
    )
    assert answer.status_code == 413, answer.text[:300]


def test_anonymous_calls_to_a_workspace_app_with_auth_are_refused(tmp_path_factory):
    """`--workspace --auth`: every event, by fn_index through queue/join, is refused to a caller without the
    login (publishing, training, recording and the alphabet among them); the logged-in owner gets the page."""
    tmp = tmp_path_factory.mktemp("auth")
    with launch(tmp, "--workspace", str(tmp / "ws"), "--auth", "owner:s3cret") as url:
        owner = httpx.Client(base_url=url, timeout=30)
        assert owner.post("login", data={"username": "owner", "password": "s3cret"}).status_code == 200
        config = owner.get("config").json()
        events = [d["id"] for d in config["dependencies"]]
        assert len(events) > 30  # the Record tab's events are there for the owner
        refused = {}
        for fn_index in events:
            answer = httpx.post(
                url + "gradio_api/queue/join",
                json={"data": [None] * 6, "fn_index": fn_index, "session_hash": "anon", "event_data": None},
                timeout=30,
            )
            refused[fn_index] = answer.status_code
        assert set(refused.values()) == {401}, refused
        assert httpx.get(url + "config", timeout=30).status_code == 401
