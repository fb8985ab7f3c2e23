"""The Live tab: a streaming webcam, the hand skeleton and letter per frame, held letters spelling a word,
and a practice mode that asks for letters and confirms them.

Each browser session keeps one `LiveSession` in a `gr.State`: its own VIDEO-mode hand landmarker (made on
the first frame, closed when the tab closes: the page's unload event, and the state's delete callback
as a backstop), its own timestamps,
debounce state, word and practice; two sessions never share any of it. The handlers are plain functions
of (app, session, inputs), callable without a browser. The rules (commit, word edits, practice) are
`sign_ml.live`; this module only turns frames into letters and letters into text.

The rolling window: every frame's hand (or its absence) joins the session's last `live.WINDOW_S` of
landmarks, from a server frame or a browser message alike. A model of movements (the temporal kind)
reads the whole window (`Predictor.predict_window`), so a motion letter commits when its movement
completes; a still model reads each frame's hand as before.

Latest frame wins: the webcam component captures no frame while the previous one is still being processed
(Gradio's streaming webcam skips its capture while the stream waits for an answer), so a slow server gets
fewer, fresh frames, never a queue. (A stream event keeps Gradio's own trigger mode: "always_last" stops
the stream after its first frame.)
"""

from __future__ import annotations

import logging
import time
from typing import Any, NamedTuple

import gradio as gr
from PIL import Image

from sign_ml import live
from sign_ml.ui.context import App, TabContext
from sign_ml.ui.i18n import text
from sign_ml.ui.live_session import (  # noqa: F401 - the session and its views, named here as before
    DEFAULT_HOLD_MS,
    NOTE_MS,
    SHOWN_TOP,
    LiveSession,
    PracticeNote,
    advance,
    close_session,
    detection_frame,
    letter_char,
    letter_markdown,
    practice_markdown,
    reads_movement,
    summary_markdown,
)

log = logging.getLogger(__name__)

# s between frames the browser sends (≈ 6-7 frames/s; a busy server gets fewer, never a queue)
STREAM_EVERY = 0.15
TIME_LIMIT = 600  # s: one stream's longest run; the user presses the camera button again to go on


def recognize_frame(
    app: App, session: LiveSession, frame: Image.Image
) -> tuple[Any, list[tuple[str, float]] | None]:
    """One frame through this session's VIDEO landmarker and the model: (detection, top letters or None).
    A model of movements reads this frame as a clip of one frame here; `advance` then reads the whole
    window instead (the frame's hand joins it there)."""
    detection = session.hand_stage().detect_video(frame, session.next_ms())
    prediction = app.predictor.predict_detection(frame, detection)  # every class, most likely first
    return detection, prediction.top if prediction.ok else None


def live_frame(
    app: App,
    session: LiveSession | None,
    frame: Any,
    hold_ms: float = DEFAULT_HOLD_MS,
    practising: bool = False,
    request: gr.Request | None = None,
) -> tuple[Any, ...]:
    """One streamed frame → (session, frame with skeleton, letter, word, practice prompt, practice summary).

    A committed letter (held `hold_ms` unchanged) is added to the word and, in practice mode, checked
    against the target letter.
    """
    lang = app.lang_of(request)
    session = session if session is not None else LiveSession()
    if frame is None:
        return session, None, "", session.word, gr.update(), gr.update()
    if app.predictor is None:
        return session, frame, f"### {text('no_model', lang)}", session.word, gr.update(), gr.update()
    image = frame if isinstance(frame, Image.Image) else Image.fromarray(frame)
    image = image.convert("RGB")
    with session.lock:
        detection, top = recognize_frame(app, session, image)
        now = float(session.last_ms)
        answer, prompt, summary = advance(
            app, session, top, now, hold_ms, practising, lang, frame=detection_frame(detection, now)
        )
    from curation.hands import draw_hand

    shown = draw_hand(image, detection) if detection.found else image
    return session, shown, answer, session.word, prompt, summary


def edit_word(session: LiveSession | None, edit: str) -> tuple[LiveSession, str]:
    """A word button: "space", "backspace" or "clear" → (session, the new word)."""
    session = session if session is not None else LiveSession()
    session.word = live.EDITS[edit](session.word)
    return session, session.word


def start_practice(
    app: App, session: LiveSession | None, on: bool, request: gr.Request | None = None
) -> tuple[Any, ...]:
    """The practice switch → (session, prompt, summary). On: a fresh prompt (the session's counts kept)."""
    lang = app.lang_of(request)
    session = session if session is not None else LiveSession()
    names = app.class_names
    if on and names and session.practice is None:
        session.practice = live.Practice(tuple(names), seed=int(time.time_ns() % 2**31))
    session.note = None  # a fresh prompt: the last verdict is not about it
    if on and session.practice is not None:
        session.practice.prompt(float(session.next_ms()))  # a hand already up is not a miss of this prompt
    if not on:
        return session, gr.update(value="", visible=False), summary_markdown(session.practice, names, lang)
    return (
        session,
        gr.update(
            value=practice_markdown(session.practice, names, lang, moving=reads_movement(app)), visible=True
        ),
        summary_markdown(session.practice, names, lang),
    )


