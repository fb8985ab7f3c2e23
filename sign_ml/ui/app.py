"""The Gradio app: Recognize, Dataset, Evaluation and Model tabs over one model directory.

`DactylApp` loads the model and the data once and holds the functions the events call (each testable
without a browser); `build()` lays out the Blocks, one module per tab (`tab_*.py`). `app.py` at the
top level only parses arguments and launches. Nothing is downloaded at import: a Hub id is fetched only
when passed. Every photo, from the page or the API, goes through `DactylApp.infer`: one size check, one
bounded decode, one call of the predictor.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from PIL import Image

from curation.alphabet import is_ukrainian
from curation.images import UnreadableImageError, load_rgb
from sign_ml import videos
from sign_ml.ui import data as data_io
from sign_ml.ui import safety, views
from sign_ml.ui.context import TabContext
from sign_ml.ui.i18n import make_i18n, page_text_script, pick_lang, text
from sign_ml.ui.owners import LOCAL, Owners, owner_only
from sign_ml.ui.safety import MAX_FILE_SIZE, UploadRefused
from sign_ml.ui.views import DEFAULT_THRESHOLD, TOP_K

log = logging.getLogger(__name__)

DISPLAY_SIDE = 640  # px: the photo shown back (skeleton, Grad-CAM) is at most this large
STATE_SESSIONS = 1000  # sessions whose state Gradio keeps in memory (API calls included)
DELETE_CACHE = (1800, 3600)  # Gradio's temp files (uploads included): swept every 30 min, deleted after 1 h
CSS = """
#verdict h2 { font-size: 2.6rem; margin: 0.2rem 0; }
#heatmap img { max-height: 860px; object-fit: contain; cursor: crosshair; }
#cell-gallery .caption-label, #top-losses .caption-label, #dup-gallery .caption-label, #mislabels .caption-label {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; font-size: 0.75rem;
  line-height: 1.2; }
/* Gradio sets --grid-cols to min(columns, photos): one photo would fill the whole width */
#top-losses .grid-container, #dup-gallery .grid-container, #mislabels .grid-container { --grid-cols: 6 !important; }
#cell-gallery .grid-container { --grid-cols: 3 !important; }
/* Gradio narrows the grid to the photos' count: a 3-letter workspace model's examples were 400 px each */
#examples .grid-container { --grid-cols: 9 !important; }
#examples .fixed-height { min-height: 0 !important; }  /* and left 450 px of white below them */
/* a component's label wraps before its buttons instead of running under them ("Матриця помилок без однієї") */
label[data-testid="block-label"] { white-space: normal; max-width: calc(100% - 7.5rem); }
/* long folder paths in the Record tab's results break where they must instead of running off a phone */
#pub-result code, #rec-train-result code, #rec-status em { overflow-wrap: anywhere; white-space: normal; }
/* table headers break between words, never inside one ("clust er") */
table th, table th * { word-break: normal !important; overflow-wrap: normal !important; hyphens: none; }
/* the Live outputs are rewritten ~7 times a second: Gradio 6.31 still draws its status tracker's "0.0s" on
   them although every Live event has show_progress="hidden" (tests/test_live_app.py checks that) */
