"""run_checks (registry, option routing, a failing check) and write_report (JSON, Markdown, chart)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_class_folder, make_photo

from curation.checks import CHECKS, CheckResult, register
from curation.loading import load_table
from curation.report import loading_findings, plot_balance, run_checks, write_report
from curation.scan import scan_table


@pytest.fixture()
def scanned(tmp_path: Path):
    root = make_class_folder(tmp_path / "data", {"А": 3, "Б": 2, "Ґ": 1}, size=(40, 40))
    (root / "Б" / "broken.jpg").write_text("no")
    (root / "Д").mkdir()
    (root / "Б" / "notes.txt").write_text("x")
    loaded = load_table(root)
    return loaded, scan_table(loaded.table, workers=1, progress=False)


@pytest.fixture()
def boom_check():
    @register("boom")
    def boom(table: pd.DataFrame) -> CheckResult:
        raise KeyError("no such column")

    yield "boom"
    CHECKS.pop("boom")


def test_run_checks_routes_options_and_survives_a_failing_check(scanned, boom_check) -> None:
    loaded, table = scanned
    results = run_checks(
        table, ["balance", "integrity", boom_check], empty_classes=loaded.empty_classes, min_count=2
    )
    by_name = {r.name: r for r in results}
    assert list(by_name) == ["balance", "integrity", "boom"]
    assert by_name["balance"].stats["min_count"] == 2  # options go to the checks that take them
    assert by_name["balance"].stats["empty_classes"] == ["Д"]
    assert by_name["integrity"].issues["flag"].tolist() == ["unreadable"]
    assert by_name["boom"].summary == "check failed: KeyError: 'no such column'"
    with pytest.raises(ValueError, match="unknown check"):
        run_checks(table, ["nope"])


def test_default_runs_every_registered_check(scanned) -> None:
    names = [r.name for r in run_checks(scanned[1])]
    assert names[:2] == ["balance", "integrity"] and set(names) == set(CHECKS)


def test_loading_findings(scanned) -> None:
    result = loading_findings(scanned[0])
    assert sorted(result.issues["flag"]) == ["empty-folder", "not-image"]
    assert result.summary == "loaded 7 photos; 1 not-image, 1 empty-folder"


def test_write_report(scanned, tmp_path: Path) -> None:
    loaded, table = scanned
    results = run_checks(table, ["balance", "integrity"], empty_classes=loaded.empty_classes, min_count=2)
    paths = write_report(results, loaded, tmp_path / "out", scanned=table)

    assert {k: p.name for k, p in paths.items()} == {
        "json": "report.json",
        "markdown": "report.md",
        "balance_png": "class_balance.png",
    }
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["format_version"] == 1 and data["source"] == loaded.source
    assert (data["n_photos"], data["n_classes"]) == (7, 3)
    assert data["class_names"] == ["А", "Б", "Ґ"]
    assert [(c["name"], c["count"], c["status"]) for c in data["classes"]] == [
        ("А", 3, "ok"),
        ("Б", 2, "ok"),
        ("Ґ", 1, "small"),
        ("Д", 0, "empty"),
    ]
    assert data["classes"][2]["description"] == "Ґ (ґе) — motion letter, static start only"
    assert list(data["checks"]) == ["loading", "balance", "integrity"]
    integrity = data["checks"]["integrity"]
    assert integrity["n_issues"] == 1
    assert integrity["issues"][0]["path"].endswith("Б/broken.jpg") and integrity["issues"][0]["score"] == 1.0
    assert data["checks"]["balance"]["stats"]["counts"] == {"А": 3, "Б": 2, "Ґ": 1, "Д": 0}
    assert data["scan"]["workers"] == 1
    md = paths["markdown"].read_text(encoding="utf-8")
    assert "| Ґ (ґе) — motion letter, static start only | 1 | small |" in md
    assert "| Б/broken.jpg | unreadable | 1.0 |" in md  # paths relative to the data folder
    assert paths["balance_png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left behind


def test_chart_renders_cyrillic_without_missing_glyphs(tmp_path: Path) -> None:
    classes = [
        {"name": n, "count": c, "status": s}
        for n, c, s in [("Ї", 30, "ok"), ("Щ", 3, "small"), ("Ь", 0, "empty")]
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plot_balance(classes, tmp_path / "b.png", threshold=10)
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert (tmp_path / "b.png").stat().st_size > 1000


def test_non_ukrainian_names_are_not_read_as_transliterations(tmp_path: Path) -> None:
    root = tmp_path / "asl"
    for i, letter in enumerate("ABCH"):  # C is no transliteration: not a Ukrainian set
        make_photo(root / letter / "0.png", seed=i)
    loaded = load_table(root)
    table = scan_table(loaded.table, workers=1, progress=False)
    paths = write_report(run_checks(table, ["balance"], min_count=1), loaded, tmp_path / "out")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert [c["description"] for c in data["classes"]] == ["A", "B", "C", "H"]
    assert data["checks"]["balance"]["stats"]["missing_letters"] == []
