"""The Dataset tab: class balance, split sizes and the curation findings (unreadable files, duplicate
clusters with their thumbnails, leakage); "none found" instead of an empty table; with no photos on the
machine, what the model recorded of its data and how to add the photos."""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from sign_ml.ui import views
from sign_ml.ui.context import TabContext, recording_nothing_yet
from sign_ml.ui.i18n import text

GROUPS = tuple(views.ISSUE_GROUPS)


def render(view: dict[str, Any], lang: str) -> list[Any]:
    """The Dataset tab's values (DactylApp.dataset_outputs) → one update per output of `build`, in order."""
    counts: pd.DataFrame = view["counts"]
    has_counts = not counts.empty
    values: list[Any] = [
        view["summary"],
        gr.update(
            value=counts,
            visible=has_counts,
            sort=list(counts["class"]) if has_counts else None,
            title=text("class_balance", lang),
            x_title=text("axis_class", lang),
            y_title=text("axis_photos", lang),
        ),
        gr.update(visible=has_counts),
        gr.update(value=view["ratio"], visible=has_counts),
        gr.update(value=views.translate_columns(view["sizes"], lang), visible=not view["sizes"].empty),
    ]
    issues = view["issues"]
    for key in GROUPS:
        table = issues.get(key) if issues is not None else None
        if table is None:  # no report (or no photos): hide what cannot be filled
            values += [gr.update(visible=False), gr.update(), gr.update(visible=False)]
        elif table.empty:
            values += [
                gr.update(visible=True),
                f"**{text(key, lang)}:** {text('none_found', lang)}",
                gr.update(value=None, visible=False),
            ]
        else:
            values += [
                gr.update(visible=True),
                f"**{text(key, lang)}** ({len(table)})",
                gr.update(value=views.localize_issues(table, lang), visible=True),
            ]
    values.append(gr.update(value=view["clusters"] or None, visible=bool(view["clusters"])))
    values.append(gr.update(visible=view["button"]))
    return values


def empty_workspace_view(lang: str) -> dict[str, Any]:
    """The Dataset tab for a workspace with no photos: where they come from, no button, no empty panels."""
    return {
        "summary": text("ws_no_photos", lang),
        "counts": pd.DataFrame(columns=["class", "photos"]),
        "ratio": "",
        "sizes": pd.DataFrame(columns=["split", "photos"]),
        "issues": None,
        "clusters": [],
        "button": False,
        "has_data": False,
    }


def build(ctx: TabContext, tab: Any) -> None:
    app, t = ctx.app, ctx.t
    summary = gr.Markdown(elem_id="dataset-summary")
    run_button = gr.Button(t("run_checks"), visible=False, variant="primary")
    with gr.Row():
        short = all(len(c) <= 2 for c in app.class_names)  # single letters stay level; longer names tilt
        balance = gr.BarPlot(
            x="class",
            y="photos",
            height=320,
            sort=None,
            x_label_angle=0 if short else -45,
            y_lim=[0, None],
            elem_id="balance",
        )
        with gr.Column(scale=0, min_width=220):
            ratio_title = gr.Markdown(t("imbalance"))
            ratio = gr.Markdown()
    sizes = gr.Dataframe(label=t("split_sizes"), interactive=False, max_height=300, elem_id="split-sizes")
    blocks = []
    for key in GROUPS:
        with gr.Group(visible=False) as group:
            heading = gr.Markdown(elem_id=f"{key}-heading")
            table = gr.Dataframe(interactive=False, max_height=300, wrap=True, visible=False, elem_id=key)
        blocks.append((key, group, heading, table))
    clusters = gr.Gallery(
        label=t("dup_gallery"),
        columns=6,
        height="auto",
        visible=False,
        object_fit="contain",
        elem_id="dup-gallery",
    )
    outputs = [
        summary,
        balance,
        ratio_title,
        ratio,
        sizes,
        *[x for _, g, h, tb in blocks for x in (g, h, tb)],
        clusters,
        run_button,
    ]

    def on_open(lang: str, progress: Any) -> list[Any]:
        # a raw folder is checked once, on first open: its photos are decoded once, then cached
        app.refresh_data()
        if recording_nothing_yet(app):  # not a failed check ("ValueError: no photos found"): nothing yet
            return render(empty_workspace_view(lang), lang)
        return render(app.dataset_outputs(run_checks=app.data.kind == "folder", lang=lang), lang)

    def on_click(lang: str, progress: Any) -> list[Any]:
        return render(app.dataset_outputs(run_checks=True, lang=lang), lang)

    from sign_ml.ui import tab_mislabels

    if app.owners is not None:  # the search takes minutes of CPU and the decisions write: the owner's
        with app.owner_only():
            review = tab_mislabels.build(ctx)

        def on_open_review() -> list[Any]:  # public: it only shows or hides the review, for what is there now
            return tab_mislabels.section(app)

        tab.select(on_open_review, None, review, api_visibility="private")
    shown = {"api_visibility": "private", "show_progress_on": [balance]}
    tab.select(ctx.with_lang(on_open, progress=True), None, outputs, **shown)
    run_button.click(ctx.with_lang(on_click, progress=True), None, outputs, **shown)
