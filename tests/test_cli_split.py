"""`sign-curate split` end to end on tiny generated folders (and once on the shared ASL sample)."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pandas as pd
import pytest
from conftest import file_hashes, make_class_folder, make_photo, make_planted_set
from PIL import Image

from curation.checks.leakage import check_leakage
from curation.cli import main
from curation.manifest import HAND_COLUMNS, MANIFEST_COLUMNS, read_manifest

FAST = ["--workers", "1", "--no-progress"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """А, Б, В with 12 distinct photos each, a lossless copy of А_0 as BMP, a broken JPEG and a text file."""
    root = make_class_folder(tmp_path / "data", {"А": 12, "Б": 12, "В": 12})
    Image.open(root / "А" / "А_0.png").save(root / "А" / "copy_of_0.bmp")
    (root / "Б" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (root / "В" / "notes.txt").write_text("not a photo")
    return root


def run_split(data: Path, out: Path, *extra: str) -> int:
    return main(["split", str(data), "--out", str(out), *extra, *FAST])


def test_split_writes_manifest_json_and_dataset(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    before = file_hashes(data)
    out = tmp_path / "splits"
    assert run_split(data, out, "--ratios", "70,15,15") == 0
    assert file_hashes(data) == before  # sources untouched

    manifest, info = read_manifest(out)
    assert (
        list(manifest.columns) == MANIFEST_COLUMNS + HAND_COLUMNS
    )  # the hand stage ran: noise photos, no hand
    assert not manifest["hand_found"].any() and (manifest["hand"] != "").all()
    assert len(manifest) == 37 and "Б/broken.jpg" not in set(manifest["relpath"])
    assert [e["relpath"] for e in info["excluded"]] == ["Б/broken.jpg"]
    assert info["class_names"] == ["А", "Б", "В"]
    assert info["ratios"] == {"train": 0.7, "validation": 0.15, "test": 0.15}
    assert info["seed"] == 0 and info["near_duplicate_threshold"] == 8 and info["method"] == "group-aware"
    assert info["data_root"] == str(data.resolve()) and info["created_with"].startswith("ukrsl-dactyl")
    assert set(info["counts"]) == {"train", "validation", "test"}
    assert all(info["counts"][s][c] >= 1 for s in info["counts"] for c in info["class_names"])
    assert sum(info["totals"].values()) == 37
    assert manifest["path"].map(lambda p: Path(p).is_absolute() and Path(p).is_file()).all()

    pair = manifest[manifest["relpath"].isin(["А/А_0.png", "А/copy_of_0.bmp"])]
    assert pair["split"].nunique() == 1 and pair["cluster"].nunique() == 1 and pair["cluster"].iloc[0] != ""
    assert (manifest["cluster"] != "").sum() == 2  # only the planted copy forms a cluster
    assert check_leakage(manifest).n_issues == 0

    saved = datasets.load_from_disk(str(out / "dataset"))
    assert set(saved) == {"train", "validation", "test"}
    for name, part in saved.items():
        assert sorted(part["relpath"]) == sorted(manifest.loc[manifest["split"] == name, "relpath"])
        assert part.features["label"].names == ["А", "Б", "В"]

    printed = capsys.readouterr()
    assert "manifest:" in printed.out and "train" in printed.out
    assert "Б/broken.jpg" in printed.err
    assert not list(tmp_path.glob(".splits.*"))  # no temp folders left beside the output


def test_same_seed_same_manifest_other_seed_differs(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "splits"
    assert run_split(data, out, "--seed", "3") == 0
    first = (out / "manifest.csv").read_bytes()
    assert run_split(data, out, "--seed", "3") == 0  # replacing a previous split directory is allowed
    assert (out / "manifest.csv").read_bytes() == first
    assert run_split(data, out, "--seed", "4") == 0
    assert (out / "manifest.csv").read_bytes() != first


def test_group_pattern_keeps_signers_in_one_split(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for c, label in enumerate("ABC"):
        for s, signer in enumerate(["anna", "boris", "carla", "dmytro", "olena", "petro"]):
            for i in range(4):
                make_photo(data / label / f"{signer}_{i}.png", seed=c * 1000 + s * 10 + i)
    before = file_hashes(data)
    out = tmp_path / "splits"
    assert run_split(data, out, "--ratios", "70/15/15", "--group-pattern", r"^[^/]+/([a-z]+)_") == 0
    manifest, info = read_manifest(out)
    assert info["method"] == "group-aware" and info["group_source"].startswith("pattern")
    assert set(manifest["group"]) == {"anna", "boris", "carla", "dmytro", "olena", "petro"}
    assert (manifest.groupby("group")["split"].nunique() == 1).all()
    assert set(manifest["split"]) == {"train", "validation", "test"}
    assert file_hashes(data) == before


def test_no_cluster_is_a_plain_stratified_split(tmp_path: Path) -> None:
    data = make_class_folder(tmp_path / "data", {"A": 20, "B": 20})
    out = tmp_path / "splits"
    assert run_split(data, out, "--no-cluster", "--ratios", "0.8,0.1,0.1") == 0
    manifest, info = read_manifest(out)
    assert info["method"] == "random" and info["near_duplicate_threshold"] is None
    assert (manifest["cluster"] == "").all()
    assert pd.crosstab(manifest["label"], manifest["split"]).to_dict() == {
        "test": {"A": 2, "B": 2},
        "train": {"A": 16, "B": 16},
        "validation": {"A": 2, "B": 2},
    }


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--ratios", "80,30"], "sum to"),
        (["--group-pattern", r"^[^/]+/(zzz)_"], "gives no group"),
        (["--near-dup-threshold", "99"], "0..64"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture, extra: list[str], expected: str
) -> None:
    assert run_split(data, tmp_path / "splits", *extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("sign-curate split: error:") and expected in err[-1]
    assert not (tmp_path / "splits").exists()


def test_tiny_class_exits_2_naming_it(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    make_photo(data / "Ї" / "only.png", seed=999)
    assert run_split(data, tmp_path / "splits") == 2
    err = capsys.readouterr().err
    assert "'Ї' (1 photo)" in err and "Traceback" not in err
    assert not (tmp_path / "splits").exists()
    assert run_split(data, tmp_path / "splits", "--small-classes", "train") == 0
    manifest, info = read_manifest(tmp_path / "splits")
    assert manifest.loc[manifest["label"] == "Ї", "split"].tolist() == ["train"]
    assert info["train_only_classes"] == ["Ї"]


def test_refuses_to_clobber(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    before = file_hashes(data)
    assert run_split(data, data / "splits") == 2  # inside the data folder
    assert run_split(data, data) == 2  # the data folder itself, even with --force
    assert main(["split", str(data), "--out", str(data), "--force", *FAST]) == 2
    assert "overlaps the data folder" in capsys.readouterr().err
    assert file_hashes(data) == before

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("precious")
    assert run_split(data, foreign) == 2
    assert "--force" in capsys.readouterr().err and (foreign / "keep.txt").exists()
    assert run_split(data, foreign, "--force") == 0
    assert not (foreign / "keep.txt").exists() and (foreign / "manifest.csv").is_file()


def test_planted_ukrainian_set(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = make_planted_set(tmp_path / "data")
    before = file_hashes(data)
    assert run_split(data, tmp_path / "splits") == 2  # Г has one photo, Й two: too small for 3 splits
    err = capsys.readouterr().err
    assert "'Г' (1 photo)" in err and "'Й' (2 photos)" in err and "Traceback" not in err
    assert run_split(data, tmp_path / "splits", "--small-classes", "train") == 0
    manifest, info = read_manifest(tmp_path / "splits")
    excluded = {e["relpath"] for e in info["excluded"]}
    assert {"А/corrupt.jpg", "А/notes.jpg", "Б/huge.png"} <= excluded
    assert not excluded & set(manifest["relpath"])
    assert set(info["train_only_classes"]) == {"Г"}  # NFD folder read as the NFC letter
    # Й's two photos: one trains, one is held out (validation), and the note says Г is not held out
    assert sorted(manifest.loc[manifest["label"] == "Й", "split"]) == ["train", "validation"]
    assert any(n["kind"] == "train_only" and n["letters"] == ["Г"] for n in info["notes"])
    assert info["class_names"][:2] == ["А", "Б"]
    assert file_hashes(data) == before


@pytest.mark.shared_data
def test_split_on_the_asl_sample_is_complete_and_deterministic(asl_sample: Path, tmp_path: Path) -> None:
    before = file_hashes(asl_sample)
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert (
            main(["split", str(asl_sample), "--out", str(out), "--ratios", "70,15,15", "--no-progress"]) == 0
        )
        runs.append(read_manifest(out))
    (m1, info), (m2, _) = runs
    assert m1.equals(m2)  # same seed, same split, row for row
    assert len(m1) == 720 and len(info["class_names"]) == 26
    per_class = pd.crosstab(m1["label"], m1["split"])
    assert per_class.shape == (26, 3) and (per_class > 0).all().all()
    for label, n in per_class.sum(axis=1).items():
        for split, r in info["ratios"].items():
            assert abs(per_class.at[label, split] - r * n) <= 1
    clusters = m1[m1["cluster"] != ""]
    assert len(clusters) and (clusters.groupby("cluster")["split"].nunique() == 1).all()
    assert json.loads((tmp_path / "a" / "splits.json").read_text())["excluded"] == []
    assert file_hashes(asl_sample) == before


def test_a_crash_while_writing_leaves_the_previous_split_intact(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import curation.split_io as split_io

    out = tmp_path / "splits"
    assert run_split(data, out, "--seed", "1") == 0
    before = file_hashes(out)

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(split_io, "_save_dataset", crash)
    assert run_split(data, out, "--seed", "2") == 2
    assert file_hashes(out) == before  # the old split directory, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "splits"]  # no temp folder left


# --- label decisions (DATA/label_decisions.csv from mislabel review) -------------------------------------


def test_split_applies_label_decisions(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture, caplog: pytest.LogCaptureFixture
) -> None:
    from curation.decisions import DECISIONS_FILE, record_decision

    record_decision(data, "А/А_1.png", "relabel", "Б")
    record_decision(data, "Б/Б_2.png", "exclude")
    record_decision(data, "В/В_3.png", "exclude")
    record_decision(data, "В/В_3.png", "keep")  # undone: В_3 stays
    with open(data / DECISIONS_FILE, "a", encoding="utf-8") as f:
        f.write("В/gone.png,exclude,,2026-01-01T00:00:00+00:00\n")  # a photo deleted since the review
    before = file_hashes(data)
    out = tmp_path / "splits"
    assert run_split(data, out, "--no-hands") == 0
    assert file_hashes(data) == before  # sources (and the decisions) untouched

    manifest, info = read_manifest(out)
    labels = dict(zip(manifest["relpath"], manifest["label"], strict=True))
    assert labels["А/А_1.png"] == "Б" and "Б/Б_2.png" not in labels and labels["В/В_3.png"] == "В"
    assert len(manifest) == 36  # 37 readable photos, one excluded
    assert info["decisions"] == {
        "file": str(data.resolve() / DECISIONS_FILE),
        "relabelled": 1,
        "excluded": 1,
        "unknown_files": ["В/gone.png"],
    }
    assert sum(info["counts"][s]["Б"] for s in info["counts"]) == 12  # 12 - 1 excluded + 1 relabelled
    printed = capsys.readouterr().out
    line = f"applied 2 label decisions from {data.resolve() / DECISIONS_FILE}: 1 relabelled, 1 excluded"
    assert line in printed.splitlines()
    assert any("В/gone.png" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def test_split_ignore_decisions_and_no_file(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from curation.decisions import record_decision

    assert run_split(data, tmp_path / "plain", "--no-hands") == 0  # no decisions file: nothing said
    _, info = read_manifest(tmp_path / "plain")
    assert info["decisions"] is None and "label decisions" not in capsys.readouterr().out
    record_decision(data, "Б/Б_2.png", "exclude")
    assert run_split(data, tmp_path / "ignored", "--no-hands", "--ignore-decisions") == 0
    manifest, info = read_manifest(tmp_path / "ignored")
    assert info["decisions"] is None and "Б/Б_2.png" in set(manifest["relpath"]) and len(manifest) == 37
    assert "label decisions" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "file_name,action,label,time\nА/А_1.png,relabel,Ж,t\n",
            "А/А_1.png: relabel to 'Ж', which is not a class",
        ),
        ("file_name,action\nА/А_1.png,exclude\n", "label_decisions.csv: missing column(s) label, time"),
    ],
)
def test_split_bad_decisions_exit_2_naming_the_file(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture, text: str, expected: str
) -> None:
    (data / "label_decisions.csv").write_text(text, encoding="utf-8")
    assert run_split(data, tmp_path / "splits", "--no-hands") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("sign-curate split: error:") and expected in err[-1]
    assert not (tmp_path / "splits").exists()
    assert run_split(data, tmp_path / "splits", "--no-hands", "--ignore-decisions") == 0  # the way out
