"""The Dataset tab's mislabel review: photos whose letter a landmark model that never saw them disagrees
with (k-fold out-of-sample probabilities, ranked by cleanlab: `sign_ml.mislabels`), most suspicious first.

A click on a photo offers "relabel as X", "exclude" and "keep"; the choice goes to the decisions file
beside the data (`curation.decisions`, applied by the next `sign-curate split`), never to the photo. The
buttons exist only when the app was given a workspace and shows that workspace's photos; otherwise the
list is read-only and says how to decide from the command line.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from sign_ml.ui import views
from sign_ml.ui.context import App, TabContext, recording_nothing_yet
from sign_ml.ui.i18n import number_text, text

log = logging.getLogger(__name__)

SHOWN = 48  # candidates in the gallery (the CLI lists them all)


def decision_tags(app: App) -> dict[str, str]:
    """relpath → "excluded" / "→ X" for the decisions already made (empty without a writable workspace)."""
    if not app.writes_decisions:
        return {}
    from curation.decisions import read_decisions

    table = read_decisions(app.workspace.root)
    return {str(r.file_name): ("✗" if r.action == "exclude" else f"→ {r.label}") for r in table.itertuples()}


def captions(app: App, rows: list[dict[str, Any]], lang: str) -> list[tuple[Any, str]]:
    """(thumbnail, caption) per candidate: rank, given → suggested with probabilities, the file, any decision."""
    from sign_ml.ui import data as data_io

    tags = decision_tags(app)
    uk = app.ukrainian
    items = []
    for row in rows:
        photo = data_io.thumbnail(data_io.photo_path(row, app.data.roots))
        if photo is None:
            continue
        tag = f" · {text('ml_decided', lang)} {tags[row['relpath']]}" if row["relpath"] in tags else ""
        items.append(
            (
                photo,
                f"#{row['rank']} {views.display_label(str(row['given']), uk)} {views.pct(row['given_prob'])} → "
                f"{views.display_label(str(row['suggested']), uk)} {views.pct(row['suggested_prob'])} · "
                f"{row['relpath']}{tag}",
            )
        )
    return items


def section(app: App) -> list[Any]:
    """[heading, "nothing to review yet" line, find button] for the data as it is now: a workspace with no
    photo recorded yet gets the line instead of a button whose search could only fail."""
    # photos to check: a split or a folder on this machine, or the workspace being recorded; else nothing
    source = app.workspace is not None or app.data.kind in ("splits", "folder")
    empty = source and recording_nothing_yet(app)
    return [gr.update(visible=source), gr.update(visible=empty), gr.update(visible=source and not empty)]


def find(app: App, lang: str = "en") -> tuple[str, list[tuple[Any, str]], list[dict[str, Any]]]:
    """Run the check on the app's data → (summary, gallery, the candidate rows)."""
    from sign_ml.mislabels import find_mislabels

    if app.data.path is None or app.data.kind not in ("folder", "splits"):
        return text("ml_no_data", lang), [], []
    try:
        result = find_mislabels(app.data.path)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        return f"⚠ {exc}", [], []
    rows = result.table.head(SHOWN).to_dict("records")
    summary = text(
        "ml_summary",
        lang,
        n=len(result.table),
        checked=result.n_checked,
        folds=result.folds,
        s=number_text(result.seconds, ".1f", lang),
        no_hand=result.n_no_hand,
    )
    how = (
        text("ml_how_workspace", lang)
        if app.writes_decisions
        else text("ml_how_cli", lang, data=app.data.path)
    )
    return f"{summary}\n\n{how}", captions(app, rows, lang), rows


def pick(app: App, rows: list[dict[str, Any]] | None, index: int, lang: str = "en") -> tuple[Any, ...]:
    """A click on candidate `index` → (selected index, what was picked, the relabel choice, the actions row)."""
    if not rows or not 0 <= index < len(rows) or not app.writes_decisions:
        return None, "", gr.update(), gr.update(visible=False)
    row = rows[index]
    totals = app.workspace.counts()["total"]
    letters = [str(letter) for letter, n in totals.items() if n > 0]  # letters with photos: a relabel target
    shown = text("ml_picked", lang, path=row["relpath"], given=row["given"], suggested=row["suggested"])
    return index, shown, gr.update(choices=letters, value=str(row["suggested"])), gr.update(visible=True)


