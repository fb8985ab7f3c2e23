"""The Live tab's rolling window through `tab_live.advance`, as both Live paths call it (issue 18): with a
model of movements, every frame's hand joins the window, the window is what the model reads, a motion
letter commits once when its movement completes (not while it moves, and its ending pose is not committed
again as a still letter), a still letter commits on the hold; practice asks for a motion letter with its
movement and says whether the movement was recognized. The browser path (landmarks messages) and the
server path (detections) give the same word.

The model here is a stand-in that reads the window as a temporal model would be trained to: J when the
window's wrist travelled at least a hand size, else I (the handshape J starts from)."""

from __future__ import annotations

import json
import string

import numpy as np

from curation.hands import Hand, HandDetection
from sign_ml.predict import OK, Prediction, WindowFrame
from sign_ml.ui import tab_live
from sign_ml.ui.live_browser import landmarks_step
from sign_ml.ui.tab_live import LiveSession

ASL = list(string.ascii_uppercase)
SIZE = 85.0  # px: the stand-in hand's size (mean wrist → knuckle)


class Encoder:
    takes_clips = True


class MovementModel:
    """Reads a window: J when its wrist travelled a hand size or more, else I. Counts the windows it saw."""

    kind = "temporal"
    class_names = ASL
    encoder = Encoder()

    def __init__(self) -> None:
        self.windows: list[int] = []

    def _answer(self, letter: str) -> Prediction:
        probs = np.full(len(ASL), 0.004, dtype=np.float32)
        probs[ASL.index(letter)] = 0.9
        order = np.argsort(-probs, kind="stable")
        return Prediction("<window>", OK, [(ASL[i], float(probs[i])) for i in order], probs)

    def predict_window(self, frames, top_k=None) -> Prediction:
        self.windows.append(len(frames))
        xs = [float(f.landmarks[0, 0]) * f.width for f in frames if f.landmarks is not None]
        return self._answer("J" if xs and max(xs) - min(xs) >= SIZE else "I")

    def predict_landmarks(self, *args, **kwargs) -> Prediction:  # the browser path's per-frame read
        return self._answer("I")


class App:
    def __init__(self) -> None:
        self.predictor = MovementModel()
        self.class_names = ASL

    def lang_of(self, request) -> str:
        return "en"


def hand(dx: float) -> np.ndarray:
    """21 landmarks (fractions of 640 × 480): wrist below four knuckles, moved dx hand sizes sideways."""
    pts = np.zeros((21, 3), dtype=np.float32)
    pts[:, 0], pts[:, 1] = 320, 220
    pts[0, :2] = (320, 280)
    for k, x in zip((5, 9, 13, 17), (290, 310, 330, 350), strict=True):
        pts[k, :2] = (x, 200)
    pts[:, 0] += dx * SIZE
    pts[:, 0] /= 640
    pts[:, 1] /= 480
    return pts


def sign_script(step_ms: float = 100.0) -> list[tuple[float, float]]:
    """(t ms, dx): I held 1 s, J's stroke of 1.5 hand sizes over 0.6 s, its end held 2 s."""
    held = [0.0] * 10
    stroke = list(np.linspace(0.25, 1.5, 6))
    rest = [1.5] * 20
    return [(k * step_ms + 100.0, dx) for k, dx in enumerate(held + stroke + rest)]


def run_server_path(app, script, practising=False, session=None):
    session = session or LiveSession()
    shown = []
    for t, dx in script:
        points = hand(dx)
        box = (float(points[:, 0].min()), float(points[:, 1].min()), float(points[:, 0].max()), 0.9)
        detection = HandDetection(640, 480, (Hand(points, np.zeros_like(points), "Right", 0.9, box),))
        frame = tab_live.detection_frame(detection, t)
        answer, prompt, _ = tab_live.advance(app, session, None, t, 600, practising, "en", frame=frame)
        shown.append((answer, prompt))
    return session, shown


def test_a_motion_letter_commits_once_when_its_movement_ends():
    app = App()
    session, shown = run_server_path(app, sign_script())
    assert session.word == "IJ"
    assert max(app.predictor.windows) == 16  # 1.5 s of frames 0.1 s apart, the newest included
    j_at = next(k for k, (answer, _) in enumerate(shown) if answer.startswith("## J"))
    assert "it counts when the movement ends" in shown[j_at][0] and "held" not in shown[j_at][0]


def test_the_browser_path_builds_the_same_word_from_landmarks_messages():
    app = App()
    session = LiveSession()
    for t, dx in sign_script():
        raw = json.dumps(
            {"t": t, "w": 640, "h": 480, "hands": [{"lm": hand(dx).ravel().tolist(), "hd": "Right"}]}
        )
        out = landmarks_step(app, session, raw, 600, False, now_s=t / 1000.0)
    assert out[2] == "IJ" and len(session.window) == 16


