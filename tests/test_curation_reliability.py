"""sign-curate never corrupts the data silently: no report inside the photos, no folder skipped without a word,
no mistyped path sent to the Hub, and one definition of the split names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_class_folder

from curation.cli import main
from curation.loading import SKIP_UNREADABLE, load_table

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_class_folder(tmp_path / "photos", {"A": 4, "B": 4, "C": 4})


@pytest.mark.parametrize("where", ["A", ".", "A/deeper"])
def test_check_refuses_a_report_inside_the_data(where: str, data: Path, capsys) -> None:
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    code = main(["check", str(data), "--out", str(data / where), "--workers", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "overlaps the data folder" in err and err.count("\n") == 1
    assert sorted(p.relative_to(data) for p in data.rglob("*")) == before  # nothing written into the photos


def test_check_beside_the_data_still_works(data: Path, tmp_path: Path) -> None:
    assert (
        main(["check", str(data), "--out", str(tmp_path / "report"), "--workers", "1", "--no-progress"]) == 0
    )


@pytest.fixture
def unreadable_b(data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """B/ cannot be listed (as chmod 000 would do; the tests may run as root, who ignores permission bits)."""
    real = os.scandir
    target = str(data / "B")

    def scandir(path="."):
        if os.fspath(path) == target:
            raise PermissionError(13, "Permission denied", target)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    return data / "B"


def test_unreadable_class_folder_is_recorded(data: Path, unreadable_b: Path) -> None:
    loaded = load_table(data)
    assert loaded.class_names == ["A", "C"]
    assert (str(unreadable_b), f"{SKIP_UNREADABLE}: Permission denied") in loaded.skipped
    assert not any("empty class folder" in reason for _, reason in loaded.skipped)  # not empty: unreadable


def test_split_names_unreadable_folders(data: Path, unreadable_b: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "splits"
    argv = ["split", str(data), "--out", str(out), "--ratios", "50,50", "--no-cluster", "--no-progress"]
    assert main(argv) == 0
    info = json.loads((out / "splits.json").read_text(encoding="utf-8"))
    assert info["unreadable_folders"] == [str(unreadable_b)] and info["skipped"] == 1
    assert "1 unreadable folder(s) skipped" in capsys.readouterr().err


def test_check_reports_unreadable_folders(data: Path, unreadable_b: Path, tmp_path: Path) -> None:
    assert main(["check", str(data), "--out", str(tmp_path / "r"), "--workers", "1", "--no-progress"]) == 0
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    flags = {row["flag"] for row in report["checks"]["loading"]["issues"]}
    assert "unreadable-folder" in flags


@pytest.mark.parametrize("typo", ["photoz", "./photoz", "photos/missing"])
def test_mistyped_local_path_is_not_sent_to_the_hub(typo: str, data: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(data.parent)
    monkeypatch.setattr(
        "curation.loading._load_hub", lambda repo_id: pytest.fail(f"{repo_id} sent to the Hub")
    )
    assert main(["check", typo, "--out", "report", "--no-progress"]) == 2
    assert f"{typo}: no such folder" in capsys.readouterr().err


def test_unknown_hub_id_also_says_no_such_folder(data: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(data.parent)

    def offline(repo_id: str):
        raise RuntimeError(f"cannot load Hub dataset '{repo_id}': offline")

    monkeypatch.setattr("curation.loading._load_hub", offline)
    assert main(["check", "phot0s/A", "--out", "report", "--no-progress"]) == 2  # no ./phot0s: maybe a Hub id
    err = capsys.readouterr().err
    assert "phot0s/A: no such folder, and cannot load Hub dataset" in err and err.count("\n") == 1


def test_mistyped_run_folder_is_not_sent_to_the_hub(tmp_path: Path, monkeypatch) -> None:
    from sign_ml.resolve import resolve_model_dir

    (tmp_path / "runs" / "ukrsl").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("huggingface_hub.snapshot_download", lambda **kw: pytest.fail("sent to the Hub"))
    with pytest.raises(FileNotFoundError, match="runs/ukrs1: no such folder"):
        resolve_model_dir("runs/ukrs1")


def test_split_names_are_defined_once() -> None:
    out = subprocess.run(
        ["grep", "-rnE", "--exclude-dir=ui", r"\(\"train\", \"validation\", \"test\"", "curation", "sign_ml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )  # ui/: not ours
    lines = out.stdout.splitlines()
    assert lines and all(line.startswith("curation/manifest.py:") for line in lines)


def test_model_card_does_not_import_torch() -> None:
    probe = "import sys, sign_ml.model_card; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.stdout.strip() == "False", out.stderr
