"""The app imported and called: predict on a tiny model directory, friendly errors, the Dataset,
Evaluation and Model views from fixture files, and the confusion cell → gallery selection."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import make_photo
from PIL import Image

from sign_ml.artifacts import ModelMeta, save_model_dir
from sign_ml.evaluate import Interpretation
from sign_ml.model import build_model
from sign_ml.presets import Preprocessing
from sign_ml.ui import MAX_FILE_SIZE, DactylApp, build_demo, launch_kwargs

REPO = Path(__file__).resolve().parents[1]
CLASSES = ["А", "Б", "Й", "Я", "Ш", "Ю"]  # K = 6 > top-5
# planted mistakes: (file, true, predicted)
PLANTED = [("А/А_1.png", "А", "Й"), ("А/А_2.png", "А", "Й"), ("Я/Я_0.png", "Я", "Б")]


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory) -> dict[str, Path]:
    """A tiny model dir with an eval/test folder (planted mistakes), its photos, a split dir and a report dir."""
    root = tmp_path_factory.mktemp("app")
    photos = root / "photos"
    paths, y_true = [], []
    for i, c in enumerate(CLASSES):
        for j in range(3):
            paths.append(make_photo(photos / c / f"{c}_{j}.png", seed=100 * i + j))
            y_true.append(i)
    torch.manual_seed(0)
    run = root / "run"
    meta = ModelMeta(class_names=CLASSES, preprocessing=Preprocessing(size=64), width_mult=0.25,
                     train_config={"epochs": 2, "lr": 5e-5}, metrics={"test_accuracy": 0.83},
                     data={"source": f"folder {photos}", "method": "stratified", "ratios": [70, 15, 15]})  # fmt: skip
    save_model_dir(run, build_model(len(CLASSES), width_mult=0.25), meta)
    relpaths = [str(p.relative_to(photos)) for p in paths]
    probs = np.full((len(paths), len(CLASSES)), 0.02, dtype=np.float32)
    probs[np.arange(len(paths)), y_true] = 0.9
    for rel, true, pred in PLANTED:
        n = relpaths.index(rel)
        probs[n] = 0.02
        probs[n, CLASSES.index(pred)], probs[n, CLASSES.index(true)] = 0.7, 0.2
    probs /= probs.sum(axis=1, keepdims=True)
    # stored with paths that do not exist here (another machine): the app finds them by relpath
    moved = [f"/elsewhere/photos/{r}" for r in relpaths]
    Interpretation(CLASSES, np.array(y_true), probs, moved, relpaths).save(run / "eval" / "test")
    pd.DataFrame({"epoch": [1, 2], "train_loss": [1.8, 1.2], "val_loss": [1.9, 1.5], "train_acc": [0.2, 0.5],
                  "val_acc": [0.2, 0.4]}).to_csv(run / "metrics.csv", index=False)  # fmt: skip
    splits = root / "splits"
    splits.mkdir()
    manifest = pd.DataFrame({"path": [str(p) for p in paths], "relpath": relpaths,
                             "label": [CLASSES[i] for i in y_true], "split": ["train", "validation", "test"] * 6,
                             "group": relpaths, "cluster": [str(i) for i in range(len(paths))]})  # fmt: skip
    manifest.to_csv(splits / "manifest.csv", index=False)
    (splits / "splits.json").write_text(
        json.dumps({"class_names": CLASSES, "data_root": str(photos)}), encoding="utf-8"
    )
    report_dir = root / "report"
    report_dir.mkdir()
    report = {"root": str(photos), "classes": [{"name": c, "count": 3 if c != "Ю" else 1} for c in CLASSES],
              "splits": None, "checks": {
                  "integrity": {"summary": "1 unreadable", "issues": [{"path": str(photos / "А" / "bad.jpg"),
                                                                      "flag": "corrupt", "score": 1.0}]},
                  "duplicates": {"summary": "none", "issues": []},
                  "leakage": {"summary": "1 cluster crosses splits", "issues": [
                      {"path": str(photos / "Б" / "Б_0.png"), "flag": "duplicate-leak", "score": 1.0, "split": "test"}]}}}  # fmt: skip
    (report_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    return {"run": run, "photos": photos, "splits": splits, "report": report_dir}


@pytest.fixture(scope="module")
def app_module(fixture_run, monkeypatch_module):
    """`app.py` imported fresh, configured by the environment as the Space does (DACTYL_MODEL/DACTYL_DATA)."""
    monkeypatch_module.setenv("DACTYL_MODEL", str(fixture_run["run"]))
    monkeypatch_module.setenv("DACTYL_DATA", str(fixture_run["splits"]))
    spec = importlib.util.spec_from_file_location("app_under_test", REPO / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def photo(seed: int = 7, size: tuple[int, int] = (90, 70)) -> Image.Image:
    return Image.fromarray(
        np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    )


def test_app_imports_with_a_demo_and_the_typed_predict_endpoint(app_module):
    assert isinstance(app_module.demo, gr.Blocks)
    api = [fn for fn in app_module.demo.fns.values() if fn.api_name == "predict"]
    assert len(api) == 1 and api[0].fn == app_module.predict
    assert app_module.ARGS.model is not None  # from DACTYL_MODEL, not from pytest's argv
    kwargs = launch_kwargs("uk")
    assert kwargs["max_file_size"] == MAX_FILE_SIZE == "10mb"
    assert kwargs["i18n"].translations_dict["en"]["tab_model"] == "Модель"


def test_predict_returns_all_k_probabilities_sorted(app_module, tmp_path):
    out = app_module.predict(photo())
    assert list(out) != [] and len(out) == len(CLASSES) and set(out) == set(CLASSES)
    assert sum(out.values()) == pytest.approx(1.0, abs=1e-5)
    values = list(out.values())
    assert values == sorted(values, reverse=True)
    # the same photo as a path, as bytes and as Gradio's upload payload gives the same answer
    path = tmp_path / "p.png"
    photo().save(path)
    for source in (str(path), path.read_bytes(), {"path": str(path), "orig_name": "p.png"}):
        again = app_module.predict(source)
        assert list(again) == list(out) and np.allclose(list(again.values()), values, atol=1e-6)


def test_recognize_shows_top5_with_letter_names_and_not_sure_below_threshold(app_module):
    answer, labels, overlay = app_module.dactyl.recognize(photo(), threshold=0.99, show_cam=False)
    assert len(labels) == 5
    assert all(" (" in k for k in labels)  # "Й (йот)": the letter with its name
    probs = list(labels.values())
    assert probs == sorted(probs, reverse=True)
    assert "not sure" in answer  # an untrained model is never 99% sure
    answer, _, _ = app_module.dactyl.recognize(photo(), threshold=0.0, show_cam=False)
    assert answer.startswith("## ") and "not sure" not in answer


def test_gradcam_overlay_is_drawn_over_the_photo(app_module):
    _, _, overlay = app_module.dactyl.recognize(photo(), threshold=0.5, show_cam=True)
    assert overlay["visible"] is True
    assert isinstance(overlay["value"], Image.Image) and overlay["value"].size == (
        90,
        70,
    )  # the photo's shape


def test_unreadable_upload_is_a_friendly_gr_error(app_module, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("this is not a picture", encoding="utf-8")
    with pytest.raises(gr.Error, match=r"cannot be used as a photo \(notes.jpg\): not an image"):
        app_module.predict({"path": str(bad), "orig_name": "notes.jpg"})
    truncated = io.BytesIO()
    photo().save(truncated, format="JPEG")
    with pytest.raises(gr.Error, match="cannot be used as a photo"):
        app_module.dactyl.recognize(truncated.getvalue()[:200], 0.5, False)
    with pytest.raises(gr.Error, match="Upload a photo"):
        app_module.predict(None)


def test_cell_selection_returns_exactly_the_planted_misclassified_files(app_module, fixture_run):
    dactyl = app_module.dactyl
    columns = list(dactyl.confusion.columns)
    row, col = CLASSES.index("А"), 1 + columns.index("Й")  # column 0 of the shown table holds the true letter
    caption, gallery = dactyl.cell_gallery(row, col)
    assert "2 photo(s), misclassified" in caption
    assert sorted(c.split(":")[0] for _, c in gallery) == ["А/А_1.png", "А/А_2.png"]
    assert all(isinstance(img, Image.Image) for img, _ in gallery)  # found by relpath under the data root
    evt = gr.SelectData(None, {"index": [CLASSES.index("Я"), 1 + columns.index("Б")], "value": 0.33})
    caption, gallery = dactyl.select_cell(evt)
    assert [c.split(":")[0] for _, c in gallery] == ["Я/Я_0.png"]
    caption, gallery = dactyl.cell_gallery(0, 0)  # the label column: a hint, no photos
    assert gallery == []


def test_evaluation_views_render_from_the_eval_folder(app_module):
    dactyl = app_module.dactyl
    assert dactyl.metrics["split"] == "test"
    assert dactyl.confusion.loc["А", "Й"] == pytest.approx(2 / 3)
    assert dactyl.model.history is not None and list(dactyl.model.history["epoch"]) == [1, 2]


def test_dataset_tab_from_a_split_directory(app_module):
    summary, counts, ratio, sizes, unreadable, duplicates, leakage, button = (
        app_module.dactyl.dataset_outputs()
    )
    assert "splits" in summary and "18 photos" in summary
    assert list(counts["class"]) == ["А", "Б", "Й", "Ш", "Ю", "Я"] and ratio == "**1.00**"  # alphabet order
    assert sizes.set_index("class").loc["total", "total"] == 18
    assert button["visible"] is True  # no report yet: the checks can be run from the tab


def test_dataset_tab_from_a_report_folder(fixture_run):
    dactyl = DactylApp(model=str(fixture_run["run"]), data=str(fixture_run["report"]), backend="torch")
    summary, counts, ratio, sizes, unreadable, duplicates, leakage, button = dactyl.dataset_outputs()
    assert "**integrity**: 1 unreadable" in summary
    assert counts.set_index("class").loc["Ю", "photos"] == 1 and ratio == "**3.00**"
    assert unreadable["path"].tolist() == ["А/bad.jpg"]
    assert leakage["flag"].tolist() == ["duplicate-leak"] and duplicates.empty
    assert button["visible"] is False


def test_dataset_checks_run_on_a_raw_folder_and_are_cached(fixture_run, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # the report cache goes under tmp_path
    folder = tmp_path / "raw"
    for c, n in (("А", 3), ("Б", 2)):
        for j in range(n):
            make_photo(folder / c / f"{c}{j}.png", seed=j + (10 if c == "Б" else 0))
    make_photo(folder / "Б" / "copy.png", seed=10)  # an exact duplicate of Б0.png
    dactyl = DactylApp(model=str(fixture_run["run"]), data=str(folder), backend="torch")
    summary, counts, *_, button = dactyl.dataset_outputs(run_checks=False)
    assert "no curation report yet" in summary and button["visible"] is True
    summary, counts, ratio, sizes, unreadable, duplicates, leakage, button = dactyl.dataset_outputs(
        run_checks=True
    )
    assert list(counts["photos"]) == [3, 3] and button["visible"] is False
    assert set(duplicates["path"]) == {"Б/Б0.png", "Б/copy.png"}
    assert list(tmp_path.glob("ukrsl-dactyl-app/report-*/report.json"))  # cached for the next start


def test_model_tab_names_the_classes_and_how_to_publish(app_module):
    md = app_module.dactyl.model_markdown()
    for c in ("А (а)", "Б (бе)", "Й (йот)", "Я (я)", "Ш (ша)", "Ю (ю)"):
        assert c in md
    assert "sign-ml push" in md and "64×64" in md
    assert "**Evaluation:** split **test** · 18 photos" in md  # the split protocol is named


def test_app_starts_without_a_model_and_says_how_to_get_one(monkeypatch):
    monkeypatch.delenv("DACTYL_MODEL", raising=False)
    monkeypatch.setattr("sign_ml.ui.data.DEMO_MODEL", Path("/nonexistent/models/demo"))
    dactyl = DactylApp()
    assert dactyl.predictor is None
    demo = dactyl.build()
    assert isinstance(demo, gr.Blocks)
    with pytest.raises(gr.Error, match="sign-ml train"):
        dactyl.predict(photo())
    assert "sign-ml train" in dactyl.model_markdown()


def test_build_demo_signature(fixture_run):
    demo = build_demo(model=str(fixture_run["run"]), data=None, lang="uk")
    assert isinstance(demo, gr.Blocks)
    assert sys.modules["sign_ml.ui"].DactylApp is DactylApp
