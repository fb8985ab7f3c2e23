"""The Live tab's browser path on the server: a landmarks message is read exactly as the server's own
frame (same letter, same probabilities), held letters commit into the word through the same rule, and a
hostile client (NaN, wrong shape, 10 MB, 1,000 messages a second, stale timestamps) gets one line back,
changes nothing and never stops another session."""

from __future__ import annotations

import json

import gradio as gr
import numpy as np
import pytest
from conftest import sure_live_frame

from sign_ml.ui import live_browser, tab_live
from sign_ml.ui.live_browser import landmarks_step
from sign_ml.ui.tab_live import LiveSession

UK = gr.Request(headers={"accept-language": "uk"})


@pytest.fixture(scope="module")
def seen(demo_app):
    """(detection, top) of the server path's VIDEO stage on a shipped thumbnail read surely."""
    found = sure_live_frame(demo_app)
    if found is None:
        pytest.skip("no shipped thumbnail with a hand the video stage finds")
    _, detection, top = found
    return detection, top


def message(detection, t: float) -> str:
    """What live.js sends for a detection: 5 decimals a coordinate."""
    hands = [
        {"lm": np.round(h.landmarks.astype(np.float64), 5).ravel().tolist(), "hd": h.handedness}
        for h in detection.hands
    ]
    return json.dumps({"t": t, "w": detection.width, "h": detection.height, "hands": hands})


def test_landmarks_are_read_exactly_as_the_server_frame_they_came_from(demo_app, seen):
    detection, top = seen
    from sign_ml.landmark_messages import parse_message

    got = live_browser.recognize_landmarks(demo_app, parse_message(message(detection, 1.0)))
    assert [n for n, _ in got] == [n for n, _ in top]
    np.testing.assert_allclose([p for _, p in got], [p for _, p in top], atol=1e-3)
    session, answer, word, *_ = landmarks_step(
        demo_app, None, message(detection, 1.0), 2000, False, now_s=0.0
    )
    assert answer.startswith(f"## {top[0][0]} · ") and word == ""
    no_hand = json.dumps({"t": 2.0, "w": 640, "h": 480, "hands": []})
    _, answer, *_ = landmarks_step(demo_app, session, no_hand, 2000, False, now_s=0.1)
    assert answer.startswith("### no hand")


def test_a_held_letter_commits_once_and_practice_confirms_it(demo_app, seen):
    detection, top = seen
    letter = top[0][0]
    session = None
    for k in range(20):  # 15 messages a second for 1.3 s, a 600 ms hold
        session, answer, word, *_ = landmarks_step(
            demo_app, session, message(detection, 1000.0 + k * 66.7), 600, False, now_s=k / 15
        )
    assert word == letter  # committed once per hold, as on the server path
    session.practice = None
    session, *_ = tab_live.start_practice(demo_app, session, True)
    session.practice.target = letter
    session.tracker = tab_live.live.Tracker()
    for k in range(20):
        session, answer, word, prompt, summary = landmarks_step(
            demo_app, session, message(detection, 5000.0 + k * 66.7), 600, True, now_s=10 + k / 15
        )
        if session.practice.successes:
            break
    assert session.practice.successes == {letter: 1}


BAD = [
    json.dumps({"t": float("nan"), "w": 640, "h": 480, "hands": []}),  # Python writes NaN
    json.dumps({"t": 1, "w": 640, "h": 480, "hands": [{"lm": [0.5] * 60, "hd": "Right"}]}),
    json.dumps({"t": 1, "w": 640, "h": 480, "hands": [{"lm": [None] * 63, "hd": "Right"}]}),
    "x" * (10 * 1024 * 1024),
    "",
    None,
    {"t": 1},
]


@pytest.mark.parametrize("raw", BAD, ids=["nan", "shape", "null", "10MB", "empty", "none", "dict"])
def test_a_malformed_message_gets_one_line_and_changes_nothing(demo_app, seen, raw):
    detection, _ = seen
    session = LiveSession()
    session.word = "AB"
    out = landmarks_step(demo_app, session, raw, 600, False, UK, now_s=0.0)
    assert out[0] is session and out[1].startswith("**Повідомлення відкинуто:")
    assert all(isinstance(o, dict) for o in out[2:])  # word, prompt, summary: untouched (gr.update())
    assert session.word == "AB" and session.frames == 0 and session.stage is None


def test_a_stale_timestamp_is_refused(demo_app, seen):
    detection, _ = seen
    session, *_ = landmarks_step(demo_app, None, message(detection, 500.0), 600, False, now_s=0.0)
    _, answer, *_ = landmarks_step(demo_app, session, message(detection, 400.0), 600, False, now_s=0.1)
    assert "is not after the last message" in answer and session.frames == 1


def test_a_flooding_session_is_refused_and_another_session_carries_on(demo_app, seen):
    detection, top = seen
    flooder, honest = LiveSession(), LiveSession()
    served = honest_served = 0
    for k in range(1000):  # 1,000 messages in one second from one session, 15 from another
        now = k / 1000
        _, answer, *_ = landmarks_step(demo_app, flooder, message(detection, 1.0 + k), 600, False, now_s=now)
        served += not answer.startswith("**Too many messages")
        if k % 67 == 0:
            _, answer, *_ = landmarks_step(
                demo_app, honest, message(detection, 1.0 + k), 600, False, now_s=now
            )
            honest_served += answer.startswith(f"## {top[0][0]} · ")
    assert served <= 61 and flooder.frames == served
    assert honest_served == 15 and honest.frames == 15
    _, answer, *_ = landmarks_step(demo_app, flooder, message(detection, 5000.0), 600, False, now_s=0.9995)
    assert answer.startswith("**Too many messages:") and "a second" in answer
