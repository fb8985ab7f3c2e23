"""The Live tab's handlers with the real VIDEO-mode hand stage and the embedded demo model, called as the
stream calls them: skeleton and letter per frame, "no hand", held letters spelling a word, the word
buttons, practice, per-session landmarkers closed at the end, two sessions that never mix; and every
webcam in the app reaching the model unmirrored."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
from conftest import sure_live_frame
from PIL import Image

from sign_ml.ui import tab_live, views
from sign_ml.ui.tab_live import LiveSession, close_session, edit_word, live_frame, skip_letter, start_practice

UK = gr.Request(headers={"accept-language": "uk"})


@pytest.fixture(scope="module")
def hand_frame(demo_app) -> tuple[Image.Image, str]:
    """A shipped thumbnail on a 640×480 canvas in which the VIDEO stage finds a hand and reads a letter sure
    enough to commit, and that letter."""
    found = sure_live_frame(demo_app)  # 0.8: the commit rule's default minimum is 0.5
    if found is None:
        # the thumbnails ship with the repository: finding no hand in any of them means the hand stage is broken
        pytest.fail("no shipped thumbnail with a hand the video stage finds: is the hand stage broken?")
    frame, _, top = found
    return frame, top[0][0]


def test_every_webcam_in_the_app_is_unmirrored(demo_app):
    demo = demo_app.build()
    webcams = [
        b
        for b in demo.blocks.values()
        if isinstance(b, gr.Image)
        and "webcam" in (b.sources or [])
        and b.interactive is not False
        and b.elem_id
    ]  # inputs a user can capture into (outputs and the hidden API input are not)
    assert {b.elem_id for b in webcams} >= {"photo", "live-cam"}
    assert all(b.webcam_options.mirror is False for b in webcams)
    (cam,) = [b for b in webcams if b.elem_id == "live-cam"]
    assert cam.streaming and cam.sources == ["webcam"]


def test_a_frame_with_a_hand_gets_a_skeleton_and_a_letter(demo_app, hand_frame):
    frame, letter = hand_frame
    session, shown, answer, word, *_ = live_frame(demo_app, None, np.asarray(frame), hold_ms=2000)
    try:
        assert (
            isinstance(session, LiveSession) and session.stage is not None and session.stage.mode == "video"
        )
        assert answer.startswith(f"## {letter} · ")
        drawn = np.asarray(shown.convert("RGB").resize(frame.size), dtype=np.int16)
        changed = (np.abs(drawn - np.asarray(frame, dtype=np.int16)).sum(axis=2) > 60).mean()
        assert 0.001 < changed < 0.5  # the skeleton over the frame, not another picture
        assert word == ""  # 2 s hold: one frame commits nothing
    finally:
        close_session(session)
    assert session.stage is None


def test_no_hand_means_no_letter_in_both_languages(demo_app):
    blank = Image.new("RGB", (640, 480), (255, 255, 255))
    session, shown, answer, word, *_ = live_frame(demo_app, None, blank, hold_ms=0)
    try:
        assert "no hand found" in answer and "##" not in answer.replace("###", "") and word == ""
        _, _, answer_uk, *_ = live_frame(demo_app, session, blank, hold_ms=0, request=UK)
        assert "руку не знайдено" in answer_uk
        assert session.word == ""
    finally:
        close_session(session)


def test_holding_commits_once_release_commits_again_and_buttons_edit(demo_app, hand_frame):
    frame, letter = hand_frame
    blank = Image.new("RGB", (640, 480), (255, 255, 255))
    session = None
    try:
        session, *_, word, _, _ = live_frame(demo_app, session, frame, hold_ms=0)
        assert word == letter
        for _ in range(3):  # still held: not again
            session, *_, word, _, _ = live_frame(demo_app, session, frame, hold_ms=0)
        assert word == letter
        session, *_ = live_frame(demo_app, session, blank, hold_ms=0)  # released
        session, *_, word, _, _ = live_frame(demo_app, session, frame, hold_ms=0)
        assert word == letter * 2
        assert edit_word(session, "space")[1] == letter * 2 + " "
        assert edit_word(session, "backspace")[1] == letter * 2
        assert edit_word(session, "clear")[1] == ""
    finally:
        close_session(session)


def test_timestamps_stay_increasing_across_fast_frames(demo_app, hand_frame):
    frame, _ = hand_frame
    session = LiveSession()
    try:
        stamps = [session.next_ms() for _ in range(50)]
        assert all(b > a for a, b in zip(stamps, stamps[1:], strict=False))
        for _ in range(5):  # the landmarker would raise on a non-increasing timestamp
            live_frame(demo_app, session, frame, hold_ms=0)
    finally:
        session.close()


def test_two_sessions_never_share_state(demo_app, hand_frame):
    frame, letter = hand_frame
    a = b = None
    try:
        a, *_ = start_practice(demo_app, a, True)
        b, *_ = start_practice(demo_app, b, True)
        assert a is not b and a.practice is not b.practice
        a.practice.target = letter  # a static target: an asked motion letter would not count a held one
        a, *_ = live_frame(demo_app, a, frame, hold_ms=0, practising=True)
        b, *_ = live_frame(
            demo_app, b, Image.new("RGB", (640, 480), (255, 255, 255)), hold_ms=0, practising=True
        )
        assert a.word == letter and b.word == ""
        assert a.stage is not b.stage and a.stage is not None and b.stage is not None
        skip_letter(demo_app, b)
        assert sum(b.practice.misses.values()) == 1
        assert (
            sum(a.practice.misses.values()) + sum(a.practice.successes.values()) == 1
        )  # its own commit only
        edit_word(b, "space")
        assert a.word == letter
    finally:
        close_session(a)
        close_session(b)


def test_practice_confirms_the_target_and_summarises(demo_app, hand_frame):
    frame, letter = hand_frame
    blank = Image.new("RGB", (640, 480), (255, 255, 255))
    session, prompt, summary = start_practice(demo_app, None, True)
    try:
        assert prompt["visible"] is True and "### Show: " in prompt["value"]
        session.practice.target = letter  # ask for the letter the frame shows
        session, *_, prompt, summary = live_frame(demo_app, session, frame, hold_ms=0, practising=True)
        assert f"✅ {letter}: well done!" in prompt
        assert session.practice.successes == {letter: 1}
        assert f"| {letter} | 1 | 0 |" in summary
        live_frame(demo_app, session, blank, hold_ms=0, practising=True)
        target = session.practice.target
        _, prompt_uk, summary_uk = skip_letter(demo_app, session, request=UK)
        assert "Покажіть" in prompt_uk and "Повправляйтеся" in summary_uk and target in summary_uk
    finally:
        close_session(session)


def test_motion_letters_are_marked_static_start_only(demo_app):
    names = demo_app.class_names
    motion = [n for n in names if views.is_motion(n, names)]
    if not motion:
        pytest.skip("the demo class set has no motion letter")
    md = tab_live.letter_markdown([(motion[0], 0.9)], names, "en")
    assert "static start only" in md
    practice = tab_live.live.Practice(tuple(names), seed=0)
    practice.target = motion[0]
    assert "лише початкова позиція" in tab_live.practice_markdown(practice, names, "uk")
    ukr = ["А", "Й", "Б"]
    assert "(йот)" in tab_live.letter_markdown(
        [("Й", 0.8)], ukr, "uk"
    ) and "початкова" in tab_live.letter_markdown([("Й", 0.8)], ukr, "uk")
    assert tab_live.letter_char("Yot", ["A", "Yot", "B"]) in ("Й", "Yot")


def test_no_live_event_shows_gradios_progress_timer(demo_app):
    """Every event that writes the Live tab's letter, word, prompt or summary runs with Gradio's progress
    hidden: a stream event's default is "minimal", a "0.0s" timer beside the letter on every frame."""
    cfg = demo_app.build().get_config_file()
    live = {
        c["id"] for c in cfg["components"] if str(c.get("props", {}).get("elem_id", "")).startswith("live-")
    }
    shown = ("live-letter", "live-word", "live-prompt", "live-summary")
    ids = {c["props"].get("elem_id"): c["id"] for c in cfg["components"] if c.get("props", {}).get("elem_id")}
    writers = [d for d in cfg["dependencies"] if {ids[k] for k in shown} & set(d["outputs"])]
    assert any(t[1] == "stream" for d in writers for t in d["targets"])  # the server path's frames
    assert writers and all(d["show_progress"] == "hidden" for d in writers if live & set(d["outputs"]))
