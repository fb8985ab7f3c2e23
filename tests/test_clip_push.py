"""The dataset push carries clips: Parquet rows and the clip files themselves, in a dry run and a push."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_clip_samples import signer_folder

from curation.clips import read_clip
from curation.hub import push_splits
from curation.pipeline import SplitOptions, split_dataset
from sign_ml.publish import preview


@pytest.fixture(scope="module")
def splits(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("clip_push")
    root = signer_folder(tmp)
    opts = SplitOptions(ratios="70,30", group_column="signer", progress=False, workers=1, hands=False)
    return split_dataset(root, tmp / "splits", opts).paths["splits"]


def test_dry_run_lists_the_clip_files_beside_the_parquet(splits, tmp_path):
    from datasets import load_dataset

    result = preview(
        tmp_path / "out", splits_dir=splits, run_dir=None, dataset_repo="user/d", model_repo=None
    )
    paths = result.files["path"].tolist()
    clips = [p for p in paths if p.startswith("clips/")]
    assert sorted(clips) == sorted(f"clips/J/s{s}_{k}.clip.json" for s in range(6) for k in range(2))
    written = read_clip(result.dataset_dir / "clips" / "J" / "s0_0.clip.json")  # a valid clip, as made
    assert written.label == "J" and written.n_frames == 40
    assert "## Clips" in (result.dataset_dir / "README.md").read_text("utf-8")
    parquet = load_dataset("parquet", data_dir=str(result.dataset_dir / "data"))
    rows = [r for split in parquet.values() for r in split if r["kind"] == "clip"]
    assert len(rows) == 12 and all(r["image"] is None and json.loads(r["clip"])["label"] == "J" for r in rows)
    assert not any(str(tmp_path) in r["clip"] for r in rows)  # no local path inside


class Api:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", kwargs))

    def upload_file(self, **kwargs):
        self.calls.append(("upload_file", kwargs))

    def upload_folder(self, **kwargs):
        files = sorted(
            p.relative_to(kwargs["folder_path"]).as_posix()
            for p in Path(kwargs["folder_path"]).rglob("*.json")
        )
        self.calls.append(("upload_folder", {**kwargs, "files": files}))


def test_a_published_clip_never_names_a_local_path():
    from curation.hub import _public_clip

    text = json.dumps({"format": "ukrsl-dactyl-clip", "source": "/home/me/videos/take1.mp4"})
    assert json.loads(_public_clip(text))["source"] == "take1.mp4"
    relative = json.dumps({"source": "J/take1.mp4"})
    assert _public_clip(relative) == relative


def test_push_uploads_the_clip_files_in_one_commit(splits, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    api = Api()
    push_splits(splits, "user/d", api=api, push=lambda *a, **k: api.calls.append(("push_to_hub", {})))
    assert [c[0] for c in api.calls] == ["create_repo", "upload_file", "push_to_hub", "upload_folder"]
    folder = api.calls[-1][1]
    assert folder["path_in_repo"] == "clips" and folder["repo_type"] == "dataset"
    assert len(folder["files"]) == 12 and folder["files"][0] == "J/s0_0.clip.json"
