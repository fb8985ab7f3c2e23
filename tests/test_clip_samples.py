"""Clips beside photos in loading, the scan, the checks and the split (tiny hand-built folders)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from clip_helpers import make_clip
from conftest import make_class_folder

from curation.checks.balance import check_balance
from curation.checks.duplicates import check_duplicates
from curation.checks.hands import check_hands
from curation.checks.integrity import check_integrity
from curation.checks.leakage import check_leakage
from curation.engines import _scan_batch
from curation.hand_cache import add_hand_columns
from curation.loading import load_table, to_dataset
from curation.manifest import read_manifest
from curation.pipeline import SplitOptions, check_dataset, split_dataset
from curation.scan import SCAN_COLUMNS, scan_table


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A and B with 4 photos each; J with 3 good clips, a 2-of-40-hand-frames clip and a broken clip file."""
    root = make_class_folder(tmp_path / "data", {"A": 4, "B": 4})
    for k in range(3):
        make_clip(root / "J" / f"good_{k}.clip.json", "J", seed=k)
    make_clip(root / "J" / "gappy.clip.json", "J", n_frames=40, hand_frames=2)
    (root / "J" / "broken.clip.json").write_text('{"format": "ukrsl-dactyl-clip", "version": 1', "utf-8")
    return root


def no_mediapipe_on_clips(paths, **_):
    """The hand stage stand-in: refuses a clip, answers 'no hand' for a photo."""
    from curation.hand_cache import DetectOutcome
    from curation.hands import HandDetection

    assert not any(p.endswith(".clip.json") for p in paths), "the hand stage was given a clip"
    return [DetectOutcome(p, detection=HandDetection(48, 48)) for p in paths], _summary(len(paths))


def _summary(n):
    from curation.hand_cache import DetectSummary

    return DetectSummary(n, n, 0, 0, 0.0)


def test_loader_counts_clips_beside_photos(data: Path) -> None:
    loaded = load_table(data)
    assert loaded.n_photos == 13 and loaded.n_clips == 5
    assert loaded.class_names == ["A", "B", "J"]
    kinds = loaded.table.set_index("relpath")["kind"]
    assert kinds["J/good_0.clip.json"] == "clip" and kinds["A/A_0.png"] == "photo"
    assert not loaded.skipped  # a clip is no "not an image file"


def test_a_photo_only_folder_keeps_its_columns(tmp_path: Path) -> None:
    loaded = load_table(make_class_folder(tmp_path / "d", {"A": 2}))
    assert list(loaded.table.columns) == ["path", "relpath", "label"]


def test_scan_reads_clips_and_names_a_broken_one(data: Path) -> None:
    scanned = scan_table(load_table(data).table, workers=1, progress=False).set_index("relpath")
    good, gappy, broken = (
        scanned.loc["J/good_0.clip.json"],
        scanned.loc["J/gappy.clip.json"],
        scanned.loc["J/broken.clip.json"],
    )
    assert (good["error"], good["n_frames"], good["hand_frames"], good["phash"]) == ("", 40, 40, "")
    assert gappy["hand_frames"] == 2
    assert broken["error"].startswith(str(data / "J" / "broken.clip.json")) and "not JSON" in broken["error"]
    assert "\n" not in broken["error"]
    issues = check_integrity(scanned.reset_index()).issues
    row = issues[issues["path"].str.endswith("broken.clip.json")]
    assert row["flag"].tolist() == ["unreadable"] and len(issues) == 1


def test_the_ray_engine_per_batch_work_gives_the_same_clip_rows(data: Path) -> None:
    table = load_table(data).table
    local = scan_table(table, workers=1, progress=False)
    batch = _scan_batch({"i": list(range(len(table))), "path": table["path"].tolist()}, 256)
    for col in SCAN_COLUMNS:
        assert list(local[col]) == batch[col], col


def test_hands_check_flags_the_gappy_clip_and_never_runs_the_stage_on_clips(data: Path) -> None:
    scanned = scan_table(load_table(data).table, workers=1, progress=False)
    table, _ = add_hand_columns(scanned, detect=no_mediapipe_on_clips)
    clip_rows = table[table["kind"] == "clip"]
    assert (clip_rows["hand"] == "").all() and not clip_rows["hand_found"].any()
    result = check_hands(table)
    few = result.issues[result.issues["flag"] == "few-hand-frames"]
    assert [Path(p).name for p in few["path"]] == ["gappy.clip.json"]  # not the good ones, not the broken one
    assert few["score"].iloc[0] == 0.8 and "2 of the clip's 40 frames" in few["detail"].iloc[0]
    assert result.stats["n_clips"] == 4 and result.stats["n_read"] == 8  # 8 photos; clips apart
    assert "1 of 4 clips with too few hand frames" in result.summary


def test_balance_counts_clips_and_duplicates_skip_them(data: Path) -> None:
    scanned = scan_table(load_table(data).table, workers=1, progress=False)
    balance = check_balance(scanned, min_count=1)
    assert balance.stats["counts"]["J"] == 4  # the broken clip is unusable, the others count
    assert balance.stats["clip_counts"] == {"J": 4} and "(4 clips)" in balance.summary
    dups = check_duplicates(scanned)
    assert dups.stats["n_clips_skipped"] == 5 and not dups.issues["path"].str.endswith(".clip.json").any()


def signer_folder(tmp_path: Path) -> Path:
    """Signers s0..s5: each with 3 photos of A, B and 2 clips of J; a metadata.csv naming the signer."""
    root = tmp_path / "signers"
    rows = []
    make_class_folder(root, {"A": 18, "B": 18})
    for letter in ("A", "B"):
        for i in range(18):
            rows.append((f"{letter}/{letter}_{i}.png", f"s{i % 6}"))
    for s in range(6):
        for k in range(2):
            make_clip(root / "J" / f"s{s}_{k}.clip.json", "J", seed=10 * s + k)
            rows.append((f"J/s{s}_{k}.clip.json", f"s{s}"))
    pd.DataFrame(rows, columns=["file_name", "signer"]).to_csv(root / "metadata.csv", index=False)
    return root


