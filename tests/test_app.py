"""The app imported and called: predict on a tiny model directory, friendly errors, the Dataset,
Evaluation and Model views from fixture files, the confusion cell → gallery selection, and the tests that
catch real breakage (output follows the uploaded pixels, Grad-CAM differs from the photo, page = API)."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import os
import re
import shutil
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
from sign_ml.ui import data as data_io
from sign_ml.ui import report_cache, views
from sign_ml.ui.app import DELETE_CACHE, MAX_FILE_SIZE, DactylApp, build_demo, launch_kwargs

REPO = Path(__file__).resolve().parents[1]
CLASSES = ["А", "Б", "Й", "Я", "Ш", "Ю"]  # K = 6 > top-5
# planted mistakes: (file, true, predicted)
PLANTED = [("А/А_1.png", "А", "Й"), ("А/А_2.png", "А", "Й"), ("Я/Я_0.png", "Я", "Б")]


def responsive_model(n_classes: int) -> torch.nn.Module:
    """An untrained width-0.25 MobileNetV3 whose answer depends on the photo but is never confident.

    Fresh BatchNorm statistics (mean 0, var 1) shrink the features to ~1e-8, so every photo would get
    exactly 1/K: the statistics are set from a few random batches first, and the head made non-zero."""
    torch.manual_seed(0)
    model = build_model(n_classes, width_mult=0.25)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # a plain average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(10):
            model(torch.rand(8, 3, 64, 64) * 4 - 2)
        model.classifier[-1].weight.normal_(0.0, 0.3)
    return model.eval()


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
    meta = ModelMeta(
        class_names=CLASSES,
        preprocessing=Preprocessing(size=64),
        width_mult=0.25,
        train_config={"epochs": 2, "lr": 5e-5},
        metrics={"test_accuracy": 0.83},
        data={"source": f"folder {photos}", "method": "stratified", "ratios": [70, 15, 15]},
    )
    save_model_dir(run, responsive_model(len(CLASSES)), meta)
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
    pd.DataFrame(
        {
            "epoch": [1, 2],
            "train_loss": [1.8, 1.2],
            "val_loss": [1.9, 1.5],
            "train_acc": [0.2, 0.5],
            "val_acc": [0.2, 0.4],
        }
    ).to_csv(run / "metrics.csv", index=False)
    splits = root / "splits"
    splits.mkdir()
    manifest = pd.DataFrame(
        {
            "path": [str(p) for p in paths],
            "relpath": relpaths,
            "label": [CLASSES[i] for i in y_true],
            "split": ["train", "validation", "test"] * 6,
            "group": relpaths,
            "cluster": [str(i) for i in range(len(paths))],
        }
    )
    manifest.to_csv(splits / "manifest.csv", index=False)
    (splits / "splits.json").write_text(
        json.dumps({"class_names": CLASSES, "data_root": str(photos)}), encoding="utf-8"
    )
    report_dir = root / "report"
    report_dir.mkdir()
    report = {
        "root": str(photos),
        "classes": [{"name": c, "count": 3 if c != "Ю" else 1} for c in CLASSES],
        "splits": None,
        "checks": {
            "integrity": {
                "summary": "1 unreadable",
                "issues": [{"path": str(photos / "А" / "bad.jpg"), "flag": "corrupt", "score": 1.0}],
            },
            "duplicates": {"summary": "none", "issues": []},
            "leakage": {
                "summary": "1 cluster crosses splits",
                "issues": [
                    {
                        "path": str(photos / "Б" / "Б_0.png"),
                        "flag": "duplicate-leak",
                        "score": 1.0,
                        "split": "test",
                    }
                ],
            },
        },
    }
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
    install_fake_hands(module.dactyl)
    return module


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


class FakeHands:
    """A hand stage that finds one hand in the middle of any photo that is not a single flat colour, so the
    tiny fixture model is read on noise photos; a blank photo has no hand. (MediaPipe itself is tested with
    real photos in test_app_hands.py.)"""

    def detect(self, image: Image.Image, source: str = ""):
        from curation.hands import Hand, HandDetection

        w, h = image.size
        if np.asarray(image).std() < 1.0:
            return HandDetection(w, h, (), source=source)
        rng = np.random.default_rng(0)
        landmarks = np.concatenate([rng.uniform(0.3, 0.7, (21, 2)), np.zeros((21, 1))], axis=1).astype(
            np.float32
        )
        hand = Hand(landmarks, np.zeros((21, 3), np.float32), "Right", 0.99, (0.25, 0.2, 0.75, 0.8))
        return HandDetection(w, h, (hand,), source=source)


def install_fake_hands(dactyl: DactylApp) -> None:
    """Put FakeHands in front of the app's predictor (when the predictor has a hand stage)."""
    if dactyl.predictor is not None and hasattr(dactyl.predictor, "_hands"):
        dactyl.predictor._hands = FakeHands()


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
    assert app_module.demo.delete_cache == DELETE_CACHE  # uploads are swept from Gradio's temp folder


