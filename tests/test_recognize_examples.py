"""The Recognize tab's examples follow the model served: after the Record tab's Train switches it, they are
the new model's own test photos (of its letters, never a clip), for every page, made once; a page still
showing the earlier model's examples picks nothing by mistake."""

from __future__ import annotations

import threading
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from clip_helpers import make_clip
from conftest import make_photo
from test_app import responsive_model

from sign_ml.artifacts import ModelMeta, save_model_dir
from sign_ml.evaluate import Interpretation
from sign_ml.presets import Preprocessing
from sign_ml.ui import tab_recognize
from sign_ml.ui.app import DactylApp


def run_of(root: Path, classes: list[str], photos: Path) -> Path:
    """A tiny image-model run evaluated on two test photos per letter of `photos`, and one clip of the first."""
    rel = [f"{c}/{c}_{j}.png" for c in classes for j in range(2)]
    for k, r in enumerate(rel):
        if not (photos / r).is_file():
            make_photo(photos / r, seed=1000 + k + 50 * len(classes))
    clip = f"{classes[0]}/{classes[0]}_0.clip.json"  # sorts before the photos: never an example
    make_clip(photos / clip, classes[0])
    rel.insert(0, clip)
    y = np.array([classes.index(r.split("/")[0]) for r in rel])
    torch.manual_seed(0)
    meta = ModelMeta(class_names=classes, preprocessing=Preprocessing(size=64), width_mult=0.25)
    save_model_dir(root, responsive_model(len(classes)), meta)
    probs = np.eye(len(classes), dtype=np.float32)[y]
    Interpretation(classes, y, probs, [str(photos / r) for r in rel], rel).save(root / "eval" / "test")
    return root


def select(index: int, caption: str) -> gr.SelectData:
    return gr.SelectData(None, {"index": index, "value": {"image": None, "caption": caption}})


def test_examples_follow_the_model_train_switched_to(tmp_path):
    photos = tmp_path / "ws"
    first = run_of(tmp_path / "first", ["A", "B", "C"], photos)
    second = run_of(tmp_path / "second", ["A", "C", "E"], photos)
    app = DactylApp(model=str(first), data=str(photos), backend="torch")
    assert [label for _, label in app.example_files()] == ["A", "B", "C"]

    app.use_model(str(second))  # what tab_record.train_now does once Train has finished
    pages: list[list[tuple[str, str]]] = []
    start = threading.Barrier(2)

    def open_page() -> None:
        start.wait()
        pages.append(app.example_files())

    threads = [threading.Thread(target=open_page) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert pages[0] is pages[1]  # two pages at once: one set of copies
    files = pages[0]
    assert [label for _, label in files] == ["A", "C", "E"]  # the new model's letters, no clip among them
    originals = [photos / f"{c}/{c}_0.png" for c in ("A", "C", "E")]
    assert [Path(p).read_bytes() for p, _ in files] == [o.read_bytes() for o in originals]
    update = tab_recognize.example_update(app)  # the page load and every return to the tab
    assert update["value"] == files and update["visible"]

    photo, *_ = app.pick_example(select(1, "C"))
    assert photo == files[1][0]
    photo, *_ = app.pick_example(select(1, "B"))  # a page still showing the first model's B there
    assert photo == gr.update()


def test_a_model_evaluated_on_no_split_hides_the_examples(tmp_path):
    photos = tmp_path / "ws"
    first = run_of(tmp_path / "first", ["A", "B"], photos)
    bare = run_of(tmp_path / "bare", ["A", "B"], photos)
    (bare / "eval" / "test" / "metrics.json").unlink()  # no evaluation the app can read
    app = DactylApp(model=str(first), data=str(photos), backend="torch")
    assert tab_recognize.example_update(app)["visible"]
    app.use_model(str(bare))
    update = tab_recognize.example_update(app)
    assert update["value"] == [] and not update["visible"]
