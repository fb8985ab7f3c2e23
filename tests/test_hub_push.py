"""`sign-ml push`: the repo folder file by file, loading it back bit for bit, and the upload itself,
sent by huggingface_hub's real HfApi to a loopback HTTP server that plays the Hub (create, preupload, commit)."""

from __future__ import annotations

import base64
import json
import logging
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch
from conftest import make_photo, point_hub_at
from huggingface_hub import HfApi, ModelCard, RepoCard
from test_model_card import make_run, run_logits

from sign_ml.cli import main
from sign_ml.hub import NotLoggedInError, push_run

# these tests are about what follows the hand stage: every (noise) photo here "has" a hand
pytestmark = pytest.mark.usefixtures("every_photo_has_a_hand")

SENTINEL = "hf_SENTINELtokenDoNotLeak0123456789"
REPO_FILES = {
    "README.md",
    "config.json",
    "model.safetensors",
    "confusion_matrix.png",
    "curves.png",
    "metrics.csv",
    "eval/test/metrics.json",
    "eval/test/confusion_matrix.png",
    "eval/test/probs.npy",
    "eval/test/predictions.csv",
}


class FakeHub:
    """Just enough of the Hub's HTTP API for create_repo + upload_folder: records every request."""

    def __init__(self) -> None:
        self.requests: list[dict] = []  # {method, path, headers, body}
        self.commits: list[dict] = []  # {repo_type, repo_id, message, files: {path: bytes}}
        self.validated: list[dict] = []  # README.md contents sent to /api/validate-yaml
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output quiet (and headers out of any log)
                pass

            def do_GET(self):
                hub._record(self, b"")
                self._reply(404, {"error": "not implemented in the fake hub"})

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hub._record(self, body)
                path = self.path.split("?")[0]
                parts = path.strip("/").split("/")  # api, {type}s, user, name, verb, revision
                if path == "/api/validate-yaml":  # upload_folder checks README.md's metadata first
                    info = json.loads(body)
                    hub.validated.append(info)
                    try:
                        RepoCard(info["content"])
                    except Exception as exc:  # the real Hub answers 400 with the errors
                        return self._reply(400, {"errors": [{"message": str(exc)}]})
                    return self._reply(200, {"errors": [], "warnings": []})
                if path == "/api/repos/create":
                    info = json.loads(body)
                    prefix = "" if info.get("type", "model") == "model" else f"{info['type']}s/"
                    return self._reply(
                        200, {"url": f"{hub.url}/{prefix}{info['organization']}/{info['name']}"}
                    )
                if len(parts) == 6 and parts[4] == "preupload":
                    files = json.loads(body)["files"]
                    return self._reply(
                        200,
                        {
                            "files": [
                                {
                                    "path": f["path"],
                                    "uploadMode": "regular",
                                    "shouldIgnore": False,
                                    "oid": None,
                                }
                                for f in files
                            ]
                        },
                    )
                if len(parts) == 6 and parts[4] == "commit":
                    items = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
                    header = next(i["value"] for i in items if i["key"] == "header")
                    files = {
                        i["value"]["path"]: base64.b64decode(i["value"]["content"])
                        for i in items
                        if i["key"] == "file"
                    }
                    hub.commits.append(
                        {
                            "repo_type": parts[1][:-1],
                            "repo_id": f"{parts[2]}/{parts[3]}",
                            "message": header["summary"],
                            "files": files,
                        }
                    )
                    oid = f"{len(hub.commits):040x}"
                    return self._reply(
                        200, {"commitUrl": f"{hub.url}/{parts[2]}/{parts[3]}/commit/{oid}", "commitOid": oid}
                    )
                return self._reply(404, {"error": f"not implemented in the fake hub: {path}"})

            def _reply(self, status: int, obj: dict) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _record(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        self.requests.append(
            {
                "method": handler.command,
                "path": handler.path,
                "headers": {k.lower(): v for k, v in handler.headers.items()},
                "body": body,
            }
        )

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_hub(monkeypatch, tmp_path):
    """A loopback Hub as HF_ENDPOINT, HF_TOKEN = a sentinel, no stored login, uploads without xet."""
    with FakeHub() as hub:
        point_hub_at(monkeypatch, tmp_path, hub.url, SENTINEL)
        yield hub


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("push"))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_no_token_anywhere(root: Path, *texts: str) -> None:
    """The sentinel token is in no file under root (recursively) and in none of the given texts."""
    for path in root.rglob("*"):
        if path.is_file():
            assert SENTINEL.encode() not in path.read_bytes(), f"token written into {path}"
    for text in texts:
        assert SENTINEL not in text


