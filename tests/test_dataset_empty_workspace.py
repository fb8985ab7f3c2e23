"""The Dataset tab of a workspace with no photos yet says where photos come from, instead of "The data checks
failed: ValueError: …/ws: no photos found" (issue 20, seen in the Ukrainian page of a fresh workspace); once
a photo is recorded, the tab shows the folder again."""

from __future__ import annotations

import io

import gradio as gr
from PIL import Image

from sign_ml.ui import tab_dataset
from sign_ml.ui.app import DactylApp


def test_a_fresh_workspace_reads_as_not_yet_recorded_and_a_recorded_one_as_its_photos(tmp_path) -> None:
    app = DactylApp(workspace=str(tmp_path / "ws"))
    app.refresh_data()
    assert tab_dataset.recording_nothing_yet(app)
    values = tab_dataset.render(tab_dataset.empty_workspace_view("uk"), "uk")
    assert "ще немає фото" in values[0] and "Error" not in values[0]
    assert values[-1] == gr.update(visible=False)  # no "run the checks" button on nothing

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 90, 60)).save(buf, format="JPEG")
    app.workspace.save_photo(buf.getvalue(), signer="olena", session=1, letter="А")
    app.refresh_data()
    assert not tab_dataset.recording_nothing_yet(app)
    summary = app.dataset_outputs(lang="en")["summary"]
    assert "1 photos" in summary and "no photos found" not in summary
