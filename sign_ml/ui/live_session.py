"""The Live session and the one step both Live paths share (`advance`): a server frame (`tab_live`) and a
browser message (`live_browser`) each become one row of the session's rolling window and one reading of
the model, then go through the commit rule, the word and practice (`sign_ml.live`). Below both Live
modules, so neither imports the other.

Each browser session keeps one `LiveSession`: its own VIDEO-mode hand landmarker (made on first use,
closed with the session), its own timestamps, rolling window, debounce state, word and practice.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import gradio as gr

from curation.alphabet import is_ukrainian, ukrainian_letter
from sign_ml import live
from sign_ml.ui import views
from sign_ml.ui.context import App
from sign_ml.ui.i18n import text

DEFAULT_HOLD_MS = 600  # ms a letter must stay unchanged to be committed to the word
SHOWN_TOP = 3  # letters listed under the current one
# ms a practice verdict ("well done", "movement not recognized") stays on screen: every frame redraws the
# prompt, and a verdict shown for its one frame (~70 ms) was gone before anyone could read it
NOTE_MS = 3000.0


@dataclass(frozen=True)
class PracticeNote:
    """A commit's practice verdict, kept so that the frames after it show it too (`practice_markdown`)."""

    at_ms: float  # the commit's time, on the clock of the frames that follow it
    ok: str | None = None  # the target that was just signed right
    missed: tuple[str, str] | None = None  # (letter read, motion letter asked): its movement was not read
    # (letter held, motion letter asked): a hold while a motion letter is asked, the learner getting ready
    ready: tuple[str, str] | None = None

    def shown_at(self, now_ms: float) -> bool:
        """Still on screen at `now_ms` (a frame from another clock, earlier than the commit, ends it)."""
        return 0.0 <= now_ms - self.at_ms <= NOTE_MS


class LiveSession:
    """One browser session's live state. `stage` is made on first use and released by `close()`."""

    def __init__(self) -> None:
        self.stage: Any = None  # curation.hands.HandStage in VIDEO mode, this session's own
        self.clock = time.monotonic  # s; a test replays a camera at its own frame rate by replacing it
        self.t0 = self.clock()
        self.last_ms = 0  # the last timestamp given to the landmarker (it refuses non-increasing ones)
        self.tracker = live.Tracker()
        self.smoothed = live.Smoothed()  # the running average the shown letter comes from
        self.word = ""
        self.practice: live.Practice | None = None
        self.frames = 0
        self.lock = threading.Lock()  # one frame at a time per session, whatever the server's concurrency
        self.link: Any = None  # the browser path's state (sign_ml.ui.live_browser.BrowserLink)
        self.window: tuple[Any, ...] = ()  # the last live.WINDOW_S of sign_ml.predict.WindowFrame rows
        self.note: PracticeNote | None = None  # the last commit's practice verdict, shown for NOTE_MS

    def hand_stage(self) -> Any:
        if self.stage is None:
            from curation.hands import HandStage

            self.stage = HandStage(mode="video", max_hands=1)
        return self.stage

    def next_ms(self) -> int:
        """A monotonic, strictly increasing timestamp in ms since the session began."""
        now = int((self.clock() - self.t0) * 1000)
        self.last_ms = max(now, self.last_ms + 1)
        return self.last_ms

    def close(self) -> None:
        if self.stage is not None:
            self.stage.close()
            self.stage = None

    def __deepcopy__(
        self, memo: dict
    ) -> LiveSession:  # Gradio copies state values; the landmarker is not copyable
        return self


def close_session(session: LiveSession | None) -> None:
    """The state's delete callback: the session ended (tab closed or reloaded), release its landmarker."""
    if session is not None:
        session.close()


# ---------------------------------------------------------------- views (pure)
def letter_char(class_name: str, class_names: list[str]) -> str:
    """What a committed letter adds to the word: the Ukrainian letter itself, else the class name."""
    letter = ukrainian_letter(class_name) if is_ukrainian(class_names) else None
    return letter.char if letter else class_name


