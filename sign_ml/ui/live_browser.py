"""The Live tab's browser path: the page finds the hand itself and sends only landmarks.

The page (`sign_ml/web/live.js`) runs MediaPipe's hand landmarker in WebAssembly on each camera frame,
draws the skeleton there and sends one small landmarks message per frame through a hidden button's event.
Here each message is checked (`sign_ml.landmark_messages`: shape, finite numbers, size, rate per
session), turned into the same hand-stage detection a server frame gives, read by the same predictor
and passed to the same commit rule, word and practice (`tab_live.advance`). A refused message gets one
line back and changes nothing; it never raises, writes or waits on another session.

The scripts, the WebAssembly builds and the hand model are served by the app itself (package data under
`sign_ml/web/` and `curation/assets/`, named in `allowed_paths`): no CDN.

Which path a page starts on: $DACTYL_LIVE_PATH ("browser" or "server"), default "browser"; always
"server" for a model that reads pictures rather than landmarks.
"""

from __future__ import annotations

import html
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gradio as gr

from sign_ml.landmark_messages import (
    RATE_PER_S,
    LandmarkMessage,
    MessageRefused,
    RateLimiter,
    parse_message,
)
from sign_ml.ui.context import TabContext
from sign_ml.ui.i18n import text

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
VENDOR = WEB_DIR / "vendor"
LIVE_JS = WEB_DIR / "live.js"
MODES = ("browser", "server")
MODE_ENV = "DACTYL_LIVE_PATH"
# the page's event: its input is what live.js's take() gives (the hidden textbox's value is never used)
TAKE_JS = "(...args) => [window.dactylLive ? window.dactylLive.take() : '', ...args.slice(1)]"
STOP_JS = "(m) => { if (m !== 'browser' && window.dactylLive) window.dactylLive.stop(); return m; }"
# an app launched without `launch_kwargs()` has no live.js in its head: the browser path cannot start, so the
# page takes the server path rather than show a camera button that does nothing
NO_SCRIPT_JS = (
    "setTimeout(() => { if (window.dactylLive) return;"
    " const c = document.querySelector('#live-mode input[value=server]'); if (c && !c.checked) c.click(); },"
    " 8000);"
)


def file_url(path: Path) -> str:
    """A file the app serves (it must lie under `allowed_paths()`), relative to the page."""
    return "gradio_api/file=" + quote(str(path.resolve()))


def hand_model() -> Path:
    from curation.hands import model_path

    return model_path()


def allowed_paths() -> list[str]:
    """What the page may load from the app: the browser assets and the hand model, nothing else."""
    return [str(WEB_DIR), str(hand_model())]


def head() -> str:
    """The <head> addition that loads live.js (a module: it imports Tasks Vision only when started)."""
    return f'<script type="module" src="{file_url(LIVE_JS)}"></script>'


def supports_browser(app: Any) -> bool:
    """The browser sends landmarks, so only a model of landmarks (still or temporal) can answer them."""
    predictor = app.predictor
    return predictor is not None and getattr(predictor, "kind", None) in ("landmarks", "temporal")


def default_mode(app: Any) -> str:
    wanted = (os.environ.get(MODE_ENV) or "browser").strip().lower()
    if wanted not in MODES:
        log.warning("%s=%r is not one of %s; using the browser path", MODE_ENV, wanted, MODES)
        wanted = "browser"
    return wanted if supports_browser(app) else "server"


def path_markdown(mode: str, lang: str, browser_ok: bool = True) -> str:
    """What the tab says about where the camera's pictures go."""
    if mode == "browser":
        return text("live_path_browser", lang)
    note = "" if browser_ok else "\n\n" + text("live_path_server_only", lang)
    return text("live_path_server", lang) + note


def camera_html(lang: str) -> str:
    """The browser path's camera: a video (never shown), the canvas it is drawn on with the skeleton, the
    start/stop buttons and a status line; the asset URLs and the page's words ride in data-* attributes."""
    words = {
        "loading": text("live_loading", lang),
        "running": text("live_running", lang),
        "fallback": text("live_fallback", lang),
        "no-camera": text("live_no_camera", lang),
    }
    data = {
        "vision": file_url(VENDOR / "tasks-vision" / "vision_bundle.mjs"),
        "wasm-loader": file_url(VENDOR / "tasks-vision" / "vision_wasm_internal.js"),
        "wasm-binary": file_url(VENDOR / "tasks-vision" / "vision_wasm_internal.wasm"),
        "task": file_url(hand_model()),
        **words,
    }
    attrs = " ".join(f'data-{k}="{html.escape(v)}"' for k, v in data.items())
    return (
        f"<div data-live-browser {attrs}>"
        '<video playsinline muted style="display:none"></video>'
        '<canvas class="live-canvas" width="640" height="480" '
        'style="width:100%;max-height:360px;object-fit:contain;background:#222;border-radius:8px"></canvas>'
        '<div style="display:flex;gap:.5rem;align-items:center;margin-top:.4rem;flex-wrap:wrap">'
        f'<button class="live-start lg primary" style="padding:.4rem 1rem;border-radius:6px">'
        f"{html.escape(text('live_start', lang))}</button>"
        f'<button class="live-stop lg secondary" style="padding:.4rem 1rem;border-radius:6px">'
        f"{html.escape(text('live_stop', lang))}</button>"
        '<span class="live-status" style="font-size:.9rem"></span>'
        "</div></div>"
    )


