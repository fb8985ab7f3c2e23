"""One Hub that stops answering costs at most the documented time (issue 22): huggingface_hub's own retries
(5 more per request, inside each of ours) are off, and our policy alone decides."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
from conftest import point_hub_at, push_in_thread
from test_hub_push import SENTINEL
from test_model_card import make_run

import curation.hub as curation_hub
from sign_ml.cli import main


class HalfSilentHub:
    """Answers `create_repo`, then reads every other request and never answers it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.silent: list[str] = []  # the requests left unanswered, "METHOD /path"
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                conn.close()
                return
            data += chunk
        request_line = data.split(b"\r\n", 1)[0].decode()
        method, path = request_line.split(" ")[:2]
        if path.startswith("/api/repos/create"):
            body = json.dumps({"url": f"{self.url}/user/x"}).encode()
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            conn.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)
            conn.close()
            return
        self.silent.append(f"{method} {path.split('?')[0]}")
        self.open.append(conn)  # kept open, never written to

    def close(self) -> None:
        for conn in [*self.open, self.sock]:
            conn.close()


@pytest.fixture
def hub(monkeypatch, tmp_path):
    hub = HalfSilentHub()
    point_hub_at(monkeypatch, tmp_path, hub.url, SENTINEL)
    yield hub
    hub.close()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("bound"))


def test_half_silent_hub_ends_within_the_documented_bound(run_dir, hub, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DACTYL_HUB_TIMEOUT", "2")
    bound = curation_hub.hub_worst_case_s(steps=1)  # the upload step; create_repo was answered
    assert bound == 3 * 2 + 2 + 4
    start = time.monotonic()
    done = push_in_thread(
        run_dir, bound + 30
    )  # with huggingface_hub's own retries: 3 × (6 × 2 s + 23 s) = 105 s
    elapsed = time.monotonic() - start
    assert done == [2], "push still waiting past the bound"
    err = capsys.readouterr().err
    assert "did not answer after 3 tries" in err and "2 s allowed per request" in err
    # one unanswered request per try: huggingface_hub retried none of them itself (its once-a-day fetch of
    # an "agent harnesses" list has its own 3 s timeout and is not part of the push)
    tries = [r for r in hub.silent if r != "GET /api/agent-harnesses"]
    assert len(tries) == curation_hub.HUB_ATTEMPTS, hub.silent
    assert elapsed < bound + 3 + 10  # + that fetch, + building the repo folder and starting the client


@pytest.mark.parametrize("value", ["abc", "-1", "0", "nan", "inf"])
def test_a_bad_hub_timeout_names_the_variable(run_dir, hub, monkeypatch, capsys, value) -> None:
    monkeypatch.setenv("DACTYL_HUB_TIMEOUT", value)
    assert main(["push", str(run_dir), "--repo", "user/x"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "DACTYL_HUB_TIMEOUT" in err and repr(value) in err
    assert hub.silent == []  # refused before any request