def test_api_documents_the_shape_it_returns(app_module):
    info = app_module.demo.get_api_info()
    (endpoint,) = [v for k, v in info["named_endpoints"].items() if k == "/predict"]
    (returns,) = endpoint["returns"]
    assert returns["type"]["type"] == "object" and returns["type"]["additionalProperties"] == {
        "type": "number"
    }
    out = app_module.predict(photo())
    assert isinstance(out, dict) and all(isinstance(k, str) and isinstance(v, float) for k, v in out.items())


def test_predict_returns_all_k_probabilities_sorted(app_module, tmp_path, gradio_upload):
    out = app_module.predict(photo())
    assert list(out) != [] and len(out) == len(CLASSES) and set(out) == set(CLASSES)
    assert sum(out.values()) == pytest.approx(1.0, abs=1e-5)
    values = list(out.values())
    assert values == sorted(values, reverse=True)
    # the same photo as a path, as bytes, as a data URL and as Gradio's upload payload gives the same answer
    path = tmp_path / "p.png"
    photo().save(path)
    data_url = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    for source in (
        str(path),
        path.read_bytes(),
        gradio_upload(path),
        {"url": data_url},
    ):
        again = app_module.predict(source)
        assert list(again) == list(out) and np.allclose(list(again.values()), values, atol=1e-6)


def test_no_hand_gives_no_letter_on_the_page_and_an_empty_object_from_the_api(app_module):
    blank = Image.new("RGB", (120, 90), (200, 200, 200))
    assert app_module.predict(blank) == {}
    answer, labels, *_ = app_module.dactyl.recognize(blank, threshold=0.0, show_cam=True)
    assert "no hand found" in answer and labels is None
    answer, *_ = app_module.dactyl.recognize(blank, threshold=0.0, request=uk_request())
    assert "руку не знайдено" in answer


def uk_request() -> gr.Request:
    return gr.Request(headers={"accept-language": "uk-UA,uk;q=0.9"})


def test_recognize_shows_top5_with_letter_names_and_not_sure_below_threshold(app_module):
    answer, labels, *_ = app_module.dactyl.recognize(photo(), threshold=0.99, show_cam=False)
    assert len(labels) == 5
    assert all(" (" in k for k in labels)  # "Й (йот)": the letter with its name
    probs = list(labels.values())
    assert probs == sorted(probs, reverse=True)
    assert "not sure" in answer  # an untrained model is never 99% sure
    answer, *_ = app_module.dactyl.recognize(photo(), threshold=0.0, show_cam=False)
    assert answer.startswith("## ") and "not sure" not in answer