def skip_letter(app: App, session: LiveSession | None, request: gr.Request | None = None) -> tuple[Any, ...]:
    """ "Skip": the target counts as missed, the next one is asked."""
    lang = app.lang_of(request)
    session = session if session is not None else LiveSession()
    session.note = None  # the next target: the last verdict is not about it
    if session.practice is not None:
        session.practice.skip()
        session.practice.prompt(float(session.next_ms()))
    names = app.class_names
    return (
        session,
        practice_markdown(session.practice, names, lang, moving=reads_movement(app)),
        summary_markdown(session.practice, names, lang),
    )


# ---------------------------------------------------------------- layout
class Widgets(NamedTuple):
    """The tab's components that its events read or fill."""

    hold: Any
    practising: Any
    browser: Any  # the camera in the browser (landmarks only)
    camera: Any  # the streaming webcam (frames to the server)
    letter: Any
    prompt: Any
    word: Any
    space: Any
    back: Any
    clear: Any
    skip: Any
    view: Any
    summary: Any


def layout(ctx: TabContext, on_server: bool) -> Widgets:
    """The settings, the camera with the letter, word and its buttons, and the skeleton view beside."""
    app, t = ctx.app, ctx.t
    from sign_ml.ui import live_browser

    with gr.Row():  # the settings first, so on a phone the letter and the word sit right under the camera
        hold = gr.Slider(
            100, 2000, value=DEFAULT_HOLD_MS, step=100, label=t("live_hold"), elem_id="live-hold"
        )
        practising = gr.Checkbox(False, label=t("live_practice"), elem_id="live-practice")
    with gr.Row(equal_height=False):
        with gr.Column():
            browser = live_browser.camera_block(app)
            camera = gr.Image(
                sources=["webcam"],
                streaming=True,
                type="pil",
                label=t("live_camera"),
                webcam_options=gr.WebcamOptions(mirror=False),
                height=360,
                visible=on_server,
                elem_id="live-cam",
            )
            letter = gr.Markdown(elem_id="live-letter")
            prompt = gr.Markdown(visible=False, elem_id="live-prompt")
            word = gr.Textbox(label=t("live_word"), interactive=False, elem_id="live-word")
            with gr.Row():
                space = gr.Button(t("live_space"), size="sm", elem_id="live-space")
                back = gr.Button(t("live_backspace"), size="sm", elem_id="live-backspace")
                clear = gr.Button(t("live_clear"), size="sm", elem_id="live-clear")
            skip = gr.Button(t("live_skip"), size="sm", visible=False, elem_id="live-skip")
        with gr.Column():
            view = gr.Image(
                label=t("live_view"), interactive=False, height=360, visible=on_server, elem_id="live-view"
            )
            summary = gr.Markdown(elem_id="live-summary")
    return Widgets(
        hold, practising, browser, camera, letter, prompt, word, space, back, clear, skip, view, summary
    )


PRIVATE = {"api_visibility": "private", "show_progress": "hidden"}


def wire_stream(ctx: TabContext, session: gr.State, w: Widgets) -> None:
    """The server camera's frames, and each session's landmarker closed as soon as its tab goes."""
    app = ctx.app
    open_sessions: dict[str, LiveSession] = {}  # session hash → its LiveSession, to close when the tab goes

    def on_frame(s, frame, hold_ms, practice_on, request: gr.Request):
        out = live_frame(app, s, frame, hold_ms, practice_on, request)
        if request is not None and request.session_hash:
            open_sessions[request.session_hash] = out[0]
        return out

    def on_unload(request: gr.Request):
        # Gradio deletes a closed tab's state (and calls delete_callback) only an hour later; the landmarker
        # holds threads and memory, so it is released as soon as the tab goes
        close_session(open_sessions.pop(getattr(request, "session_hash", None) or "", None))

    ctx.blocks.unload(on_unload)
    w.camera.stream(
        on_frame,
        [session, w.camera, w.hold, w.practising],
        [session, w.view, w.letter, w.word, w.prompt, w.summary],
        stream_every=STREAM_EVERY,
        time_limit=TIME_LIMIT,
        concurrency_limit=2,
        **PRIVATE,
    )


def wire_controls(app: App, session: gr.State, w: Widgets) -> None:
    """The word buttons, the practice switch and Skip."""
    for button, edit in ((w.space, "space"), (w.back, "backspace"), (w.clear, "clear")):
        button.click(lambda s, e=edit: edit_word(s, e), session, [session, w.word], **PRIVATE)

    def on_practice(s, on, request: gr.Request):
        s, shown, text_ = start_practice(app, s, on, request)
        return s, shown, gr.update(visible=bool(on)), text_

    w.practising.input(
        on_practice, [session, w.practising], [session, w.prompt, w.skip, w.summary], **PRIVATE
    )

    def on_skip(s, request: gr.Request):
        return skip_letter(app, s, request)

    w.skip.click(on_skip, session, [session, w.prompt, w.summary], **PRIVATE)


def build(ctx: TabContext) -> None:
    """Lay the tab out and wire its events."""
    app = ctx.app
    from sign_ml.ui import live_browser

    session = gr.State(None, delete_callback=close_session)
    gr.Markdown(ctx.t("live_intro"), elem_id="live-intro")
    mode, said = live_browser.mode_radio(app, ctx.t)  # the camera in the browser (landmarks only) or frames
    w = layout(ctx, on_server=live_browser.default_mode(app) == "server")
    wire_stream(ctx, session, w)
    wire_controls(app, session, w)
    shown = [w.letter, w.word, w.prompt, w.summary]
    live_browser.wire(ctx, mode, said, w.browser, [w.camera, w.view], session, w.hold, w.practising, shown)
