"""Landmarks messages from the browser: a well-formed one is read exactly; NaN, infinities, wrong shapes,
wrong types, 10 MB and 1,000 a second are refused with one clear line, never another exception."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sign_ml.landmark_messages import (
    BURST,
    MAX_MESSAGE_CHARS,
    RATE_PER_S,
    MessageRefused,
    RateLimiter,
    parse_message,
)


def good(**over) -> dict:
    rng = np.random.default_rng(0)
    msg = {
        "t": 1234.5,
        "w": 640,
        "h": 480,
        "hands": [{"lm": rng.uniform(0, 1, 63).round(5).tolist(), "hd": "Left"}],
    }
    msg.update(over)
    return msg


def test_a_well_formed_message_is_read_exactly_and_becomes_a_detection():
    raw = good()
    msg = parse_message(json.dumps(raw))
    assert (msg.t_ms, msg.width, msg.height, msg.handedness) == (1234.5, 640, 480, ("Left",))
    np.testing.assert_allclose(msg.landmarks[0], np.asarray(raw["hands"][0]["lm"]).reshape(21, 3), atol=1e-6)
    detection = msg.to_detection()
    assert detection.found and (detection.width, detection.height) == (640, 480)
    assert detection.hand.handedness == "Left" and detection.hand.landmarks.shape == (21, 3)
    assert parse_message(json.dumps(good(hands=[]))).to_detection().found is False  # no hand: no letter
    assert parse_message(json.dumps(raw).encode()).t_ms == 1234.5  # bytes too


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (json.dumps(good()).replace("1234.5", "NaN"), "NaN"),
        (json.dumps(good()).replace("1234.5", "Infinity"), "Infinity"),
        (json.dumps(good(hands=[{"lm": [float("nan")] * 63, "hd": "Left"}])), "NaN"),
        (json.dumps(good(hands=[{"lm": [0.5] * 62, "hd": "Left"}])), "63 numbers"),
        (
            json.dumps(good(hands=[{"lm": [[0.5] * 3] * 21, "hd": "Left"}])),
            "63 numbers (21 × x, y, z), got 21",
        ),
        (json.dumps(good(hands=[{"lm": [[0.5]] * 63, "hd": "Left"}])), "expected a number, got list"),
        (json.dumps(good(hands=[{"lm": [0.5] * 63, "hd": "Both"}])), "'Left' or 'Right'"),
        (json.dumps(good(hands=[{"lm": [0.5] * 62 + [1e9], "hd": "Left"}])), "beyond"),
        (json.dumps(good(hands=[{"lm": [True] * 63, "hd": "Left"}])), "expected a number"),
        (json.dumps(good(hands=[{"lm": [0.5] * 63, "hd": "Left"}] * 3)), "at most 2"),
        (json.dumps(good(hands="many")), "hands: expected a list"),
        (json.dumps(good(w=0)), "w:"),
        (json.dumps(good(h=480.5)), "h:"),
        (json.dumps(good(w="640")), "w: expected a number"),
        (json.dumps(good(t=-1)), "t:"),
        (json.dumps({"w": 640, "h": 480, "hands": []}), "t: expected a number"),
        ("[1, 2, 3]", "JSON object"),
        ("{not json", "not JSON"),
        ("[" * 5000 + "]" * 5000, "too large"),
        ("[" * 4000 + "]" * 4000, "not JSON"),  # nesting within the size bound: no RecursionError escapes
        (b"\xff\xfe" * 10, "UTF-8"),
        (None, "JSON object"),
        (42, "JSON object"),
    ],
)
def test_malformed_messages_are_refused_with_a_reason(raw, says):
    with pytest.raises(MessageRefused) as refused:
        parse_message(raw)
    assert says in str(refused.value)
    assert "\n" not in str(refused.value)


def test_ten_megabytes_are_refused_by_their_length_before_any_parsing():
    huge = '{"t": 1, "w": 640, "h": 480, "hands": [' + " " * (10 * 1024 * 1024) + "]}"
    with pytest.raises(MessageRefused, match="too large: 1048"):
        parse_message(huge)
    with pytest.raises(MessageRefused, match="too large"):
        parse_message(huge.encode())
    assert len(json.dumps(good(hands=[good()["hands"][0]] * 2))) < MAX_MESSAGE_CHARS  # two real hands fit


def test_a_thousand_messages_a_second_are_mostly_refused_and_a_camera_rate_is_not():
    flood = RateLimiter()
    allowed = sum(flood.allow(k / 1000) for k in range(1000))  # 1,000 in one second
    assert allowed <= BURST + RATE_PER_S + 1
    assert 1000 - allowed >= 900
    camera = RateLimiter()
    assert all(camera.allow(k / 15) for k in range(15 * 60))  # 15 frames/s for a minute: every one
    # still flooding: refused; a flood that stops is served again within 1/rate s
    assert sum(flood.allow(1.0 + k / 1000) for k in range(100)) <= 0.1 * RATE_PER_S + 1
    assert flood.allow(1.1 + 1 / RATE_PER_S)
