"""The Live tab's browser path on the server: a landmarks message is read exactly as the server's own
frame (same letter, same probabilities), held letters commit into the word through the same rule, and a
hostile client (NaN, wrong shape, 10 MB, 1,000 messages a second, stale timestamps) gets one line back,
changes nothing and never stops another session. The light endpoint (a plain route beside Gradio's) gives
the same answers as the Gradio event for the page's own session, refuses the same messages, and with
--auth refuses a caller without the login."""

from __future__ import annotations

import json
import socket
import time

import gradio as gr
import httpx
import numpy as np
import pytest
from conftest import DEMO, sure_live_frame

from sign_ml.landmark_messages import BURST, RATE_PER_S
from sign_ml.ui import live_browser, live_route, tab_live
from sign_ml.ui.app import DactylApp, launch_kwargs
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


# ---------------------------------------------------------------- the light endpoint (sign_ml/ui/live_route.py)
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# the Live tab's events these tests trigger, as the page does: the send event (the fallback), the link
# event (the light endpoint's token), a word edit, and the hold slider
EVENTS = {
    ("live-lm-send", "click"),
    ("live-link", "click"),
    ("live-backspace", "click"),
    ("live-hold", "change"),
    ("live-practice", "input"),
}


class Served:
    """The app served in this process as app.py serves it (launch_kwargs), and its Live events' ids."""

    def __init__(self, auth: tuple[str, str] | None = None):
        self.app = DactylApp(model=str(DEMO), data=None)
        self.demo = self.app.build()
        port = free_port()
        self.demo.launch(
            server_name="127.0.0.1",
            server_port=port,
            prevent_thread_lock=True,
            quiet=True,
            **launch_kwargs(auth=auth),
        )
        self.url = f"http://127.0.0.1:{port}/"
        self.light = self.url + live_route.PATH.lstrip("/")

    def events(self, client: httpx.Client) -> dict[str, tuple[int, int]]:
        config = client.get(self.url + "config").json()
        elem = {c["id"]: (c.get("props") or {}).get("elem_id") for c in config["components"]}
        return {
            elem[block]: (dep["id"], block)
            for dep in config["dependencies"]
            for block, event in dep["targets"]
            if (elem.get(block), event) in EVENTS
        }

    def call(self, client: httpx.Client, event: tuple[int, int], data: list, session: str) -> list:
        """One Gradio event outside the queue (as the page's Live events are), for a page's session hash."""
        body = {"data": data, "fn_index": event[0], "trigger_id": event[1], "session_hash": session}
        answer = client.post(self.url + "gradio_api/run/predict", json=body)
        assert answer.status_code == 200, answer.text[:300]
        return answer.json()["data"]

    def link(self, client: httpx.Client, session: str) -> str:
        """What the page does on start: its link event gives the light endpoint's token."""
        return self.call(client, self.events(client)["live-link"], [None, 600, False], session)[1]

    def close(self) -> None:
        self.demo.close()


@pytest.fixture(scope="module")
def served(demo_app):
    server = Served()
    yield server
    server.close()


def post(
    client: httpx.Client, served: Served, token: str | None, body: str | bytes, **headers
) -> httpx.Response:
    if token is not None:
        headers[live_route.TOKEN_HEADER] = token
    return client.post(served.light, content=body, headers=headers)


def test_the_light_endpoint_answers_as_the_gradio_event_for_the_same_session(served, seen):
    """The same 20 messages, one page through the Gradio send event and one through the light endpoint:
    the same letters, holds and committed word; and the light endpoint's session is the Gradio session's
    own (its word edit and its send event see what the light messages did)."""
    detection, top = seen
    client = httpx.Client(timeout=30)
    events = served.events(client)
    token = served.link(client, "light-page")
    assert len(token) >= 40 and served.link(client, "light-page") == token  # one live token a session
    by_event, by_light = [], []
    for k in range(20):
        msg = message(detection, 1000.0 + k * 66.7)
        _, letter, word, *_ = served.call(
            client, events["live-lm-send"], [msg, None, 600, False], "event-page"
        )
        by_event.append((letter, word if isinstance(word, str) else None))
        answer = post(client, served, token, msg)
        assert answer.status_code == 200 and answer.json()["status"] == "ok"
        by_light.append((answer.json()["letter"], answer.json()["word"]))
    assert by_light == by_event
    assert by_light[0][0].startswith(f"## {top[0][0]} · ") and by_light[-1][1] == top[0][0]  # committed
    # the Gradio session's own state: its send event refuses a message older than the light one's
    stale = served.call(
        client, events["live-lm-send"], [message(detection, 500.0), None, 600, False], "light-page"
    )
    assert "is not after the last message" in stale[1]
    # and its word edit works on the word the light endpoint spelled
    assert served.call(client, events["live-backspace"], [None], "light-page")[1] == ""


def test_the_pages_hold_slider_reaches_the_light_endpoint(served, seen):
    """The light messages carry only landmarks: the hold the page's slider sets (its change event) is the
    one the commit rule uses."""
    detection, top = seen
    client = httpx.Client(timeout=30)
    events = served.events(client)
    words = {}
    for hold in (600, 2000):
        page = f"hold-{hold}"
        token = served.link(client, page)
        served.call(client, events["live-hold"], [None, hold, False], page)
        for k in range(20):  # 1.3 s of one held letter
            answer = post(client, served, token, message(detection, 1000.0 + k * 66.7)).json()
        words[hold] = answer["word"]
    assert words == {600: top[0][0], 2000: ""}


