"""Publishing from the app, offline: the dry-run preview lists exactly what would be uploaded, the upload goes
through push_splits/push_run to stand-in APIs, and the token is never shown, logged or written."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_assigned_splits
from huggingface_hub import ModelCard
from test_model_card import make_run

from sign_ml.hub import NotLoggedInError
from sign_ml.publish import Preview, preview, publish, token_state

TOKEN = "hf_secretTOKEN123"
COUNTS = {"A": 3, "B": 3}
ASSIGN = ["train", "validation", "test"]


@pytest.fixture(scope="module")
def splits_dir(tmp_path_factory) -> Path:
    """A real split directory (manifest, splits.json, dataset/) written by curation.split_io."""
    tmp = tmp_path_factory.mktemp("dataset")
    info = {
        "ratios": {"train": 0.34, "validation": 0.33, "test": 0.33},
        "seed": 0,
        "method": "group-aware",
        "group_source": "column group",
    }
    return make_assigned_splits(
        tmp, {c: ASSIGN for c in COUNTS}, size=(32, 32), signers=len(ASSIGN), info=info
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("model"))


@pytest.fixture
def no_login(monkeypatch, tmp_path):
    """No HF_TOKEN and no stored login (the user's own ~/.cache/huggingface is never read)."""
    from huggingface_hub import constants

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-login" / "token"))
    return tmp_path / "no-login" / "token"


@pytest.fixture
def env_token(no_login, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    return TOKEN


def token_pieces(token: str = TOKEN, n: int = 6) -> list[str]:
    """Every n-character substring of the token (any longer leak contains one of them)."""
    return [token[i : i + n] for i in range(len(token) - n + 1)]


def assert_no_token(texts: list[str], root: Path | None = None) -> None:
    """No 6+ character piece of the token in the texts, nor in any file under root (bytes, binary files too)."""
    pieces = token_pieces()
    for text in texts:
        for piece in pieces:
            assert piece not in text, f"token piece {piece!r} shown"
    for path in root.rglob("*") if root else []:
        if path.is_file():
            data = path.read_bytes()
            for piece in pieces:
                assert piece.encode() not in data, f"token piece {piece!r} written into {path}"


def files_under(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


class RecordingApi:
    """A stand-in HfApi for both pushes: records calls and the model folder's files at upload time."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.uploaded: dict[str, int] = {}
        self.card = ""

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))
        return f"https://hub.example/{repo_id}"

    def upload_file(self, **kwargs):  # push_splits: the dataset card first
        self.card = Path(kwargs["path_or_fileobj"]).read_text(encoding="utf-8")
        self.calls.append(("upload_file", kwargs))

    def upload_folder(self, **kwargs):  # push_run: the model folder in one commit
        self.calls.append(("upload_folder", kwargs))
        self.uploaded = files_under(Path(kwargs["folder_path"]))

        class Info:
            commit_url = f"https://hub.example/{kwargs['repo_id']}/commit/1"

        return Info()


# --------------------------------------------------------------------------- preview
def test_preview_lists_exactly_the_dry_run_files(splits_dir, run_dir, tmp_path, no_login):
    out = tmp_path / "preview"
    (out / "model").mkdir(parents=True)
    (out / "model" / "stale.txt").write_text("from an earlier preview")  # must not be listed or kept
    result = preview(
        out,
        splits_dir=splits_dir,
        run_dir=run_dir,
        dataset_repo="user/photos",
        model_repo="user/model",
        license="cc-by-4.0",
        credits="Recorded by two signers.",
    )
    assert result.dataset_dir == out / "dataset" and result.model_dir == out / "model"
    assert list(result.files.columns) == ["repo", "path", "bytes"]
    listed = {(r.repo, r.path): r.bytes for r in result.files.itertuples()}
    on_disk = {("dataset", p): n for p, n in files_under(out / "dataset").items()} | {
        ("model", p): n for p, n in files_under(out / "model").items()
    }
    assert listed == on_disk  # every file, with its size, and nothing else
    assert list(result.files.itertuples(index=False)) == sorted(result.files.itertuples(index=False))
    assert {p for r, p in listed if r == "dataset"} == {
        "README.md",
        "data/train-00000-of-00001.parquet",
        "data/validation-00000-of-00001.parquet",
        "data/test-00000-of-00001.parquet",
    }
    assert {"README.md", "config.json", "model.safetensors", "eval/test/metrics.json"} <= {
        p for r, p in listed if r == "model"
    }
    assert ("model", "stale.txt") not in listed and not (out / "model" / "stale.txt").exists()
    card = ModelCard((out / "model" / "README.md").read_text(encoding="utf-8"))
    assert card.data.license == "cc-by-4.0" and "user/photos" in str(card.data.to_dict().get("datasets"))
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no build folders left behind
    mask = os.umask(0)
    os.umask(mask)
    # a plain folder's mode, not mkdtemp's 0700
    assert (out / "dataset").stat().st_mode & 0o777 == 0o777 & ~mask

    text = result.markdown()
    n_data = sum(1 for r, _ in listed if r == "dataset")
    mb = sum(n for (r, _), n in listed.items() if r == "model") / 1e6
    assert (
        f"dataset `user/photos`: {n_data} files" in text
        and f"model `user/model`: {len(listed) - n_data} files, {mb:.2f} MB" in text
    )
    assert "nothing was uploaded" in text


def test_preview_of_one_part_only(run_dir, tmp_path, no_login):
    result = preview(
        tmp_path / "out", splits_dir=None, run_dir=run_dir, dataset_repo=None, model_repo="user/m"
    )
    assert result.dataset_dir is None and set(result.files["repo"]) == {"model"}
    assert not (tmp_path / "out" / "dataset").exists() and "dataset" not in result.markdown()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model_repo": "no-slash"}, "USER/NAME"),
        ({"model_repo": "a/b/c"}, "USER/NAME"),
        ({"model_repo": None}, "both its folder and its repository id"),
        ({"run_dir": None, "model_repo": None}, "nothing to publish"),
    ],
)
def test_bad_repo_ids_and_missing_parts_are_refused_before_writing(
    kwargs, message, run_dir, tmp_path, no_login
):
    args = {"splits_dir": None, "run_dir": run_dir, "dataset_repo": None, "model_repo": "user/m"} | kwargs
    with pytest.raises(ValueError, match=message):
        preview(tmp_path / "out", **args)
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- the token
def test_token_state_says_where_not_what(no_login, monkeypatch):
    assert token_state() == "none"
    no_login.parent.mkdir(parents=True)
    no_login.write_text(TOKEN)  # as `hf auth login` stores it
    assert token_state() == "login"
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert token_state() == "env"


def test_token_is_never_shown_logged_or_written(splits_dir, run_dir, tmp_path, env_token, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "preview"
    result = preview(
        out, splits_dir=splits_dir, run_dir=run_dir, dataset_repo="user/photos", model_repo="user/model"
    )
    state = token_state()
    api = RecordingApi()
    urls = publish(
        splits_dir=splits_dir,
        run_dir=run_dir,
        dataset_repo="user/photos",
        model_repo="user/model",
        api=api,
        push=lambda dataset, repo_id, **kw: None,
    )
    printed = capsys.readouterr()
    shown = [
        result.markdown(),
        result.files.to_string(),
        state,
        str(urls),
        caplog.text,
        printed.out,
        printed.err,
        api.card,
        repr(api.calls),
    ]
    assert caplog.records and state == "env"  # there was something to look at
    assert_no_token(shown, root=out)
    assert_no_token([], root=tmp_path)  # nor anywhere else the test wrote


# --------------------------------------------------------------------------- the upload
def test_publish_without_a_token_uploads_nothing(splits_dir, run_dir, no_login):
    api, pushed = RecordingApi(), []
    with pytest.raises(NotLoggedInError, match="HF_TOKEN") as caught:
        publish(
            splits_dir=splits_dir,
            run_dir=run_dir,
            dataset_repo="user/photos",
            model_repo="user/model",
            api=api,
            push=lambda *a, **k: pushed.append(a),
        )
    assert "hf auth login" in str(caught.value)
    assert api.calls == [] and pushed == []


def test_publish_uploads_both_to_the_right_repos(splits_dir, run_dir, tmp_path, env_token):
    planned = preview(
        tmp_path / "preview",
        splits_dir=splits_dir,
        run_dir=run_dir,
        dataset_repo="user/photos",
        model_repo="user/model",
        license="cc-by-4.0",
    )
    api, pushed = RecordingApi(), []

    def fake_push(dataset, repo_id, **kwargs):
        pushed.append((sorted(dataset), repo_id, kwargs))

    urls = publish(
        splits_dir=splits_dir,
        run_dir=run_dir,
        dataset_repo="user/photos",
        model_repo="user/model",
        license="cc-by-4.0",
        api=api,
        push=fake_push,
    )
    assert urls == {
        "dataset": "https://huggingface.co/datasets/user/photos",
        "model": "https://hub.example/user/model/commit/1",
    }
    assert [(name, c.get("repo_id"), c.get("repo_type")) for name, c in api.calls] == [
        ("create_repo", "user/photos", "dataset"),
        ("upload_file", "user/photos", "dataset"),
        ("create_repo", "user/model", "model"),
        ("upload_folder", "user/model", "model"),
    ]
    # private by default
    assert all(c.get("private") is True for name, c in api.calls if name == "create_repo")
    assert pushed == [(["test", "train", "validation"], "user/photos", {"private": True, "token": None})]
    # the preview showed exactly what went: the model folder file for file, the dataset card word for word
    model_files = planned.files[planned.files["repo"] == "model"]
    assert api.uploaded == dict(zip(model_files["path"], model_files["bytes"], strict=True))
    assert api.card == (planned.dataset_dir / "README.md").read_text(encoding="utf-8")


def test_preview_markdown_without_files_is_still_valid(tmp_path):
    empty = Preview(None, tmp_path, pd.DataFrame(columns=["repo", "path", "bytes"]), None, "user/m")
    assert "model `user/m`: 0 files, 0.00 MB" in empty.markdown()