def test_split_keeps_a_signers_clips_and_photos_on_one_side(tmp_path: Path) -> None:
    root = signer_folder(tmp_path)
    opts = SplitOptions(ratios="70,30", group_column="signer", progress=False, workers=1, hands=False)
    out = split_dataset(root, tmp_path / "splits", opts)
    manifest, info = read_manifest(out.paths["splits"])
    assert len(manifest) == 36 + 12
    clips = manifest[manifest["kind"] == "clip"]
    assert (
        len(clips) == 12 and clips["path"].map(lambda p: p.endswith(".clip.json") and Path(p).is_file()).all()
    )
    assert (manifest.groupby("group")["split"].nunique() == 1).all()  # no signer crosses
    assert set(clips["split"]) == {"train", "validation"}
    assert info["clips"]["J"]["signers"] == 6 and sum(info["clips"]["J"]["by_split"].values()) == 12
    again = split_dataset(root, tmp_path / "splits2", opts)
    manifest2, _ = read_manifest(again.paths["splits"])
    assert manifest2[["relpath", "split"]].equals(manifest[["relpath", "split"]])  # reproducible
    # the saved DatasetDict carries the clips too: no image, the clip's JSON
    loaded = load_table(out.paths["splits"] / "dataset", cache_dir=tmp_path / "cache")
    back = loaded.table[loaded.table["path"].str.endswith(".clip.json")]
    assert len(back) == 12 and loaded.n_clips == 12


def test_clips_of_one_source_stay_together_and_crossing_is_a_leak(tmp_path: Path) -> None:
    root = make_class_folder(tmp_path / "d", {"I": 12})
    for i in range(12):  # two synthetic J clips from each I photo, as the demo recipe writes them
        for k in range(2):
            make_clip(
                root / "J" / f"syn_I_{i}_{k}.clip.json", "J", source=f"synthetic:I/I_{i}.png", seed=i * 2 + k
            )
    opts = SplitOptions(ratios="50,50", progress=False, workers=1, hands=False)
    out = split_dataset(root, tmp_path / "splits", opts)
    manifest, info = read_manifest(out.paths["splits"])
    assert info["clip_sources"] == 12
    assert info["clips"]["J"]["clips"] == 24 and info["clips"]["J"]["synthetic"] == 24
    for i in range(12):
        together = manifest[manifest["relpath"].str.contains(f"I_{i}[._]", regex=True)]
        assert len(together) == 3 and together["split"].nunique() == 1, together
    assert any("12 source" in line for line in out.lines)
    # the leakage check on a split that broke a source apart
    table = scan_table(load_table(root).table, workers=1, progress=False)
    table["split"] = ["train" if "_0.clip" in p else "test" for p in table["path"]]
    leak = check_leakage(table)
    assert leak.stats["leaking_sources"] == 12
    assert set(leak.issues.loc[leak.issues["flag"] == "source-leak", "kind"]) == {"source"}


def test_check_dataset_reports_clips(data: Path, tmp_path: Path, monkeypatch) -> None:
    from curation.engines import LocalEngine

    monkeypatch.setattr(LocalEngine, "detect_files", lambda self, paths, **kw: no_mediapipe_on_clips(paths))
    out = check_dataset(data, tmp_path / "report", progress=False, workers=1, min_count=1)
    text = "\n".join(out.lines)
    assert "8 photos and 5 clips" in text and "loading: loaded 8 photos and 5 clips" in text
    assert "1 of 4 clips with too few hand frames" in text


def test_to_dataset_carries_clip_json(data: Path) -> None:
    table = load_table(data).table
    table = table[~table["relpath"].str.contains("broken")]
    ds = to_dataset(table, ["A", "B", "J"])
    rows = [r for r in ds if r["kind"] == "clip"]
    assert len(rows) == 4 and all(r["image"] is None and r["clip"].startswith("{") for r in rows)


def test_bad_clips_each_get_one_line_naming_the_file_and_nothing_is_written(tmp_path: Path) -> None:
    import json

    from conftest import file_hashes

    root = make_class_folder(tmp_path / "data", {"A": 2})
    frame = {"t": 0.0, "landmarks": None}
    base = {"format": "ukrsl-dactyl-clip", "version": 1, "label": "J", "fps": 30, "width": 64, "height": 48}
    (root / "J").mkdir()
    one = root / "J" / "one.clip.json"
    one.write_text(json.dumps({**base, "frames": [frame]}), "utf-8")
    many = root / "J" / "many.clip.json"
    many.write_text(json.dumps({**base, "frames": [{"t": k / 30, "landmarks": None} for k in range(10_000)]}))
    make_clip(root / "J" / "nohand.clip.json", "J", n_frames=20, hand_frames=0)
    before = file_hashes(root)
    scanned = scan_table(load_table(root).table, workers=1, progress=False).set_index("relpath")
    for name, phrase in (("one", "1 frames; a clip has 2 to 1800"), ("many", "10000 frames")):
        error = scanned.loc[f"J/{name}.clip.json", "error"]
        assert (
            error.startswith(str(root / "J" / f"{name}.clip.json")) and phrase in error and "\n" not in error
        )
    table, _ = add_hand_columns(scanned.reset_index(), detect=no_mediapipe_on_clips)
    few = check_hands(table).issues.set_index("path")
    assert few.loc[str(root / "J" / "nohand.clip.json"), "score"] == 1.0  # no hand at all: surely unusable
    assert file_hashes(root) == before