def test_recognize_output_follows_the_uploaded_pixels(app_module, tmp_path):
    """A Recognize that read anything but the upload (a constant grey, a cached photo) fails here."""
    predictor = app_module.dactyl.predictor
    shown = []
    for seed in (1, 2):
        path = photo(seed=seed, size=(160, 120))
        path.save(tmp_path / f"{seed}.png")
        _, labels, *_ = app_module.dactyl.recognize(str(tmp_path / f"{seed}.png"), 0.0, False)
        shown.append(np.array(list(labels.values())))
        own = predictor.predict(str(tmp_path / f"{seed}.png"), top_k=5)
        expected = [p for _, p in own.top]
        assert np.array_equal(shown[-1], np.array([float(p) for p in expected][:5], dtype=float))
    assert np.abs(shown[0] - shown[1]).max() > 1e-6  # two photos, two answers
    grey = Image.new("RGB", (160, 120), (128, 128, 128))
    grey_out = app_module.predict(grey)
    assert grey_out == {} or not np.allclose(sorted(grey_out.values(), reverse=True)[:5], shown[0], atol=1e-7)


def test_page_and_api_give_identical_probabilities_for_the_same_file(app_module, tmp_path, gradio_upload):
    """One preprocessing path: a large JPEG (where a 1024-px pre-decode used to change the answer) gives
    bit-identical probabilities on the Recognize tab and through /predict."""
    big = tmp_path / "big.jpg"
    Image.fromarray(np.random.default_rng(5).integers(0, 256, (1500, 2000, 3), dtype=np.uint8)).save(
        big, quality=90
    )
    _, labels, *_ = app_module.dactyl.recognize(gradio_upload(big), 0.0, False)
    api = app_module.predict(gradio_upload(big))
    assert list(labels.values()) == list(api.values())[:5]


def test_gradcam_overlay_differs_from_the_photo(app_module):
    picture = photo(size=(90, 70))
    *_, cam, legend = app_module.dactyl.recognize(picture, threshold=0.5, show_cam=True)
    assert cam["visible"] is True and legend["visible"] is True and "red" in legend["value"]
    overlay = cam["value"]
    assert isinstance(overlay, Image.Image) and overlay.size == (90, 70)  # the photo's shape
    diff = np.abs(np.asarray(overlay, dtype=np.int16) - np.asarray(picture.convert("RGB"), dtype=np.int16))
    assert diff.mean() > 10  # a map was drawn, not the photo handed back
    *_, cam, legend = app_module.dactyl.recognize(picture, threshold=0.5, show_cam=False)
    assert cam["visible"] is False and legend["visible"] is False


def test_a_bad_upload_clears_the_answer_and_says_why_in_both_languages(app_module, tmp_path, gradio_upload):
    bad = tmp_path / "notes.jpg"
    bad.write_text("this is not a picture", encoding="utf-8")
    with pytest.raises(gr.Error, match=r"cannot be used as a photo \(notes.jpg\): not an image"):
        app_module.predict(gradio_upload(bad))
    answer, labels, hand, crop, cam, legend = app_module.dactyl.recognize(gradio_upload(bad), 0.5, True)
    assert "cannot be used as a photo (notes.jpg)" in answer and labels is None
    assert not hand["visible"] and not crop["visible"] and not cam["visible"] and not legend["visible"]
    truncated = io.BytesIO()
    photo().save(truncated, format="JPEG")
    answer, labels, *_ = app_module.dactyl.recognize(
        truncated.getvalue()[:200], 0.5, False, request=uk_request()
    )
    assert answer.startswith("### ⚠ Цей файл не вдається відкрити") and labels is None
    with pytest.raises(gr.Error, match="Upload a photo"):
        app_module.predict(None)


def test_examples_come_from_the_test_split_labelled_with_their_true_letter(fixture_run):
    dactyl = DactylApp(model=str(fixture_run["run"]), data=str(fixture_run["splits"]), backend="torch")
    examples = dactyl.examples()
    assert [label for _, label in examples] == [views.display_label(c) for c in CLASSES]
    test_files = {str(p) for p in (fixture_run["photos"]).rglob("*.png")}
    assert all(path in test_files for path, _ in examples)


