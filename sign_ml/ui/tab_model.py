"""The Model tab: first, in plain language, what the model is for, what it cannot do and how it was
evaluated; the details below in a collapsed section."""

from __future__ import annotations

from typing import Any

import gradio as gr

from sign_ml.ui.context import TabContext


def build(ctx: TabContext, tab: Any) -> None:
    overview = gr.Markdown(elem_id="model-overview")
    with gr.Accordion(ctx.t("model_details"), open=False, elem_id="model-details-box"):
        details = gr.Markdown(elem_id="model-details")
    on_open = ctx.with_lang(ctx.app.model_markdown, name="on_open")
    tab.select(on_open, None, [overview, details], api_visibility="private", show_progress="hidden")
