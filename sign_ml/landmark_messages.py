"""Landmarks messages from the browser, checked before anything reads them (pure: no Gradio, no files).

In the Live tab's browser path the page runs the hand landmarker itself and sends, per frame, one small
JSON message instead of the picture:

    {"t": 1234.5, "w": 640, "h": 480, "hands": [{"lm": [x0, y0, z0, ... x20, y20, z20], "hd": "Right"}]}

t: the frame's time in ms (the page's clock, strictly increasing); w, h: the frame's size in px (the
landmark features undo MediaPipe's per-axis normalization with them); hands: at most `MAX_HANDS` hands,
largest first, each 21 × 3 finite numbers as MediaPipe gives them (x, y fractions of w, h; z in units of
w) and its handedness; an empty list means no hand.

A client is untrusted: `parse_message` refuses anything else with `MessageRefused` (one line saying what
was wrong) before it costs more than a length check, and `RateLimiter` refuses a session that sends faster
than a camera can. Nothing here raises anything else, allocates in proportion to a hostile input beyond
`MAX_MESSAGE_CHARS`, or writes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from curation.hands import N_LANDMARKS, Hand, HandDetection

MAX_MESSAGE_CHARS = 8192  # one hand's message is ~0.8 KB; two hands with full float precision ~3 KB
MAX_HANDS = 2
MAX_SIDE = 16384  # px: the largest frame side believed
COORD_LIMIT = 10.0  # |x|, |y|, |z| beyond this is no hand MediaPipe would report (it gives ~-0.5..1.5)
MAX_T_MS = 1e12  # ms: about 31 years of page time
HANDEDNESS = ("Left", "Right")
RATE_PER_S = 30.0  # messages a session may send each second on average (cameras give 15-30 frames/s)
BURST = 30  # and at most this many at once (a page catching up after a stall)


class MessageRefused(ValueError):
    """A landmarks message that is not what the page sends; str() is the one-line reason."""


@dataclass(frozen=True)
class LandmarkMessage:
    """One checked message: the frame's time (ms), its size (px) and its hands (largest first)."""

    t_ms: float
    width: int
    height: int
    landmarks: tuple[np.ndarray, ...] = ()  # each (21, 3) float32
    handedness: tuple[str, ...] = ()

    def to_detection(self) -> HandDetection:
        """The message as a hand-stage detection, so the predictor reads it exactly as a server frame's."""
        hands = []
        for pts, hd in zip(self.landmarks, self.handedness, strict=True):
            box = (
                float(pts[:, 0].min()),
                float(pts[:, 1].min()),
                float(pts[:, 0].max()),
                float(pts[:, 1].max()),
            )
            hands.append(Hand(pts, np.zeros_like(pts), hd, 1.0, box))
        return HandDetection(self.width, self.height, tuple(hands))


def _number(value: object, field: str) -> float:
    # bool is an int in Python; a JSON true is no coordinate
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MessageRefused(f"{field}: expected a number, got {type(value).__name__}")
    out = float(value)
    if not math.isfinite(out):
        raise MessageRefused(f"{field}: not a finite number ({value})")
    return out


def _side(value: object, field: str) -> int:
    side = _number(value, field)
    if side != int(side) or not 1 <= side <= MAX_SIDE:
        raise MessageRefused(f"{field}: expected a whole number of px in 1..{MAX_SIDE}, got {value}")
    return int(side)


def parse_message(raw: object) -> LandmarkMessage:
    """Check one message (a JSON string, bytes, or an already parsed dict) and return it; raises
    MessageRefused with the reason when it is not a well-formed landmarks message."""
    if isinstance(raw, bytes | bytearray):
        if len(raw) > MAX_MESSAGE_CHARS:
            raise MessageRefused(f"message too large: {len(raw)} bytes (at most {MAX_MESSAGE_CHARS})")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MessageRefused("message is not UTF-8 text") from None
    if isinstance(raw, str):
        if len(raw) > MAX_MESSAGE_CHARS:  # before parsing: a 10 MB message costs one len()
            raise MessageRefused(f"message too large: {len(raw)} characters (at most {MAX_MESSAGE_CHARS})")
        try:
            # NaN/Infinity are not JSON; Python's parser would accept them, so they are refused here
            raw = json.loads(raw, parse_constant=_refuse_constant)
        except MessageRefused:
            raise
        except (ValueError, RecursionError) as exc:
            raise MessageRefused(f"message is not JSON ({str(exc).splitlines()[0][:80]})") from None
    if not isinstance(raw, dict):
        raise MessageRefused(f"message: expected a JSON object, got {type(raw).__name__}")
    t = _number(raw.get("t"), "t")
    if not 0 <= t <= MAX_T_MS:
        raise MessageRefused(f"t: expected ms in 0..{MAX_T_MS:.0e}, got {t}")
    width, height = _side(raw.get("w"), "w"), _side(raw.get("h"), "h")
    hands = raw.get("hands")
    if not isinstance(hands, list):
        raise MessageRefused(f"hands: expected a list, got {type(hands).__name__}")
    if len(hands) > MAX_HANDS:
        raise MessageRefused(f"hands: at most {MAX_HANDS}, got {len(hands)}")
    marks, handed = [], []
    for k, hand in enumerate(hands):
        if not isinstance(hand, dict):
            raise MessageRefused(f"hands[{k}]: expected an object, got {type(hand).__name__}")
        lm = hand.get("lm")
        if not isinstance(lm, list) or len(lm) != N_LANDMARKS * 3:
            got = len(lm) if isinstance(lm, list) else type(lm).__name__
            raise MessageRefused(
                f"hands[{k}].lm: expected {N_LANDMARKS * 3} numbers (21 × x, y, z), got {got}"
            )
        values = [_number(v, f"hands[{k}].lm[{i}]") for i, v in enumerate(lm)]
        if max(abs(v) for v in values) > COORD_LIMIT:
            raise MessageRefused(f"hands[{k}].lm: a coordinate beyond ±{COORD_LIMIT}")
        hd = hand.get("hd")
        if hd not in HANDEDNESS:
            raise MessageRefused(f"hands[{k}].hd: expected 'Left' or 'Right', got {str(hd)[:20]!r}")
        marks.append(np.asarray(values, dtype=np.float32).reshape(N_LANDMARKS, 3))
        handed.append(str(hd))
    return LandmarkMessage(t, width, height, tuple(marks), tuple(handed))


def _refuse_constant(name: str) -> float:
    raise MessageRefused(f"message holds {name}, which is not a finite number")


@dataclass
class RateLimiter:
    """A token bucket per session: `rate` messages a second on average, `burst` at once.

    `allow(now_s)` takes one token or says no; `now_s` is the server's clock (monotonic seconds), never
    the client's. Refused messages take no token, so a flood is refused for as long as it lasts and a
    client that slows down is served again within 1/rate seconds.
    """

    rate: float = RATE_PER_S
    burst: int = BURST
    tokens: float = float(BURST)
    last_s: float | None = None
    refused: int = 0  # messages refused since the last allowed one (to say so once, not per message)

    def allow(self, now_s: float) -> bool:
        if self.last_s is not None:
            self.tokens = min(float(self.burst), self.tokens + max(0.0, now_s - self.last_s) * self.rate)
        self.last_s = now_s
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            self.refused = 0
            return True
        self.refused += 1
        return False