def test_dry_run_writes_the_repo_folder(run_dir, tmp_path, capsys):
    out = tmp_path / "repo"
    assert (
        main(
            ["push", str(run_dir), "--repo", "user/asl-demo", "--dry-run", str(out), "--license", "cc-by-4.0"]
        )
        == 0
    )
    assert "nothing uploaded" in capsys.readouterr().out
    files = _files(out)
    assert set(files) == REPO_FILES
    assert files["model.safetensors"] == (run_dir / "model.safetensors").read_bytes()
    assert files["eval/test/metrics.json"] == (run_dir / "eval/test/metrics.json").read_bytes()
    assert files["confusion_matrix.png"] == (run_dir / "eval/test/confusion_matrix.png").read_bytes()
    assert files["curves.png"] == (run_dir / "curves.png").read_bytes()
    # no absolute local paths published: config's data_root and predictions' path column
    config = json.loads(files["config.json"])
    assert config["data"]["data_root"] == "photos"
    assert str(run_dir.parent) not in files["eval/test/predictions.csv"].decode()
    assert config["class_names"] == json.loads((run_dir / "config.json").read_text())["class_names"]
    assert ModelCard(files["README.md"].decode()).data.license == "cc-by-4.0"
    for name, data in files.items():
        assert b"/home/someone" not in data and str(run_dir.parent).encode() not in data, name
    assert "- Source: folder seeded-pictures." in files["README.md"].decode()


def test_a_run_without_evaluation_is_published_and_its_card_says_what_is_missing(tmp_path, capsys):
    run = make_run(tmp_path)
    shutil.rmtree(run / "eval")
    out = tmp_path / "out"
    assert main(["push", str(run), "--repo", "user/m", "--dry-run", str(out)]) == 0
    assert {"README.md", "model.safetensors", "config.json"} <= {p.name for p in out.iterdir()}
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "No evaluation on a test split" in card and "No leave-one-signer-out result" in card
    assert "This run was not evaluated on a held-out split." in card
    assert "model-index" not in card  # no number claimed in the metadata
    with pytest.raises(ValueError, match="USER/NAME"):
        push_run(run, "no-namespace", dry_run_dir=tmp_path / "out2")


def test_a_validation_only_run_leads_with_leave_one_signer_out(tmp_path):
    """Two signers: train + validation, no test split; the card leads with LOSO and names the missing test."""
    run = make_run(tmp_path)
    (run / "eval" / "test").rename(run / "eval" / "validation")
    metrics = json.loads((run / "eval" / "validation" / "metrics.json").read_text())
    metrics["split"] = "validation"
    (run / "eval" / "validation" / "metrics.json").write_text(json.dumps(metrics))
    loso = {
        "status": "ok",
        "accuracy": 0.8125,
        "mean_signer_accuracy": 0.8,
        "no_hand": 0,
        "class_names": json.loads((run / "config.json").read_text())["class_names"],
        "per_signer": [
            {"signer": "anna", "photos": 8, "hands": 8, "correct": 7, "accuracy": 0.875},
            {"signer": "bohdan", "photos": 8, "hands": 8, "correct": 6, "accuracy": 0.75},
        ],
    }
    (run / "eval" / "validation" / "loso.json").write_text(json.dumps(loso))
    repo = push_run(run, "user/m", dry_run_dir=tmp_path / "out")
    card = (repo / "README.md").read_text(encoding="utf-8")
    assert "Headline number: leave-one-signer-out accuracy **0.8125**" in card
    assert "No evaluation on a test split" in card and "No leave-one-signer-out" not in card
    assert (repo / "eval" / "validation" / "metrics.json").is_file() and (
        repo / "eval" / "validation" / "loso.json"
    ).is_file()
    assert "On the **validation** split" in card


