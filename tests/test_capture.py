"""The guided-capture state machine under a fake clock: exact phases, counts, gaps, time limits, skip and redo."""

from __future__ import annotations

import pytest

from curation.capture import Capture, CapturePlan, CaptureStatus

# times are binary fractions (0.25, 0.5, ...) so the arithmetic below is exact


def plan(**kwargs) -> CapturePlan:
    return CapturePlan(
        **(
            {
                "letters": ("А", "Б", "В"),
                "countdown_s": 3.0,
                "burst": 3,
                "frame_gap_s": 0.25,
                "max_burst_s": 4.0,
            }
            | kwargs
        )
    )


def test_a_full_run_walks_countdown_burst_and_done() -> None:
    cap = Capture(plan(), now=10.0)
    assert cap.status(10.0) == CaptureStatus("countdown", "А", 0, 3, 3.0, 0, 3, ())
    assert cap.status(11.5).seconds_left == 1.5
    assert cap.offer(12.75, one_hand=True) is False  # still counting down
    assert cap.status(13.0) == CaptureStatus("burst", "А", 0, 3, 0.0, 0, 3, ())  # exactly at countdown's end
    kept = [cap.offer(t, one_hand=True) for t in (13.0, 13.25, 13.5)]
    assert kept == [True, True, True]
    # the full burst moved on at once: Б's countdown started with the last kept frame
    assert cap.status(13.5) == CaptureStatus("countdown", "Б", 1, 3, 3.0, 0, 3, ())
    assert cap.status(16.5).phase == "burst"
    assert [cap.offer(t, True) for t in (16.5, 16.75, 17.0)] == [True, True, True]
    assert cap.status(19.75) == CaptureStatus("countdown", "В", 2, 3, 0.25, 0, 3, ())  # В: 17.0 + 3.0 = 20.0
    assert [cap.offer(t, True) for t in (20.0, 20.25, 20.5)] == [True, True, True]
    done = cap.status(20.5)
    assert done == CaptureStatus("done", None, 3, 3, 0.0, 0, 3, ())
    assert cap.offer(21.0, True) is False and cap.status(100.0) == done


def test_frames_without_exactly_one_hand_are_not_kept() -> None:
    cap = Capture(plan(), now=0.0)
    assert cap.offer(3.0, one_hand=False) is False
    assert cap.offer(3.5, one_hand=True) is True
    assert cap.offer(4.0, one_hand=False) is False
    assert cap.status(4.0).kept == 1


def test_frame_gap_is_honoured() -> None:
    cap = Capture(plan(burst=4, frame_gap_s=0.5), now=0.0)
    results = [(t, cap.offer(t, True)) for t in (3.0, 3.125, 3.25, 3.375, 3.5, 3.75, 4.0)]
    assert [t for t, kept in results if kept] == [3.0, 3.5, 4.0]  # each at least 0.5 s after the last kept
    assert cap.status(4.0).kept == 3
    # a refused frame does not restart the gap: 4.5 is 0.5 after the last *kept* frame
    assert cap.offer(4.25, True) is False and cap.offer(4.5, True) is True
    assert cap.status(4.5).letter == "Б"


def test_a_burst_that_runs_out_of_time_is_reported_short() -> None:
    cap = Capture(plan(), now=0.0)
    assert cap.offer(3.0, True) and cap.offer(3.25, True)
    assert cap.status(6.75) == CaptureStatus("burst", "А", 0, 3, 0.0, 2, 3, ())
    # max_burst_s = 4: the burst that began at 3.0 ends at 7.0; the frame at 7.0 is too late for А
    assert cap.offer(7.0, True) is False
    assert cap.status(7.0) == CaptureStatus("countdown", "Б", 1, 3, 3.0, 0, 3, ("А",))