#live-letter .progress-text, #live-word .progress-text, #live-prompt .progress-text,
#live-summary .progress-text, #live-view .progress-text { display: none !important; }
@media (max-width: 768px) {
  #result-col { order: -1; }
  /* 3 photos a row fit a phone's 326 px: 5 made the grid 532 px wide, 10 examples off screen */
  #examples .grid-container { --grid-cols: 3 !important; }
  /* the heatmap keeps its own size (readable cells, never 11 px) and scrolls sideways where it is wider than
     the phone; a forced 640 px blew a 6-letter matrix up twice, its one coloured column off screen */
  #heatmap { overflow-x: auto; }
  #heatmap img { width: auto !important; height: auto !important; max-width: none !important; min-width: 0; }
  #cell-gallery .grid-container, #top-losses .grid-container, #dup-gallery .grid-container,
  #mislabels .grid-container { --grid-cols: 2 !important; }
}
"""


def launch_kwargs(lang: str | None = None, auth: tuple[str, str] | None = None) -> dict[str, Any]:
    """What `demo.launch` needs besides host and port: the translations, the upload and request-body limits,
    the look, the Live tab's browser assets (its script in the head, the files it may load), and Gradio's own
    login when `auth` = (user, password) is given."""
    from starlette.middleware import Middleware

    from sign_ml.ui import live_browser, live_route
    from sign_ml.ui.fonts import font_css, theme

    kwargs = {
        "i18n": make_i18n(lang),
        "max_file_size": MAX_FILE_SIZE,
        "css": font_css() + CSS,  # Noto Sans embedded: no CDN, no theme font that misreads letters
        "theme": theme(),
        # the Live tab's browser path, and Gradio's own untranslated text (queue line, webcam button)
        "head": live_browser.head() + page_text_script(lang),
        "allowed_paths": live_browser.allowed_paths(),
        # every body is refused over MAX_BODY_BYTES before it is read (Gradio parses whole JSON bodies first)
        # and the Live tab's light endpoint for landmarks messages (live_route), beside Gradio's own routes
        "app_kwargs": {
            "middleware": [Middleware(safety.BodyLimit, max_bytes=safety.MAX_BODY_BYTES)],
            "routes": live_route.routes(),
        },
        # Gradio keeps each session's copy of the page config (~180 KB here), and every /predict call is a
        # session of its own: 10,000 (its default) would be ~1.8 GB; the least recently used go first
        "state_session_capacity": STATE_SESSIONS,
    }
    if auth is not None:
        kwargs["auth"] = [auth]
    return kwargs


API_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "number"},
    "description": "{letter: probability} over all letters, most probable first; {} when no hand is found",
}


def probabilities_output() -> gr.JSON:
    """The /predict output: a JSON object {letter: probability}, documented as exactly that on the API page
    (gr.Label would document its own {label, confidences} shape, which /predict does not return)."""
    out = gr.JSON(label="probabilities")
    out.api_info = lambda: dict(API_SCHEMA)  # an instance override: a subclass would make Gradio write a .pyi
    return out


@dataclass
class Inference:
    """One photo's outcome, the same for the page and the API."""

    top: list[tuple[str, float]] | None  # all K (letter, probability), most probable first; None = no hand
    # the upright photo the model saw (hand stage), when the predictor gives it
    image: Image.Image | None = None
    detection: Any = None  # curation.hands.HandDetection, when the predictor runs a hand stage
    crop: Image.Image | None = None  # the hand crop the model used, if any
    # how a motion letter was read: "still" (a photo: only its start), "seen" (a video through a model of
    # movements), "unseen" (a video through a model of handshapes, which cannot see the movement)
    movement: str = "still"

    @property
    def no_hand(self) -> bool:
        return self.top is None


