"""The Record tab: several signers record the alphabet in the browser, then curate, train, measure on
signers the model has not seen, and publish, all from one page. Present only when the app was started with
a writable workspace (`python app.py --workspace DIR`, or DACTYL_WORKSPACE on a Space).

Capture is a stream, as on the Live tab: each frame goes through the hand stage and the guided-capture
state machine (`curation.capture`: countdown, then a burst of frames per letter); a frame with exactly one
hand during a burst is written by `curation.workspace.Workspace` (atomic, never overwriting, inside DIR).
A motion letter (and, when asked, every letter: "held still" examples) records a clip instead of a burst:
after the countdown, about 1.5 s of the session's VIDEO-mode hand stage, kept as `<signer>_<session>_<n>.clip.json`
(`curation.clips`, landmarks only: the video itself is not kept) only when one hand was tracked in most
frames; otherwise that take's countdown starts again. A session records "Clips per letter" takes of each
such letter, and gives a letter up (reported short) after 3 unusable takes in a row.
Each browser session keeps its own `RecordSession` in a `gr.State`, so two browsers recording at once have
their own signer, session number and capture, and share only the workspace's files.
The steps after recording are `sign_ml.studio` (the CLIs' own code) and `sign_ml.background`/`publish`.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import gradio as gr
import pandas as pd
from PIL import Image

from curation.alphabet import ASL_MOTION, UKRAINIAN_ALPHABET, Letter, is_ukrainian, ukrainian_letter
from curation.capture import Capture, CapturePlan, CaptureStatus, ClipTake
from curation.workspace import NameRefused, Workspace, parse_custom_alphabet, safe_signer
from sign_ml import studio
from sign_ml.ui import views
from sign_ml.ui.context import App, TabContext
from sign_ml.ui.i18n import count_text, number_text, text

log = logging.getLogger(__name__)

STREAM_EVERY = 0.2  # s between frames the browser sends while recording
TIME_LIMIT = 900  # s: one stream's longest run (a whole alphabet with pauses fits)
JPEG_QUALITY = 92  # the saved photo: high enough that the hand stage reads it as it read the frame
GRID_REFRESH_S = 4  # s: the letter × signer grid also shows what other browsers recorded
JOB_REFRESH_S = 3  # s: the background training's progress
ALPHABET_KINDS = ("ukrainian", "asl", "custom")
THESIS_EPOCHS = 100  # the background MobileNetV3's default, as in the thesis
CLIP_SECONDS = 1.5  # s a clip records by default: a fingerspelled motion letter takes about this long
CLIPS_PER_LETTER = 3  # takes of a clip letter per session by default: "a few clips of J" in one Start
# After "Start" shows the camera: grant access where it is not granted yet, then press the webcam's record
# button unless it streams already (the icons' titles are Gradio's own, the same in every language). A
# refused start (its status reads ⚠) streams nothing: idle frames would replace the reason with the hint.
CAMERA_ON_JS = """async () => {
  const status = document.querySelector('#rec-status');
  if (status && status.innerText.includes('⚠')) return;
  const cam = () => document.querySelector('#rec-cam');
  const until = async (find) => {
    for (let i = 0; i < 150; i++) {
      const el = find();
      if (el) return el;
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  };
  const state = () => cam() && cam().querySelector('[title="grant webcam access"] button, '
    + '[title="start recording"], [title="stop recording"], [title=spinner]');
  let el = await until(state);
  if (el && el.tagName === 'BUTTON') {
    el.click();
    el = await until(() => { const s = state(); return s && s.tagName !== 'BUTTON' ? s : null; });
  }
  if (el && el.getAttribute('title') === 'start recording') el.closest('button').click();
}"""


@dataclass
class RecordSession:
    """One browser session's recording: who signs, which session, where in the alphabet."""

    signer: str | None = None
    session: int | None = None
    capture: Capture | None = None
    saved: int = 0  # photos of this session
    clips: int = 0  # clips of this session
    last_saved: str = ""
    alphabet: tuple[str, tuple[str, ...]] | None = None  # the workspace's (kind, letters) when it started
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    clip_s: float = CLIP_SECONDS  # s each clip records
    clip_note: str = ""  # why the last take was not kept: shown through the countdown to the next one
    all_clips: bool = False  # static letters too are recorded as clips ("held still"), not bursts
    take: ClipTake | None = None  # the clip being recorded now
    stage: Any = None  # this session's VIDEO-mode hand stage (clips), made on first use
    clock_ms: int = 0  # the last timestamp given to it (it refuses non-increasing ones)

    def __deepcopy__(self, memo: dict) -> RecordSession:  # Gradio copies state values; a lock is not copyable
        return self

    def video_stage(self) -> Any:
        if self.stage is None:
            from curation.hands import HandStage

            self.stage = HandStage(mode="video", max_hands=2)  # two hands seen = not one hand: not tracked
        return self.stage

    def close(self) -> None:
        if self.stage is not None:
            self.stage.close()
            self.stage = None


# ---------------------------------------------------------------- views (pure)
def _ukrainian_chars(kind: str, alphabet: Sequence[str]) -> bool:
    """Whether a workspace alphabet is Ukrainian letters themselves: never by transliteration, so an ASL
    or a custom Latin alphabet (V, Y, ...) is never read as В, И."""
    chars = {letter.char for letter in UKRAINIAN_ALPHABET}
    return kind == "ukrainian" or (kind == "custom" and all(n.upper() in chars for n in alphabet))


def _letter(name: str, kind: str, alphabet: Sequence[str]) -> Letter | None:
    """The Ukrainian letter `name` is, when the workspace records Ukrainian letters; else None."""
    return ukrainian_letter(name) if _ukrainian_chars(kind, alphabet) else None


def _motion(name: str, kind: str, alphabet: Sequence[str]) -> bool:
    if kind == "asl":
        return name in ASL_MOTION
    letter = _letter(name, kind, alphabet)
    return bool(letter and letter.motion)


def prompt_label(name: str, kind: str, alphabet: Sequence[str], lang: str = "en") -> str:
    """The letter to sign, as the workspace's own alphabet names it: `Й (йот) ↻ …` or `Z ↻ …` or `V`."""
    letter = _letter(name, kind, alphabet)
    shown = f"{letter.char} ({letter.name})" if letter else name
    return shown + (f" ↻ {text('rec_motion_note', lang)}" if _motion(name, kind, alphabet) else "")


def letters_markdown(letters: list[str], lang: str, kind: str | None = None) -> str:
    """The alphabet being recorded: each letter with its name and a mark on motion letters."""
    if not letters:
        return ""
    kind = kind or ("ukrainian" if is_ukrainian(letters) else "custom")
    items = []
    for name in letters:
        letter = _letter(name, kind, letters)
        shown = f"**{letter.char}** ({letter.name})" if letter else f"**{name}**"
        items.append(shown + (" ↻" if _motion(name, kind, letters) else ""))
    return (
        f"{text('rec_letters', lang, n=len(letters))}: "
        + " · ".join(items)
        + (f"\n\n_↻ {text('rec_motion_note', lang)}_" if any("↻" in i for i in items) else "")
    )


def saved_text(photos: int, clips: int, lang: str) -> str:
    """What a session saved, as counted: "4 photos", "2 clips" or "4 photos and 2 clips" (no clips:
    photos, even 0)."""
    shown_photos, shown_clips = (
        count_text("rec_n_photos", photos, lang),
        count_text("rec_n_clips", clips, lang),
    )
    if not clips:
        return shown_photos
    return text("rec_and", lang, a=shown_photos, b=shown_clips) if photos else shown_clips


def status_markdown(status: CaptureStatus | None, rs: RecordSession, lang: str, letters: list[str]) -> str:
    """What to do now: the letter to sign and the countdown, or the burst's progress, or "done"."""
    if status is None:
        return text("rec_idle", lang)
    if status.phase == "done":
        lines = [
            f"### ✅ {text('rec_done', lang, what=saved_text(rs.saved, rs.clips, lang))}",
            text("rec_next", lang),
        ]
        alphabet = (rs.alphabet or ("custom", letters))[1]
        short_clips = [x for x in status.short if records_clip(x, rs, alphabet)]
        short_photos = [x for x in status.short if x not in short_clips]
        for key, short in (("rec_short", short_photos), ("rec_short_clips", short_clips)):
            if short:
                lines.append(text(key, lang, letters=", ".join(short)))
        return "\n\n".join(lines)
    kind, alphabet = rs.alphabet or ("custom", letters)
    shown = prompt_label(status.letter, kind, alphabet, lang) if status.letter else ""
    head = f"## {shown}"
    where = text(
        "rec_progress", lang, i=status.index + 1, n=status.total, signer=rs.signer, session=rs.session
    )
    clip = records_clip(status.letter, rs, alphabet)
    take = ""  # "J — clip 2 of 3 · " before what to do, for a letter recorded as clips
    if clip:
        letter = _letter(status.letter, kind, alphabet) if status.letter else None
        k, n = status.clips_kept + 1, rs.capture.plan.clips if rs.capture else 1
        take = text("rec_clip_take", lang, letter=letter.char if letter else status.letter, k=k, n=n) + " · "
    if status.phase == "countdown":
        body = f"### {take}{text('rec_get_ready', lang, s=max(1, round(status.seconds_left + 0.49)))}"
    elif clip:
        body = f"### ● {take}{text('rec_clip_capturing', lang, s=number_text(rs.clip_s, 'g', lang))}"
    else:
        body = f"### ● {text('rec_capturing', lang, k=status.kept, n=status.burst)}"
    notes = ([f"_{rs.last_saved}_"] if rs.last_saved else []) + (
        [f"**{rs.clip_note}**"] if rs.clip_note else []
    )
    return "\n\n".join([head, body, where, *notes])


def records_clip(letter: str | None, rs: RecordSession, alphabet: Sequence[str]) -> bool:
    """A letter is recorded as a clip: a motion letter always, any letter when the session asks for clips."""
    if letter is None:
        return False
    kind = rs.alphabet[0] if rs.alphabet else "custom"
    return rs.all_clips or _motion(letter, kind, alphabet)


def grid_frame(counts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The letter × signer grid with its header in the page's language."""
    table = counts.rename_axis(
        "letter"
    ).reset_index()  # the letters are the index: make them the first column
    return table.rename(columns={"letter": text("col_class", lang), "total": text("rec_total", lang)})


_hand_cache: Any = None
_hand_cache_lock = threading.Lock()


def hand_cache() -> Any:
    """One landmark cache for every recording session (thread-safe), not an open and close per frame."""
    global _hand_cache
    with _hand_cache_lock:
        if _hand_cache is None:
            from curation.hand_cache import HandCache

            _hand_cache = HandCache()
        return _hand_cache


# ---------------------------------------------------------------- handlers (plain functions)
def workspace_of(app: App) -> Workspace:
    if app.workspace is None:  # never reached from the page: without a workspace the tab is not built
        raise gr.Error("this app was started without --workspace: recording is off", print_exception=False)
    return app.workspace


def chosen_letters(ws: Workspace, only: str | None) -> list[str]:
    """The letters a session records: the workspace alphabet, or the subset typed in `only` (in alphabet order)."""
    _, letters = ws.alphabet()
    if not only or not only.strip():
        return letters
    wanted = parse_custom_alphabet(only)
    unknown = [x for x in wanted if x not in letters]
    if unknown:
        raise NameRefused(f"not in this workspace's alphabet: {', '.join(unknown)}")
    return [x for x in letters if x in set(wanted)]


def start_session(
    app: App,
    rs: RecordSession | None,
    signer: str,
    only: str,
    countdown: float,
    burst: int,
    all_clips: bool = False,
    clip_s: float = CLIP_SECONDS,
    clips: int = CLIPS_PER_LETTER,
    lang: str = "en",
) -> tuple[RecordSession, str]:
    """ "Start": check the signer id, reserve the next session number, walk through the letters from the first."""
    ws = workspace_of(app)
    rs = rs if rs is not None else RecordSession()
    try:
        name = safe_signer(signer or "")
        letters = chosen_letters(ws, only)
    except NameRefused as exc:
        return rs, f"### ⚠ {exc}"
    clips = int(clips or CLIPS_PER_LETTER)
    plan = CapturePlan(letters=tuple(letters), countdown_s=float(countdown), burst=int(burst), clips=clips)
    kind, alphabet = ws.alphabet()
    with rs.lock:
        rs.alphabet = (
            kind,
            tuple(alphabet),
        )  # prompts name letters as this alphabet does, never transliterated
        rs.signer, rs.session = name, ws.new_session(name)
        rs.capture, rs.saved, rs.clips, rs.last_saved = Capture(plan, time.monotonic()), 0, 0, ""
        rs.all_clips, rs.clip_s, rs.take = bool(all_clips), float(clip_s or CLIP_SECONDS), None
        rs.clip_note = ""
        status = rs.capture.status(time.monotonic())
    return rs, status_markdown(status, rs, lang, letters)


def record_frame(app: App, rs: RecordSession | None, frame: Any, lang: str = "en") -> tuple[Any, ...]:
    """One streamed frame → (session, the frame with its skeleton, status, grid or no change).

    Outside a burst the frame is only shown; in a burst it is encoded once as JPEG and those very bytes
    go through the hand stage (and its cache, so the later split reads the same landmarks without
    detecting again) and, with exactly one hand, to the workspace.
    """
    from curation.hand_cache import detect_bytes
    from curation.hands import draw_hand

    ws = workspace_of(app)
    rs = rs if rs is not None else RecordSession()
    if frame is None:
        return rs, None, gr.update(), gr.update()
    image = (frame if isinstance(frame, Image.Image) else Image.fromarray(frame)).convert("RGB")
    with rs.lock:
        capture = rs.capture
        if capture is None:
            return rs, image, text("rec_idle", lang), gr.update()
        letters = list(capture.plan.letters)
        now = time.monotonic()
        status = capture.status(now)
        if status.phase != "burst":
            rs.take = None
            return rs, image, status_markdown(status, rs, lang, letters), gr.update()
        if records_clip(status.letter, rs, (rs.alphabet or ("", letters))[1]):
            return clip_frame(ws, rs, image, now, status, lang, letters)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
        jpeg = buffer.getvalue()
        detection = detect_bytes(jpeg, source=f"{rs.signer} session {rs.session}", cache=hand_cache())
        one_hand = detection.found and len(detection.hands) == 1
        grid = gr.update()
        if capture.offer(now, one_hand):
            saved = ws.save_photo(
                jpeg,
                signer=rs.signer,
                session=rs.session,
                letter=status.letter,
                handedness=detection.hand.handedness,
                landmarks=detection.hand.landmarks,
            )
            rs.saved += 1
            rs.last_saved = text("rec_saved", lang, path=saved.relpath)
            grid = grid_frame(ws.counts(), lang)
        status = capture.status(now)
    shown = draw_hand(image, detection) if detection.found else image
    if not one_hand:
        note = text("rec_two_hands", lang) if detection.found else text("rec_no_hand", lang)
        return rs, shown, status_markdown(status, rs, lang, letters) + f"\n\n**{note}**", grid
    return rs, shown, status_markdown(status, rs, lang, letters), grid


def clip_frame(
    ws: Workspace,
    rs: RecordSession,
    image: Image.Image,
    now: float,
    status: CaptureStatus,
    lang: str,
    letters: list[str],
) -> tuple[Any, ...]:
    """One frame of a clip letter (the caller holds rs.lock): into the take through the session's VIDEO
    stage; when the take's time is up it is kept (one hand in most frames) or not, and the capture moves on
    (`Capture.clip_done`: the next take, the same take again, or the next letter). → what `record_frame`
    returns."""
    from curation.hands import draw_hand

    rs.clock_ms = max(int(now * 1000), rs.clock_ms + 1)
    detection = rs.video_stage().detect_video(image, rs.clock_ms)
    one = detection.hand if detection.found and len(detection.hands) == 1 else None
    if rs.take is None:
        rs.take, rs.clip_note = ClipTake(rs.clip_s), ""  # a new take: the last one's note has been read
    take = rs.take
    take.add(now, None if one is None else (one.landmarks, one.world, one.handedness, one.handedness_score))
    grid = gr.update()
    if take.full(now):
        rs.take = None
        if take.usable:
            clip = take.to_clip(
                status.letter, image.width, image.height, source=f"{rs.signer} session {rs.session}"
            )
            saved = ws.save_clip(clip, signer=rs.signer, session=rs.session, letter=status.letter)
            rs.clips += 1
            rs.last_saved = text("rec_saved", lang, path=saved.relpath)
            grid = grid_frame(ws.counts(), lang)
        else:
            tries = rs.capture.plan.max_failed_clips
            given_up = status.failed + 1 >= tries  # this take is the last unusable one allowed in a row
            rs.clip_note = text(
                "rec_clip_gave_up" if given_up else "rec_clip_unusable",
                lang,
                k=take.hand_frames,
                n=len(take.times),
                tries=tries,
                letter=status.letter,
            )
        rs.capture.clip_done(now, kept=take.usable)
        if rs.capture.status(now).phase == "done":
            rs.close()  # the last letter: the stage's threads and memory go now
    shown = draw_hand(image, detection) if detection.found else image
    return rs, shown, status_markdown(rs.capture.status(now), rs, lang, letters), grid


def session_over(rs: RecordSession | None) -> bool:
    """Whether this browser's session has recorded its last letter (so its camera should stop)."""
    capture = rs.capture if rs is not None else None
    return capture is not None and capture.status(time.monotonic()).phase == "done"


def start_camera_session(
    app: App,
    rs: RecordSession | None,
    signer: str,
    only: str,
    countdown: float,
    burst: int,
    all_clips: bool,
    clip_s: float,
    clips: int,
    lang: str = "en",
) -> tuple[RecordSession, str, Any]:
    """ "Start" with the camera: the session, and the webcam shown again when it started (CAMERA_ON_JS then
    turns it on and streams). all_clips, clip_s, clips: the clip settings (required, so with_lang passes
    them)."""
    before = rs.capture if rs is not None else None
    rs, shown = start_session(app, rs, signer, only, countdown, burst, all_clips, clip_s, clips, lang)
    started = rs.capture is not None and rs.capture is not before
    return rs, shown, gr.update(visible=True) if started else gr.update()


def stream_frame(app: App, rs: RecordSession | None, frame: Any, lang: str = "en") -> tuple[Any, ...]:
    """`record_frame`, and the webcam hidden once the session has recorded its last letter: hidden, Gradio
    unmounts it, which closes the stream (no more frames to the server) and stops the camera itself."""
    rs, *shown = record_frame(app, rs, frame, lang)
    return (rs, *shown, gr.update(visible=False) if session_over(rs) else gr.update())


def control_camera(app: App, rs: RecordSession | None, action: str, lang: str = "en") -> tuple[Any, ...]:
    """`control`, and the webcam hidden (its stream closed) when the session is stopped."""
    rs, shown = control(app, rs, action, lang)
    return rs, shown, gr.update(visible=False) if action == "stop" else gr.update()


def control(app: App, rs: RecordSession | None, action: str, lang: str = "en") -> tuple[RecordSession, str]:
    """Skip the letter, redo it, or stop the session (its saved photos stay)."""
    rs = rs if rs is not None else RecordSession()
    with rs.lock:
        if rs.capture is None:
            return rs, text("rec_idle", lang)
        now = time.monotonic()
        letters = list(rs.capture.plan.letters)
        rs.take, rs.clip_note = None, ""  # skip, redo and stop all drop a clip being recorded
        if action == "stop":
            rs.capture = None
            rs.close()
            return rs, text("rec_stopped", lang, what=saved_text(rs.saved, rs.clips, lang))
        getattr(rs.capture, action)(now)  # "skip" | "redo"
        return rs, status_markdown(rs.capture.status(now), rs, lang, letters)


def set_alphabet(app: App, kind: str, custom: str, lang: str = "en") -> tuple[str, Any]:
    """The alphabet radio / custom list → (the letters shown, the grid)."""
    ws = workspace_of(app)
    try:
        letters = ws.set_alphabet(kind, parse_custom_alphabet(custom) if kind == "custom" else None)
    except NameRefused as exc:
        return f"### ⚠ {exc}", gr.update()
    return letters_markdown(letters, lang, kind), grid_frame(ws.counts(), lang)


def steps_markdown(steps: list[studio.Step], lang: str) -> str:
    """Each command the pipeline ran, with what it printed (failures first in the reader's eye)."""
    parts = []
    for step in steps:
        mark = "✅" if step.ok else "⚠"
        parts.append(f"{mark} `{step.command}`\n\n```\n{step.output or text('rec_no_output', lang)}\n```")
    return "\n\n".join(parts)


def check_result(root: Path, step: studio.Step, lang: str) -> tuple[str, pd.DataFrame | None]:
    """What "Check the photos" found, for the page itself: one line per check and every flagged photo."""
    from curation.fileio import read_json

    report_path = studio.outputs_dir(root) / "report" / "report.json"
    if not step.ok or not report_path.is_file():
        return f"### ⚠ {text('rec_check_failed', lang)}", None
    report = read_json(report_path)
    lines = [
        f"### ✅ {text('rec_checked', lang, n=int(report.get('n_photos', 0)))}",
        views.report_summary(report, lang),
    ]
    frames = [t for t in views.issue_tables(report, str(root)).values() if not t.empty]
    if not frames:
        return "\n\n".join(lines), None
    flagged = pd.concat(frames, ignore_index=True)
    keep = [c for c in ("path", "flag", "check", "detail") if c in flagged.columns]
    return "\n\n".join(lines), views.localize_issues(flagged[keep], lang)


def split_notes_of(splits_dir: Path | None, lang: str) -> str:
    """The notes `sign-curate split` left in splits.json, in `lang` ("" when it could do all it was asked)."""
    from curation.fileio import read_json

    path = splits_dir / "splits.json" if splits_dir is not None else None
    if path is None or not path.is_file():
        return ""
    return views.split_notes_markdown(read_json(path).get("notes") or [], lang)


def train_now(app: App, lang: str = "en", progress: Any = None) -> tuple[str, str, Any, Any]:
    """ "Train": split (by signer), landmark model, evaluation, leave-one-signer-out; then serve the new model."""
    ws = workspace_of(app)
    n_signers = len(ws.signers())
    if n_signers == 0:
        return text("rec_nothing", lang), "", None, None
    outcome = studio.train_landmarks(ws.root, n_signers)
    log_md = steps_markdown(outcome.steps, lang)
    if not outcome.ok:
        return f"### ⚠ {text('train_failed', lang)}", log_md, None, None
    app.use_model(str(outcome.run_dir))
    head = [
        f"### ✅ {text('train_done', lang, s=number_text(outcome.seconds, '.1f', lang), run=outcome.run_dir.name)}",
        views.loso_markdown(outcome.loso, lang),
        split_notes_of(outcome.splits_dir, lang),  # what the split could not hold out, and why
        text("train_serving", lang),
    ]
    head = [h for h in head if h]
    table = views.loso_table(outcome.loso, lang)
    image = views.loso_heatmap(outcome.loso, lang)  # drawn in the page's language, served from memory
    return (
        "\n\n".join(head),
        log_md,
        gr.update(value=table, visible=table is not None),
        gr.update(value=image, visible=image is not None),
    )


# ---------------------------------------------------------------- background MobileNetV3
def job_markdown(status: Any, lang: str) -> str:
    if status is None:
        return text("job_none", lang)
    line = text(f"job_{status.state}", lang, e=status.epoch, n=status.epochs)
    bar = f"`{'█' * round(20 * status.fraction)}{'░' * (20 - round(20 * status.fraction))}` {views.pct(status.fraction)}"
    last = f"\n\n```\n{status.last_line}\n```" if status.last_line else ""
    return f"**{line}** {bar}{last}"


class Jobs:
    """The workspace's one background MobileNetV3 run (re-attached after an app restart)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.job: Any = None
        self.lock = threading.Lock()
        self._attach_latest()

    def _attach_latest(self) -> None:
        from sign_ml.background import TrainJob

        runs = sorted((studio.outputs_dir(self.root) / "runs").glob("mobilenet-*/job.json"))
        if runs:
            self.job = TrainJob.attach(runs[-1].parent)

    def start(self, epochs: int = THESIS_EPOCHS) -> Any:
        from sign_ml.background import TrainJob

        with self.lock:
            if self.job is not None and self.job.status().state == "running":
                return self.job.status()
            splits = studio.outputs_dir(self.root) / "splits"
            if not (splits / "manifest.csv").is_file():
                raise FileNotFoundError("no split yet: press Train first (it writes the split)")
            self.job = TrainJob.start(
                splits,
                studio.new_run_dir(self.root, "mobilenet"),
                kind="image",
                overrides={"hand_crop": True, "epochs": int(epochs)},
            )
            return self.job.status()

    def cancel(self) -> Any:
        with self.lock:
            return self.job.cancel() if self.job is not None else None

    def resume(self) -> Any:
        with self.lock:
            if self.job is None:
                return None
            if self.job.status().can_resume:
                self.job = self.job.resume()
            return self.job.status()

    def status(self) -> Any:
        return self.job.status() if self.job is not None else None


# ---------------------------------------------------------------- publish
def served_run(app: App) -> Path | None:
    """The run the app serves when it is one of this workspace's (what Publish uploads), else the newest one."""
    ws = workspace_of(app)
    ref = Path(app.model.ref) if app.model.ref else None
    if (
        ref is not None
        and ref.is_dir()
        and ref.resolve().is_relative_to(studio.outputs_dir(ws.root).resolve())
    ):
        return ref.resolve()
    return studio.latest_run(ws.root)


def publish_preview(
    app: App, dataset_repo: str, model_repo: str, license: str, lang: str = "en"
) -> tuple[str, Any]:
    """Dry run: write exactly what would be uploaded to .dactyl/publish-preview and list it."""
    from sign_ml.publish import preview

    ws = workspace_of(app)
    splits = studio.outputs_dir(ws.root) / "splits"
    run = served_run(app)
    try:
        result = preview(
            studio.outputs_dir(ws.root) / "publish-preview",
            splits_dir=splits if (splits / "manifest.csv").is_file() and dataset_repo else None,
            run_dir=run if model_repo else None,
            dataset_repo=dataset_repo or None,
            model_repo=model_repo or None,
            license=license or None,
        )
    except (ValueError, FileNotFoundError, RuntimeError, OSError) as exc:
        return f"### ⚠ {exc}", gr.update(value=None, visible=False)
    shown = preview_files(result.files, lang)
    return preview_markdown(result, lang), gr.update(value=shown, visible=not result.files.empty)


def preview_markdown(result: Any, lang: str) -> str:
    """What the dry run wrote, in the page's language: files and MB per repo, and where its folders are."""
    lines = [text("pub_dry_head", lang), ""]
    totals = {row.repo: row for row in result.totals().itertuples()}
    for kind, repo, folder in (
        ("dataset", result.dataset_repo, result.dataset_dir),
        ("model", result.model_repo, result.model_dir),
    ):
        if folder is None:
            continue
        row = totals.get(kind)
        n, size = (int(row.files), int(row.bytes)) if row is not None else (0, 0)
        name = text(f"pub_kind_{kind}", lang)
        lines.append(
            "- "
            + text("pub_dry_repo", lang, kind=name, repo=repo, n=n, mb=f"{size / 1e6:.2f}", folder=folder)
        )
    if result.dataset_dir is not None:
        lines += ["", text("pub_dry_info", lang)]
    return "\n".join(lines)


def preview_files(files: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The preview's file list with its header and repo kinds in the page's language (paths as they are)."""
    shown = files.assign(repo=[text(f"pub_kind_{kind}", lang) for kind in files["repo"]])
    return shown.rename(columns={c: text(f"pub_col_{c}", lang) for c in ("repo", "path", "bytes")})


def publish_now(
    app: App, dataset_repo: str, model_repo: str, license: str, private: bool, lang: str = "en"
) -> str:
    """The real upload; the token comes from HF_TOKEN or `hf auth login` and is never shown."""
    from sign_ml.publish import publish, token_state

    ws = workspace_of(app)
    if token_state() == "none":
        return f"### ⚠ {text('pub_no_token', lang)}"
    splits = studio.outputs_dir(ws.root) / "splits"
    try:
        urls = publish(
            splits_dir=splits if dataset_repo else None,
            run_dir=served_run(app) if model_repo else None,
            dataset_repo=dataset_repo or None,
            model_repo=model_repo or None,
            private=private,
            license=license or None,
        )
    except Exception as exc:  # the upload's own one-line reason (never the token: publish never holds it)
        return f"### ⚠ {exc}"
    return "\n\n".join(f"✅ {text(f'pub_kind_{kind}', lang)}: {url}" for kind, url in urls.items())


def token_markdown(lang: str) -> str:
    from sign_ml.publish import token_state

    return text(f"pub_token_{token_state()}", lang)


def job_step(jobs: Jobs, action: str, epochs: Any, lang: str = "en") -> str:
    """A background-job button or the refresh: "start" | "cancel" | "resume" | "status" → its status line."""
    try:
        status = jobs.start(int(epochs or THESIS_EPOCHS)) if action == "start" else getattr(jobs, action)()
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        return f"⚠ {exc}"
    return job_markdown(status, lang)


# ---------------------------------------------------------------- layout
QUIET = {"api_visibility": "private", "show_progress": "hidden"}  # the page's own refreshes and controls
PRIVATE = {"api_visibility": "private"}  # the steps that show their progress


class Setup(NamedTuple):
    """The signer-and-session section's components."""

    alphabet: gr.Radio
    custom: gr.Textbox
    letters_md: gr.Markdown
    signer: gr.Textbox
    only: gr.Textbox
    countdown: gr.Slider
    burst: gr.Slider
    all_clips: gr.Checkbox
    clip_s: gr.Slider
    clips: gr.Slider
    start: gr.Button


def setup_section(ctx: TabContext, ws: Workspace) -> Setup:
    """Signer and session: the alphabet, who signs, which letters, the countdown and burst, "Start"."""
    t = ctx.t
    kind, letters = ws.alphabet()
    with gr.Accordion(t("rec_setup"), open=True):
        with gr.Row():
            alphabet = gr.Radio(
                [(t(f"alphabet_{k}"), k) for k in ALPHABET_KINDS],
                value=kind,
                label=t("rec_alphabet"),
                elem_id="rec-alphabet",
            )
            custom = gr.Textbox(
                label=t("rec_custom"),
                value=" ".join(letters) if kind == "custom" else "",
                visible=kind == "custom",
                elem_id="rec-custom",
            )
        letters_md = gr.Markdown(elem_id="rec-letters")
        with gr.Row():
            signer = gr.Textbox(
                label=t("rec_signer"), placeholder="olena", max_length=32, elem_id="rec-signer"
            )
            only = gr.Textbox(label=t("rec_only"), placeholder=" ".join(letters[:3]), elem_id="rec-only")
        with gr.Row():
            countdown = gr.Slider(0, 10, value=3, step=0.5, label=t("rec_countdown"), elem_id="rec-countdown")
            burst = gr.Slider(1, 30, value=5, step=1, label=t("rec_burst"), elem_id="rec-burst")
        with gr.Row():  # motion letters always record a clip; static ones may, as "held still" examples
            clip_s = gr.Slider(
                0.5,
                4.0,
                value=CLIP_SECONDS,
                step=0.25,
                label=t("rec_clip_seconds"),
                elem_id="rec-clip-seconds",
            )
            clips = gr.Slider(
                1,
                10,
                value=CLIPS_PER_LETTER,
                step=1,
                label=t("rec_clips_per_letter"),
                elem_id="rec-clips",
            )
        # a row of its own: beside a slider a phone squeezes both
        all_clips = gr.Checkbox(False, label=t("rec_all_clips"), elem_id="rec-all-clips")
        start = gr.Button(t("rec_start"), variant="primary", elem_id="rec-start")
    return Setup(
        alphabet, custom, letters_md, signer, only, countdown, burst, all_clips, clip_s, clips, start
    )


def capture_section(ctx: TabContext, ws: Workspace, state: gr.State, setup: Setup) -> tuple[Any, Any]:
    """The camera stream, the letter controls, what to do now and the letter × signer grid; with the setup's
    events. → (status, grid), which the page load fills."""
    t, app = ctx.t, ctx.app
    with gr.Row(equal_height=False):
        with gr.Column():
            camera = gr.Image(
                sources=["webcam"],
                streaming=True,
                type="pil",
                label=t("live_camera"),
                height=360,
                webcam_options=gr.WebcamOptions(mirror=False),
                elem_id="rec-cam",
            )
            with gr.Row():
                skip = gr.Button(t("rec_skip"), size="sm", elem_id="rec-skip")
                redo = gr.Button(t("rec_redo"), size="sm", elem_id="rec-redo")
                stop = gr.Button(t("rec_stop"), size="sm", variant="stop", elem_id="rec-stop")
        with gr.Column():
            status = gr.Markdown(elem_id="rec-status")
            view = gr.Image(label=t("live_view"), interactive=False, height=300, elem_id="rec-view")
    grid = gr.Dataframe(label=t("rec_grid"), interactive=False, max_height=420, elem_id="rec-grid")
    timer = gr.Timer(GRID_REFRESH_S)

    def on_alphabet(k: str, c: str, lang: str) -> tuple[Any, ...]:
        shown, table = set_alphabet(app, k, c, lang)
        _, now_letters = ws.alphabet()
        return (
            gr.update(visible=k == "custom"),
            shown,
            table,
            gr.update(placeholder=" ".join(now_letters[:3])),
        )

    on_alphabet = ctx.with_lang(on_alphabet)
    for trigger in (setup.alphabet.input, setup.custom.submit):
        trigger(
            on_alphabet,
            [setup.alphabet, setup.custom],
            [setup.custom, setup.letters_md, grid, setup.only],
            **QUIET,
        )
    session_inputs = [
        state,
        setup.signer,
        setup.only,
        setup.countdown,
        setup.burst,
        setup.all_clips,
        setup.clip_s,
        setup.clips,
    ]
    setup.start.click(
        ctx.with_lang(start_camera_session, app, name="on_start"),
        session_inputs,
        [state, status, camera],
        **QUIET,
    ).then(None, js=CAMERA_ON_JS, **QUIET)
    camera.stream(
        ctx.with_lang(stream_frame, app, name="on_frame"),
        [state, camera],
        [state, view, status, grid, camera],
        stream_every=STREAM_EVERY,
        time_limit=TIME_LIMIT,
        concurrency_limit=4,
        **QUIET,
    )
    for button, action in ((skip, "skip"), (redo, "redo"), (stop, "stop")):
        button.click(
            ctx.with_lang(control_camera, app, action=action, name="on_control"),
            state,
            [state, status, camera],
            **QUIET,
        )
    timer.tick(ctx.with_lang(lambda lang: grid_frame(ws.counts(), lang), name="on_tick"), None, grid, **QUIET)
    return status, grid


def train_section(ctx: TabContext, ws: Workspace) -> None:
    """Check the photos, train and measure on unseen signers, and the background MobileNetV3."""
    t, app = ctx.t, ctx.app
    gr.Markdown(t("rec_train_head"))
    with gr.Row():
        check_btn = gr.Button(t("rec_check"), elem_id="rec-check")
        train_btn = gr.Button(t("rec_train"), variant="primary", elem_id="rec-train")
    train_md = gr.Markdown(elem_id="rec-train-result")
    check_df = gr.Dataframe(
        label=t("rec_flagged"),
        interactive=False,
        visible=False,
        max_height=320,
        wrap=True,
        elem_id="rec-flagged",
    )
    loso_df = gr.Dataframe(label=t("loso_table"), interactive=False, visible=False, elem_id="rec-loso")
    loso_png = gr.Image(
        label=t("loso_confusion"), interactive=False, visible=False, height=420, elem_id="rec-loso-cm"
    )
    with gr.Accordion(t("rec_log"), open=False):
        log_md = gr.Markdown(elem_id="rec-log")

    def hidden() -> dict[str, Any]:  # a fresh update per answer: Gradio may change the one it is given
        return gr.update(value=None, visible=False)

    def on_check(lang: str, progress: Any) -> tuple[Any, ...]:
        progress(0, desc=text("rec_check", lang))  # a bar from the first second, not after the load
        step = studio.check(ws.root)
        summary, flagged = check_result(ws.root, step, lang)
        shown = gr.update(value=flagged, visible=flagged is not None)
        return summary, steps_markdown([step], lang), shown, hidden(), hidden()

    def on_train(lang: str, progress: Any) -> tuple[Any, ...]:
        progress(0, desc=text("rec_train", lang))
        return (*train_now(app, lang), hidden())

    # where the user looks, not the closed log
    steps = {"concurrency_limit": 1, "show_progress_on": [train_md], **PRIVATE}
    check_out = [train_md, log_md, check_df, loso_df, loso_png]
    check_btn.click(ctx.with_lang(on_check, progress=True), None, check_out, **steps)
    train_out = [train_md, log_md, loso_df, loso_png, check_df]
    train_btn.click(ctx.with_lang(on_train, progress=True), None, train_out, **steps)
    job_section(ctx, ws)


def job_section(ctx: TabContext, ws: Workspace) -> None:
    """The workspace's background MobileNetV3: epochs, start, cancel, resume, and its progress."""
    t = ctx.t
    jobs = Jobs(ws.root)
    gr.Markdown(t("job_head"))
    with gr.Row():
        job_epochs = gr.Number(
            THESIS_EPOCHS, precision=0, minimum=1, maximum=1000, label=t("job_epochs"), elem_id="job-epochs"
        )
        job_start = gr.Button(t("job_start"), elem_id="job-start")
        job_cancel = gr.Button(t("job_cancel"), variant="stop", elem_id="job-cancel")
        job_resume = gr.Button(t("job_resume"), elem_id="job-resume")
    job_md = gr.Markdown(elem_id="job-status")
    job_timer = gr.Timer(JOB_REFRESH_S)
    triggers = (
        (job_start.click, "start"),
        (job_cancel.click, "cancel"),
        (job_resume.click, "resume"),
        (job_timer.tick, "status"),
    )
    for trigger, action in triggers:
        trigger(ctx.with_lang(job_step, jobs, action, name="on_job"), job_epochs, job_md, **QUIET)


def publish_section(ctx: TabContext) -> gr.Markdown:
    """Publish: the repositories, the dry-run preview and the upload. → the token line the page load fills."""
    t, app = ctx.t, ctx.app
    gr.Markdown(t("pub_head"))
    token_md = gr.Markdown(elem_id="pub-token")
    with gr.Row():
        dataset_repo = gr.Textbox(
            label=t("pub_dataset"), placeholder="user/ukrsl-letters", elem_id="pub-dataset"
        )
        model_repo = gr.Textbox(label=t("pub_model"), placeholder="user/ukrsl-landmarks", elem_id="pub-model")
        license_box = gr.Textbox(label=t("pub_license"), placeholder="cc-by-4.0", elem_id="pub-license")
    private_box = gr.Checkbox(True, label=t("pub_private"), elem_id="pub-private")
    with gr.Row():
        preview_btn = gr.Button(t("pub_preview"), elem_id="pub-preview")
        publish_btn = gr.Button(t("pub_publish"), variant="primary", elem_id="pub-publish")
    pub_md = gr.Markdown(elem_id="pub-result")
    pub_files = gr.Dataframe(
        label=t("pub_files"), interactive=False, visible=False, max_height=360, elem_id="pub-files"
    )
    repos = [dataset_repo, model_repo, license_box]
    preview_btn.click(
        ctx.with_lang(publish_preview, app, name="on_preview"), repos, [pub_md, pub_files], **PRIVATE
    )
    publish_btn.click(
        ctx.with_lang(publish_now, app, name="on_publish"), [*repos, private_box], pub_md, **PRIVATE
    )
    return token_md


def build(ctx: TabContext) -> None:
    """Lay the tab out in its sections and wire their events; the page load fills what depends on the
    workspace now (another browser may have changed the alphabet since the page was built)."""
    ws = workspace_of(ctx.app)
    # a session's VIDEO-mode hand stage (clips) is released when its state goes
    state = gr.State(None, delete_callback=lambda rs: rs.close() if rs is not None else None)
    gr.Markdown(ctx.t("rec_intro"), elem_id="rec-intro")
    setup = setup_section(ctx, ws)
    status, grid = capture_section(ctx, ws, state, setup)
    train_section(ctx, ws)
    token_md = publish_section(ctx)

    def on_load(lang: str) -> tuple[Any, ...]:
        # the radio and the list both from workspace.json now, not from when the page was built
        kind, letters = ws.alphabet()
        return (
            gr.update(value=kind),
            gr.update(value=" ".join(letters) if kind == "custom" else "", visible=kind == "custom"),
            letters_markdown(letters, lang, kind),
            gr.update(placeholder=" ".join(letters[:3])),  # the workspace's own letters, never А Б В for ASL
            grid_frame(ws.counts(), lang),
            text("rec_idle", lang),
            token_markdown(lang),
        )

    loaded = [setup.alphabet, setup.custom, setup.letters_md, setup.only, grid, status, token_md]
    ctx.blocks.load(ctx.with_lang(on_load), None, loaded, **QUIET)