def test_a_stalled_caller_loses_only_the_current_letter() -> None:
    """No call for a minute (a hidden tab): А times out when next seen, Б's countdown starts then."""
    cap = Capture(plan(), now=0.0)
    assert cap.status(60.0) == CaptureStatus("countdown", "Б", 1, 3, 3.0, 0, 3, ("А",))
    assert cap.status(63.0).phase == "burst"


def test_a_countdown_ends_on_time_however_rarely_polled() -> None:
    cap = Capture(plan(), now=0.0)
    assert cap.offer(5.0, True) is True  # first call since the start: the burst began at 3.0
    assert cap.offer(6.75, True) is True
    assert cap.offer(7.0, True) is False  # 7.0 = 3.0 + max_burst_s: А's time is up
    assert cap.status(7.0).short == ("А",)


def test_skip_marks_short_and_moves_on() -> None:
    cap = Capture(plan(), now=0.0)
    assert cap.offer(3.0, True)
    cap.skip(3.5)
    assert cap.status(3.5) == CaptureStatus("countdown", "Б", 1, 3, 3.0, 0, 3, ("А",))
    cap.skip(4.0)  # skipping during a countdown works too
    cap.skip(4.5)
    assert cap.status(4.5) == CaptureStatus("done", None, 3, 3, 0.0, 0, 3, ("А", "Б", "В"))
    cap.skip(5.0)  # nothing left to skip
    assert cap.status(5.0).short == ("А", "Б", "В")


def test_redo_restarts_the_current_letter() -> None:
    cap = Capture(plan(), now=0.0)
    assert cap.offer(3.0, True) and cap.offer(3.25, True)
    cap.redo(5.0)
    assert cap.status(5.0) == CaptureStatus("countdown", "А", 0, 3, 3.0, 0, 3, ())
    assert cap.offer(7.0, True) is False  # counting down again until 8.0
    assert [cap.offer(t, True) for t in (8.0, 8.25, 8.5)] == [True, True, True]
    # the redone letter had a fresh time limit (8.0 + 4.0), and it is not short
    assert cap.status(8.5) == CaptureStatus("countdown", "Б", 1, 3, 3.0, 0, 3, ())


def test_zero_countdown_and_zero_gap() -> None:
    cap = Capture(plan(countdown_s=0.0, frame_gap_s=0.0, burst=2), now=0.0)
    assert cap.status(0.0).phase == "burst"
    assert cap.offer(0.0, True) and cap.offer(0.0, True)  # no gap: the same instant twice
    assert cap.status(0.0) == CaptureStatus("burst", "Б", 1, 3, 0.0, 0, 2, ())


def test_a_clock_that_steps_back_reads_as_standing_still() -> None:
    cap = Capture(plan(), now=10.0)
    assert cap.offer(13.0, True)
    assert cap.offer(12.0, True) is False  # read as 13.0: within the gap
    assert cap.status(5.0).phase == "burst"


def test_a_single_frame_burst_moves_on_at_every_kept_frame() -> None:
    cap = Capture(plan(burst=1, countdown_s=1.0), now=0.0)
    assert [cap.offer(t, True) for t in (1.0, 2.0, 3.0)] == [True, True, True]
    assert cap.status(3.0).phase == "done" and cap.status(3.0).short == ()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"letters": ()}, "letters"),
        ({"letters": "АБ"}, "letters"),
        ({"letters": ("А", "")}, "letters"),
        ({"letters": ("А", "А")}, "repeats"),
        ({"burst": 0}, "burst"),
        ({"burst": 2.5}, "burst"),
        ({"countdown_s": -1.0}, "countdown_s"),
        ({"frame_gap_s": float("nan")}, "frame_gap_s"),
        ({"max_burst_s": 0.0}, "max_burst_s"),
        ({"max_burst_s": float("inf")}, "max_burst_s"),
    ],
)
def test_plan_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        plan(**kwargs)


def test_plan_letters_given_as_a_list_become_a_tuple() -> None:
    assert plan(letters=["А", "Б"]).letters == ("А", "Б")