def test_cell_selection_returns_exactly_the_planted_misclassified_files(app_module, fixture_run):
    dactyl = app_module.dactyl
    columns = list(dactyl.confusion.columns)
    row, col = CLASSES.index("А"), columns.index("Й")
    caption, gallery = dactyl.cell_gallery(row, col)
    assert "2 photo(s)" in caption and "67% of А (а)'s test photos, misclassified" in caption
    assert sorted(c.split(":")[0] for _, c in gallery) == ["А/А_1.png", "А/А_2.png"]
    assert all(isinstance(img, Image.Image) for img, _ in gallery)  # found by relpath under the data root
    assert re.search(r"true А \(а\) \d+% → predicted Й \(йот\) \d+%", gallery[0][1])  # the full caption


def test_heatmap_click_maps_to_its_cell_and_keeps_it_outlined(app_module):
    dactyl = app_module.dactyl
    lay = views.heatmap_layout(len(CLASSES))
    i, j = CLASSES.index("Я"), list(dactyl.confusion.columns).index("Б")
    x, y = lay.left + j * lay.cell + lay.cell // 2, lay.top + i * lay.cell + lay.cell // 2
    evt = gr.SelectData(None, {"index": [x, y], "value": None})
    image, caption, gallery = dactyl.select_heatmap(evt)
    assert [c.split(":")[0] for _, c in gallery] == [
        "Я/Я_0.png"
    ] and "true Я (я) → predicted Б (бе)" in caption
    plain = np.asarray(views.confusion_heatmap(dactyl.confusion), dtype=np.int16)
    outlined = np.asarray(image, dtype=np.int16)
    changed = np.argwhere(np.abs(outlined - plain).sum(axis=2) > 0)
    (y0, x0), (y1, x1) = changed.min(axis=0), changed.max(axis=0)
    assert x0 < x < x1 and y0 < y < y1  # the outline surrounds the clicked cell ...
    inner = (slice(y - 2, y + 3), slice(x - 2, x + 3))
    assert np.array_equal(outlined[inner], plain[inner])  # ... and leaves its value visible
    _, caption, gallery = dactyl.select_heatmap(gr.SelectData(None, {"index": [2, 2], "value": None}))
    assert gallery == [] and "Click a cell" in caption  # outside the grid: a hint


def test_most_confused_rows_are_clickable(app_module):
    dactyl = app_module.dactyl
    pairs = views.most_confused_pairs(dactyl.metrics)
    assert pairs[0] == ("А", "Й", 2)
    _, caption, gallery = dactyl.select_pair(gr.SelectData(None, {"index": [0, 1], "value": None}))
    assert sorted(c.split(":")[0] for _, c in gallery) == ["А/А_1.png", "А/А_2.png"]


def test_top_losses_lists_every_mistake_worst_first(app_module):
    items = app_module.dactyl.top_losses()
    assert [c.split(":")[0] for _, c in items][:1] == ["А/А_1.png"] or len(items) == len(PLANTED)
    assert sorted(c.split(":")[0] for _, c in items) == sorted(r for r, _, _ in PLANTED)
    assert all("→ predicted" in c and "true" in c for _, c in items)


def test_gallery_refuses_paths_outside_the_data_roots(fixture_run, tmp_path, caplog):
    """A crafted predictions.csv (absolute path, ../) cannot make the gallery serve a file from elsewhere."""
    secret = tmp_path / "secret.png"
    make_photo(secret, seed=99)
    run = tmp_path / "run"
    shutil.copytree(fixture_run["run"], run)
    table = pd.read_csv(run / "eval" / "test" / "predictions.csv")
    table.loc[0, ["path", "relpath"]] = [str(secret), str(secret)]
    table.loc[1, ["path", "relpath"]] = ["../../secret.png", "../../secret.png"]
    table.loc[2, ["path", "relpath"]] = [
        str(secret),
        "А/А_2.png",
    ]  # a real relpath does not vouch for the path
    table.to_csv(run / "eval" / "test" / "predictions.csv", index=False)
    dactyl = DactylApp(model=str(run), data=str(fixture_run["splits"]), backend="torch")
    with caplog.at_level("WARNING"):
        for row in dactyl.interp.table().head(3).itertuples():
            found = data_io.photo_path(row._asdict(), dactyl.data.roots, dactyl.model.eval_dir)
            assert found is None or found.resolve().is_relative_to(fixture_run["photos"].resolve())
    assert "refused photo path" in caplog.text