def test_pushed_folder_loads_back_bit_for_bit(run_dir, tmp_path, monkeypatch):
    """Predictor.from_pretrained on the folder, and on the same folder served from a pre-seeded HF cache."""
    from huggingface_hub import constants

    from sign_ml.predict import Predictor

    repo = push_run(run_dir, "user/asl-demo", dry_run_dir=tmp_path / "repo")
    photo = make_photo(tmp_path / "p.png", seed=123, size=(50, 40))
    want = run_logits(run_dir, photo)

    def logits(predictor: Predictor) -> torch.Tensor:
        x = torch.from_numpy(predictor.encode(photo)).permute(2, 0, 1).unsqueeze(0)
        from sign_ml.presets import normalize

        with torch.no_grad():
            return predictor.torch_model()(normalize(x, predictor.preprocessing))

    local = Predictor.from_pretrained(str(repo), backend="torch")
    assert torch.equal(logits(local), want)

    # the Hub path: snapshot_download finds the repo in the cache (offline), as after a real download
    cache = tmp_path / "hf-cache"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = cache / "models--user--asl-demo" / "snapshots" / commit
    shutil.copytree(repo, snapshot)
    (cache / "models--user--asl-demo" / "refs").mkdir(parents=True)
    (cache / "models--user--asl-demo" / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    hub = Predictor.from_pretrained("user/asl-demo", backend="torch")
    assert Path(hub.model_dir).resolve() == snapshot.resolve()
    assert torch.equal(logits(hub), want)
    assert hub.class_names == local.class_names
    assert hub.predict(photo, top_k=1).top == local.predict(photo, top_k=1).top


def test_push_uploads_one_commit_to_the_hub_api(run_dir, tmp_path, fake_hub, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    assert main(["push", str(run_dir), "--repo", "user/asl-demo", "--private"]) == 0
    out = capsys.readouterr()

    creates = [r for r in fake_hub.requests if r["path"] == "/api/repos/create"]
    assert len(creates) == 1
    assert json.loads(creates[0]["body"]) == {
        "name": "asl-demo",
        "organization": "user",
        "visibility": "private",
        "type": "model",
    }
    assert len(fake_hub.commits) == 1, "everything in one commit"
    commit = fake_hub.commits[0]
    assert (commit["repo_type"], commit["repo_id"]) == ("model", "user/asl-demo")
    assert set(commit["files"]) == REPO_FILES
    assert commit["files"]["model.safetensors"] == (run_dir / "model.safetensors").read_bytes()
    dry = push_run(run_dir, "user/asl-demo", dry_run_dir=tmp_path / "dry")
    assert commit["files"] == _files(dry), "the upload is exactly the dry-run folder"

    # the token travels only as the Authorization header to the endpoint; nowhere else
    for request in fake_hub.requests:
        assert request["headers"]["authorization"] == f"Bearer {SENTINEL}"
        assert SENTINEL.encode() not in request["body"]
    assert [ModelCard(v["content"]).data.license for v in fake_hub.validated] == ["mit"]
    assert_no_token_anywhere(tmp_path, out.out, out.err, caplog.text)
    assert_no_token_anywhere(run_dir)


def test_push_through_an_injected_api(run_dir, tmp_path, fake_hub):
    """An HfApi built by the caller (endpoint and token explicit) is used as given."""
    api = HfApi(endpoint=fake_hub.url, token=SENTINEL)
    url = push_run(run_dir, "user/other", api=api)
    assert url.endswith(f"/user/other/commit/{1:040x}")
    assert json.loads(fake_hub.requests[0]["body"])["type"] == "model"
    assert "visibility" not in json.loads(fake_hub.requests[0]["body"])  # public unless --private


class RecordingApi:
    """A stand-in HfApi: records create_repo/upload_folder and what the folder held at upload time."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []
        self.uploaded: dict[str, bytes] = {}

    def create_repo(self, *args, **kwargs):
        self.calls.append(("create_repo", args, kwargs))
        return f"https://hub.example/{args[0]}"

    def upload_folder(self, **kwargs):
        self.calls.append(("upload_folder", (), kwargs))
        self.uploaded = _files(Path(kwargs["folder_path"]))

        class Info:
            commit_url = "https://hub.example/commit/1"

        return Info()


def test_push_with_a_fake_api(run_dir, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", SENTINEL)
    api = RecordingApi()
    assert push_run(run_dir, "user/fake", api=api, private=True) == "https://hub.example/commit/1"
    assert [c[0] for c in api.calls] == ["create_repo", "upload_folder"]
    assert api.calls[0][1] == ("user/fake",)
    assert api.calls[0][2] == {"repo_type": "model", "private": True, "exist_ok": True}
    upload = api.calls[1][2]
    assert upload["repo_id"] == "user/fake" and upload["repo_type"] == "model"
    assert "token" not in upload  # huggingface_hub looks it up itself
    assert set(api.uploaded) == REPO_FILES
    assert not Path(upload["folder_path"]).exists(), "the temporary folder is removed after the upload"


def test_push_without_login_fails_before_uploading(run_dir, tmp_path, monkeypatch, fake_hub):
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    with pytest.raises(NotLoggedInError, match="hf auth login"):
        push_run(run_dir, "user/asl-demo")
    assert fake_hub.requests == []
    assert main(["push", str(run_dir), "--repo", "user/asl-demo"]) == 2


def test_real_split_evaluate_push_pipeline(tmp_path):
    """write_splits → `sign-ml evaluate` → `sign-ml push --dry-run`: the card reports the evaluation it finds."""
    import pandas as pd
    from conftest import make_class_folder

    from curation.split_io import write_splits
    from sign_ml.artifacts import ModelMeta, save_model_dir
    from sign_ml.model import build_model
    from sign_ml.presets import Preprocessing

    names = ["A", "B", "C"]
    root = make_class_folder(tmp_path / "photos", {c: 3 for c in names}, size=(40, 40))
    rows = [
        {
            "path": str(root / c / f"{c}_{i}.png"),
            "relpath": f"{c}/{c}_{i}.png",
            "label": c,
            "split": ("train", "validation", "test")[i],
        }
        for c in names
        for i in range(3)
    ]
    info = {
        "data_root": str(root),
        "source": f"folder {root}",
        "seed": 0,
        "method": "random",
        "ratios": {"train": 0.34, "validation": 0.33, "test": 0.33},
    }
    splits = write_splits(pd.DataFrame(rows), names, tmp_path / "splits", info=info, dataset=False)
    torch.manual_seed(0)
    data = json.loads((splits / "splits.json").read_text())
    save_model_dir(
        tmp_path / "run",
        build_model(3, width_mult=0.25),
        ModelMeta(names, Preprocessing(size=32), width_mult=0.25, data=data),
    )
    assert main(["evaluate", str(tmp_path / "run"), "--data", str(splits)]) == 0
    out = tmp_path / "repo"
    assert main(["push", str(tmp_path / "run"), "--repo", "user/pipeline", "--dry-run", str(out)]) == 0

    evaluation = json.loads((tmp_path / "run/eval/test/metrics.json").read_text())
    card = ModelCard((out / "README.md").read_text(encoding="utf-8"))
    assert {r.metric_type: r.metric_value for r in card.data.eval_results} == {
        "accuracy": evaluation["accuracy"],
        "f1": evaluation["macro_f1"],
    }
    assert "random split 34/33/33 (train/validation/test), seed 0" in card.text
    assert f"| accuracy | {evaluation['accuracy']:.4f} |" in card.text
    assert (out / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    for path in out.rglob("*"):
        if path.is_file():
            assert str(tmp_path).encode() not in path.read_bytes(), f"local path published in {path}"
