"""The Evaluation tab: a confusion heatmap that fits one screen (click a cell: its photos, the cell stays
outlined with its value), clickable most-confused pairs, every mistake by loss with full captions,
per-class metrics (worst first) and the training curves, all with titles and named axes."""

from __future__ import annotations

from typing import Any, NamedTuple

import gradio as gr

from sign_ml.ui import views
from sign_ml.ui.context import App, TabContext
from sign_ml.ui.i18n import text
from sign_ml.ui.thumbnails import thumbnail_credit


def unseen_signers_values(app: App, lang: str) -> list[Any]:
    """The leave-one-signer-out group's values (shown, summary, table, confusion) for the model served now."""
    loso, _ = app.unseen_signers()
    if loso is None:
        return [gr.update(visible=False), "", None, None]
    heatmap = views.loso_heatmap(loso, lang)  # in the page's language (the saved PNG is the card's)
    return [
        gr.update(visible=True),
        views.loso_markdown(loso, lang),
        views.loso_table(loso, lang),
        gr.update(value=heatmap, visible=heatmap is not None),
    ]


def build_unseen_signers(app: App, t: Any, tab: Any) -> None:
    """Leave-one-signer-out accuracy of the served model (sign-ml loso), the same file the model card reads."""
    with gr.Group(visible=False) as group:
        gr.Markdown(t("loso_head"))
        summary = gr.Markdown(elem_id="eval-loso")
        table = gr.Dataframe(
            label=t("loso_table"), interactive=False, max_height=300, elem_id="eval-loso-table"
        )
        image = gr.Image(label=t("loso_confusion"), interactive=False, height=420, elem_id="eval-loso-cm")

    def on_open(request: gr.Request) -> list[Any]:
        return unseen_signers_values(app, app.lang_of(request))

    tab.select(
        on_open, None, [group, summary, table, image], api_visibility="private", show_progress="hidden"
    )


class Panels(NamedTuple):
    """The tab's panels, in the order the open event fills them."""

    empty: Any  # one plain line when the served model was evaluated on no split
    panels: Any  # the column of everything below
    summary: Any
    heatmap: Any
    caption: Any
    gallery: Any
    pairs: Any
    losses: Any
    per_class: Any
    groups: Any
    curves_loss: Any
    curves_accuracy: Any
    curves_png: Any
    credit: Any


def confusion_section(t: Any) -> tuple[Any, Any, Any, Any]:
    """The heatmap beside the clicked cell's caption and photos and the most-confused pairs."""
    gr.Markdown(t("confusion"))
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            heatmap = gr.Image(
                interactive=False,
                show_label=False,
                elem_id="heatmap",
                type="pil",
                buttons=["fullscreen"],
                container=False,
            )
        with gr.Column(scale=2, min_width=300):
            caption = gr.Markdown(t("cell_hint"), elem_id="cell-caption")
            gallery = gr.Gallery(
                label=t("cell_gallery"),
                columns=3,
                height="auto",
                object_fit="contain",
                elem_id="cell-gallery",
            )
            pairs = gr.Dataframe(label=t("most_confused"), interactive=False, max_height=300, elem_id="pairs")
    return heatmap, caption, gallery, pairs


def panels_section(app: App, t: Any) -> Panels:
    """Every panel, built whatever the model at start-up: the Record tab may switch to a model evaluated
    on a split (panels shown) or on none (one plain line instead of empty tables and plots)."""
    evaluated = app.metrics is not None and app.confusion is not None
    empty = gr.Markdown(t("no_eval"), visible=not evaluated, elem_id="eval-none")
    with gr.Column(visible=evaluated) as panels:
        summary = gr.Markdown(elem_id="eval-summary")
        heatmap, caption, gallery, pairs = confusion_section(t)
        losses = gr.Gallery(
            label=t("top_losses"), columns=6, height="auto", object_fit="contain", elem_id="top-losses"
        )
        per_class = gr.Dataframe(label=t("per_class"), interactive=False, max_height=420, elem_id="per-class")
        groups = gr.Markdown(elem_id="per-class-groups")  # static and motion letters apart
        with gr.Row():
            curves = [
                gr.LinePlot(x="epoch", y="value", color="series", height=280, elem_id=f"curves-{kind}")
                for kind in ("loss", "accuracy")
            ]
        curves_png = gr.Image(label=t("curves_loss"), interactive=False, visible=False)
        credit = gr.Markdown(elem_id="photo-credit")
    return Panels(
        empty,
        panels,
        summary,
        heatmap,
        caption,
        gallery,
        pairs,
        losses,
        per_class,
        groups,
        *curves,
        curves_png,
        credit,
    )


def curve_updates(app: App, lang: str) -> list[Any]:
    """The two training-curve plots from the served model's history, else its curves PNG, titled in `lang`."""
    history = app.model.history  # the model served now, not the one at start-up
    has_curves = history is not None and "epoch" in history.columns
    long = views.curves_long(history, lang) if has_curves else None
    values = [
        gr.update(
            value=long[long["kind"] == kind] if has_curves else None,
            visible=has_curves,
            title=text(f"curves_{kind}", lang),
            x_title=text("axis_epoch", lang),
            y_title=text(f"axis_{kind}", lang),
            color_title="",
        )
        for kind in ("loss", "accuracy")
    ]
    png = app.model.curves_png
    values.append(
        gr.update(
            value=str(png) if png is not None and not has_curves else None,
            visible=png is not None and not has_curves,
        )
    )
    return values


def open_values(app: App, lang: str = "en") -> list[Any]:
    """The tab opened: every `Panels` value for the model served now, in `lang`."""
    if app.metrics is None or app.confusion is None:  # e.g. a Record run evaluated on no split
        nothing = [gr.update() for _ in Panels._fields[2:]]
        return [gr.update(value=text("no_eval", lang), visible=True), gr.update(visible=False), *nothing]
    mistakes = app.top_losses(lang)
    values = [
        gr.update(visible=False),
        gr.update(visible=True),
        views.eval_summary(app.metrics, lang),
        views.confusion_heatmap(app.confusion, lang),
        text("cell_hint", lang),
        [],
        views.most_confused_frame(app.metrics, lang),
        gr.update(
            value=mistakes or None,
            label=text("top_losses", lang) if mistakes else text("no_mistakes", lang),
        ),
        views.per_class_frame(app.metrics, lang),
        views.group_summary(app.metrics, lang),
        *curve_updates(app, lang),
    ]
    credit_line = thumbnail_credit(app.model.eval_dir)
    values.append(f"_{text('thumbs_credit', lang)}: {credit_line}_" if credit_line else "")
    return values


def build(ctx: TabContext, tab: Any) -> None:
    """Lay the tab out in its sections; opening the tab fills them from the model served then."""
    app = ctx.app
    build_unseen_signers(app, ctx.t, tab)
    panels = panels_section(app, ctx.t)
    on_open = ctx.with_lang(open_values, app, name="on_open")
    tab.select(on_open, None, list(panels), api_visibility="private", show_progress_on=[panels.heatmap])
    cell = [panels.heatmap, panels.caption, panels.gallery]
    panels.heatmap.select(app.select_heatmap, None, cell, api_visibility="private")
    panels.pairs.select(app.select_pair, None, cell, api_visibility="private")