def test_evaluation_views_render_from_the_eval_folder(app_module):
    dactyl = app_module.dactyl
    assert dactyl.metrics["split"] == "test"
    assert dactyl.confusion.loc["А", "Й"] == pytest.approx(2 / 3)
    assert dactyl.model.history is not None and list(dactyl.model.history["epoch"]) == [1, 2]


def test_dataset_tab_from_a_split_directory(app_module):
    view = app_module.dactyl.dataset_outputs()
    assert "Split folder" in view["summary"] and "18 photos" in view["summary"]
    assert list(view["counts"]["class"]) == ["А", "Б", "Й", "Ш", "Ю", "Я"] and view["ratio"] == "**1.00**"
    assert view["sizes"].set_index("class").loc["total", "total"] == 18
    assert view["button"] is True and view["issues"] is None  # no report yet: no tables, a button


def test_dataset_tab_from_a_report_folder_says_none_found_in_ukrainian(fixture_run):
    dactyl = DactylApp(model=str(fixture_run["run"]), data=str(fixture_run["report"]), backend="torch")
    view = dactyl.dataset_outputs(lang="uk")
    assert "непрочитні або незвичні файли**: позначено: 1" in view["summary"]
    assert "дублікати**: не знайдено" in view["summary"]
    assert view["counts"].set_index("class").loc["Ю", "photos"] == 1 and view["ratio"] == "**3.00**"
    assert view["issues"]["issues_unreadable"]["path"].tolist() == ["А/bad.jpg"]
    assert view["issues"]["issues_duplicates"].empty and view["button"] is False


