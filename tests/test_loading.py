"""Loading: folder semantics (skips, NFC merging, split layouts), saved datasets, the bytes cache, Hub errors."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from pathlib import Path

import datasets
import pytest
from conftest import file_hashes, make_class_folder, make_photo

from curation.loading import SKIP_EMPTY, SKIP_HIDDEN, SKIP_NOT_IMAGE, SKIP_OUTSIDE, load_table, to_dataset

NFD_YOT = unicodedata.normalize("NFD", "Й")


def test_folder_of_class_folders(tmp_path: Path) -> None:
    root = make_class_folder(tmp_path / "data", {"Б": 2, "А": 1})
    make_photo(root / "А" / "session1" / "deep.png", seed=7)  # recursive below the class folder
    make_photo(root / NFD_YOT / "x.png", seed=8)  # macOS-style name ...
    make_photo(root / "Й" / "y.png", seed=9)  # ... and the NFC one: the same class
    (root / "В").mkdir()
    (root / "А" / ".DS_Store").write_bytes(b"\x00")
    make_photo(root / "А" / ".thumbs" / "t.png", seed=10)
    (root / "А" / "notes.txt").write_text("x")
    (root / "README.md").write_text("x")
    before = file_hashes(root)

    loaded = load_table(root)

    t = loaded.table
    assert list(t.columns) == ["path", "relpath", "label"]
    assert sorted(t["relpath"]) == sorted(
        ["Б/Б_0.png", "Б/Б_1.png", "А/А_0.png", "А/session1/deep.png", f"{NFD_YOT}/x.png", "Й/y.png"]
    )
    assert dict(zip(t["relpath"], t["label"], strict=True))[f"{NFD_YOT}/x.png"] == "Й"  # NFC label
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in t["path"])
    assert loaded.class_names == ["А", "Б", "Й"]  # alphabet order, empty В left out ...
    assert loaded.empty_classes == {"В": str(root / "В")}  # ... and reported
    skipped = {Path(p).relative_to(root).as_posix(): reason for p, reason in loaded.skipped}
    assert skipped == {
        "README.md": SKIP_OUTSIDE,
        "А/.DS_Store": SKIP_HIDDEN,
        "А/.thumbs": SKIP_HIDDEN,
        "А/notes.txt": f"{SKIP_NOT_IMAGE} (.txt)",
        "В": f"{SKIP_EMPTY} (class 'В')",
    }
    assert loaded.notes == [
        (str(root / NFD_YOT), "folder name is NFD-normalised (macOS): read as class 'Й'"),
        (str(root / NFD_YOT), "folders '\\u0418\\u0306', '\\u0419' merged into class 'Й'"),
    ]
    assert loaded.root == root.resolve()
    assert file_hashes(root) == before


def test_existing_split_layout(tmp_path: Path) -> None:
    root = tmp_path / "data"
    make_class_folder(root / "train", {"A": 3, "B": 2})
    make_class_folder(root / "val", {"A": 1}, seed=1)
    make_class_folder(root / "test", {"B": 1}, seed=2)
    loaded = load_table(root)
    t = loaded.table.sort_values("relpath")
    assert loaded.class_names == ["A", "B"]
    assert t.groupby("split").size().to_dict() == {"test": 1, "train": 5, "validation": 1}
    assert set(t.loc[t["split"] == "validation", "relpath"]) == {"val/A/A_0.png"}


def test_group_column_from_metadata(tmp_path: Path) -> None:
    root = make_class_folder(tmp_path / "data", {"A": 2})
    (root / "metadata.csv").write_text("file_name,signer\nA/A_0.png,anna\nA/A_1.png,bohdan\n")
    loaded = load_table(root, group_column="signer")
    assert dict(zip(loaded.table["relpath"], loaded.table["group"], strict=True)) == {
        "A/A_0.png": "anna",
        "A/A_1.png": "bohdan",
    }
    assert not loaded.skipped  # the metadata file is not a stray file
    with pytest.raises(ValueError, match="no column 'session'"):
        load_table(root, group_column="session")


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda p: p / "nope", FileNotFoundError, "no such folder"),
        (lambda p: make_photo(p / "one.png", 0), ValueError, "is a file"),
        (lambda p: (p / "empty").mkdir() or p / "empty", ValueError, "no photos found"),
        (
            lambda p: (p / "flat").mkdir() or make_photo(p / "flat" / "a.png", 0).parent,
            ValueError,
            "no photos found",
        ),
    ],
)
def test_unusable_sources_fail_with_one_line(tmp_path: Path, make, error, match) -> None:
    with pytest.raises(error, match=match) as info:
        load_table(make(tmp_path))
    assert "\n" not in str(info.value)


def test_hub_id_unreachable_names_the_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)  # fail at once instead of retrying DNS
    with pytest.raises(RuntimeError, match="cannot load Hub dataset 'someone/ukrsl-letters'") as info:
        load_table("someone/ukrsl-letters")
    assert "\n" not in str(info.value)


def test_saved_dataset_dict_round_trip(tmp_path: Path) -> None:
    root = make_class_folder(tmp_path / "data", {"Б": 2, "А": 3})
    loaded = load_table(root)
    t = loaded.table.assign(group=["g1", "g1", "g2", "g3", "g3"])
    ds = to_dataset(t, loaded.class_names)
    assert ds.features["label"].names == ["А", "Б"]
    assert set(ds.column_names) == {"image", "label", "path", "relpath", "group"}
    datasets.DatasetDict({"train": ds.select(range(4)), "test": ds.select([4])}).save_to_disk(
        tmp_path / "saved"
    )
    cache = tmp_path / "cache"

    again = load_table(tmp_path / "saved", cache_dir=cache)

    assert again.root is None and again.class_names == ["А", "Б"]
    a = again.table.sort_values("relpath").reset_index(drop=True)
    b = t.sort_values("relpath").reset_index(drop=True)
    assert a["relpath"].tolist() == b["relpath"].tolist()
    assert a["label"].tolist() == b["label"].tolist()
    assert a["group"].tolist() == b["group"].tolist()
    assert a["split"].value_counts().to_dict() == {"train": 4, "test": 1}
    # save_to_disk embedded the bytes: they were written to the cache unchanged, named by content
    for cached, original in zip(a["path"], b["path"], strict=True):
        data = Path(cached).read_bytes()
        assert Path(cached).parent == cache
        assert Path(cached).name == hashlib.sha256(data).hexdigest() + ".png"
        assert data == Path(original).read_bytes()
    load_table(tmp_path / "saved", cache_dir=cache)
    assert len(list(cache.iterdir())) == 5  # written once


def test_saved_dataset_of_bytes_without_paths(tmp_path: Path) -> None:
    jpeg = make_photo(tmp_path / "x.jpg", seed=3, fmt="JPEG").read_bytes()
    features = datasets.Features({"img": datasets.Image(), "letter": datasets.ClassLabel(names=["Я", "А"])})
    ds = datasets.Dataset.from_dict(
        {"img": [{"bytes": jpeg, "path": None}], "letter": [0]}, features=features
    )
    ds.save_to_disk(tmp_path / "saved")
    loaded = load_table(tmp_path / "saved", cache_dir=tmp_path / "cache")
    assert list(loaded.table.columns) == ["path", "relpath", "label"]  # a single Dataset: no split
    assert loaded.table["label"].tolist() == ["Я"]
    assert loaded.class_names == ["Я"] and loaded.empty_classes == {"А": ""}  # declared but unused
    path = Path(loaded.table["path"][0])
    assert path.suffix == ".jpg" and path.read_bytes() == jpeg


def test_split_directory_loads_from_its_manifest(tmp_path: Path) -> None:
    root = make_class_folder(tmp_path / "data", {"А": 2, "Б": 1})
    t = load_table(root).table.sort_values("relpath").reset_index(drop=True)
    splits = tmp_path / "splits"
    splits.mkdir()
    t.assign(split=["train", "test", "train"], group=["g1", "g2", "g1"], cluster="").to_csv(
        splits / "manifest.csv", index=False
    )
    (splits / "splits.json").write_text(
        json.dumps({"class_names": ["А", "Б"], "data_root": str(root)}), encoding="utf-8"
    )
    loaded = load_table(splits)
    assert list(loaded.table.columns) == ["path", "relpath", "label", "split", "group"]
    assert loaded.table["split"].tolist() == ["train", "test", "train"]
    assert loaded.class_names == ["А", "Б"] and loaded.root == root


def test_a_recording_workspace_loads_without_its_own_files_reported(tmp_path):
    """workspace.json, label_decisions.csv, metadata.csv and the workspace's hidden folders are expected beside
    the class folders; a stray file there is still reported."""
    root = make_class_folder(tmp_path / "ws", {"А": 2, "Б": 2})
    for name in ("workspace.json", "label_decisions.csv", "metadata.csv"):
        (root / name).write_text("file_name\n", encoding="utf-8")
    for hidden in (".dactyl/splits", ".sessions"):
        (root / hidden).mkdir(parents=True)
    (root / ".metadata.lock").write_bytes(b"")
    (root / "notes.txt").write_text("x", encoding="utf-8")
    loaded = load_table(root)
    assert sorted(loaded.table["label"]) == ["А", "А", "Б", "Б"]
    assert [(Path(p).name, reason) for p, reason in loaded.skipped] == [("notes.txt", SKIP_OUTSIDE)]


def test_outputs_may_go_into_a_hidden_folder_of_the_data_but_not_beside_the_photos(tmp_path):
    from curation.split_io import refuse_inside_data

    refuse_inside_data(tmp_path / ".dactyl" / "splits", tmp_path)  # every load skips hidden folders
    for inside in (tmp_path, tmp_path / "splits", tmp_path / "А" / ".x"):
        with pytest.raises(ValueError, match="overlaps the data folder"):
            refuse_inside_data(inside, tmp_path)
