"""The Live tab's browser path: the page finds the hand itself and sends only landmarks.

The page (`sign_ml/web/live.js`) runs MediaPipe's hand landmarker in WebAssembly on each camera frame,
draws the skeleton there and sends one small landmarks message per frame: a POST to the light endpoint
(`sign_ml.ui.live_route`: a token from one Gradio event of the page's session, then no Gradio work per
message), or, when that cannot be reached, through a hidden button's Gradio event. Either way each
message is checked (`sign_ml.landmark_messages`: shape, finite numbers, size, rate per session), turned
into the same hand-stage detection a server frame gives, read by the same predictor and passed to the
same commit rule, word and practice (`tab_live.advance`), all in `answer_message`. A refused message gets one
line back and changes nothing; it never raises, writes or waits on another session.

The scripts, the WebAssembly builds and the hand model are served by the app itself (package data under
`sign_ml/web/` and `curation/assets/`, named in `allowed_paths`): no CDN.

Which path a page starts on: $DACTYL_LIVE_PATH ("browser" or "server"), default "browser"; always
"server" for a model that reads pictures rather than landmarks.
"""

from __future__ import annotations

import contextlib
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
# the light endpoint's token, once the link event answers; the light endpoint's reply, into the components
LINKED_JS = "(t) => { if (window.dactylLive) window.dactylLive.linked(t); }"
SHOW_JS = "(...v) => (window.dactylLive ? window.dactylLive.shown(v) : v)"
HOLD_RANGE = (100.0, 2000.0)  # ms: the hold slider's range (tab_live)
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
DEFAULT_HOLD_MS = 600.0  # the hold slider's start (tab_live.DEFAULT_HOLD_MS), until the page sends its own


@dataclass
class BrowserLink:
    """One session's browser-path state: its rate limit, the last message's time, and the settings the
    light endpoint answers with (the page's hold slider and practice switch, sent by their own events)."""

    limiter: RateLimiter = field(default_factory=RateLimiter)
    last_t: float = -1.0
    hold_ms: float = DEFAULT_HOLD_MS
    practising: bool = False


@dataclass(frozen=True)
class Reply:
    """One message's outcome, whichever way it came (the Gradio event or the light endpoint).

    status: "ok" (read and passed to the commit rule), "refused" (malformed, stale, no landmark model),
    "flood" (over the session's rate); letter: the line for the letter's place; word, prompt, summary:
    their new text, or None where unchanged.
    """

    status: str
    letter: str
    word: str | None = None
    prompt: str | None = None
    summary: str | None = None


def link_of(session: Any) -> BrowserLink:
    """The session's BrowserLink, made on first use."""
    link = getattr(session, "link", None)
    if link is None:
        link = session.link = BrowserLink()
    return link


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


def answer_message(
    app: Any,
    session: Any,
    raw: Any,
    hold_ms: float,
    practising: bool,
    lang: str,
    now_s: float | None = None,
    locked: bool = False,
) -> Reply:
    """One landmarks message for a LiveSession: the rate limit, the checks, the predictor and
    `tab_live.advance` (the commit rule, word and practice). A flooding session or a malformed message gets
    one line and changes nothing else. now_s: the server's clock (monotonic s), given by tests; locked: the
    caller holds `session.lock` already."""
    from sign_ml.ui import tab_live

    link = link_of(session)
    if not link.limiter.allow(time.monotonic() if now_s is None else now_s):
        refused = link.limiter.refused
        if refused == 1 or refused % 1000 == 0:  # one log line per flood, not one per message
            log.warning("live session flooding: %d landmarks messages refused", refused)
        return Reply("flood", f"**{text('live_flood', lang, n=refused, rate=int(RATE_PER_S))}**")
    try:
        message = parse_message(raw)
        if message.t_ms <= link.last_t:
            raise MessageRefused(f"t: {message.t_ms} ms is not after the last message's {link.last_t} ms")
        if app.predictor is None:
            return Reply("refused", f"### {text('no_model', lang)}")
        if not supports_browser(app):
            raise MessageRefused("this model reads pictures, not landmarks")
    except MessageRefused as exc:
        return Reply("refused", f"**{text('live_refused', lang, reason=exc)}**")
    with contextlib.nullcontext() if locked else session.lock:
        link.last_t = message.t_ms
        top = recognize_landmarks(app, message)
        answer, prompt, summary = tab_live.advance(app, session, top, message.t_ms, hold_ms, practising, lang)
        word = session.word
    return Reply("ok", answer, word, _changed(prompt), _changed(summary))


