"""`sign-curate push`: the dataset card (counts, split protocol) and the pushed DatasetDict, offline."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from conftest import make_assigned_splits
from huggingface_hub import DatasetCard
from PIL import Image
from test_hub_push import SENTINEL, assert_no_token_anywhere

from curation.cli import main
from curation.dataset_card import render_dataset_card, strip_local_paths
from curation.hub import class_counts, push_splits

COUNTS = {"A": 5, "B": 4, "C": 3}
ASSIGN = {
    "A": ["train"] * 3 + ["validation", "test"],
    "B": ["train"] * 2 + ["validation", "test"],
    "C": ["train", "validation", "test"],
}


@pytest.fixture(scope="module")
def splits_dir(tmp_path_factory) -> Path:
    """A real split directory written by curation.split_io (manifest, splits.json, dataset/)."""
    tmp = tmp_path_factory.mktemp("dataset")
    info = {
        "source": f"folder {tmp / 'photos'}",
        "ratios": {"train": 0.6, "validation": 0.2, "test": 0.2},
        "seed": 0,
        "method": "group-aware",
        "group_source": "column group",
        "near_duplicate_threshold": 6,
    }
    return make_assigned_splits(tmp, ASSIGN, size=(40, 40), signers=2, info=info)


def _want_counts() -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {"train": {}, "validation": {}, "test": {}}
    for c, splits in ASSIGN.items():
        for s in splits:
            counts[s][c] = counts[s].get(c, 0) + 1
    return counts


def test_dry_run_writes_parquet_and_a_card(splits_dir, tmp_path, capsys):
    from datasets import load_dataset

    out = tmp_path / "repo"
    assert (
        main(
            [
                "push",
                str(splits_dir),
                "--repo",
                "user/photos",
                "--dry-run",
                str(out),
                "--license",
                "cc-by-4.0",
            ]
        )
        == 0
    )
    assert "nothing uploaded" in capsys.readouterr().out
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "README.md",
        "data/test-00000-of-00001.parquet",
        "data/train-00000-of-00001.parquet",
        "data/validation-00000-of-00001.parquet",
    ]

    card = DatasetCard((out / "README.md").read_text(encoding="utf-8"))
    data = card.data.to_dict()
    assert data["license"] == "cc-by-4.0" and data["task_categories"] == ["image-classification"]
    assert data["size_categories"] == ["n<1K"] and "fingerspelling" in data["tags"]
    assert data["configs"][0]["data_files"] == [
        {"split": s, "path": f"data/{s}-*"} for s in ("train", "validation", "test")
    ]
    text = card.text
    assert "Protocol: group-aware split 60/20/20 (train/validation/test), seed 0." in text
    assert "perceptual-hash distance 6" in text
    assert "- Source: folder photos." in text  # the folder's name, not the user's absolute path

    # the counts table equals the data
    want = _want_counts()
    rows = [
        line.strip("|").split("|")
        for line in text.splitlines()
        if line.startswith("| ") and "---" not in line
    ]
    table = {r[0].strip(): [int(x) for x in r[1:]] for r in rows[1:]}
    for c in COUNTS:
        assert table[c] == [want[s].get(c, 0) for s in ("train", "validation", "test")] + [COUNTS[c]]
    assert table["**total**"] == [6, 3, 3, 12]

    # the folder is a loadable Hub dataset: its README's configs find the Parquet files; photos are embedded
    ds = load_dataset(str(out))
    assert {s: len(ds[s]) for s in ds} == {"train": 6, "validation": 3, "test": 3}
    assert class_counts(ds) == want
    assert "path" not in ds["train"].column_names  # absolute local paths are not published
    raw = ds["train"].cast_column("image", ds["train"].features["image"].__class__(decode=False))[0]["image"]
    assert raw["bytes"] and Image.open(io.BytesIO(raw["bytes"])).size == (40, 40)
    for path in out.rglob("*"):
        if path.is_file():
            assert str(splits_dir.parent).encode() not in path.read_bytes(), path


class RecordingApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))

    def upload_file(self, **kwargs):
        kwargs["content"] = Path(kwargs["path_or_fileobj"]).read_text(encoding="utf-8")
        self.calls.append(("upload_file", kwargs))


def test_push_uploads_the_card_then_the_data(splits_dir, monkeypatch, caplog, capsys, tmp_path):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("HF_TOKEN", SENTINEL)
    api, pushed = RecordingApi(), []

    def fake_push(dataset, repo_id, **kwargs):
        pushed.append((dataset, repo_id, kwargs))
        api.calls.append(("push_to_hub", {"repo_id": repo_id, **kwargs}))

    url = push_splits(splits_dir, "user/photos", private=True, api=api, push=fake_push)
    assert url == "https://huggingface.co/datasets/user/photos"
    assert [c[0] for c in api.calls] == ["create_repo", "upload_file", "push_to_hub"]
    assert api.calls[0][1] == {
        "repo_id": "user/photos",
        "repo_type": "dataset",
        "private": True,
        "exist_ok": True,
        "token": None,
    }
    upload = api.calls[1][1]
    assert upload["path_in_repo"] == "README.md" and upload["repo_type"] == "dataset"
    assert DatasetCard(upload["content"]).data.license == "unknown"
    dataset, repo_id, kwargs = pushed[0]
    assert repo_id == "user/photos" and kwargs == {"private": True, "token": None}
    assert class_counts(dataset) == _want_counts() and "path" not in dataset["train"].column_names
    out = capsys.readouterr()
    assert_no_token_anywhere(tmp_path, caplog.text, out.out, out.err, upload["content"])


def test_push_without_login_is_refused(splits_dir, monkeypatch, tmp_path):
    from huggingface_hub import constants

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "none" / "token"))
    with pytest.raises(RuntimeError, match="hf auth login"):
        push_splits(splits_dir, "user/photos")
    assert main(["push", str(splits_dir), "--repo", "photos-without-user"]) == 2


def test_card_for_ukrainian_letters_and_random_split():
    counts = {"train": {"А": 3, "Й": 2}, "test": {"А": 1, "Й": 1}}
    text = render_dataset_card(
        "user/ukrsl", {"class_names": ["А", "Й"], "method": "random", "seed": 1}, counts
    )
    data = DatasetCard(text).data.to_dict()
    assert data["language"] == ["ukl"] and data["license"] == "unknown"
    assert "Й (йот) — motion letter, static start only" in text
    assert "the same signer can appear in several splits" in text
    assert "authors were not recorded" in text


def test_strip_local_paths_keeps_urls_and_hub_ids():
    assert strip_local_paths("folder /home/me/data/photos") == "folder photos"
    assert (
        strip_local_paths("https://huggingface.co/datasets/user/x and user/x")
        == "https://huggingface.co/datasets/user/x and user/x"
    )
    assert strip_local_paths(r"C:\Users\me\photos") == "photos"
