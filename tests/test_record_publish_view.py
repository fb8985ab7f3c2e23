"""The Record tab's publish preview reads in the page's language: the summary, the file list's header and its
repo kinds (issue 20: the Ukrainian page listed "dataset", "model", "repo", "path", "bytes" and an English
summary); the paths stay as they are."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sign_ml.publish import FILE_COLUMNS, Preview
from sign_ml.ui.tab_record import preview_files, preview_markdown

FILES = pd.DataFrame(
    [("dataset", "README.md", 1389), ("model", "README.md", 7034), ("model", "model.safetensors", 1_120_000)],
    columns=FILE_COLUMNS,
)


def preview() -> Preview:
    return Preview(Path("/p/dataset"), Path("/p/model"), FILES, "anna/letters", "anna/landmarks")


def test_the_ukrainian_preview_names_repos_and_columns_in_ukrainian() -> None:
    shown = preview_files(FILES, "uk")
    assert list(shown.columns) == ["репозиторій", "шлях", "байтів"]
    assert list(shown["репозиторій"]) == ["Дані", "Модель", "Модель"]
    assert list(shown["шлях"]) == list(FILES["path"])
    md = preview_markdown(preview(), "uk")
    assert "Пробний запуск" in md and "Модель `anna/landmarks`: файлів: 2, 1.13 МБ" in md
    assert "Дані `anna/letters`: файлів: 1" in md and "Dry run" not in md


def test_the_english_preview_keeps_its_words() -> None:
    assert list(preview_files(FILES, "en").columns) == ["repo", "path", "bytes"]
    md = preview_markdown(preview(), "en")
    assert (
        md.startswith("**Dry run: nothing was uploaded.**")
        and "Model `anna/landmarks`: 2 files, 1.13 MB" in md
    )
    only_model = Preview(None, Path("/p/model"), FILES[FILES["repo"] == "model"], None, "anna/landmarks")
    assert "Dataset" not in preview_markdown(only_model, "en") and "dataset_info" not in preview_markdown(
        only_model, "en"
    )