def test_dataset_tab_without_data_says_how_to_add_it_and_shows_the_models_record(
    fixture_run, monkeypatch, tmp_path
):
    monkeypatch.delenv("DACTYL_DATA", raising=False)
    run = tmp_path / "run"
    shutil.copytree(fixture_run["run"], run)
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    config["data"]["counts"] = {"train": {c: 3 for c in CLASSES}, "test": {c: 1 for c in CLASSES}}
    (run / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    dactyl = DactylApp(model=str(run), data=None, backend="torch")
    view = dactyl.dataset_outputs(run_checks=True, lang="en")
    assert "python app.py --data FOLDER" in view["summary"] and view["has_data"] is False
    assert view["counts"]["photos"].tolist() == [4] * len(CLASSES) and view["issues"] is None
    assert view["sizes"].set_index("class").loc["total", "total"] == 4 * len(CLASSES)


def test_dataset_checks_run_on_a_raw_folder_are_cached_signed_and_refreshed(
    fixture_run, tmp_path, monkeypatch
):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # the report cache goes under tmp_path
    folder = tmp_path / "raw"
    for c, n in (("А", 3), ("Б", 2)):
        for j in range(n):
            make_photo(folder / c / f"{c}{j}.png", seed=j + (10 if c == "Б" else 0))
    make_photo(folder / "Б" / "copy.png", seed=10)  # an exact duplicate of Б0.png
    dactyl = DactylApp(model=str(fixture_run["run"]), data=str(folder), backend="torch")
    view = dactyl.dataset_outputs(run_checks=False)
    assert "no curation report yet" in view["summary"] and view["button"] is True
    view = dactyl.dataset_outputs(run_checks=True)
    assert list(view["counts"]["photos"]) == [3, 3] and view["button"] is False
    assert set(view["issues"]["issues_duplicates"]["path"]) == {"Б/Б0.png", "Б/copy.png"}
    assert len(view["clusters"]) == 2  # the duplicate pair, side by side
    cache = tmp_path / f"ukrsl-dactyl-{os.getuid()}"
    assert cache.stat().st_mode & 0o777 == 0o700
    (cached,) = list(cache.glob("report-*/report.json"))
    assert (cached.parent / "report.json.hmac").is_file()
    # a new process on the same photos reuses it; after a photo is deleted it computes a fresh one
    assert DactylApp(model=str(fixture_run["run"]), data=str(folder), backend="torch").dataset_outputs(True)[
        "counts"
    ]["photos"].tolist() == [3, 3]
    (folder / "Б" / "copy.png").unlink()
    again = DactylApp(model=str(fixture_run["run"]), data=str(folder), backend="torch").dataset_outputs(True)
    assert again["counts"]["photos"].tolist() == [3, 2]


def test_a_planted_report_in_the_cache_is_ignored(fixture_run, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    folder = tmp_path / "raw"
    for c in ("А", "Б"):
        for j in range(2):
            make_photo(folder / c / f"{c}{j}.png", seed=j + (10 if c == "Б" else 0))
    dactyl = DactylApp(model=str(fixture_run["run"]), data=str(folder), backend="torch")
    key = data_io.data_fingerprint(dactyl.data)
    planted = report_cache.report_dir(key)
    planted.mkdir(parents=True)
    fake = {"root": str(folder), "classes": [{"name": "А", "count": 999}], "checks": {}}
    (planted / "report.json").write_text(json.dumps(fake), encoding="utf-8")
    (planted / "report.json.hmac").write_text("0" * 64, encoding="ascii")
    view = dactyl.dataset_outputs(run_checks=True)
    assert view["counts"]["photos"].tolist() == [2, 2]  # computed from the photos, not the planted 999


def test_a_cache_folder_open_to_others_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    shared = tmp_path / f"ukrsl-dactyl-{os.getuid()}"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    assert report_cache.cache_root() is None


def test_model_tab_says_what_the_model_is_for_first_and_details_once(app_module):
    overview, details = app_module.dactyl.model_markdown()
    assert (
        overview.index("What it is for")
        < overview.index("What it cannot do")
        < overview.index("How it was evaluated")
    )
    assert "Й (йот)" in overview  # the motion letters named in plain words
    for c in ("А (а)", "Б (бе)", "Й (йот)", "Я (я)", "Ш (ша)", "Ю (ю)"):
        assert c in details
    assert "sign-ml push" in details and "64×64" in details
    assert str(REPO) not in overview + details and "/" not in app_module.dactyl.model_note("en").split("`")[1]
    uk_overview, uk_details = app_module.dactyl.model_markdown("uk")
    assert "Для чого вона" in uk_overview and "Архітектура" in uk_details
    lines = [line for line in details.splitlines() if line.startswith("- **")]
    assert len(lines) == len({line.split(":**")[0] for line in lines})  # each fact once


def test_app_starts_without_a_model_and_says_how_to_get_one(monkeypatch):
    monkeypatch.delenv("DACTYL_MODEL", raising=False)
    monkeypatch.setattr("sign_ml.ui.data.DEMO_MODEL", Path("/nonexistent/models/demo"))
    dactyl = DactylApp()
    assert dactyl.predictor is None
    demo = dactyl.build()
    assert isinstance(demo, gr.Blocks)
    with pytest.raises(gr.Error, match="sign-ml train"):
        dactyl.predict(photo())
    assert "sign-ml train" in dactyl.model_markdown()[0]


def test_build_demo_signature(fixture_run):
    demo = build_demo(model=str(fixture_run["run"]), data=None, lang="uk")
    assert isinstance(demo, gr.Blocks)
    assert sys.modules["sign_ml.ui"].DactylApp is DactylApp  # the package still names the app
