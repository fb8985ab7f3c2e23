"""Guided capture: walk through the letters, a countdown then a burst of frames for each (pure, no clock);
or, for a letter recorded as clips, `clips` takes, each a countdown then one `ClipTake` of about 1.5 s
(`Capture.clip_done`): a take that is not usable is taken again, until `max_failed_clips` fail in a row and
the letter is reported short.

The caller owns the clock (e.g. `time.monotonic()`) and passes `now` (seconds) to every call, so the
state machine is exact under a fake clock in tests. For each letter:

    countdown (countdown_s)  ->  burst: keep one-hand frames at least frame_gap_s apart, until `burst`
                                 are kept, or max_burst_s has passed since the burst began (short)
    ->  the next letter's countdown, starting at the moment the letter ended  ->  ...  ->  done

A countdown ends exactly `countdown_s` after it began, however rarely the caller looks. A burst's time
limit is noticed at the next call, and the next countdown starts then: a stalled camera stream (a
hidden browser tab) loses at most the current letter, not every letter the clock passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COUNTDOWN, BURST, DONE = "countdown", "burst", "done"


@dataclass(frozen=True)
class CapturePlan:
    """What to record and how fast."""

    letters: tuple[str, ...]
    countdown_s: float = 3.0  # seconds to get the hand ready before a letter's burst
    burst: int = 5  # frames kept per letter
    frame_gap_s: float = 0.25  # least seconds between two kept frames (near-identical frames teach nothing)
    max_burst_s: float = 8.0  # give up on a letter after this long without a full burst: it is reported short
    clips: int = 3  # takes kept per letter recorded as clips (motion letters, or all when asked)
    max_failed_clips: int = 3  # unusable takes in a row before a clip letter is given up (reported short)

    def __post_init__(self) -> None:
        letters = tuple(self.letters) if not isinstance(self.letters, str) else ()
        if not letters or not all(isinstance(x, str) and x for x in letters):
            raise ValueError(
                f"CapturePlan.letters must be a non-empty sequence of letters, got {self.letters!r}"
            )
        if len(set(letters)) != len(letters):
            raise ValueError(f"CapturePlan.letters repeats a letter: {list(letters)}")
        object.__setattr__(self, "letters", letters)  # a list given is stored as a tuple (frozen, hashable)
        for name in ("burst", "clips", "max_failed_clips"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"CapturePlan.{name} must be a whole number >= 1, got {value!r}")
        for name in ("countdown_s", "frame_gap_s", "max_burst_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < float("inf"):
                raise ValueError(f"CapturePlan.{name} must be a finite number of seconds >= 0, got {value!r}")
        if not self.max_burst_s > 0:  # a burst that ends as it begins could never keep a frame
            raise ValueError(f"CapturePlan.max_burst_s must be > 0 seconds, got {self.max_burst_s!r}")


@dataclass(frozen=True)
class CaptureStatus:
    """What the capture is doing at one moment (for the UI to show)."""

    phase: str  # "countdown" | "burst" | "done"
    letter: str | None  # the current letter; None when done
    index: int  # 0-based index of the letter (== total when done)
    total: int
    seconds_left: float  # countdown seconds left (0 in burst and when done)
    kept: int  # frames kept for this letter
    burst: int
    short: tuple[str, ...]  # letters that ended with fewer than `burst` frames (or `clips` takes), in order
    clips_kept: int = 0  # takes kept of this letter when it is recorded as clips (the next is take + 1)
    failed: int = 0  # unusable takes in a row for this letter


class Capture:
    """The guided-capture state machine; every call takes the caller's clock reading `now` (seconds)."""

    def __init__(self, plan: CapturePlan, now: float) -> None:
        self.plan = plan
        self._now = float(now)
        self._index = 0
        self._short: list[str] = []
        self._start_letter(self._now)

    def _start_letter(self, at: float) -> None:
        self._clips_kept = 0
        self._failed = 0
        self._start_take(at)

    def _start_take(self, at: float) -> None:
        """The countdown to the letter's burst or next clip take (takes kept so far stay counted)."""
        self._phase = COUNTDOWN if self._index < len(self.plan.letters) else DONE
        self._burst_start = at + self.plan.countdown_s
        self._kept = 0
        self._last_kept: float | None = None

    def _next_letter(self, at: float, short: bool) -> None:
        if short:
            self._short.append(self.plan.letters[self._index])
        self._index += 1
        self._start_letter(at)

    def _advance(self, now: float) -> float:
        """Move the phases on to `now` (a clock that steps back is read as standing still); returns it."""
        now = max(float(now), self._now)
        self._now = now
        while True:  # at most two steps: max_burst_s > 0, so a burst begun now cannot time out now
            if self._phase == COUNTDOWN and now >= self._burst_start:
                self._phase = BURST
            elif self._phase == BURST and now >= self._burst_start + self.plan.max_burst_s:
                self._next_letter(now, short=True)
            else:
                return now

    def status(self, now: float) -> CaptureStatus:
        """The phase, letter and counts at `now`."""
        now = self._advance(now)
        done = self._phase == DONE
        return CaptureStatus(
            phase=self._phase,
            letter=None if done else self.plan.letters[self._index],
            index=self._index,
            total=len(self.plan.letters),
            seconds_left=max(0.0, self._burst_start - now) if self._phase == COUNTDOWN else 0.0,
            kept=self._kept,
            burst=self.plan.burst,
            short=tuple(self._short),
            clips_kept=0 if done else self._clips_kept,
            failed=0 if done else self._failed,
        )

    def offer(self, now: float, one_hand: bool) -> bool:
        """A camera frame at `now`: True = keep it (the caller saves it). A full burst moves on to the next letter.

        False during a countdown, when done, without exactly one hand, or within frame_gap_s of the last kept frame.
        """
        now = self._advance(now)
        if self._phase != BURST or not one_hand:
            return False
        if self._last_kept is not None and now - self._last_kept < self.plan.frame_gap_s:
            return False
        self._kept += 1
        self._last_kept = now
        if self._kept >= self.plan.burst:
            self._next_letter(now, short=False)
        return True

    def clip_done(self, now: float, kept: bool) -> None:
        """A clip take of the current letter ended at `now`, kept (usable) or not. Kept: the next take's
        countdown, or the next letter's once `clips` are kept. Not kept: the same take again after the
        countdown, or, the `max_failed_clips`-th unusable take in a row, the next letter (this one short)."""
        now = self._advance(now)
        if self._phase != BURST:  # only a take being recorded can end (not one in a countdown, nor when done)
            return
        if kept:
            self._clips_kept += 1
            self._failed = 0
            if self._clips_kept >= self.plan.clips:
                self._next_letter(now, short=False)
                return
        else:
            self._failed += 1
            if self._failed >= self.plan.max_failed_clips:
                self._next_letter(now, short=True)
                return
        self._start_take(now)

    def skip(self, now: float) -> None:
        """Give up on the current letter (reported short) and start the next one's countdown."""
        now = self._advance(now)
        if self._phase != DONE:
            self._next_letter(now, short=True)

    def redo(self, now: float) -> None:
        """Restart the current letter's countdown with no frames or takes kept (files already saved stay)."""
        now = self._advance(now)
        if self._phase != DONE:
            self._start_letter(now)