def letter_markdown(
    top: list[tuple[str, float]] | None,
    class_names: list[str],
    lang: str,
    held: float = 0.0,
    hold_ms: float = DEFAULT_HOLD_MS,
    moving: bool = False,
    travelling: bool = False,
) -> str:
    """The current letter with its confidence (motion letters marked), or "no hand".

    moving: the model reads movements (the rolling window): a motion letter commits when its movement
    ends, not on a hold; else a motion letter is only its static start. travelling: the window shows the
    hand moving now: a hold does not count meanwhile, and the letter shown may still be the handshape the
    movement started from, so the tab says the movement is being read instead of a hold's progress."""
    if top is None:
        return f"### {text('no_hand_short', lang)}\n\n{text('live_no_hand', lang)}"
    uk = is_ukrainian(class_names)
    name, prob = top[0]
    lines = [f"## {views.display_label(name, uk)} · {views.pct(prob)}"]
    motion = views.is_motion(name, class_names)
    if motion:
        lines.append(f"_{text('live_motion_window' if moving else 'live_static_start', lang)}_")
    elif moving and travelling:
        lines.append(f"_{text('live_moving', lang)}_")
    show_hold = hold_ms > 0 and not (motion and moving) and not (moving and travelling)
    extra = [text("live_holding", lang, p=f"{min(1.0, held / hold_ms):.0%}")] if show_hold else []
    extra += [f"{views.display_label(n, uk)} {views.pct(p)}" for n, p in top[1:SHOWN_TOP]]
    if extra:
        lines.append(" · ".join(extra))
    return "\n\n".join(lines)


def practice_markdown(
    practice: live.Practice | None,
    class_names: list[str],
    lang: str,
    just_ok: str | None = None,
    moving: bool = False,
    just_missed: tuple[str, str] | None = None,
    just_ready: tuple[str, str] | None = None,
) -> str:
    """The prompt (letter, its name and motion flag), the last confirmation, the session's progress.

    moving: the model reads movements, so a motion letter is asked with its movement and a success says the
    movement was recognized; just_missed: (letter read, motion letter asked) when a movement was not;
    just_ready: (letter held, motion letter asked) when a hold committed meanwhile: no verdict, a hint."""
    if practice is None or practice.target is None:
        return ""
    uk = is_ukrainian(class_names)
    target = practice.target
    lines = []
    if just_ok:
        ok = text("practice_ok", lang, letter=views.display_label(just_ok, uk))
        if moving and views.is_motion(just_ok, class_names):
            ok += " · " + text("practice_movement_ok", lang)
        lines.append(f"**✅ {ok}**")
    if just_missed:
        read, asked = (views.display_label(x, uk) for x in just_missed)
        lines.append(f"**✗ {text('practice_movement_missed', lang, read=read, letter=asked)}**")
    if just_ready:
        read, asked = (views.display_label(x, uk) for x in just_ready)
        lines.append(f"**✋ {text('practice_draw_now', lang, read=read, letter=asked)}**")
    lines.append(f"### {text('practice_show', lang)}: {views.display_label(target, uk)}")
    if views.is_motion(target, class_names):
        lines.append(f"_{text('practice_with_movement' if moving else 'live_static_start', lang)}_")
    done = sum(practice.successes.values())
    missed = sum(practice.misses.values())
    lines.append(text("practice_progress", lang, ok=done, missed=missed))
    return "\n\n".join(lines)


def summary_markdown(practice: live.Practice | None, class_names: list[str], lang: str) -> str:
    """Per-letter successes and misses, what to practise first."""
    rows = practice.summary() if practice is not None else []
    if not rows:
        return text("practice_nothing_yet", lang)
    uk = is_ukrainian(class_names)
    table = [f"| {text('practice_letter', lang)} | ✅ | ✗ |", "|---|---|---|"]
    table += [f"| {views.display_label(n, uk)} | {ok} | {missed} |" for n, ok, missed in rows]
    todo = practice.to_practise()
    head = (
        f"**{text('practice_todo', lang)}:** " + ", ".join(views.display_label(n, uk) for n in todo)
        if todo
        else f"**{text('practice_all_good', lang)}**"
    )
    return head + "\n\n" + "\n".join(table)


# ---------------------------------------------------------------- handlers
def reads_movement(app: App) -> bool:
    """The served model reads clips (the temporal kind): Live feeds it the rolling window."""
    return bool(getattr(getattr(app.predictor, "encoder", None), "takes_clips", False))


def detection_frame(detection: Any, t_ms: float) -> Any:
    """A hand-stage detection at `t_ms` as one row of the rolling window (its largest hand, or none)."""
    from sign_ml.predict import WindowFrame

    hand = detection.hand
    if hand is None:
        return WindowFrame(t_ms / 1000.0, None, None, detection.width, detection.height)
    return WindowFrame(t_ms / 1000.0, hand.landmarks, hand.handedness, detection.width, detection.height)


