"""In a fresh workspace the Dataset tab's mislabel review says there is nothing to review until photos are
recorded, instead of offering "Find mislabel candidates" on no photos (issue 20, seen in screenshots of a
fresh `--workspace`); once a photo is recorded, opening the tab brings the button back."""

from __future__ import annotations

import io

from conftest import make_model_dir
from PIL import Image

from sign_ml.ui import i18n
from sign_ml.ui.app import DactylApp
from sign_ml.ui.owners import Owners


def by_id(demo, elem_id: str):
    (block,) = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id]
    return block


def test_a_fresh_workspace_offers_no_search_until_a_photo_is_recorded(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DACTYL_SHARED_DATA", "")
    model = tmp_path / "model"
    make_model_dir(model, class_names=("А", "Б"), size=32)
    app = DactylApp(
        model=str(model), workspace=str(tmp_path / "ws"), owners=Owners("password", frozenset({"o"}))
    )
    demo = app.build()
    find, nothing = by_id(demo, "ml-find"), by_id(demo, "ml-nothing")
    assert not find.visible and nothing.visible  # as the page first loads
    assert i18n.text("ml_nothing_yet", "en") != i18n.text("ml_nothing_yet", "uk")  # a line in each language

    # opening the Dataset tab: the public event that shows or hides the review for the photos there now
    (on_open,) = [
        fn.fn for fn in demo.fns.values() if find in fn.outputs and any(n == "select" for _, n in fn.targets)
    ]
    assert [u["visible"] for u in on_open()] == [True, True, False]
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 90, 60)).save(buf, format="JPEG")
    app.workspace.save_photo(buf.getvalue(), signer="olena", session=1, letter="А")
    assert [u["visible"] for u in on_open()] == [True, False, True]