def test_practice_asks_a_motion_letter_with_its_movement_and_says_whether_it_was_recognized():
    from sign_ml.live import Practice

    app = App()
    session = LiveSession()
    session.practice = Practice(tuple(ASL), target="J")
    session.practice.prompt(0.0)
    prompt = tab_live.practice_markdown(session.practice, ASL, "en", moving=True)
    assert "Show: J" in prompt and "sign it with its movement" in prompt
    _, shown = run_server_path(app, [(100.0 * k + 100.0, 0.0) for k in range(8)], True, session)
    assert any("read as I: the movement of J was not recognized" in p for _, p in shown)  # held still
    session.practice.target = "J"
    session.practice.missed_now = False
    _, shown = run_server_path(app, [(t + 2000.0, dx) for t, dx in sign_script()], True, session)
    assert any("✅" in p and "movement recognized" in p for _, p in shown)
    assert session.practice.successes.get("J") == 1


def test_a_still_model_still_reads_each_frame_and_commits_on_the_hold():
    """A model of still handshapes: the window is kept (for its movement), the frame's own letters are read."""

    class StillModel(MovementModel):
        kind = "landmarks"
        encoder = type("E", (), {"takes_clips": False})()

    app = App()
    app.predictor = StillModel()
    session = LiveSession()
    top = [("J", 0.9), ("I", 0.05)]
    for k in range(8):
        frame = WindowFrame(k * 0.1, hand(0.0), "Right", 640, 480)
        answer, _, _ = tab_live.advance(app, session, top, k * 100.0, 600, False, "en", frame=frame)
    assert session.word == "J" and app.predictor.windows == []  # the hold, as before
    assert "static start only" in answer


def test_no_hand_now_is_no_letter_and_a_release_of_the_window():
    app = App()
    session, _ = run_server_path(app, [(100.0, 0.0), (200.0, 0.0)])
    answer, _, _ = tab_live.advance(
        app, session, None, 300.0, 600, False, "en", frame=WindowFrame(0.3, None, None, 640, 480)
    )
    assert "no letter" in answer and app.predictor.windows == [1, 2]  # not read without a hand
    assert session.window == ()  # the hand left: the next sign starts a window of its own
    run_server_path(app, [(400.0, 0.0)], session=session)
    assert [f.t for f in session.window] == [0.4] and app.predictor.windows == [1, 2, 1]


def test_a_practice_verdict_stays_on_screen_for_the_frames_after_its_commit():
    """Every frame redraws the prompt: the verdict of the commit must outlive its one frame (before: gone
    ~70 ms later), for NOTE_MS of the frames' clock, and a skipped target takes it away."""
    from sign_ml.live import Practice

    app = App()
    session = LiveSession()
    session.practice = Practice(tuple(ASL), target="J")
    session.practice.prompt(0.0)
    _, shown = run_server_path(app, sign_script(), True, session)
    ok = [k for k, (_, p) in enumerate(shown) if "movement recognized" in p]
    assert ok and session.practice.target != "J"
    # from the commit to the last frame (< NOTE_MS later): every frame says it
    assert ok == list(range(ok[0], len(shown)))
    last_t = sign_script()[-1][0]
    _, later = run_server_path(app, [(last_t + tab_live.NOTE_MS + 500.0, 1.5)], True, session)
    assert "movement recognized" not in later[0][1] and "Show: " in later[0][1]
    session.note = tab_live.PracticeNote(last_t + 4000.0, ok="J")
    tab_live.skip_letter(app, session)
    _, after_skip = run_server_path(app, [(last_t + 4100.0, 1.5)], True, session)
    assert "well done" not in after_skip[0][1]


def test_while_the_hand_travels_the_tab_says_the_movement_is_being_read():
    """During J's stroke the window's letter is still the I it starts from: the tab says a movement is being
    read (not a hold's progress, which does not count while the hand moves); at the J's resting end neither."""
    app = App()
    _, shown = run_server_path(app, sign_script())
    answers = [a for a, _ in shown]
    held, stroke = answers[:10], answers[10:16]
    assert all("held" in a and "reading the movement" not in a for a in held[2:])
    travelling = [a for a in stroke if a.startswith("## I")]
    assert travelling and all("reading the movement" in a and "held" not in a for a in travelling)
    # at rest after the J: no movement read, and no hold's progress either (its end is not counted again)
    assert "reading the movement" not in answers[-1] and "held" not in answers[-1]
    assert "читаю рух" in tab_live.letter_markdown([("I", 0.9)], ASL, "uk", moving=True, travelling=True)
