"""The Gradio app: Recognize, Dataset, Evaluation and Model tabs over one model directory.

`DactylApp` loads the model and the data once and holds the functions the events call (each
testable without a browser); `build()` lays out the Blocks. `app.py` at the top level only parses
arguments and launches. Nothing is downloaded at import: a Hub id is fetched only when passed.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from curation.alphabet import is_ukrainian
from curation.images import UnreadableImageError, load_rgb
from sign_ml.ui import data as data_io
from sign_ml.ui import views
from sign_ml.ui.i18n import make_i18n, pick_lang, text

log = logging.getLogger(__name__)

MAX_FILE_SIZE = "10mb"  # uploads above this are refused by Gradio before any decoding
TOP_K = 5
DEFAULT_THRESHOLD = 0.5  # below this top-1 probability the app says "not sure" instead of a letter
DECODE_MAX_SIDE = 1024  # px: phone photos are decoded reduced (JPEG draft), the model needs ≤ 2 × 224
EXAMPLES_PER_CLASS = 2
CSS = """
#verdict h2 { font-size: 2.6rem; margin: 0.2rem 0; }
#confusion table td, #confusion table th { font-size: 0.8rem; padding: 2px 4px; text-align: center; }
"""


def launch_kwargs(lang: str | None = None) -> dict[str, Any]:
    """What `demo.launch` needs besides host and port: the translations, the upload limit, the look."""
    return {"i18n": make_i18n(lang), "max_file_size": MAX_FILE_SIZE, "css": CSS, "theme": gr.themes.Soft()}


class DactylApp:
    """The app's state (model, evaluation, data) and the functions its events call.

    model: run directory, model directory or Hub id (None: DACTYL_MODEL, else the embedded demo model).
    data: split directory, photo folder or folder with report.json (None: DACTYL_DATA, else the shared
        sample when the demo model is served). lang: "en" | "uk" forces the UI language; None = browser's.
    """

    def __init__(self, model: str | None = None, data: str | None = None, lang: str | None = None,
                 backend: str = "auto"):  # fmt: skip
        self.lang = lang
        model_ref = model or data_io.default_model_ref()
        self.model = data_io.load_model(model_ref, backend=backend)
        self.data = data_io.open_data(data or data_io.default_data_ref(model_ref))
        self.interp, self.metrics = data_io.load_evaluation(self.model.eval_dir)
        self.confusion = views.confusion_frame(self.metrics) if self.metrics else None
        # letter names only when the whole class set is Ukrainian: ASL "B" is not Б
        self.ukrainian = is_ukrainian(self.predictor.class_names) if self.predictor is not None else False

    # ------------------------------------------------------------ helpers
    @property
    def predictor(self) -> Any:
        return self.model.predictor

    def _lang(self, request: gr.Request | None) -> str:
        header = request.headers.get("accept-language") if request is not None and request.headers else None
        return pick_lang(header, self.lang)

    def _require_model(self, lang: str) -> Any:
        if self.predictor is None:
            raise gr.Error(f"{text('no_model', lang)} {text('no_model_help', lang)}", print_exception=False)
        return self.predictor

    @staticmethod
    def to_source(value: Any, lang: str = "en") -> Any:
        """Whatever Gradio or a caller hands over (FileData dict, path, bytes, PIL, numpy) → path, bytes or PIL."""
        if value is None:
            raise gr.Error(text("no_image", lang), print_exception=False)
        if isinstance(value, dict):  # the image component's payload (events use preprocess=False)
            url = value.get("url") or ""
            if value.get("path"):
                return value["path"]
            if url.startswith("data:"):
                return base64.b64decode(url.split(",", 1)[1])
            raise gr.Error(text("no_image", lang), print_exception=False)
        if isinstance(value, np.ndarray):
            return Image.fromarray(value.astype(np.uint8))
        return value

    @staticmethod
    def unreadable(exc: UnreadableImageError, value: Any, lang: str = "en") -> gr.Error:
        """The UI's message for a file that is not a usable photo (the reason, never a stack trace)."""
        name = value.get("orig_name") if isinstance(value, dict) else None
        name = Path(str(name or exc.source)).name
        return gr.Error(f"{text('unreadable', lang)} ({name}): {exc.reason}", print_exception=False)

    def to_image(self, value: Any, lang: str = "en") -> Image.Image:
        """Any accepted input → upright RGB (reduced to DECODE_MAX_SIDE), or a gr.Error naming the reason."""
        try:
            return load_rgb(self.to_source(value, lang), max_side=DECODE_MAX_SIDE)
        except UnreadableImageError as exc:
            raise self.unreadable(exc, value, lang) from None

    # ------------------------------------------------------------ Recognize
    def predict(self, image: Any, request: gr.Request | None = None) -> dict[str, float]:
        """The typed API: one photo → {class name: probability} over all K classes, most probable first."""
        lang = self._lang(request)
        predictor = self._require_model(lang)
        try:  # the file goes straight to the predictor: one decode, at the reduced size the model needs
            probs = predictor.predict_proba(self.to_source(image, lang))[0]
        except UnreadableImageError as exc:
            raise self.unreadable(exc, image, lang) from None
        return views.api_dict(predictor.top(probs, top_k=len(predictor.class_names)))

    def recognize(self, image: Any, threshold: float = DEFAULT_THRESHOLD, show_cam: bool = False,
                  request: gr.Request | None = None) -> tuple[str, dict[str, float], Any]:  # fmt: skip
        """The Recognize tab: (answer Markdown, top-5 for gr.Label, Grad-CAM overlay update)."""
        lang = self._lang(request)
        if image is None:  # cleared
            return "", {}, gr.update(value=None, visible=False)
        predictor = self._require_model(lang)
        photo = self.to_image(image, lang)
        probs = predictor.predict_proba(photo)[0]
        top = predictor.top(probs, top_k=min(TOP_K, len(predictor.class_names)))
        overlay = gr.update(value=None, visible=False)
        if show_cam:
            overlay = gr.update(value=self.gradcam(photo, top[0][0], lang), visible=True)
        return (
            views.verdict_markdown(top, float(threshold), lang, self.ukrainian),
            views.label_dict(top, self.ukrainian),
            overlay,
        )

    def gradcam(self, photo: Image.Image, class_name: str, lang: str = "en") -> Image.Image | None:
        """The Grad-CAM overlay for `class_name`, or None with a warning toast when it cannot be made."""
        from sign_ml.ui.gradcam import gradcam_overlay

        try:
            model = self.predictor.torch_model()
            index = self.predictor.class_names.index(class_name)
            return gradcam_overlay(model, photo, self.predictor.preprocessing, index)
        except Exception as exc:  # an overlay is a nicety: warn, keep the prediction
            log.warning("Grad-CAM failed: %s", exc)
            gr.Warning(f"{text('gradcam_failed', lang)}: {exc}")
            return None

    def examples(self) -> list[str]:
        if self.predictor is None:
            return []
        return data_io.example_photos(self.data, self.predictor.class_names, per_class=EXAMPLES_PER_CLASS)

    # ------------------------------------------------------------ Dataset
    def dataset_outputs(self, run_checks: bool = False, progress: Any = None) -> tuple[Any, ...]:
        """(summary, class counts, imbalance, split sizes, unreadable, duplicates, leakage, button update).

        run_checks: compute the curation report now when there is none (decodes every photo, once).
        """
        ctx = self.data
        empty = pd.DataFrame()
        if ctx.error or ctx.kind == "none":
            message = f"**{ctx.error}**" if ctx.error else text("no_data", self.lang or "en")
            return (message, empty, "", empty, empty, empty, empty, gr.update(visible=False))
        failure = ""
        if run_checks and ctx.report is None:
            try:
                data_io.ensure_report(ctx)
            except Exception as exc:  # shown in the tab; the counts from the folder walk still show
                log.warning("data checks failed on %s: %s", ctx.path, exc)
                failure = f"**Data checks failed:** {type(exc).__name__}: {exc}"
                gr.Warning(failure.replace("**", ""))
        view = self.dataset_view()
        return (f"{failure}\n\n{view[0]}" if failure else view[0], *view[1:])

    def dataset_view(self) -> tuple[Any, ...]:
        """The Dataset tab's values from what is loaded now (no photo decoded)."""
        ctx = self.data
        report = ctx.report or {}
        if ctx.manifest is not None:
            counts = views.class_counts(ctx.manifest["label"])
            sizes = views.split_sizes(ctx.manifest)
        else:
            counts = views.report_counts(report) if report else self._folder_counts()
            splits = report.get("splits") or {}
            sizes = pd.DataFrame({"split": list(splits), "photos": list(splits.values())})
        ratio = views.imbalance_ratio(counts)
        n_photos = int(counts["photos"].sum()) if not counts.empty else 0
        lines = [f"**{ctx.kind}:** `{ctx.path}` · {n_photos} photos, {len(counts)} classes"]
        if report:
            lines.append(views.report_summary(report))
        elif ctx.kind in ("folder", "splits"):
            lines.append(f"_{text('checks_needed', self.lang or 'en')}_")
        tables = (
            views.issue_tables(report, relative_to=str(ctx.roots[0]) if ctx.roots else None) if report else {}
        )
        ratio_md = (
            f"**{ratio:.2f}**"
            if np.isfinite(ratio)
            else ("**∞** (a class has no photos)" if ratio > 0 else "")
        )
        return (
            "\n\n".join(lines),
            counts,
            ratio_md,
            sizes,
            tables.get("issues_unreadable", pd.DataFrame()),
            tables.get("issues_duplicates", pd.DataFrame()),
            tables.get("issues_leakage", pd.DataFrame()),
            gr.update(visible=not report and ctx.kind in ("folder", "splits")),
        )

    def _folder_counts(self) -> pd.DataFrame:
        """Class counts of a raw folder from a walk (no decoding), before any report exists."""
        try:
            from curation.loading import load_table

            return views.class_counts(load_table(self.data.path).table["label"])
        except (FileNotFoundError, ValueError, RuntimeError, OSError) as exc:
            log.warning("cannot list %s: %s", self.data.path, exc)
            return pd.DataFrame({"class": [], "photos": []})

    # ------------------------------------------------------------ Evaluation
    def select_cell(self, evt: gr.SelectData) -> tuple[str, list[tuple[Any, str]]]:
        """A click on the confusion table → (caption, gallery of exactly that cell's photos)."""
        index = evt.index if isinstance(evt.index, list | tuple) else [evt.index, 0]
        return self.cell_gallery(int(index[0]), int(index[1]))

    def cell_gallery(self, row: int, col: int) -> tuple[str, list[tuple[Any, str]]]:
        if self.confusion is None or self.interp is None:
            return text("no_eval", self.lang or "en"), []
        cell = views.cell_from_index(self.confusion, row, col)
        if cell is None:
            return text("cell_hint", self.lang or "en"), []
        rows = self.interp.cell(*cell)
        items = views.gallery_items(
            rows, lambda r: data_io.thumbnail(data_io.photo_path(r, self.data.roots)), self.ukrainian
        )
        shown = [(img, cap) for img, cap in items if img is not None]
        caption = views.cell_caption(cell[0], cell[1], len(rows), self.ukrainian)
        if len(shown) < len(items):
            missing = [cap.split(":")[0] for img, cap in items if img is None]
            caption += f"\n\nPhotos not on this machine (file names only): {', '.join(missing)}"
        return caption, shown

    # ------------------------------------------------------------ Model
    def model_markdown(self) -> str:
        if self.predictor is None:
            return f"**{text('no_model', self.lang or 'en')}** {text('no_model_help', self.lang or 'en')}\n\n{self.model.error or ''}"
        p = self.predictor
        return views.model_markdown(
            p.meta,
            self.model.ref,
            backend=p.backend,
            fallback_reason=p.fallback_reason,
            evaluation=self.metrics,
        )

    # ------------------------------------------------------------ layout
    def build(self) -> gr.Blocks:
        """The Blocks: four tabs, their events, and the typed `predict` API endpoint."""
        t = make_i18n(self.lang)
        lang0 = self.lang or "en"
        with gr.Blocks(title="ukrsl-dactyl", analytics_enabled=False) as demo:
            gr.Markdown(t("title"), elem_id="title")
            with gr.Tabs():
                with gr.Tab(t("tab_recognize"), id="recognize"):
                    self._recognize_tab(t, lang0)
                with gr.Tab(t("tab_dataset"), id="dataset") as dataset_tab:
                    self._dataset_tab(t, dataset_tab)
                with gr.Tab(t("tab_evaluation"), id="evaluation"):
                    self._evaluation_tab(t)
                with gr.Tab(t("tab_model"), id="model"):
                    gr.Markdown(self.model_markdown(), elem_id="model-card")
            # the typed endpoint for gradio_client / curl: one image in, {class: probability} out
            with gr.Row(visible=False):
                api_image = gr.Image(type="filepath", label="image")
                api_label = gr.Label(label="probabilities")
                api_button = gr.Button("predict")
            api_button.click(self.predict, api_image, api_label, api_name="predict", preprocess=False,
                             postprocess=False, concurrency_limit=4, show_progress="hidden")  # fmt: skip
        return demo

    def _recognize_tab(self, t: Any, lang0: str) -> None:
        if self.predictor is None:
            gr.Markdown(f"### {text('no_model', lang0)}\n\n{text('no_model_help', lang0)}\n\n`{self.model.error}`",
                        elem_id="no-model")  # fmt: skip
        else:
            gr.Markdown(views.model_note(self.predictor.meta, self.model.ref, lang0), elem_id="model-note")
        with gr.Row():
            with gr.Column():
                image = gr.Image(sources=["upload", "webcam", "clipboard"], type="pil", label=t("photo"),
                                 height=360, elem_id="photo")  # fmt: skip
                threshold = gr.Slider(0.0, 1.0, value=DEFAULT_THRESHOLD, step=0.05, label=t("threshold"))
                show_cam = gr.Checkbox(False, label=t("gradcam"))
            with gr.Column():
                verdict = gr.Markdown(elem_id="verdict")
                label = gr.Label(num_top_classes=TOP_K, label=t("top5"), show_heading=False, elem_id="top5")
                overlay = gr.Image(
                    label=t("gradcam_image"), visible=False, interactive=False, height=300, elem_id="gradcam"
                )
        examples = self.examples()
        if examples:
            gr.Examples([[p] for p in examples], inputs=[image], label=t("examples"),
                        examples_per_page=min(len(examples), 2 * 13))  # fmt: skip
        # preprocess=False: Gradio still checks the upload is its own cached file, but the decoding is ours
        # (curation.images via sign_ml.presets), so a non-image or broken file gives a clear gr.Error, not
        # Gradio's generic failure inside PIL.Image.open; the API endpoint below does the same.
        gr.on([image.change, threshold.release, show_cam.change], self.recognize, [image, threshold, show_cam],
              [verdict, label, overlay], preprocess=False, api_visibility="private",
              trigger_mode="always_last")  # fmt: skip

    def _dataset_tab(self, t: Any, tab: Any) -> None:
        summary = gr.Markdown(elem_id="dataset-summary")
        run_button = gr.Button(t("run_checks"), visible=False, variant="primary")
        with gr.Row():
            balance = gr.BarPlot(x="class", y="photos", label=t("class_balance"), height=320,
                                 sort=None, x_label_angle=-45, y_lim=[0, None])  # fmt: skip
            with gr.Column(scale=0, min_width=220):
                gr.Markdown(t("imbalance"))
                ratio = gr.Markdown()
        sizes = gr.Dataframe(label=t("split_sizes"), interactive=False, max_height=300)
        unreadable = gr.Dataframe(label=t("issues_unreadable"), interactive=False, max_height=300, wrap=True)
        duplicates = gr.Dataframe(label=t("issues_duplicates"), interactive=False, max_height=300, wrap=True)
        leakage = gr.Dataframe(label=t("issues_leakage"), interactive=False, max_height=300, wrap=True)
        outputs = [summary, balance, ratio, sizes, unreadable, duplicates, leakage, run_button]

        def on_open(progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple[Any, ...]:  # noqa: B008 (Gradio's idiom)
            # a raw folder is checked once, on first open: the photos are decoded in the background
            return self._with_sort(
                self.dataset_outputs(run_checks=self.data.kind == "folder", progress=progress)
            )

        def on_click(progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple[Any, ...]:  # noqa: B008
            return self._with_sort(self.dataset_outputs(run_checks=True, progress=progress))

        # one progress bar (on the chart), not one over every table
        tab.select(on_open, None, outputs, api_visibility="private", show_progress_on=[balance])
        run_button.click(on_click, None, outputs, api_visibility="private", show_progress_on=[balance])

    @staticmethod
    def _with_sort(values: tuple[Any, ...]) -> tuple[Any, ...]:
        counts = values[1]
        if isinstance(counts, pd.DataFrame) and not counts.empty:  # keep alphabet order on the x axis
            values = (values[0], gr.update(value=counts, sort=list(counts["class"])), *values[2:])
        return values

    def _evaluation_tab(self, t: Any) -> None:
        if self.metrics is None or self.confusion is None:
            gr.Markdown(t("no_eval"))
            return
        gr.Markdown(views.eval_summary(self.metrics))
        gr.Markdown(t("confusion"))
        widths = ["110px"] + ["58px"] * len(
            self.confusion.columns
        )  # narrow square-ish cells, a heatmap not a sheet
        table = gr.Dataframe(views.confusion_styler(self.confusion), interactive=False, elem_id="confusion",
                             max_height=700, show_search="none", column_widths=widths)  # fmt: skip
        caption = gr.Markdown(t("cell_hint"), elem_id="cell-caption")
        gallery = gr.Gallery(label=t("cell_gallery"), columns=6, height="auto", fit_columns=False, object_fit="contain",
                             elem_id="cell-gallery")  # fmt: skip
        table.select(self.select_cell, None, [caption, gallery], api_visibility="private")
        with gr.Row():
            gr.Dataframe(
                views.per_class_frame(self.metrics), label=t("per_class"), interactive=False, max_height=420
            )
            gr.Dataframe(views.most_confused_frame(self.metrics), label=t("most_confused"), interactive=False,
                         max_height=420)  # fmt: skip
        history = self.model.history
        if history is not None and "epoch" in history.columns:
            long = views.curves_long(history)
            with gr.Row():
                gr.LinePlot(long[long["kind"] == "loss"], x="epoch", y="value", color="series", label=t("curves"),
                            height=280)  # fmt: skip
                gr.LinePlot(long[long["kind"] == "accuracy"], x="epoch", y="value", color="series", height=280,
                            show_label=False)  # fmt: skip
        elif self.model.curves_png is not None:
            gr.Image(str(self.model.curves_png), label=t("curves"), interactive=False)


def build_demo(model: str | None = None, data: str | None = None, lang: str | None = None) -> gr.Blocks:
    """The app's Blocks for a model (run dir or Hub id) and data (split dir, folder or report dir)."""
    return DactylApp(model=model, data=data, lang=lang).build()


__all__ = ["DactylApp", "build_demo", "launch_kwargs", "MAX_FILE_SIZE"]
