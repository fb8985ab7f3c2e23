"""The live mode's pure rules on scripted frame sequences: the commit/debounce rule, word edits, practice."""

from __future__ import annotations

import pytest

from sign_ml.live import (
    CommitRule,
    Practice,
    Smoothed,
    SmoothRule,
    Tracker,
    add_letter,
    add_space,
    backspace,
    clear,
    commit_letters,
    commit_step,
    smooth_letters,
    smooth_step,
)


def frames(
    spec: str, step_ms: float = 100.0, confidence: float = 0.9
) -> list[tuple[str | None, float, float]]:
    """'AAAA.BB' → one frame per character every step_ms; '.' = no hand."""
    return [(None if c == "." else c, confidence, i * step_ms) for i, c in enumerate(spec)]


RULE = CommitRule(hold_ms=300)


def test_a_letter_is_committed_once_after_the_hold():
    assert commit_letters(frames("AAA"), RULE) == []  # held 200 ms < 300 ms
    assert commit_letters(frames("AAAA"), RULE) == ["A"]  # held 300 ms
    assert commit_letters(frames("AAAAAAAAAAAA"), RULE) == ["A"]  # held on: still once


def test_the_frame_that_commits_is_the_one_reaching_the_hold():
    state, committed = Tracker(), []
    for letter, conf, t in frames("BBBBB"):
        state, c = commit_step(state, letter, conf, t, RULE)
        committed.append(c)
    assert committed == [None, None, None, "B", None]


def test_the_hold_is_configurable():
    seq = frames("AAAAAA")  # 500 ms
    assert commit_letters(seq, CommitRule(hold_ms=500)) == ["A"]
    assert commit_letters(seq, CommitRule(hold_ms=600)) == []
    assert commit_letters(seq, CommitRule(hold_ms=0)) == ["A"]


def test_no_hand_means_no_letter_and_breaks_a_hold():
    assert commit_letters(frames("........"), RULE) == []
    assert commit_letters(frames("AA.AA.AA"), RULE) == []  # never 300 ms without a break


def test_the_same_letter_needs_a_release_or_a_change_in_between():
    assert commit_letters(frames("AAAA....AAAA"), RULE) == ["A", "A"]  # released: a double letter
    assert commit_letters(frames("AAAABBBBAAAA"), RULE) == ["A", "B", "A"]
    assert commit_letters(frames("AAAABAAAA"), RULE) == ["A", "A"]  # one B frame is a change


def test_a_flicker_does_not_commit():
    assert commit_letters(frames("AAAAB.CCCC"), RULE) == ["A", "C"]


def test_unsure_frames_are_no_letter():
    low = frames("AAAAAA", confidence=0.3)
    assert commit_letters(low, CommitRule(hold_ms=300, min_confidence=0.5)) == []
    assert commit_letters(low, CommitRule(hold_ms=300, min_confidence=0.2)) == ["A"]


def test_uneven_frame_times_count_time_not_frames():
    seq = [("A", 0.9, 0.0), ("A", 0.9, 50.0), ("A", 0.9, 450.0)]
    assert commit_letters(seq, RULE) == ["A"]
    assert commit_letters(seq[:2], RULE) == []


def test_rule_validation():
    with pytest.raises(ValueError):
        CommitRule(hold_ms=-1)
    with pytest.raises(ValueError):
        CommitRule(min_confidence=1.5)


def test_word_edits():
    word = add_letter(add_letter("", "Д"), "А")
    assert word == "ДА"
    assert add_space(word) == "ДА " and add_space(add_space(word)) == "ДА " and add_space("") == ""
    assert backspace("ДА ") == "ДА" and backspace("") == ""
    assert clear("ДА") == ""


def test_practice_confirms_the_target_and_moves_on():
    p = Practice(("A", "B", "C"), seed=1)
    first = p.target
    assert first in ("A", "B", "C")
    assert p.check(None) is False and p.target == first  # no letter: nothing happens
    assert p.check(first) is True
    assert p.target != first and p.successes == {first: 1}


def test_a_wrong_letter_is_one_miss_per_prompt_and_skip_counts_once():
    p = Practice(("A", "B", "C"), seed=2)
    target = p.target
    wrong = next(x for x in "ABC" if x != target)
    assert p.check(wrong) is False and p.check(wrong) is False
    assert p.misses == {target: 1} and p.target == target
    p.skip()  # already missed on this prompt: still one
    assert p.misses == {target: 1} and p.target != target