def window_letters(
    app: App, session: LiveSession, top: list[tuple[str, float]] | None, frame: Any
) -> tuple[list[tuple[str, float]] | None, Any]:
    """The frame pushed onto the session's rolling window: (letters, the window's movement). With a model of
    movements the letters come from the whole window (None without a hand) and the movement is measured;
    otherwise `top` stands and the movement is None."""
    if frame is None:
        return top, None
    # the hand left: a release, as for the commit rule; the next sign starts a window of its own
    session.window = live.push_window(session.window, frame) if frame[1] is not None else ()
    if not reads_movement(app):
        return top, None
    movement = live.window_movement(session.window)
    if frame[1] is None:
        return None, movement  # no hand now, no letter (a release)
    prediction = app.predictor.predict_window(session.window)
    return (prediction.top if prediction.ok else None), movement


Verdict = tuple[str | None, tuple[str, str] | None, tuple[str, str] | None]  # (ok, missed, ready)


def judge_commit(
    session: LiveSession,
    names: list[str],
    committed: str | None,
    now: float,
    since: float,
    moving: bool,
    motion: bool,
    practising: bool,
) -> Verdict:
    """A committed letter into the word and through practice: (success, missed movement, hint)."""
    if committed is None:
        return None, None, None
    practice = session.practice if practising else None
    asked = practice.target if practice is not None else None
    # a hold committed while a motion letter is asked (of a model of movements): the learner forming the
    # handshape the movement starts from, most likely; the alphabet does not say which handshape that is,
    # so no hold is judged: no miss, a hint to draw the letter now, and nothing added to the word (the word
    # shows what was practised: J, not IJ). A movement that completes is judged as before.
    if moving and not motion and asked and views.is_motion(asked, names):
        return None, None, (committed, asked)
    session.word = live.add_letter(session.word, letter_char(committed, names))
    if practice is None:
        return None, None, None
    missed_before = practice.missed_now
    if practice.check(committed, now_ms=now, since_ms=since):
        return committed, None, None
    # this commit was the miss of a motion letter: say its movement was not recognized
    if moving and asked and views.is_motion(asked, names) and practice.missed_now and not missed_before:
        return None, (committed, asked), None
    return None, None, None


def shown_note(session: LiveSession, now: float, verdict: Verdict) -> Verdict:
    """What practice says at `now`: a new verdict (or hint) replaces the last one, which the frames after
    it show too for a while (`PracticeNote.shown_at`)."""
    if any(verdict):
        session.note = PracticeNote(now, *verdict)
        return verdict
    if session.note is not None and session.note.shown_at(now):
        return session.note.ok, session.note.missed, session.note.ready
    session.note = None
    return verdict


def advance(
    app: App,
    session: LiveSession,
    top: list[tuple[str, float]] | None,
    now: float,
    hold_ms: float,
    practising: bool,
    lang: str,
    frame: Any = None,
) -> tuple[str, Any, Any]:
    """One frame's letters (None: no hand) at `now` ms through the commit rule, the word and practice:
    (letter markdown, practice prompt, practice summary). The same for server frames and browser landmarks;
    the caller holds `session.lock`.

    frame: the frame's hand as a `sign_ml.predict.WindowFrame` (t in s), for the rolling window; with a
    model of movements the letters come from the whole window and `top` is not used."""
    names = app.class_names
    top, movement = window_letters(app, session, top, frame)
    session.smoothed, top = live.smooth_step(session.smoothed, top)  # one still hand, one letter
    letter, confidence = top[0] if top else (None, 0.0)
    rule = live.CommitRule(hold_ms=float(hold_ms))
    since = session.tracker.since_ms if session.tracker.candidate == letter else now  # this hold's start
    motion = movement is not None and letter is not None and views.is_motion(letter, names)
    session.tracker, committed = live.commit_step(
        session.tracker, letter, confidence, now, rule, motion=motion, movement=movement
    )
    session.frames += 1
    moving = movement is not None
    just_ok, just_missed, just_ready = shown_note(
        session, now, judge_commit(session, names, committed, now, since, moving, motion, practising)
    )
    travelling = movement is not None and frame is not None and frame[1] is not None and not movement.still
    # the resting end of a counted movement is not counted again: no hold's progress climbing to 100% there
    shown_hold = 0.0 if session.tracker.after_motion else float(hold_ms)
    answer = letter_markdown(
        top[:SHOWN_TOP] if top else None,
        names,
        lang,
        session.tracker.held_ms(now),
        shown_hold,
        moving,
        travelling,
    )
    prompt = (
        practice_markdown(session.practice, names, lang, just_ok, moving, just_missed, just_ready)
        if practising
        else gr.update()
    )
    summary = summary_markdown(session.practice, names, lang) if practising and committed else gr.update()
    return answer, prompt, summary
