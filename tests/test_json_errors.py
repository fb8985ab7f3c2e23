"""Broken JSON files: named in one line, or (a cache index) rebuilt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from curation.manifest import read_manifest
from sign_ml.data import TensorCache
from sign_ml.evaluate import Interpretation


def test_broken_evaluation_metrics_json_is_named(tmp_path: Path) -> None:
    for name in ("predictions.csv", "metrics.json"):
        (tmp_path / name).write_text("{not json", encoding="utf-8")
    np.save(tmp_path / "probs.npy", np.zeros((1, 2), np.float32))
    with pytest.raises(ValueError, match=r"metrics\.json: not valid JSON"):
        Interpretation.load(tmp_path)


def test_broken_splits_json_is_named(tmp_path: Path) -> None:
    (tmp_path / "manifest.csv").write_text("path,label,split\n", encoding="utf-8")
    (tmp_path / "splits.json").write_text('{"class_names": ["A"', encoding="utf-8")
    with pytest.raises(ValueError, match=r"splits\.json: not valid JSON"):
        read_manifest(tmp_path)
    (tmp_path / "splits.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match=r"splits\.json: no class_names"):
        read_manifest(tmp_path)


def test_damaged_cache_index_is_a_cache_miss(tmp_path: Path) -> None:
    np.save(tmp_path / "key.npy", np.zeros((1, 3, 4, 4), np.uint8))
    (tmp_path / "key.json").write_text('{"version": ', encoding="utf-8")
    assert TensorCache.load(tmp_path, "key") is None