# --- a clip instead of a burst (motion letters; static ones as "held still" examples) ---
MIN_HAND_FRACTION = 0.6  # a clip is kept only when one hand was tracked in at least this share of its frames


class ClipTake:
    """One clip being recorded: every frame from the first one until `seconds` have passed (pure, no clock).

    `add(now, hand)` takes a frame's time (seconds, the caller's clock) and its one hand as
    (landmarks (21, 3), world (21, 3), handedness, score), or None when the frame had no hand or several.
    """

    def __init__(self, seconds: float = 1.5, min_hand_fraction: float = MIN_HAND_FRACTION) -> None:
        if not 0 < seconds < float("inf"):
            raise ValueError(f"a clip lasts a finite number of seconds > 0, got {seconds!r}")
        if not 0 < min_hand_fraction <= 1:
            raise ValueError(f"min_hand_fraction must be in (0, 1], got {min_hand_fraction!r}")
        self.seconds = float(seconds)
        self.min_hand_fraction = float(min_hand_fraction)
        self.times: list[float] = []
        self.hands: list[tuple | None] = []

    def add(self, now: float, hand: tuple | None) -> None:
        if self.times and now <= self.times[-1]:  # a clock that stands still adds no frame
            return
        self.times.append(float(now))
        self.hands.append(hand)

    def elapsed(self, now: float) -> float:
        return 0.0 if not self.times else max(0.0, float(now) - self.times[0])

    def full(self, now: float) -> bool:
        """The clip's time is up."""
        return bool(self.times) and self.elapsed(now) >= self.seconds

    @property
    def hand_frames(self) -> int:
        return sum(h is not None for h in self.hands)

    @property
    def usable(self) -> bool:
        """One hand tracked in most frames (and a movement needs two frames at least)."""
        n = len(self.times)
        return n >= 2 and self.hand_frames >= self.min_hand_fraction * n

    def to_clip(self, label: str, width: int, height: int, source: str = "") -> Any:
        """The take as a `curation.clips.Clip` (times from its first frame)."""
        import numpy as np

        from curation.clips import Clip

        n = len(self.times)
        marks = np.full((n, 21, 3), np.nan, dtype=np.float32)
        world = np.full((n, 21, 3), np.nan, dtype=np.float32)
        handed: list[str | None] = []
        scores: list[float | None] = []
        for k, hand in enumerate(self.hands):
            if hand is None:
                handed.append(None)
                scores.append(None)
                continue
            marks[k], world[k] = hand[0], hand[1]
            handed.append(hand[2])
            scores.append(float(hand[3]))
        times = np.asarray(self.times, dtype=np.float64) - self.times[0]
        fps = (n - 1) / times[-1] if n > 1 and times[-1] > 0 else 30.0
        return Clip(
            label,
            float(fps),
            int(width),
            int(height),
            times,
            marks,
            world,
            tuple(handed),
            tuple(scores),
            source,
        )
