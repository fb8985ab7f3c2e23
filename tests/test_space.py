"""`sign-ml space`: the assembled Space folder is complete, self-contained, and its app serves predictions."""

from __future__ import annotations

import ast
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import gradio
import pytest
from conftest import make_photo, stop_process
from test_hub_push import SENTINEL, FakeHub, assert_no_token_anywhere
from test_model_card import make_run

from sign_ml.cli import main
from sign_ml.space import PROJECT_ROOT, assemble_space, push_space, split_front_matter

SPACE_COLORS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}
# import name → distribution name in requirements.txt, for the imports that differ
DIST_NAMES = {
    "PIL": "pillow",
    "sklearn": "scikit-learn",
    "yaml": "pyyaml",
    "huggingface_hub": "huggingface-hub",
    "torchcam": "torchcam",
    "cv2": "opencv-contrib-python",
}
PREINSTALLED = {
    "gradio",
    "gradio_client",
    "starlette",
}  # the Space's SDK image has these (starlette: gradio's server)
OPTIONAL_EXTRAS = {"ray"}  # pyproject's [ray] extra: imported only by --engine ray, never by the app


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("space"))


def _requirements(folder: Path) -> tuple[list[str], set[str]]:
    lines = [line.split("#")[0].strip() for line in (folder / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    names = {
        line.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower()
        for line in lines
        if not line.startswith("-")
    }
    return lines, names


def test_dry_run_folder_for_a_hub_model(tmp_path, capsys):
    out = tmp_path / "space"
    assert main(["space", "--model", "user/asl-demo", "--repo", "user/asl-space", "--dry-run", str(out)]) == 0
    assert "nothing uploaded" in capsys.readouterr().out

    meta, body = split_front_matter((out / "README.md").read_text(encoding="utf-8"))
    assert meta["sdk"] == "gradio" and meta["sdk_version"] == gradio.__version__
    assert meta["app_file"] == "app.py" and meta["python_version"] == "3.11"
    assert isinstance(meta["python_version"], str)  # a YAML float 3.11 would read as "3.11" but 3.10 as "3.1"
    assert meta["models"] == ["user/asl-demo"]
    assert meta["license"] == "mit" and meta["title"] and meta["emoji"]
    assert {meta["colorFrom"], meta["colorTo"]} <= SPACE_COLORS
    assert 0 < len(meta["short_description"]) <= 60
    assert "# UkrSL fingerspelling" in body

    app = (out / "app.py").read_text(encoding="utf-8")
    assert 'DEFAULT_MODEL = "user/asl-demo"' in app
    assert 'if __name__ == "__main__":' in app
    lines, names = _requirements(out)
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert {"torch", "torchvision", "onnxruntime"} <= names and "gradio" not in names
    assert any(line.startswith("torch>=") and "<" in line for line in lines)  # a range, not a pin

    for package in ("sign_ml", "curation"):
        copied = {p.relative_to(out / package).as_posix() for p in (out / package).rglob("*.py")}
        source = {
            p.relative_to(PROJECT_ROOT / package).as_posix()
            for p in (PROJECT_ROOT / package).rglob("*.py")
            if "__pycache__" not in p.parts and "space_template" not in p.parts
        }  # the template is the Space itself
        assert copied == source
    assert (
        not list(out.rglob("__pycache__")) and not list(out.rglob("*.pyc")) and not (out / "tests").exists()
    )
    assert not (out / "model").exists()


def test_requirements_cover_every_import_of_the_vendored_packages(tmp_path):
    """Each third-party module imported anywhere in the Space's code is installed by requirements.txt."""
    out = assemble_space("user/asl-demo", tmp_path / "space", space_repo="user/s")
    _, names = _requirements(out)
    local = {"sign_ml", "curation", "app"}
    needed: set[str] = set()
    for path in out.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if (
                    top not in sys.stdlib_module_names
                    and top not in local
                    and top not in PREINSTALLED | OPTIONAL_EXTRAS
                ):
                    needed.add(DIST_NAMES.get(top, top).lower())
    assert needed - names == set(), f"imported but not in space/requirements.txt: {sorted(needed - names)}"


def test_local_run_is_vendored_into_the_space(run_dir, tmp_path):
    out = push_space(str(run_dir), "user/asl-space", dry_run_dir=tmp_path / "space", license="apache-2.0")
    assert 'DEFAULT_MODEL = "model"' in (out / "app.py").read_text()
    meta, _ = split_front_matter((out / "README.md").read_text())
    assert meta["models"] == [] and meta["license"] == "apache-2.0"
    assert (out / "model" / "model.safetensors").read_bytes() == (run_dir / "model.safetensors").read_bytes()
    assert (out / "model" / "eval" / "test" / "metrics.json").is_file()
    assert json.loads((out / "model" / "config.json").read_text())["data"]["data_root"] == "photos"
    with pytest.raises(ValueError, match="not empty"):
        assemble_space("user/asl-demo", out, space_repo="user/s")


def test_space_upload_is_one_commit_of_a_gradio_space(tmp_path, monkeypatch):
    from huggingface_hub import constants

    with FakeHub() as hub:
        monkeypatch.setattr(constants, "ENDPOINT", hub.url)
        monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-login" / "token"))
        monkeypatch.setenv("HF_TOKEN", SENTINEL)
        assert main(["space", "--model", "user/asl-demo", "--repo", "user/asl-space"]) == 0
    create = json.loads(next(r["body"] for r in hub.requests if r["path"] == "/api/repos/create"))
    assert create == {"name": "asl-space", "organization": "user", "type": "space", "sdk": "gradio"}
    assert len(hub.commits) == 1 and hub.commits[0]["repo_type"] == "space"
    assert any("/api/spaces/user/asl-space/preupload/" in r["path"] for r in hub.requests)
    dry = assemble_space("user/asl-demo", tmp_path / "dry", space_repo="user/asl-space")
    assert set(hub.commits[0]["files"]) == {
        p.relative_to(dry).as_posix() for p in dry.rglob("*") if p.is_file()
    }
    assert all(SENTINEL.encode() not in r["body"] for r in hub.requests)
    assert_no_token_anywhere(tmp_path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_space_app_runs_from_the_dry_run_folder(run_dir, tmp_path):
    """Start the Space's app.py in its folder (only the vendored packages on the path) and call /predict."""
    from gradio_client import Client, handle_file

    from sign_ml.predict import Predictor

    out = assemble_space("user/asl-demo", tmp_path / "space", space_repo="user/asl-space")
    model_dir = shutil.copytree(
        run_dir, tmp_path / "model"
    )  # the app may export model.onnx beside the weights
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HF_TOKEN", "DACTYL_DATA")}
    env.update(
        DACTYL_MODEL=str(model_dir),
        GRADIO_SERVER_NAME="127.0.0.1",
        GRADIO_SERVER_PORT=str(port),
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        UKRSL_DACTYL_CACHE=str(tmp_path / "cache"),
    )
    # the vendored packages, not the editable install, must be the ones imported
    check = (
        "import os, runpy, sign_ml, curation; here = os.getcwd(); "
        "assert sign_ml.__file__.startswith(here) and curation.__file__.startswith(here), sign_ml.__file__; "
        "runpy.run_path('app.py', run_name='__main__')"
    )
    with open(tmp_path / "app.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", check], cwd=out, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, (tmp_path / "app.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "the Space app did not start in 180 s"
                time.sleep(0.5)
        photo = make_photo(tmp_path / "hand.png", seed=7, size=(64, 48))
        client = Client(url, verbose=False)
        got = client.predict(handle_file(str(photo)), api_name="/predict")
        want = dict(Predictor.from_pretrained(model_dir, backend="torch").predict(photo, top_k=3).top)
        probs = got if "confidences" not in got else {c["label"]: c["confidence"] for c in got["confidences"]}
        assert set(probs) == set(want)
        for label, p in want.items():
            assert probs[label] == pytest.approx(p, abs=1e-4)
    finally:
        stop_process(proc)