def _changed(value: Any) -> str | None:
    return value if isinstance(value, str) else None  # gr.update(): unchanged


def light_answer(app: Any) -> Any:
    """The light endpoint's answer: `answer_message` with the settings the page's own events set."""

    def answer(session: Any, body: bytes, lang: str, locked: bool) -> Reply:
        link = link_of(session)
        return answer_message(app, session, body, link.hold_ms, link.practising, lang, locked=locked)

    return answer


def landmarks_step(
    app: Any,
    session: Any,
    raw: Any,
    hold_ms: float,
    practising: bool,
    request: gr.Request | None = None,
    now_s: float | None = None,
) -> tuple[Any, ...]:
    """The Gradio event's form of `answer_message`: (session, letter, word, practice prompt, summary),
    gr.update() where unchanged."""
    from sign_ml.ui import tab_live

    session = session if session is not None else tab_live.LiveSession()
    reply = answer_message(app, session, raw, hold_ms, practising, app.lang_of(request), now_s)
    kept = [gr.update() if v is None else v for v in (reply.word, reply.prompt, reply.summary)]
    return (session, reply.letter, *kept)


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
    from sign_ml.ui import live_route

    app = ctx.app
    private = {"api_visibility": "private", "show_progress": "hidden"}
    box = gr.Textbox(visible="hidden", elem_id="live-lm")
    send = gr.Button("send", visible="hidden", elem_id="live-lm-send")
    ok = supports_browser(app)
    links = live_route.LiveLinks()
    live_route.attach(ctx.blocks, live_route.Endpoint(app, links, light_answer(app)))
    wire_light(links, session, hold, practising, outputs)

    def on_mode(m, request: gr.Request):
        m = m if m in MODES and ok else "server"
        lang = app.lang_of(request)
        shown = [gr.update(visible=m == "server") for _ in server_parts]
        return [gr.update(visible=m == "browser"), path_markdown(m, lang, ok), *shown]

    radio.change(on_mode, radio, [browser, said, *server_parts], js=STOP_JS, **private)

    def on_landmarks(raw, s, hold_ms, practice_on, request: gr.Request):
        return landmarks_step(app, s, raw, hold_ms, practice_on, request)

    # the fallback, when the light endpoint cannot be reached (live_route): the page's message as an event
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

    def on_unload(request: gr.Request):  # the tab closed: its token goes with it
        links.drop(getattr(request, "session_hash", None))

    ctx.blocks.unload(on_unload)


def wire_light(
    links: Any, session: gr.State, hold: gr.Slider, practising: gr.Checkbox, outputs: list
) -> None:
    """The light endpoint's events (sign_ml.ui.live_route): the token for the page's own session, the
    settings it answers with, and its answers shown in the page's components without a request."""
    private = {"api_visibility": "private", "show_progress": "hidden"}
    link_button = gr.Button("link", visible="hidden", elem_id="live-link")
    token = gr.Textbox(visible="hidden", elem_id="live-token")
    show = gr.Button("show", visible="hidden", elem_id="live-show")

    def on_link(s, hold_ms, practice_on, request: gr.Request):
        """The light endpoint's token for this page's own session (and the settings it answers with)."""
        from sign_ml.ui import tab_live

        s = s if s is not None else tab_live.LiveSession()
        set_settings(s, hold_ms, practice_on)
        user = getattr(request, "username", None) or None
        return s, links.issue(s, user, getattr(request, "session_hash", None))

    link_button.click(
        on_link, [session, hold, practising], [session, token], queue=False, trigger_mode="once", **private
    ).then(None, token, None, js=LINKED_JS, **private)

    def on_settings(s, hold_ms, practice_on):
        if s is not None:
            set_settings(s, hold_ms, practice_on)

    for control in (hold, practising):
        control.change(on_settings, [session, hold, practising], None, queue=False, **private)
    # the light endpoint's answers reach the page's components here, in the page alone (no request)
    show.click(None, outputs, outputs, js=SHOW_JS, **private)


def set_settings(session: Any, hold_ms: Any, practising: Any) -> None:
    """The page's hold and practice settings, which the light endpoint answers with (its messages carry
    only landmarks); a hold outside the slider's range or not a number keeps the last one."""
    link = link_of(session)
    try:
        hold = float(hold_ms)
    except (TypeError, ValueError):
        hold = link.hold_ms
    if HOLD_RANGE[0] <= hold <= HOLD_RANGE[1]:
        link.hold_ms = hold
    link.practising = bool(practising)