def test_practice_through_the_light_endpoint_prompts_in_the_light_answer(served, seen):
    """The practice switch (tab_live's event) starts practice in the Gradio session; the light endpoint's
    answers then carry the prompt, and without practice they leave it unchanged (null)."""
    detection, _ = seen
    client = httpx.Client(timeout=30)
    events = served.events(client)
    token = served.link(client, "practice-page")
    assert post(client, served, token, message(detection, 10.0)).json()["prompt"] is None
    served.call(client, events["live-practice"], [None, True], "practice-page")  # the switch's own event
    served.call(client, events["live-hold"], [None, 600, True], "practice-page")  # and its settings
    prompt = post(client, served, token, message(detection, 20.0)).json()["prompt"]
    assert isinstance(prompt, str) and prompt.count("### Show: ") == 1


BAD_BODIES = {
    "nan": '{"t": NaN, "w": 640, "h": 480, "hands": []}',
    "shape": json.dumps({"t": 9e5, "w": 640, "h": 480, "hands": [{"lm": [0.5] * 60, "hd": "Right"}]}),
    "not json": "{",
    "10MB": "x" * (10 * 1024 * 1024),
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_the_light_endpoint_refuses_a_malformed_message_with_one_line(served, seen, name):
    detection, top = seen
    client = httpx.Client(timeout=60)
    token, other = served.link(client, f"bad-{name}"), served.link(client, f"good-{name}")
    assert post(client, served, token, message(detection, 10.0)).status_code == 200
    answer = post(client, served, token, BAD_BODIES[name])
    assert answer.status_code == (413 if name == "10MB" else 422)
    line = answer.json()["letter"]
    assert line.startswith("**Message ignored: ") and "\n" not in line and len(line) < 300
    assert answer.json().get("word") is None  # nothing changed
    # the bad page carries on with its next message, and another page never noticed
    assert post(client, served, token, message(detection, 20.0)).status_code == 200
    assert (
        post(client, served, other, message(detection, 20.0)).json()["letter"].startswith(f"## {top[0][0]}")
    )


def test_a_flooding_page_is_refused_and_another_page_carries_on(served, seen):
    detection, top = seen
    client = httpx.Client(timeout=30)
    flooder, honest = served.link(client, "flooder"), served.link(client, "honest")
    codes, honest_ok = [], 0
    start = time.monotonic()
    for k in range(1000):  # as fast as loopback goes, 1,000 messages
        codes.append(post(client, served, flooder, message(detection, 1.0 + k)).status_code)
        if k % 100 == 0:
            answer = post(client, served, honest, message(detection, 1.0 + k))
            honest_ok += answer.status_code == 200 and answer.json()["letter"].startswith(f"## {top[0][0]}")
    elapsed = time.monotonic() - start
    served_n = codes.count(200)
    assert set(codes) == {200, 429}
    assert served_n <= BURST + RATE_PER_S * elapsed + 1  # the session's rate, whatever it sends
    assert honest_ok == 10
    flood = post(client, served, flooder, message(detection, 5000.0))
    if flood.status_code == 429:
        assert flood.json()["letter"].startswith("**Too many messages:")


def test_the_light_endpoint_refuses_a_page_without_its_token(served, seen):
    detection, _ = seen
    client = httpx.Client(timeout=30)
    msg = message(detection, 1.0)
    for token in (None, "", "x" * 43):
        answer = post(client, served, token, msg)
        assert answer.status_code == 403 and "no such live link" in answer.json()["error"]
    token = served.link(client, "cross-site")
    answer = post(client, served, token, msg, origin="https://evil.example")
    assert answer.status_code == 403 and "another site" in answer.json()["error"]


def test_with_auth_the_light_endpoint_refuses_a_caller_without_the_login(demo_app, seen):
    detection, _ = seen
    server = Served(auth=("owner", "s3cret"))
    try:
        owner = httpx.Client(timeout=30)
        assert (
            owner.post(server.url + "login", data={"username": "owner", "password": "s3cret"}).status_code
            == 200
        )
        token = server.link(owner, "owner-page")
        assert post(owner, server, token, message(detection, 1.0)).status_code == 200
        anonymous = httpx.Client(timeout=30)
        for tok in (token, None, "x" * 43):
            answer = post(anonymous, server, tok, message(detection, 2.0))
            assert answer.status_code == 401 and answer.json() == {"error": "not logged in"}
        # the link event itself is Gradio's, refused without the login as every event is
        body = {"data": [None, 600, False], "fn_index": 0, "session_hash": "anon"}
        assert anonymous.post(server.url + "gradio_api/run/predict", json=body).status_code == 401
    finally:
        server.close()


def test_live_links_are_unguessable_bounded_and_expire():
    links = live_route.LiveLinks(capacity=2, idle_s=60)
    a, b, c = LiveSession(), LiveSession(), LiveSession()
    ta = links.issue(a, None, "page-a", now_s=0)
    tb = links.issue(b, "ann", "page-b", now_s=1)
    assert len({ta, tb}) == 2 and min(len(ta), len(tb)) >= 40  # 32 random bytes each
    assert links.session_for(ta, None, now_s=2) is a
    assert links.session_for(tb, None, now_s=2) is None  # another user's token
    assert links.session_for(tb, "ann", now_s=2) is b
    tc = links.issue(c, None, "page-c", now_s=3)  # a third: the least recently used (a) goes
    assert links.session_for(ta, None, now_s=3) is None and len(links) == 2
    assert links.session_for(tc, None, now_s=3 + 61) is None  # idle too long
    assert links.issue(b, "ann", "page-b", now_s=100) != tb  # expired too: a fresh token
    assert links.drop("page-b") == 1 and len(links) == 0