# ---------------------------------------------------------------- the server's side of a message
@dataclass
class BrowserLink:
    """One session's browser-path state: its rate limit and the last message's time."""

    limiter: RateLimiter = field(default_factory=RateLimiter)
    last_t: float = -1.0


def recognize_landmarks(app: Any, message: LandmarkMessage) -> list[tuple[str, float]] | None:
    """A checked message's letters, most probable first (None: no hand), read exactly as a server frame's
    detection is (the predictor's landmark features and model, from the largest hand)."""
    if not message.landmarks:
        return None
    predictor = app.predictor
    prediction = predictor.predict_landmarks(
        message.landmarks[0],
        message.handedness[0],
        message.width,
        message.height,
        top_k=len(predictor.class_names),
    )
    return prediction.top if prediction.ok else None


def landmarks_step(
    app: Any,
    session: Any,
    raw: Any,
    hold_ms: float,
    practising: bool,
    request: gr.Request | None = None,
    now_s: float | None = None,
) -> tuple[Any, ...]:
    """One landmarks message → (session, letter, word, practice prompt, practice summary).

    A flooding session (beyond the rate limit) or a malformed message gets one line in the letter's place
    and changes nothing else. now_s: the server's clock (monotonic s), given by tests.
    """
    from sign_ml.ui import tab_live

    lang = app.lang_of(request)
    session = session if session is not None else tab_live.LiveSession()
    link = getattr(session, "link", None)
    if link is None:
        link = session.link = BrowserLink()
    skip = (gr.update(), gr.update(), gr.update())
    if not link.limiter.allow(time.monotonic() if now_s is None else now_s):
        refused = link.limiter.refused
        if refused == 1 or refused % 1000 == 0:  # one log line per flood, not one per message
            log.warning("live session flooding: %d landmarks messages refused", refused)
        return (session, f"**{text('live_flood', lang, n=refused, rate=int(RATE_PER_S))}**", *skip)
    try:
        message = parse_message(raw)
        if message.t_ms <= link.last_t:
            raise MessageRefused(f"t: {message.t_ms} ms is not after the last message's {link.last_t} ms")
        if app.predictor is None:
            return (session, f"### {text('no_model', lang)}", *skip)
        if not supports_browser(app):
            raise MessageRefused("this model reads pictures, not landmarks")
    except MessageRefused as exc:
        return (session, f"**{text('live_refused', lang, reason=exc)}**", *skip)
    with session.lock:
        link.last_t = message.t_ms
        top = recognize_landmarks(app, message)
        answer, prompt, summary = tab_live.advance(app, session, top, message.t_ms, hold_ms, practising, lang)
    return session, answer, session.word, prompt, summary


# ---------------------------------------------------------------- layout
def mode_radio(app: Any, t: Any) -> tuple[gr.Radio, gr.Markdown]:
    """The path switch and the line that says where the pictures go."""
    mode = default_mode(app)
    radio = gr.Radio(
        [(t("live_mode_browser"), "browser"), (t("live_mode_server"), "server")],
        value=mode,
        label=t("live_mode"),
        interactive=supports_browser(app),
        elem_id="live-mode",
    )
    said = gr.Markdown(t(f"live_path_{mode}"), elem_id="live-path")
    return radio, said


def camera_block(app: Any) -> gr.HTML:
    """The browser path's camera (its words are filled in for the page's language when it loads)."""
    return gr.HTML(
        "",
        visible=default_mode(app) == "browser",
        elem_id="live-browser",
        js_on_load=NO_SCRIPT_JS,
        padding=False,
    )


def wire(
    ctx: TabContext,
    radio: gr.Radio,
    said: gr.Markdown,
    browser: gr.HTML,
    server_parts: list[Any],
    session: gr.State,
    hold: gr.Slider,
    practising: gr.Checkbox,
    outputs: list[Any],
) -> None:
    """The events: the mode switch, the page's landmarks messages, the camera's words on load.

    server_parts: the server path's components (shown only on that path); outputs: the letter, word,
    practice prompt and summary, which both paths fill.
    """
    app = ctx.app
    private = {"api_visibility": "private", "show_progress": "hidden"}
    box = gr.Textbox(visible="hidden", elem_id="live-lm")
    send = gr.Button("send", visible="hidden", elem_id="live-lm-send")
    ok = supports_browser(app)

    def on_mode(m, request: gr.Request):
        m = m if m in MODES and ok else "server"
        lang = app.lang_of(request)
        shown = [gr.update(visible=m == "server") for _ in server_parts]
        return [gr.update(visible=m == "browser"), path_markdown(m, lang, ok), *shown]

    radio.change(on_mode, radio, [browser, said, *server_parts], js=STOP_JS, **private)

    def on_landmarks(raw, s, hold_ms, practice_on, request: gr.Request):
        return landmarks_step(app, s, raw, hold_ms, practice_on, request)

    send.click(
        on_landmarks,
        [box, session, hold, practising],
        [session, *outputs],
        js=TAKE_JS,
        trigger_mode="once",  # a click while the last message is answered is dropped: latest wins
        # one plain HTTP request per message, not the queue: an answer is ~1 ms of CPU and the queue's own
        # round trip (join, then an event stream per message) cost ~20 ms of server CPU each
        queue=False,
        **private,
    )

    def on_load(request: gr.Request):
        lang = app.lang_of(request)
        return camera_html(lang), path_markdown(default_mode(app), lang, ok)

    ctx.blocks.load(on_load, None, [browser, said], **private)
