"""The Recognize tab's layout: photo in (upload, webcam, clipboard, examples) or a short video (upload or a
webcam recording, for the letters signed with movement); answer, top-5 and pictures out.

One recognition per photo: the photo's `input` event (a user's upload, capture, paste or removal) and a
click on an example run it; `change`, which also fires when a value is set programmatically, is not used.
On a phone the result column comes first (CSS `order`), so the answer sits above the photo.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from sign_ml.ui.context import TabContext
from sign_ml.ui.views import DEFAULT_THRESHOLD, TOP_K


def video_file(value: Any) -> Any:
    """gr.Video's raw payload ({"video": FileData, "subtitles": ...}) → the FileData of its video; None stays."""
    if isinstance(value, dict) and "video" in value:
        return value["video"]
    return value


def build(ctx: TabContext) -> tuple[Any, list[Any]]:
    """Lay the tab out and wire its events; returns (page-load function, its outputs) for the header note."""
    app, t = ctx.app, ctx.t
    note = gr.Markdown(elem_id="model-note")
    with gr.Row(equal_height=False):
        with gr.Column(elem_id="photo-col"):
            # mirror=False: Gradio flips the captured frame itself when the preview is a selfie mirror, and
            # handedness changes letters, so the model must get what the camera sees
            image = gr.Image(
                sources=["upload", "webcam", "clipboard"],
                type="filepath",
                label=t("photo"),
                height=360,
                elem_id="photo",
                webcam_options=gr.WebcamOptions(mirror=False),
            )
            gr.Markdown(t("photo_limit"), elem_id="photo-limit")
            # a movement: one letter recorded or uploaded; read by sign_ml.videos through DactylApp.infer
            video = gr.Video(
                sources=["upload", "webcam"],
                label=t("video_input"),
                height=300,
                include_audio=False,
                webcam_options=gr.WebcamOptions(mirror=False),
                elem_id="video",
            )
            gr.Markdown(t("video_limit"), elem_id="video-limit")
            threshold = gr.Slider(0.0, 1.0, value=DEFAULT_THRESHOLD, step=0.05, label=t("threshold"))
            show_cam = gr.Checkbox(False, label=t("gradcam"), visible=app.is_image_model, elem_id="show-cam")
        with gr.Column(elem_id="result-col"):
            verdict = gr.Markdown(elem_id="verdict")
            label = gr.Label(num_top_classes=TOP_K, label=t("top5"), show_heading=False, elem_id="top5")
            with gr.Row():
                hand = gr.Image(
                    label=t("hand_image"), visible=False, interactive=False, height=300, elem_id="hand"
                )
                crop = gr.Image(
                    label=t("crop_image"), visible=False, interactive=False, height=300, elem_id="crop"
                )
            cam = gr.Image(
                label=t("gradcam_image"), visible=False, interactive=False, height=300, elem_id="gradcam"
            )
            legend = gr.Markdown(visible=False, elem_id="gradcam-legend")
    outputs = [verdict, label, hand, crop, cam, legend]
    inputs = [image, threshold, show_cam]
    gallery = examples_gallery(app, t, [threshold, show_cam], [image, *outputs])
    # preprocess=False: Gradio still checks the upload is its own cached file, but the decoding is ours
    # (DactylApp.infer), so a non-image or broken file gets a clear message, not a failure inside PIL
    common = {"preprocess": False, "api_visibility": "private", "trigger_mode": "always_last"}
    image.input(app.recognize, inputs, outputs, **common)
    threshold.release(app.recognize, inputs, outputs, **common)
    show_cam.input(app.recognize, inputs, outputs, **common)

    def on_video(value: Any, level: float, request: gr.Request) -> tuple[Any, ...]:
        return app.recognize(video_file(value), level, False, request)

    video.input(on_video, [video, threshold], outputs, **common)

    def on_load(request: gr.Request) -> tuple[str, Any]:
        return app.model_note(app.lang_of(request)), example_update(app)

    return on_load, [note, gallery]


def examples_gallery(app: Any, t: Any, inputs: list[Any], outputs: list[Any]) -> Any:
    """The examples: a gallery, not gr.Examples (it shows each photo with its true letter, and a click is one
    event); built even when empty, since the Record tab's Train may switch to a model that has examples."""
    examples = app.example_files()
    gallery = gr.Gallery(
        examples,
        label=t("examples"),
        columns=9,
        height="auto",
        allow_preview=False,
        object_fit="cover",
        visible=bool(examples),
        elem_id="examples",
    )
    gallery.select(app.pick_example, inputs, outputs, api_visibility="private", trigger_mode="always_last")
    return gallery


def example_update(app: Any) -> Any:
    """The examples gallery for the model served now (the page load and every return to the tab)."""
    examples = app.example_files()
    return gr.update(value=examples, visible=bool(examples))
