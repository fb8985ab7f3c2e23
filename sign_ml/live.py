"""Live fingerspelling, the pure part: when a streamed letter counts, the word it builds, and practice.

No Gradio, no camera, no model: the app's Live tab feeds these with one (letter or None, confidence,
timestamp) per frame. `smooth_step` averages the frames' probabilities with hysteresis, so a still hand
shows one letter; `commit_step` is the debounce rule: a letter is committed once it has been seen,
confident, for `hold_ms` without a break; no hand means no letter; the same letter is not committed
twice until the hand changes letter or leaves. `Practice` asks for letters, counts per-letter success
for the session and brings back the letters missed more often.

Motion letters (issue 18): the model reads the rolling last `WINDOW_S` of hand landmarks (`push_window`),
so a letter signed with movement can be read while the window holds the movement. Such a letter is
committed when its movement completes: the window shows the hand moved (`Movement.moved`) and the hand
has now come to rest (`Movement.still`); the ending pose is then not committed again, as a still letter
or as another motion letter read from the path leaving the window, until the hand moves on or leaves
(`Tracker.after_motion`). With a window, a still letter's hold counts only while the hand is at rest.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class CommitRule:
    """When a streamed letter becomes a committed one."""

    hold_ms: float = 600.0  # ms: the letter must stay unchanged this long (a short, deliberate hold)
    min_confidence: float = 0.5  # below this top-1 probability a frame shows no letter
    motion_ms: float = 0.0  # ms: a motion letter must be read this long before its movement's end commits it

    def __post_init__(self) -> None:
        if self.hold_ms < 0:
            raise ValueError(f"hold_ms must be >= 0, got {self.hold_ms}")
        if self.motion_ms < 0:
            raise ValueError(f"motion_ms must be >= 0, got {self.motion_ms}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in [0, 1], got {self.min_confidence}")


@dataclass(frozen=True)
class Tracker:
    """The debounce state between frames."""

    candidate: str | None = None  # the letter seen in the latest frames, None = no (confident) letter
    since_ms: float = 0.0  # when the candidate was first seen without a break
    committed: str | None = None  # the letter committed and still held (not committed again until it changes)
    # a motion letter was just committed: its ending pose is no still letter until the hand moves or leaves
    after_motion: bool = False

    def held_ms(self, now_ms: float) -> float:
        """How long the current candidate has been held at `now_ms` (0 without one)."""
        return max(0.0, now_ms - self.since_ms) if self.candidate is not None else 0.0


def commit_step(
    state: Tracker,
    letter: str | None,
    confidence: float,
    now_ms: float,
    rule: CommitRule = CommitRule(),
    motion: bool = False,
    movement: Movement | None = None,
) -> tuple[Tracker, str | None]:
    """One frame: (new state, the letter committed by this frame or None).

    letter: the frame's top-1 letter, None when no hand was found. confidence: its probability.
    now_ms: the frame's time; frames come in increasing time order.
    motion: the letter is signed with movement and the model reads movements (the rolling window);
    movement: what the window's hand did (`window_movement`); None = unknown (no window: a still model),
    where every letter commits on the hold as before.
    """
    seen = letter if letter is not None and confidence >= rule.min_confidence else None
    after = state.after_motion and (movement is None or movement.still)  # moving again ends it
    if seen is None:  # no hand or unsure: a release, the next hold may commit the same letter again
        # (an unsure frame of a hand resting after a movement is still that movement's end)
        return Tracker(after_motion=after and letter is not None), None
    if seen != state.candidate:  # a new letter starts its hold (and releases the one committed before)
        state = Tracker(seen, now_ms, None, after)
    elif state.after_motion and not after:  # the hand moved on: a hold of this letter starts now
        state = replace(state, since_ms=now_ms, after_motion=False)
    if state.committed == seen:
        return state, None
    if motion and movement is not None:  # committed when its movement completes, not on a hold
        # one movement is one letter: the window still holding the last one's path commits nothing more
        done = movement.moved and movement.still and not state.after_motion
        if done and now_ms - state.since_ms >= rule.motion_ms:
            return replace(state, committed=seen, after_motion=True), seen
        return state, None
    held = movement is None or movement.still  # with a window, a hold is a hand at rest
    if held and not state.after_motion and now_ms - state.since_ms >= rule.hold_ms:
        return replace(state, committed=seen), seen
    return state, None


def commit_letters(
    frames: list[tuple[str | None, float, float]], rule: CommitRule = CommitRule()
) -> list[str]:
    """The letters a whole sequence of (letter, confidence, time ms) frames commits, in order."""
    state, out = Tracker(), []
    for letter, confidence, now_ms in frames:
        state, committed = commit_step(state, letter, confidence, now_ms, rule)
        if committed is not None:
            out.append(committed)
    return out


# ---------------------------------------------------------------- the rolling window and its movement
WINDOW_S = 1.5  # s of landmarks the model reads in Live: a fingerspelled motion letter takes about this long
SETTLE_S = 0.3  # s: the hand must have stayed put this long for a movement to count as complete
STILL_EPS = 0.12  # hand sizes: tracked points within this of where they are now = at rest (tracking jitter)
MOVED_EPS = 0.5  # hand sizes: a tracked point that travelled this far within the window = a movement
_TRACKED = (0, 4, 8, 12, 16, 20)  # wrist and fingertips, as sign_ml.trajectory tracks them
_KNUCKLES = (5, 9, 13, 17)


@dataclass(frozen=True)
class Movement:
    """What the hand did over the window."""

    moved: bool  # some tracked point travelled MOVED_EPS hand sizes or more within the window
    still: bool  # over the last SETTLE_S every tracked point stayed within STILL_EPS of where it is now


def push_window(window: Sequence[Any], frame: Any, span_s: float = WINDOW_S) -> tuple[Any, ...]:
    """The window with `frame` added and the frames older than `span_s` before it dropped.

    Frames are `sign_ml.predict.WindowFrame` rows (t seconds, landmarks (21, 3) or None, handedness,
    width, height), oldest first; a frame not after the newest one replaces nothing and is dropped."""
    if window and float(frame[0]) <= float(window[-1][0]):
        return tuple(window)
    t = float(frame[0])
    return tuple(f for f in window if t - float(f[0]) <= span_s + 1e-9) + (frame,)


def _pixels(frame: Any) -> list[tuple[float, float]]:
    """A frame's 21 landmarks in isotropic pixels (x, y only)."""
    _, marks, _, width, height = frame
    return [(float(p[0]) * width, float(p[1]) * height) for p in marks]


