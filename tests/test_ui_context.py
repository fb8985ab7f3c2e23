"""TabContext.with_lang: the one place a tab's event turns Gradio's request into the page's language."""

from __future__ import annotations

import gradio as gr
from gradio.helpers import special_args
from starlette.requests import Request

from sign_ml.ui.context import TabContext
from sign_ml.ui.i18n import pick_lang


class FakeApp:
    def lang_of(self, request):
        header = request.headers.get("accept-language") if request is not None else None
        return pick_lang(header, None)


def request(lang: str) -> gr.Request:
    return gr.Request(request=Request({"type": "http", "headers": [(b"accept-language", lang.encode())]}))


def decide(app, rows, index, action, label, lang="en"):
    return app, rows, index, action, label, lang


def test_gradio_fills_the_request_after_exactly_the_event_inputs():
    app = FakeApp()
    ctx = TabContext(app, lambda key: key, None)
    handler = ctx.with_lang(decide, app, action="exclude", name="on_decide")
    assert handler.__name__ == "on_decide" and handler.__module__ == __name__
    # Gradio's own injection: the request goes where the signature names it, after the three inputs
    inputs, progress_index, _, _ = special_args(handler, ["rows", 2, "Б"], request(lang="uk"))
    assert progress_index is None
    assert handler(*inputs) == (app, "rows", 2, "exclude", "Б", "uk")
    assert handler("rows", 2, "Б", request("en-US"))[-1] == "en"


def test_progress_is_passed_when_asked_and_the_default_name_is_the_functions():
    seen = {}

    def on_check(lang, progress):
        seen["progress"] = progress
        return lang

    handler = TabContext(FakeApp(), None, None).with_lang(on_check, progress=True)
    inputs, progress_index, _, _ = special_args(handler, [], request("uk"))
    assert handler.__name__ == "on_check" and progress_index == 1
    assert handler(*inputs) == "uk" and isinstance(seen["progress"], gr.Progress)
