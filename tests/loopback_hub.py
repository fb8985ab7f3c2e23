"""A Hub on loopback that keeps what it is sent: enough of the HTTP API for huggingface_hub's create_repo,
upload_file/upload_folder and datasets' push_to_hub (repo info, file reads, preupload, commit), so a test can
publish for real and then read back each repo's files."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


class LoopbackHub:
    """`repos[(type, "user/name")] = {path: bytes}` after each commit; `requests` lists "METHOD /path"."""

    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], dict[str, bytes]] = {}
        self.blobs: dict[str, bytes] = {}  # LFS uploads by sha256, until a commit names them
        self.requests: list[str] = []
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet (and no headers, hence no token, in any log)
                pass

            def do_HEAD(self):
                hub.serve(self, head=True)

            def do_GET(self):
                hub.serve(self)

            def do_POST(self):
                hub.serve(self)

            def do_PUT(self):
                hub.serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ---------------------------------------------------------------- the API
    def serve(self, h: BaseHTTPRequestHandler, head: bool = False) -> None:
        body = (
            h.rfile.read(int(h.headers.get("Content-Length") or 0)) if h.command in ("POST", "PUT") else b""
        )
        path = unquote(urlsplit(h.path).path)
        with self.lock:
            self.requests.append(f"{h.command} {path}")
        parts = path.strip("/").split("/")
        if h.command == "PUT" and parts[0] == "lfs-upload":  # the href the batch answer gave
            with self.lock:
                self.blobs[parts[1]] = body
            return self.reply(h, 200, {})
        if path.endswith(".git/info/lfs/objects/batch"):
            objects = json.loads(body)["objects"]
            answer = [
                {
                    "oid": o["oid"],
                    "size": o["size"],
                    "authenticated": True,
                    "actions": {"upload": {"href": f"{self.url}/lfs-upload/{o['oid']}"}},
                }
                for o in objects
            ]
            return self.reply(h, 200, {"transfer": "basic", "objects": answer})
        if path == "/api/validate-yaml":
            return self.reply(h, 200, {"errors": [], "warnings": []})
        if path == "/api/repos/create":
            info = json.loads(body)
            kind = info.get("type", "model")
            repo = f"{info['organization']}/{info['name']}"
            with self.lock:
                self.repos.setdefault((kind, repo), {})
            prefix = "" if kind == "model" else f"{kind}s/"
            return self.reply(h, 200, {"url": f"{self.url}/{prefix}{repo}", "name": repo})
        if parts[0] == "api" and len(parts) >= 4 and parts[1] in ("models", "datasets", "spaces"):
            kind, repo, rest = parts[1][:-1], f"{parts[2]}/{parts[3]}", parts[4:]
            files = self.repos.get((kind, repo))
            if files is None:
                return self.reply(h, 404, {"error": "Repository not found"}, code="RepoNotFound")
            if not rest or rest[0] == "revision":
                return self.reply(h, 200, self.info(kind, repo, files))
            if rest[0] == "preupload":
                wanted = json.loads(body)["files"]
                # parquet shards as LFS (datasets deletes them after preupload), everything else inline
                modes = [
                    {
                        "path": f["path"],
                        "uploadMode": "lfs" if f["path"].endswith(".parquet") else "regular",
                        "shouldIgnore": False,
                    }
                    for f in wanted
                ]
                return self.reply(h, 200, {"files": modes})
            if rest[0] == "commit":
                return self.commit(h, kind, repo, body)
            if rest[0] == "paths-info":
                asked = (
                    json.loads(body).get("paths", [])
                    if body.startswith(b"{")
                    else [
                        unquote(v.split("=", 1)[1])
                        for v in body.decode().split("&")
                        if v.startswith("paths=")
                    ]
                )
                found = [self.entry(p, files[p]) for p in asked if p in files]
                return self.reply(h, 200, found)
            if rest[0] == "tree":  # tree/{revision}[/{folder}], ?recursive=true for every level
                recursive = "recursive=true" in (urlsplit(h.path).query or "").lower()
                return self.tree(h, files, "/".join(rest[2:]), recursive)
            return self.reply(h, 404, {"error": f"not in the loopback hub: {path}"})
        # file reads: /{repo} or /datasets/{repo}, then resolve/{revision}/{path}
        kind = "model"
        if parts[0] in ("datasets", "spaces"):
            kind, parts = parts[0][:-1], parts[1:]
        if len(parts) >= 5 and parts[2] == "resolve":
            files = self.repos.get((kind, f"{parts[0]}/{parts[1]}"), {})
            name = "/".join(parts[4:])
            if name not in files:
                return self.reply(h, 404, {"error": "Entry not found"}, code="EntryNotFound")
            return self.send(
                h, 200, files[name], "application/octet-stream", head=head, etag=self.oid(files[name])
            )
        return self.reply(h, 404, {"error": f"not in the loopback hub: {path}"})

    def commit(self, h: BaseHTTPRequestHandler, kind: str, repo: str, body: bytes) -> None:
        items = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        with self.lock:
            files = self.repos[(kind, repo)]
            for item in items:
                if item["key"] == "file":
                    files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
                elif item["key"] == "lfsFile":
                    files[item["value"]["path"]] = self.blobs[item["value"]["oid"]]
                elif item["key"] in ("deletedFile", "deletedFolder"):
                    gone = item["value"]["path"]
                    for name in [n for n in files if n == gone or n.startswith(gone.rstrip("/") + "/")]:
                        del files[name]
            oid = self.sha(files)
        prefix = "" if kind == "model" else f"{kind}s/"
        return self.reply(h, 200, {"commitUrl": f"{self.url}/{prefix}{repo}/commit/{oid}", "commitOid": oid})

    def tree(self, h: BaseHTTPRequestHandler, files: dict[str, bytes], folder: str, recursive: bool) -> None:
        prefix = f"{folder.strip('/')}/" if folder.strip("/") else ""
        under = {name: data for name, data in files.items() if name.startswith(prefix)}
        if prefix and not under:
            return self.reply(h, 404, {"error": "Entry not found"}, code="EntryNotFound")
        entries: dict[str, dict] = {}
        for name, data in sorted(under.items()):
            rest = name[len(prefix) :].split("/")
            for depth in range(1, len(rest)):  # the folders on the way
                if recursive or depth == 1:
                    path = prefix + "/".join(rest[:depth])
                    entries.setdefault(path, {"type": "directory", "path": path, "oid": "0" * 40, "size": 0})
            if recursive or len(rest) == 1:
                entries[name] = self.entry(name, data)
        return self.reply(h, 200, list(entries.values()))

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def oid(data: bytes) -> str:
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()

    @staticmethod
    def sha(files: dict[str, bytes]) -> str:
        digest = hashlib.sha1()
        for name, data in sorted(files.items()):
            digest.update(name.encode() + b"\0" + data)
        return digest.hexdigest()

    def entry(self, path: str, data: bytes) -> dict:
        return {"type": "file", "path": path, "size": len(data), "oid": self.oid(data)}

    def info(self, kind: str, repo: str, files: dict[str, bytes]) -> dict:
        return {
            "id": repo,
            "sha": self.sha(files),
            "private": True,
            "siblings": [{"rfilename": name, "size": len(b)} for name, b in sorted(files.items())],
        }

    def reply(self, h: BaseHTTPRequestHandler, status: int, obj, code: str | None = None) -> None:
        self.send(h, status, json.dumps(obj).encode(), "application/json", code=code)

    @staticmethod
    def send(h, status, data: bytes, kind: str, head=False, code=None, etag=None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", kind)
        h.send_header("Content-Length", str(len(data)))
        if code:
            h.send_header("X-Error-Code", code)
        if etag:
            h.send_header("ETag", f'"{etag}"')
            h.send_header("X-Repo-Commit", "0" * 40)
        h.end_headers()
        if not head:
            h.wfile.write(data)


class SilentHub:
    """A Hub on loopback that accepts every connection, reads its request and never answers, except the
    requests whose path starts with one of `answered` (e.g. "/api/repos/create"), which get a repo URL.
    `connections`: every connection accepted; `silent`: the requests left unanswered, "METHOD /path"."""

    def __init__(self, answered: tuple[str, ...] = ()) -> None:
        self.answered = answered
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections: list[socket.socket] = []  # kept open, never written to (but the answered)
        self.silent: list[str] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            try:
                chunk = conn.recv(65536)
            except OSError:  # closed by close()
                return
            if not chunk:
                conn.close()
                return
            data += chunk
        method, path = data.split(b"\r\n", 1)[0].decode().split(" ")[:2]
        if self.answered and path.startswith(self.answered):
            body = json.dumps({"url": f"{self.url}/user/x"}).encode()
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            conn.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)
            conn.close()
            return
        self.silent.append(f"{method} {path.split('?')[0]}")

    def close(self) -> None:
        self.closed = True
        for conn in [*self.connections, self.sock]:
            conn.close()


def point_datasets_at(monkeypatch, url: str) -> None:
    """What conftest.point_hub_at leaves to the Hub's default, for datasets' push_to_hub: the file URLs
    huggingface_hub and datasets build from HF_ENDPOINT at import, and plain LFS uploads (no xet)."""
    import datasets.config
    from huggingface_hub import constants

    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", url + "/{repo_id}/resolve/{revision}/{filename}"
    )
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)  # plain LFS uploads, which this hub takes
    monkeypatch.setattr(datasets.config, "HF_ENDPOINT", url)
    monkeypatch.setattr(
        datasets.config, "HUB_DATASETS_URL", url + "/datasets/{repo_id}/resolve/{revision}/{path}"
    )