def decide(
    app: App,
    rows: list[dict[str, Any]] | None,
    index: int | None,
    action: str,
    label: str | None,
    lang: str = "en",
) -> tuple[str, list[tuple[Any, str]]]:
    """Write one decision ("relabel" to `label`, "exclude", or "keep" = undo) → (status, the refreshed gallery)."""
    from curation.decisions import DECISIONS_FILE, record_decision

    if not app.writes_decisions:  # the buttons are hidden then; an API call still gets a refusal
        raise gr.Error(text("ml_read_only", lang), print_exception=False)
    if not rows or index is None or not 0 <= index < len(rows):
        return text("ml_pick_first", lang), gr.update()
    relpath = str(rows[index]["relpath"])
    try:
        record_decision(app.workspace.root, relpath, action, label if action == "relabel" else None)
    except (ValueError, FileNotFoundError) as exc:
        return f"⚠ {exc}", gr.update()
    done = text(f"ml_done_{action}", lang, path=relpath, label=label or "", file=DECISIONS_FILE)
    return done, captions(app, rows, lang)


def build(ctx: TabContext) -> list[Any]:
    """The review section, laid out inside the Dataset tab → [heading, nothing-yet line, find button], which
    the tab shows or hides on open (`section`): photos recorded since the page loaded bring the button."""
    app, t = ctx.app, ctx.t
    rows_state = gr.State(None)
    selected = gr.State(None)
    heading_shown, nothing_shown, find_shown = (u["visible"] for u in section(app))
    heading = gr.Markdown(t("ml_head"), visible=heading_shown)
    nothing = gr.Markdown(t("ml_nothing_yet"), visible=nothing_shown, elem_id="ml-nothing")
    find_btn = gr.Button(t("ml_find"), elem_id="ml-find", visible=find_shown)
    review = [heading, nothing, find_btn]
    summary = gr.Markdown(elem_id="ml-summary")
    gallery = gr.Gallery(
        label=t("ml_gallery"),
        columns=6,
        height="auto",
        object_fit="contain",
        allow_preview=False,
        visible=False,
        elem_id="mislabels",
    )
    private = {"api_visibility": "private"}

    def on_find(lang: str, progress: Any) -> tuple[Any, ...]:
        md, items, rows = find(app, lang)
        return md, gr.update(value=items or None, visible=bool(items)), rows

    on_find = ctx.with_lang(on_find, progress=True)
    find_btn.click(on_find, None, [summary, gallery, rows_state], show_progress_on=[gallery], **private)
    if not app.writes_decisions:  # read-only: no button, no event that writes
        return review
    with gr.Row(visible=False, elem_id="ml-actions") as actions:
        picked = gr.Markdown(elem_id="ml-picked")
        relabel_to = gr.Dropdown(label=t("ml_relabel_as"), choices=[], elem_id="ml-relabel-to")
        relabel = gr.Button(t("ml_relabel"), variant="primary", elem_id="ml-relabel")
        exclude = gr.Button(t("ml_exclude"), variant="stop", elem_id="ml-exclude")
        keep = gr.Button(t("ml_keep"), elem_id="ml-keep")
    find_btn.click(lambda: (None, gr.update(visible=False)), None, [selected, actions], **private)

    def on_select(rows, evt: gr.SelectData, request: gr.Request):
        index = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        return pick(app, rows, int(index), app.lang_of(request))

    gallery.select(on_select, rows_state, [selected, picked, relabel_to, actions], **private)

    for button, action in ((relabel, "relabel"), (exclude, "exclude"), (keep, "keep")):
        on_decide = ctx.with_lang(decide, app, action=action, name="on_decide")
        button.click(on_decide, [rows_state, selected, relabel_to], [picked, gallery], **private)
    return review