def test_missed_letters_come_back_more_often():
    p = Practice(tuple("ABCDEF"), seed=3)
    for _ in range(5):
        p.target = "B"
        p.missed_now = False
        p.skip()
    for letter in "ACDEF":
        p.successes[letter] = 3
    picks = []
    for _ in range(600):
        picks.append(p.next_target())
    share = picks.count("B") / len(picks)
    assert share > 0.4  # uniform would be 1/6; B weighs 11, the others 1/4 each
    assert all(a != b for a, b in zip(picks, picks[1:], strict=False))  # never the same twice in a row


def test_every_letter_is_asked_once_before_any_comes_back_even_when_skipped():
    letters = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    p = Practice(letters, seed=4)
    asked = [p.target] + [p.skip() for _ in range(len(letters) - 1)]
    assert sorted(asked) == sorted(letters)  # skipping (a miss each time) does not keep new letters away
    assert p.skip() in letters


def test_summary_lists_what_to_practise_first():
    p = Practice(("A", "B", "C"), seed=0)
    p.successes = {"A": 3, "C": 1}
    p.misses = {"B": 2, "C": 1}
    assert p.summary() == [("B", 0, 2), ("C", 1, 1), ("A", 3, 0)]
    assert p.to_practise() == ["B", "C"]


def test_practice_with_one_letter_and_none():
    assert Practice(("A",)).next_target() == "A"
    with pytest.raises(ValueError):
        Practice(())


# ---------------------------------------------------------------- smoothing


def wavering(pattern: str, strong: float = 0.55) -> list[list[tuple[str, float]] | None]:
    """Frames whose top-1 wavers: 'VVWV' → each frame's favourite at `strong`, the other at 1 - strong."""
    out = []
    for c in pattern:
        if c == ".":
            out.append(None)
            continue
        other = "W" if c == "V" else "V"
        out.append([(c, strong), (other, 1 - strong)])
    return out


def test_a_still_hand_wavering_between_two_letters_shows_one():
    raw = [f[0][0] if f else None for f in wavering("VWVVWVVWVV")]
    assert len(set(raw)) == 2  # single frames flicker V/W
    assert set(smooth_letters(wavering("VWVVWVVWVV"))) == {"V"}


def test_a_real_change_of_letter_comes_through_within_a_few_frames():
    shown = smooth_letters(wavering("VVVVVWWWWWWWW", strong=0.9))
    assert shown[:5] == ["V"] * 5 and shown[-1] == "W"
    assert shown.index("W") <= 7  # a deliberate change shows within ~3 frames


def test_no_hand_forgets_the_average_and_shows_nothing():
    state, top = smooth_step(Smoothed(), [("V", 0.9), ("W", 0.1)])
    state, top = smooth_step(state, None)
    assert top is None and state == Smoothed()
    _, top = smooth_step(state, [("W", 0.8), ("V", 0.2)])
    assert top[0][0] == "W"  # nothing of V carried over


def test_the_shown_letter_comes_first_with_its_averaged_probability():
    state, _ = smooth_step(Smoothed(), [("V", 0.8), ("W", 0.2)])
    _, top = smooth_step(state, [("W", 0.55), ("V", 0.45)], SmoothRule(alpha=0.5, margin=0.1))
    assert top[0] == ("V", pytest.approx(0.625)) and top[1] == ("W", pytest.approx(0.375))
    with pytest.raises(ValueError):
        SmoothRule(alpha=0)


def test_practice_counts_no_miss_for_a_hold_begun_before_the_prompt():
    p = Practice(("А", "Б"), seed=0)
    p.prompt(1000.0)
    wrong = "Б" if p.target == "А" else "А"
    assert p.check(wrong, now_ms=1600.0, since_ms=900.0) is False  # the hand was up before practice began
    assert p.misses == {}
    assert p.check(wrong, now_ms=2600.0, since_ms=2000.0) is False  # a hold begun after the prompt
    assert sum(p.misses.values()) == 1
    target = p.target
    assert p.check(target, now_ms=3000.0, since_ms=2500.0) is True and p.prompted_ms == 3000.0