def window_movement(
    window: Sequence[Any],
    settle_s: float = SETTLE_S,
    still_eps: float = STILL_EPS,
    moved_eps: float = MOVED_EPS,
) -> Movement:
    """Whether the window's hand moved and whether it is at rest now, in units of its size now (so the same
    movement reads the same near the camera or far from it). The newest frame must have a hand; a hand
    seen in one frame only is at rest (nothing shows it moving)."""
    hands = [f for f in window if f[1] is not None]
    if not hands or window[-1][1] is None:
        return Movement(False, False)
    now = _pixels(hands[-1])
    wrist = now[0]
    size = sum(math.dist(wrist, now[k]) for k in _KNUCKLES) / len(_KNUCKLES)
    if size <= 1e-9:
        return Movement(False, False)
    t_now = float(hands[-1][0])

    def away(frame: Any) -> float:  # the farthest a tracked point was from where it is now, in hand sizes
        pts = _pixels(frame)
        return max(math.dist(pts[k], now[k]) for k in _TRACKED) / size

    recent = [f for f in hands if t_now - float(f[0]) <= settle_s + 1e-9]
    still = all(away(f) <= still_eps for f in recent)  # the newest alone (a first frame) shows no movement
    moved = any(away(f) >= moved_eps for f in hands)
    return Movement(moved, still)


# ---------------------------------------------------------------- smoothing the shown letter
@dataclass(frozen=True)
class SmoothRule:
    """How the letter shown (and held) follows the frames: an average with hysteresis, so one still hand
    reads as one letter even when single frames waver between two (the video landmarker's points move a
    little from frame to frame where a photo's stay put)."""

    alpha: float = (
        0.35  # weight of the newest frame in the running average of probabilities (1 = no smoothing)
    )
    margin: float = 0.1  # a new letter replaces the shown one only when its average leads by this much

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {self.alpha}")
        if not 0.0 <= self.margin < 1.0:
            raise ValueError(f"margin must be in [0, 1), got {self.margin}")


@dataclass(frozen=True)
class Smoothed:
    """The running average between frames and the letter it shows."""

    probs: tuple[tuple[str, float], ...] = ()  # (letter, averaged probability), most probable first
    letter: str | None = None  # the letter shown; None until a hand is seen


def smooth_step(
    state: Smoothed, top: list[tuple[str, float]] | None, rule: SmoothRule = SmoothRule()
) -> tuple[Smoothed, list[tuple[str, float]] | None]:
    """One frame's (letter, probability) list → (new state, the averaged list with the shown letter first).

    No hand (None) forgets the average: the next hand starts afresh, as a new hold would.
    """
    if not top:
        return Smoothed(), None
    new, old = dict(top), dict(state.probs)
    if old:
        mixed = {k: (1 - rule.alpha) * old.get(k, 0.0) + rule.alpha * new.get(k, 0.0) for k in old | new}
    else:
        mixed = new
    ranked = sorted(mixed.items(), key=lambda kv: (-kv[1], kv[0]))
    best, shown = ranked[0][0], state.letter
    if shown is None or shown not in mixed or mixed[best] >= mixed[shown] + rule.margin:
        shown = best
    ordered = [(shown, mixed[shown])] + [kv for kv in ranked if kv[0] != shown]
    return Smoothed(tuple(ranked), shown), ordered


