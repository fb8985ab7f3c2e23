"""What a tab's `build` gets from the app: its state and handlers, the page's translator, and the Blocks.

`app.py` imports every tab; a tab imports this module instead of `app.py`, so the import graph has no
cycle. `App` names what the tabs use of `sign_ml.ui.app.DactylApp`; `TabContext.with_lang` turns a
plain handler that takes `lang=` into a Gradio event that reads the page's language from its request.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import gradio as gr


class App(Protocol):
    """The app as the tabs see it (sign_ml.ui.app.DactylApp): what they read and the handlers they call."""

    workspace: Any  # curation.workspace.Workspace, or None: the app writes nothing
    owners: Any  # sign_ml.ui.owners.Owners, or None: no one may write
    data: Any  # sign_ml.ui.data.DataContext: the photos shown
    model: Any  # sign_ml.ui.data.LoadedModel: the model served now
    metrics: dict[str, Any] | None
    confusion: Any
    ukrainian: bool

    @property
    def predictor(self) -> Any: ...
    @property
    def class_names(self) -> list[str]: ...
    @property
    def is_image_model(self) -> bool: ...
    @property
    def writes_decisions(self) -> bool: ...
    def lang_of(self, request: gr.Request | None) -> str: ...
    def owner_only(self) -> Any: ...
    def use_model(self, model_ref: str | None) -> None: ...
    def refresh_data(self) -> None: ...
    def unseen_signers(self) -> tuple[Any, Any]: ...
    def recognize(self, image: Any, threshold: float, show_cam: bool, request: Any) -> tuple[Any, ...]: ...
    def pick_example(self, evt: Any, threshold: float, show_cam: bool, request: Any) -> tuple[Any, ...]: ...
    def example_files(self) -> list[tuple[str, str]]: ...
    def model_note(self, lang: str) -> str: ...
    def model_markdown(self, lang: str = "en") -> tuple[str, str]: ...
    def dataset_outputs(self, run_checks: bool = False, lang: str = "en") -> dict[str, Any]: ...
    def top_losses(self, lang: str = "en") -> list[tuple[Any, str]]: ...
    def select_heatmap(self, evt: Any, request: Any = None) -> tuple[Any, str, list]: ...
    def select_pair(self, evt: Any, request: Any = None) -> tuple[Any, str, list]: ...


def recording_nothing_yet(app: App) -> bool:
    """Whether the data is the app's recording workspace and it holds no photo yet (the Dataset tab and its
    mislabel review both say so instead of offering checks that could only fail)."""
    ws = app.workspace
    return ws is not None and app.data.path == ws.root and not ws.signers()


@dataclass(frozen=True)
class TabContext:
    """One page's build: the app, its translator (i18n key → the browser's language) and its Blocks."""

    app: App
    t: Callable[..., Any]  # gr.I18n: t("key") is translated in the browser
    blocks: gr.Blocks  # the page's own load/unload events (the public Blocks API)

    def with_lang(
        self,
        fn: Callable[..., Any],
        *bound: Any,
        name: str | None = None,
        progress: bool = False,
        **fixed: Any,
    ) -> Callable[..., Any]:
        """`fn(*bound, *inputs, **fixed, lang=...)` as a Gradio event: the event's inputs, then the page's
        language, read from the request (the one place the tabs turn a request into a language).

        The handler's signature names exactly the inputs (fn's required parameters after `bound` and
        `fixed`) and then `request: gr.Request`, which Gradio fills. progress: also pass fn a
        `progress=gr.Progress(track_tqdm=True)` (a bar on the page). name: the handler's name, for the
        log and the owner guard; default `on_<fn>`."""
        return with_lang(self.app, fn, *bound, name=name, progress=progress, **fixed)


def with_lang(
    app: App,
    fn: Callable[..., Any],
    *bound: Any,
    name: str | None = None,
    progress: bool = False,
    **fixed: Any,
) -> Callable[..., Any]:
    """See `TabContext.with_lang`."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    required = [
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind in kinds and p.default is p.empty and p.name not in ("lang", "progress", *fixed)
    ]
    inputs = required[len(bound) :]

    def handler(*args: Any) -> Any:
        values = dict(zip(inputs, args, strict=False))
        request = args[len(inputs)] if len(args) > len(inputs) else None
        extra = {"progress": args[len(inputs) + 1]} if progress and len(args) > len(inputs) + 1 else {}
        return fn(*bound, **values, **fixed, **extra, lang=app.lang_of(request))

    # Gradio fills a positional parameter by its annotation (gr.Request) or default (gr.Progress)
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter(n, positional) for n in inputs]
    params.append(inspect.Parameter("request", positional, annotation=gr.Request))
    if progress:
        params.append(inspect.Parameter("progress", positional, default=gr.Progress(track_tqdm=True)))
    handler.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    handler.__annotations__ = {"request": gr.Request}
    own = getattr(fn, "__name__", "handler")
    handler.__name__ = name or (own if own.startswith("on_") else f"on_{own}")
    # the handler belongs to the tab that wired it (the owner-only tests tell tabs apart by module)
    handler.__module__ = fn.__module__
    handler.__qualname__ = f"{fn.__qualname__}.{handler.__name__}"
    return handler