class DactylApp:
    """The app's state (model, evaluation, data) and the functions its events call.

    model: run directory, model directory or Hub id (None: DACTYL_MODEL, else the embedded demo model).
    data: split directory, photo folder or folder with report.json (None: DACTYL_DATA, else the shared
        sample when the demo model is served). lang: "en" | "uk" forces the UI language; None = browser's.
    """

    def __init__(
        self,
        model: str | None = None,
        data: str | None = None,
        lang: str | None = None,
        backend: str = "auto",
        workspace: str | None = None,
        owners: Owners | None = LOCAL,
    ):
        self.lang = lang
        self.backend = backend
        # who may write, train, publish (sign_ml/ui/owners.py); None = no one: no Record tab, no mislabel review
        self.owners = owners
        self._blocks: gr.Blocks | None = None
        # workspace: the one folder the app may write to (the Record tab); None = the app writes nothing
        self.workspace = None
        if workspace:
            from curation.workspace import Workspace
            from sign_ml.studio import latest_run

            self.workspace = Workspace(workspace)
            model = model or (str(run) if (run := latest_run(self.workspace.root)) else None)
            data = data or str(self.workspace.root)
        model_ref = model or data_io.default_model_ref()
        self.data = data_io.open_data(data or data_io.default_data_ref(model_ref))
        # (the evaluation they came from, the example copies): they follow the model served (see example_files)
        self._examples: tuple[Any, list[tuple[str, str]]] | None = None
        self._examples_lock = threading.Lock()
        self.use_model(model_ref)

    def use_model(self, model_ref: str | None) -> None:
        """Serve another model (the Record tab's newly trained run): predictor, evaluation, confusion."""
        self.model = data_io.load_model(model_ref, backend=self.backend)
        self.interp, self.metrics = data_io.load_evaluation(self.model.eval_dir)
        self.confusion = views.confusion_frame(self.metrics) if self.metrics else None
        names = self.predictor.class_names if self.predictor is not None else []
        # letter names only when the whole class set is Ukrainian: ASL "B" is not Б
        self.ukrainian = is_ukrainian(names) if names else False

    def unseen_signers(self) -> tuple[Any, Path | None]:
        """(LosoResult or None, its folder): the leave-one-signer-out result the model card also reports."""
        from sign_ml.loso import load_loso, run_eval_dir

        where = self.model.eval_dir
        if where is None and self.model.ref and Path(self.model.ref).is_dir():
            where = run_eval_dir(
                self.model.ref
            )  # evaluated on no split (too few photos), measured on signers
        try:
            return load_loso(where), where
        except ValueError as exc:  # a damaged file: say so in the log, show the tab without it
            log.warning("%s", exc)
            return None, where

    def refresh_data(self) -> None:
        """Re-read the workspace when it is the data: photos recorded since the last look are counted."""
        if self.workspace is not None and self.data.path == self.workspace.root:
            self.data = data_io.open_data(str(self.workspace.root))

    @property
    def writes_decisions(self) -> bool:
        """Label decisions may be written only into a workspace the app was given, and only for its own data."""
        return (
            self.workspace is not None
            and self.data.path is not None
            and self.data.kind == "folder"
            and self.data.path == self.workspace.root
        )

    # ------------------------------------------------------------ helpers
    @property
    def predictor(self) -> Any:
        return self.model.predictor

    @property
    def class_names(self) -> list[str]:
        return list(self.predictor.class_names) if self.predictor is not None else []

    @property
    def is_image_model(self) -> bool:
        """Grad-CAM needs a CNN over the photo; a landmark model has no such map."""
        if self.predictor is None:
            return False
        return getattr(self.predictor, "kind", getattr(self.predictor.meta, "kind", "image")) == "image"

    def lang_of(self, request: gr.Request | None) -> str:
        header = request.headers.get("accept-language") if request is not None and request.headers else None
        return pick_lang(header, self.lang)

    def _require_model(self, lang: str) -> Any:
        if self.predictor is None:
            raise gr.Error(f"{text('no_model', lang)} {text('no_model_help', lang)}", print_exception=False)
        return self.predictor

    @staticmethod
    def error_message(exc: Exception, value: Any, lang: str = "en") -> str:
        """The user's words for a refused or unreadable upload: what, which file, why (never a stack trace)."""
        if isinstance(exc, UploadRefused):
            if exc.key == "no_image":
                return text("no_image", lang)
            if exc.key == "not_received":
                return text("not_received", lang)
            if exc.key == "too_big":
                return f"{text('too_big', lang)} ({exc.detail})"
            return f"{text('unreadable', lang)}: {text('reason_not_image', lang)}"
        assert isinstance(exc, UnreadableImageError)
        name = value.get("orig_name") if isinstance(value, dict) else None
        source = name or (exc.source if not str(exc.source).startswith("<") else "")
        shown = f" ({Path(str(source)).name})" if source else ""
        return f"{text('unreadable', lang)}{shown}: {views.error_reason(exc.reason, lang)}"

    # ------------------------------------------------------------ the one inference path
    def infer(self, value: Any, top_k: int | None = None) -> Inference:
        """Any accepted input → Inference. Raises UploadRefused / UnreadableImageError for a bad upload.

        The page and the API both come here, so they decode the same bytes the same way and get the
        same probabilities. The file goes to the predictor as it arrived: it decodes it once, reduced.
        """
        predictor = self.predictor
        k = top_k or len(predictor.class_names)
        source = safety.upload_source(value)
        if isinstance(source, str) and videos.is_video(source):  # a movement: sign_ml.videos, same limits
            name = Path(str(value.get("orig_name") or source)).name if isinstance(value, dict) else source
            with safety.bounded_decode(source):
                rec = videos.recognize_video(predictor, source, top_k=k, name=name)
            if rec.status == "unreadable":
                raise UnreadableImageError(name, rec.error)
            # a still model reads one frame of the video: a motion letter's movement went unchecked
            return Inference(
                top=None if rec.no_hand else list(rec.top), movement="unseen" if rec.motion else "seen"
            )
        with safety.bounded_decode(source):
            rec = predictor.predict(source, top_k=k)  # the hand stage first; no hand → no letter
        if rec.status == "unreadable":
            raise UnreadableImageError(rec.source, rec.error)
        return Inference(
            top=None if rec.no_hand else list(rec.top),
            image=rec.image,
            detection=rec.detection,
            crop=rec.crop,
        )

    def display_photo(self, value: Any, inference: Inference) -> Image.Image:
        """The photo to draw on: the predictor's own upright image, else one reduced decode for display."""
        if inference.image is not None:
            return inference.image
        return load_rgb(safety.upload_source(value), max_side=DISPLAY_SIDE)

    # ------------------------------------------------------------ Recognize
    def predict(self, image: Any, request: gr.Request | None = None) -> dict[str, float]:
        """The typed API: one photo → {class name: probability} over all K classes, most probable first;
        `{}` when the hand stage finds no hand (never a letter). A bad upload raises gr.Error."""
        lang = self.lang_of(request)
        self._require_model(lang)
        try:
            inference = self.infer(image)
        except (UploadRefused, UnreadableImageError) as exc:
            raise gr.Error(self.error_message(exc, image, lang), print_exception=False) from None
        return {} if inference.no_hand else views.api_dict(inference.top)

    def recognize(
        self,
        image: Any,
        threshold: float = DEFAULT_THRESHOLD,
        show_cam: bool = False,
        request: gr.Request | None = None,
    ) -> tuple[Any, ...]:
        """The Recognize tab: (answer Markdown, top-5 for gr.Label, hand overlay, crop, Grad-CAM, its legend).

        A bad upload clears the top-5 and every picture and puts the reason where the answer goes.
        """
        lang = self.lang_of(request)
        hidden = gr.update(value=None, visible=False)
        cleared = ("", None, hidden, hidden, hidden, gr.update(visible=False))
        if image is None:  # the photo was removed
            return cleared
        if self.predictor is None:
            return (f"### {text('no_model', lang)}", *cleared[1:])
        try:
            inference = self.infer(image)
            photo = (
                self.display_photo(image, inference)
                if (show_cam or inference.detection is not None)
                else None
            )
        except (UploadRefused, UnreadableImageError) as exc:
            return (f"### ⚠ {self.error_message(exc, image, lang)}", *cleared[1:])
        hand, crop = hidden, hidden
        if inference.detection is not None and photo is not None and inference.detection.found:
            from curation.hands import draw_hand

            hand = gr.update(value=draw_hand(photo, inference.detection), visible=True)
            if inference.crop is not None:
                crop = gr.update(value=inference.crop, visible=True)
        if inference.no_hand:
            return (views.no_hand_markdown(lang), None, hand, crop, hidden, gr.update(visible=False))
        top = inference.top[: min(TOP_K, len(inference.top))]
        cam, legend = hidden, gr.update(visible=False)
        if show_cam and self.is_image_model:
            # Grad-CAM over what the network read: the hand crop for a crop model, else the whole photo
            reads_crop = bool(getattr(self.predictor, "hand_crop", False)) and inference.crop is not None
            target = inference.crop if reads_crop else photo
            overlay = self.gradcam(target, top[0][0], lang)
            if overlay is not None:
                cam, legend = (
                    gr.update(value=overlay, visible=True),
                    gr.update(value=text("gradcam_legend", lang), visible=True),
                )
        return (
            views.verdict_markdown(top, float(threshold), lang, self.class_names, inference.movement),
            views.label_dict(top, self.ukrainian),
            hand,
            crop,
            cam,
            legend,
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

    def examples(self) -> list[tuple[str, str]]:
        """[(photo, true letter shown under it)]: one test photo per class (original or shipped thumbnail)."""
        return self._examples_of(self.interp, self.model.eval_dir)

    def _examples_of(self, interp: Any, eval_dir: Path | None) -> list[tuple[str, str]]:
        picked = data_io.example_photos(interp, self.data.roots, eval_dir)
        names = list(interp.class_names) if interp is not None else []
        return [(path, views.example_label(name, names)) for path, name in picked]

    def example_files(self) -> list[tuple[str, str]]:
        """`examples()` as byte-identical copies in a private temp folder (removed at exit): Gradio may serve
        files from there, never from the data folders, and a copy predicts exactly like its original.

        They follow the model served: once the Record tab's Train switches it, the new model's own test
        photos (of its letters; none when it was evaluated on no split), made once per model for every page."""
        interp = self.interp  # first: use_model sets the model before its evaluation, so eval_dir is as new
        eval_dir = self.model.eval_dir
        with self._examples_lock:  # two pages opening at once copy the photos once
            if self._examples is None or self._examples[0] is not interp:
                self._examples = (interp, data_io.copy_examples(self._examples_of(interp, eval_dir)))
            return self._examples[1]

    def pick_example(
        self,
        evt: gr.SelectData,
        threshold: float = DEFAULT_THRESHOLD,
        show_cam: bool = False,
        request: gr.Request | None = None,
    ) -> tuple[Any, ...]:
        """A click on an example: (the photo for the input, then what `recognize` shows for it)."""
        files = self.example_files()
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        shown = evt.value.get("caption") if isinstance(evt.value, dict) else None
        # a page still showing an earlier model's examples (Train switched it since) picks nothing by mistake
        stale = shown is not None and 0 <= int(index) < len(files) and shown != files[int(index)][1]
        if not 0 <= int(index) < len(files) or stale:
            return (gr.update(), *self.recognize(None, threshold, show_cam, request))
        path = files[int(index)][0]
        return (path, *self.recognize(path, threshold, show_cam, request))

    def model_note(self, lang: str) -> str:
        if self.predictor is None:
            return f"### {text('no_model', lang)}\n\n{text('no_model_help', lang)}\n\n`{self.model.error}`"
        return views.model_note(self.predictor.meta, self.model.ref, lang)

    # ------------------------------------------------------------ Dataset
    def dataset_outputs(self, run_checks: bool = False, lang: str = "en") -> dict[str, Any]:
        """The Dataset tab's values: {summary, counts, ratio, sizes, issues (key → table), clusters, button,
        has_data}. run_checks: compute the curation report now when there is none (decodes every photo once)."""
        ctx = self.data
        failure = ""
        if run_checks and ctx.report is None and ctx.kind in ("folder", "splits"):
            try:
                data_io.ensure_report(ctx)
            except Exception as exc:  # shown in the tab; the counts from the folder walk still show
                log.warning("data checks failed on %s: %s", ctx.path, exc)
                failure = f"**{text('checks_failed', lang)}:** {type(exc).__name__}: {exc}"
        if ctx.error or ctx.kind == "none":
            return self._no_data_outputs(lang, ctx.error)
        view = self.dataset_view(lang)
        if failure:
            view["summary"] = f"{failure}\n\n{view['summary']}"
        return view

    def _no_data_outputs(self, lang: str, error: str | None = None) -> dict[str, Any]:
        """No photos here: say how to add them; show what the model recorded of its own data, if anything."""
        meta = self.predictor.meta if self.predictor is not None else None
        counts, sizes = views.recorded_sizes(getattr(meta, "data", None) or {})
        lines = [f"**{error}**"] if error else []
        lines.append(text("no_data", lang))
        if not counts.empty:
            lines.append(text("from_model_record", lang))
        return {
            "summary": "\n\n".join(lines),
            "counts": counts,
            "ratio": views.imbalance_markdown(views.imbalance_ratio(counts), lang)
            if not counts.empty
            else "",
            "sizes": sizes,
            "issues": None,
            "clusters": [],
            "button": False,
            "has_data": False,
        }

    def dataset_view(self, lang: str = "en") -> dict[str, Any]:
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
        n_photos = int(counts["photos"].sum()) if not counts.empty else 0
        lines = [
            f"**{text('data_kind_' + ctx.kind, lang)}** `{ctx.path.name if ctx.path else ''}` · "
            + text("data_summary", lang, n=n_photos, k=len(counts))
        ]
        if report:
            lines.append(views.report_summary(report, lang))
        elif ctx.kind in ("folder", "splits"):
            lines.append(f"_{text('checks_needed', lang)}_")
        root = str(ctx.roots[0]) if ctx.roots else None
        tables = views.issue_tables(report, relative_to=root) if report else None
        clusters = []
        if tables is not None:
            for cid, paths, mixed in views.duplicate_clusters(tables["issues_duplicates"]):
                for rel in paths:
                    photo = data_io.thumbnail(data_io.photo_path({"relpath": rel, "path": rel}, ctx.roots))
                    if photo is not None:
                        tag = f" · {text('mixed', lang)}" if mixed else ""
                        clusters.append((photo, f"{text('cluster', lang)} {cid}{tag}: {rel}"))
        return {
            "summary": "\n\n".join(lines),
            "counts": counts,
            "ratio": views.imbalance_markdown(views.imbalance_ratio(counts), lang),
            "sizes": sizes,
            "issues": tables,
            "clusters": clusters,
            "button": not report and ctx.kind in ("folder", "splits"),
            "has_data": True,
        }

    def _folder_counts(self) -> pd.DataFrame:
        """Class counts of a raw folder from a walk (no decoding), before any report exists."""
        try:
            from curation.loading import load_table

            return views.class_counts(load_table(self.data.path).table["label"])
        except (FileNotFoundError, ValueError, RuntimeError, OSError) as exc:
            log.warning("cannot list %s: %s", self.data.path, exc)
            return pd.DataFrame({"class": [], "photos": []})

    # ------------------------------------------------------------ Evaluation
    def photo_of(self, row: pd.Series) -> Image.Image | None:
        """A gallery image for a predictions row: inside the data roots, else the shipped thumbnail."""
        return data_io.thumbnail(data_io.photo_path(row, self.data.roots, self.model.eval_dir))

    def cell_gallery(self, row: int, col: int, lang: str = "en") -> tuple[str, list[tuple[Any, str]]]:
        """(caption, gallery) of exactly the photos of confusion cell (true = row, predicted = col)."""
        if self.confusion is None or self.interp is None:
            return text("no_eval", lang), []
        n = len(self.confusion)
        if not (0 <= row < n and 0 <= col < n):
            return text("cell_hint", lang), []
        true, pred = str(self.confusion.index[row]), str(self.confusion.columns[col])
        rows = self.interp.cell(true, pred)
        items = views.gallery_items(rows, self.photo_of, self.class_names, lang)
        shown = [(img, cap) for img, cap in items if img is not None]
        caption = views.cell_caption(
            true, pred, len(rows), float(self.confusion.iat[row, col]), self.class_names, lang
        )
        if len(shown) < len(items):
            missing = [
                str(r.get("relpath") or r["path"])
                for (_, r), (img, _) in zip(rows.iterrows(), items, strict=False)
                if img is None
            ]
            caption += f"\n\n{text('photos_missing', lang)}: {', '.join(missing)}"
        return caption, shown

    def select_heatmap(self, evt: gr.SelectData, request: gr.Request | None = None) -> tuple[Any, str, list]:
        """A click on the heatmap image → (the heatmap with that cell outlined, caption, its photos)."""
        lang = self.lang_of(request)
        if self.confusion is None:
            return gr.update(), text("no_eval", lang), []
        x, y = (evt.index if isinstance(evt.index, list | tuple) else (0, 0))[:2]
        cell = views.heatmap_layout(len(self.confusion)).cell_at(float(x), float(y))
        if cell is None:
            return gr.update(), text("cell_hint", lang), []
        caption, gallery = self.cell_gallery(*cell, lang=lang)
        return views.confusion_heatmap(self.confusion, lang, selected=cell), caption, gallery

    def select_pair(self, evt: gr.SelectData, request: gr.Request | None = None) -> tuple[Any, str, list]:
        """A click on a most-confused row → the same as clicking its cell."""
        lang = self.lang_of(request)
        pairs = views.most_confused_pairs(self.metrics or {})
        index = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        if self.confusion is None or not 0 <= int(index) < len(pairs):
            return gr.update(), text("cell_hint", lang), []
        true, pred, _ = pairs[int(index)]
        cell = (list(self.confusion.index).index(true), list(self.confusion.columns).index(pred))
        caption, gallery = self.cell_gallery(*cell, lang=lang)
        return views.confusion_heatmap(self.confusion, lang, selected=cell), caption, gallery

    def top_losses(self, lang: str = "en") -> list[tuple[Any, str]]:
        """Every mistake, largest loss first, with full captions (file, true and predicted with probabilities)."""
        if self.interp is None:
            return []
        rows = self.interp.misclassified()
        return [
            (img, cap)
            for img, cap in views.gallery_items(rows, self.photo_of, self.class_names, lang)
            if img is not None
        ]

    # ------------------------------------------------------------ Model
    def model_markdown(self, lang: str = "en") -> tuple[str, str]:
        """(plain-language overview, details) for the Model tab."""
        if self.predictor is None:
            return (
                f"**{text('no_model', lang)}** {text('no_model_help', lang)}\n\n{self.model.error or ''}",
                "",
            )
        p = self.predictor
        return (
            views.model_overview(p.meta, self.model.ref, self.metrics, lang, loso=self.unseen_signers()[0]),
            views.model_details(
                p.meta,
                self.model.ref,
                backend=p.backend,
                fallback_reason=p.fallback_reason,
                evaluation=self.metrics,
                lang=lang,
            ),
        )

    # ------------------------------------------------------------ layout
    def owner_only(self) -> Any:
        """A block inside `build()` whose events run only for an owner (checked on the server, per call)."""
        assert self._blocks is not None, "owner_only() is for use inside build()"
        return owner_only(self._blocks, self.owners)

    def build(self) -> gr.Blocks:
        """The Blocks: five tabs (one module each), their events, and the typed `predict` API endpoint."""
        from sign_ml.ui import tab_dataset, tab_evaluation, tab_live, tab_model, tab_recognize

        t = make_i18n(self.lang)
        with gr.Blocks(title="ukrsl-dactyl", analytics_enabled=False, delete_cache=DELETE_CACHE) as demo:
            self._blocks = demo
            gr.Markdown(t("title"), elem_id="title")
            if self.owners is not None and self.owners.needs_login_button:
                with gr.Row(elem_id="login"):  # Hugging Face OAuth on a Space: the owner signs in to write
                    gr.Markdown(t("login_owner"))
                    gr.LoginButton()
            ctx = TabContext(self, t, demo)  # what every tab gets: no tab imports this module
            loaders = []
            with gr.Tabs():
                with gr.Tab(t("tab_recognize"), id="recognize") as recognize_tab:
                    loaders.append(tab_recognize.build(ctx))
                with gr.Tab(t("tab_dataset"), id="dataset") as dataset_tab:
                    tab_dataset.build(ctx, dataset_tab)
                with gr.Tab(t("tab_evaluation"), id="evaluation") as evaluation_tab:
                    tab_evaluation.build(ctx, evaluation_tab)
                with gr.Tab(t("tab_model"), id="model") as model_tab:
                    tab_model.build(ctx, model_tab)
                with gr.Tab(t("tab_live"), id="live"):
                    tab_live.build(ctx)
                # only with a writable workspace and an owner: otherwise the app writes nothing
                if self.workspace is not None and self.owners is not None:
                    from sign_ml.ui import tab_record

                    with gr.Tab(t("tab_record"), id="record"), self.owner_only():
                        tab_record.build(ctx)
            # the typed endpoint for gradio_client / curl: one image in, {class: probability} out
            with gr.Row(visible=False):
                api_image = gr.Image(type="filepath", label="image")
                api_out = probabilities_output()
                api_button = gr.Button("predict")
            api_button.click(
                self.predict,
                api_image,
                api_out,
                api_name="predict",
                preprocess=False,
                concurrency_limit=4,
                show_progress="hidden",
                api_description=text("api_doc", "en"),
            )
            for fn, outputs in loaders:
                demo.load(fn, None, outputs, api_visibility="private", show_progress="hidden")
                # and on every return to the tab: the Record tab may have switched the model since the load
                recognize_tab.select(fn, None, outputs, api_visibility="private", show_progress="hidden")
        return demo


def build_demo(
    model: str | None = None,
    data: str | None = None,
    lang: str | None = None,
    workspace: str | None = None,
    owners: Owners | None = LOCAL,
) -> gr.Blocks:
    """The app's Blocks for a model (run dir or Hub id) and data (split dir, folder or report dir)."""
    return DactylApp(model=model, data=data, lang=lang, workspace=workspace, owners=owners).build()


__all__ = ["DactylApp", "Inference", "build_demo", "launch_kwargs", "MAX_FILE_SIZE"]