# ---------------------------------------------------------------- the rolling window and motion letters
def hand_at(t: float, dx: float = 0.0, scale: float = 1.0, w: int = 640, h: int = 480):
    """A window frame: a plain 21-point hand (wrist at the bottom, knuckles above) shifted by dx hand sizes."""
    import numpy as np

    from sign_ml.predict import WindowFrame

    rng = np.random.default_rng(0)
    pts = np.zeros((21, 3), dtype=np.float32)
    pts[:, 0] = 320 + rng.uniform(-40, 40, 21)
    pts[:, 1] = 240 + rng.uniform(-80, 0, 21)
    pts[0] = (320, 280, 0)  # wrist
    for k, x in zip((5, 9, 13, 17), (290, 310, 330, 350), strict=True):
        pts[k] = (x, 200, 0)  # knuckles: hand size ≈ 85 px
    pts[:, :2] = (pts[:, :2] - (320, 240)) * scale + (320, 240)
    pts[:, 0] += dx * 85 * scale
    pts[:, 0] /= w
    pts[:, 1] /= h
    return WindowFrame(t, pts, "Right", w, h)


def test_the_window_keeps_the_last_span_and_only_later_frames():
    from sign_ml.live import WINDOW_S, push_window

    window = ()
    for k in range(40):
        window = push_window(window, hand_at(k * 0.1))
    assert window[-1].t == pytest.approx(3.9) and window[0].t == pytest.approx(3.9 - WINDOW_S)
    assert push_window(window, hand_at(3.9)) == window  # a frame not after the newest is dropped


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_window_movement_is_measured_in_hand_sizes(scale):
    from sign_ml.live import push_window, window_movement

    def run(dxs):
        window = ()
        for k, dx in enumerate(dxs):
            window = push_window(window, hand_at(k * 0.1, dx, scale))
        return window_movement(window)

    still = run([0.0] * 10)
    assert not still.moved and still.still
    done = run([0.0, 0.3, 0.6, 0.9, 1.0, 1.0, 1.0, 1.0])  # a stroke of one hand size, then a rest
    assert done.moved and done.still
    going = run([0.0, 0.3, 0.6, 0.9])  # still on its way
    assert going.moved and not going.still
    jitter = run([0.0, 0.05, -0.05, 0.04, 0.0, 0.05])  # tracking jitter is no movement
    assert not jitter.moved and jitter.still


def test_one_frame_is_a_hand_at_rest_and_no_hand_now_is_no_movement():
    from sign_ml.live import Movement, push_window, window_movement
    from sign_ml.predict import WindowFrame

    nothing = Movement(moved=False, still=False)
    assert window_movement((hand_at(0.0),)) == Movement(moved=False, still=True)
    assert window_movement(()) == nothing
    window = push_window((hand_at(0.0), hand_at(0.1)), WindowFrame(0.2, None, None, 640, 480))
    assert window_movement(window) == nothing


def test_a_motion_letter_commits_when_its_movement_completes_once():
    from sign_ml.live import Movement

    moving, done, still = Movement(True, False), Movement(True, True), Movement(False, True)
    state, out = Tracker(), []
    script = [("J", moving)] * 5 + [("J", done)] * 4 + [("I", still)] * 12  # then the ending pose rests as I
    for k, (letter, movement) in enumerate(script):
        state, committed = commit_step(
            state, letter, 0.9, k * 100.0, RULE, motion=letter == "J", movement=movement
        )
        out.append(committed)
    assert [c for c in out if c] == ["J"] and out.index("J") == 5  # at the first frame of rest
    # the path leaving the window may read as another motion letter: the same movement is not two letters
    state, committed = commit_step(state, "J", 0.3, 2100.0, RULE, motion=True, movement=done)  # unsure
    state, committed = commit_step(state, "Z", 0.9, 2150.0, RULE, motion=True, movement=done)
    assert committed is None
    # the hand moves on and holds I: now I is a letter of its own
    for k, movement in enumerate([moving, still, still, still, still, still], start=len(script) + 1):
        state, committed = commit_step(state, "I", 0.9, k * 100.0, RULE, movement=movement)
        out.append(committed)
    assert [c for c in out if c] == ["J", "I"]


def test_a_motion_letter_read_from_a_still_hand_is_not_committed_and_static_ones_hold_as_before():
    from sign_ml.live import Movement

    still = Movement(False, True)
    state, out = Tracker(), []
    for k in range(10):  # the model says J but the hand never moved: no movement completed
        state, committed = commit_step(state, "J", 0.9, k * 100.0, RULE, motion=True, movement=still)
        out.append(committed)
    assert not any(out)
    assert commit_letters([("A", 0.9, k * 100.0) for k in range(5)], RULE) == ["A"]  # no window: the hold
    state, out = Tracker(), []
    for k in range(10):  # with a window, a still letter read from a moving hand is no hold
        state, committed = commit_step(state, "A", 0.9, k * 100.0, RULE, movement=Movement(True, False))
        out.append(committed)
    assert not any(out)