def smooth_letters(
    frames: list[list[tuple[str, float]] | None], rule: SmoothRule = SmoothRule()
) -> list[str | None]:
    """The letter shown after each frame of a sequence (None where no hand)."""
    state, out = Smoothed(), []
    for top in frames:
        state, shown = smooth_step(state, top, rule)
        out.append(shown[0][0] if shown else None)
    return out


# ---------------------------------------------------------------- the word being spelled
def add_letter(word: str, letter: str) -> str:
    return word + letter


def add_space(word: str) -> str:
    """One space between words: none at the start, never two in a row."""
    return word if not word or word.endswith(" ") else word + " "


def backspace(word: str) -> str:
    return word[:-1]


def clear(word: str) -> str:  # noqa: ARG001 - kept as an edit like the others, so the UI maps buttons to edits
    return ""


EDITS = {"space": add_space, "backspace": backspace, "clear": clear}


# ---------------------------------------------------------------- practice
@dataclass
class Practice:
    """A practice session: a target letter, per-letter successes and misses, weighted repetition.

    Every letter is asked once (in random order) before any comes back, so skipping cannot starve letters
    not yet seen; after that a letter's chance to come next is (1 + 2·misses) / (1 + successes): missed
    letters return more often, mastered ones less. The same letter is never asked twice in a row (with two
    or more letters).
    """

    letters: tuple[str, ...]
    seed: int = 0
    target: str | None = None
    successes: dict[str, int] = field(default_factory=dict)
    misses: dict[str, int] = field(default_factory=dict)
    missed_now: bool = False  # the current target already counted one miss
    prompted_ms: float | None = None  # when the current target was shown (a hold begun earlier is no miss)
    asked: set[str] = field(default_factory=set)  # letters that have been a target
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.letters:
            raise ValueError("practice needs at least one letter")
        self.letters = tuple(self.letters)
        self.rng = random.Random(self.seed)
        if self.target is None:
            self.next_target()

    def weight(self, letter: str) -> float:
        return (1 + 2 * self.misses.get(letter, 0)) / (1 + self.successes.get(letter, 0))

    def next_target(self) -> str:
        """Pick the next letter (weighted, not the current one) and make it the target."""
        pool = [x for x in self.letters if x != self.target] or list(self.letters)
        seen = self.asked | set(self.successes) | set(self.misses)
        fresh = [x for x in pool if x not in seen]
        if fresh:
            self.target = self.rng.choice(fresh)
        else:
            self.target = self.rng.choices(pool, weights=[self.weight(x) for x in pool])[0]
        self.asked.add(self.target)
        self.missed_now = False
        return self.target

    def prompt(self, now_ms: float) -> None:
        """The target is on screen from `now_ms`: only a hold that starts after it can miss it."""
        self.prompted_ms = now_ms

    def check(self, letter: str | None, now_ms: float | None = None, since_ms: float | None = None) -> bool:
        """A committed letter: True (a success, next target) when it is the target; a wrong one is one miss
        for the target (once per prompt), unless its hold began (`since_ms`) before the target was shown:
        the hand was already up when practice started or the prompt changed. None changes nothing.

        now_ms: the commit's time; the next target is shown from then.
        """
        if letter is None:
            return False
        if letter == self.target:
            self.successes[letter] = self.successes.get(letter, 0) + 1
            self.next_target()
            self.prompted_ms = now_ms
            return True
        if since_ms is not None and self.prompted_ms is not None and since_ms < self.prompted_ms:
            return False  # no time to react to this prompt yet
        self._miss()
        return False

    def skip(self) -> str:
        """The user gives up on this target: a miss (unless already counted), then the next target."""
        self._miss()
        return self.next_target()

    def _miss(self) -> None:
        if not self.missed_now and self.target is not None:
            self.misses[self.target] = self.misses.get(self.target, 0) + 1
            self.missed_now = True

    def summary(self) -> list[tuple[str, int, int]]:
        """[(letter, successes, misses)] for every letter tried, most in need of practice first."""
        tried = [x for x in self.letters if x in self.successes or x in self.misses]
        rows = [(x, self.successes.get(x, 0), self.misses.get(x, 0)) for x in tried]
        return sorted(rows, key=lambda r: (r[1] - r[2], r[1], self.letters.index(r[0])))

    def to_practise(self) -> list[str]:
        """The letters missed at least as often as got right (the ones to work on)."""
        return [x for x, ok, missed in self.summary() if missed and missed >= ok]
