"""Recording clips in the Record tab (issue 18): a motion letter records a clip instead of a burst (countdown,
then about 1.5 s of the session's VIDEO-mode hand stage), kept as `.clip.json` in the workspace's letter
folder only when one hand was tracked in most frames; a static letter may be recorded as a clip too; a
session takes "Clips per letter" of them, an unusable take is taken again, and 3 unusable in a row leave the
letter short. The pure take (`curation.capture.ClipTake`), `Capture.finish`/`clip_done` on a fake clock,
`Workspace.save_clip`, and the tab's handler on a fake clock with real MediaPipe on a sample I photo moved
along a J path."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from motion_model import j_gif
from PIL import Image, ImageSequence
from test_record import FakeClock, snapshot

from curation.capture import Capture, CapturePlan, CaptureStatus, ClipTake
from curation.clips import read_clip
from curation.workspace import Workspace
from sign_ml.ui import tab_record
from sign_ml.ui.app import DactylApp


def hand(seed: int = 0):
    rng = np.random.default_rng(seed)
    marks = rng.uniform(0.2, 0.8, (21, 3)).astype(np.float32)
    return marks, marks * 0.1, "Right", 0.9


def test_a_take_lasts_its_seconds_and_is_usable_with_one_hand_in_most_frames():
    take = ClipTake(1.5)
    for k in range(16):  # 0.1 s apart
        take.add(k * 0.1, hand(k) if k % 4 else None)  # a hand in 12 of 16 frames
    assert not take.full(1.4999) and take.full(1.5)  # 1.5 s after the first frame
    assert take.usable and take.hand_frames == 12
    clip = take.to_clip("J", 640, 480, source="olena session 1")
    assert clip.n_frames == 16 and clip.hand_found.sum() == 12 and clip.fps == pytest.approx(10.0)
    assert clip.handedness[0] is None and clip.times[0] == 0.0
    few = ClipTake(1.0)
    for k in range(10):
        few.add(k * 0.1, hand() if k < 5 else None)  # half the frames: not most
    assert not few.usable
    with pytest.raises(ValueError):
        ClipTake(0.0)


def test_a_clip_letter_takes_its_clips_each_after_the_countdown():
    capture = Capture(CapturePlan(("J", "Z"), countdown_s=1.0, clips=3), 0.0)
    assert capture.status(0.5) == CaptureStatus("countdown", "J", 0, 2, 0.5, 0, 5, (), 0, 0)
    assert capture.status(1.0).phase == "burst"
    capture.clip_done(2.5, kept=True)  # take 1 kept at 2.5: take 2's countdown, from then
    assert capture.status(3.0) == CaptureStatus("countdown", "J", 0, 2, 0.5, 0, 5, (), 1, 0)
    assert capture.status(3.5).phase == "burst"
    capture.clip_done(5.0, kept=True)
    capture.clip_done(5.25, kept=True)  # during take 3's countdown no take can end: nothing changes
    assert capture.status(5.25) == CaptureStatus("countdown", "J", 0, 2, 0.75, 0, 5, (), 2, 0)
    capture.clip_done(7.5, kept=True)  # the third kept: Z's countdown, from then
    status = capture.status(7.5)
    assert status == CaptureStatus("countdown", "Z", 1, 2, 1.0, 0, 5, (), 0, 0)


def test_an_unusable_take_is_taken_again_and_three_in_a_row_leave_the_letter_short():
    capture = Capture(CapturePlan(("J", "Z"), countdown_s=1.0, clips=2, max_failed_clips=3), 0.0)
    capture.clip_done(2.5, kept=False)  # J: not kept, the same take again after the countdown
    assert capture.status(3.0) == CaptureStatus("countdown", "J", 0, 2, 0.5, 0, 5, (), 0, 1)
    capture.clip_done(5.0, kept=True)  # a kept take ends the run of failures
    assert (capture.status(5.0).clips_kept, capture.status(5.0).failed) == (1, 0)
    for t in (7.0, 9.0):
        capture.clip_done(t, kept=False)
    assert capture.status(9.0).letter == "J" and capture.status(9.0).failed == 2
    capture.clip_done(11.0, kept=False)  # the third in a row: J is given up, Z's countdown begins
    status = capture.status(11.5)
    assert (status.letter, status.phase, status.seconds_left, status.short) == ("Z", "countdown", 0.5, ("J",))
    assert (status.clips_kept, status.failed) == (0, 0)
    for t in (13.0, 15.0, 17.0):  # a camera that never sees a hand still ends the session
        capture.clip_done(t, kept=False)
    assert capture.status(17.0).phase == "done" and capture.status(17.0).short == ("J", "Z")


def test_redo_starts_a_clip_letter_again_from_its_first_take():
    capture = Capture(CapturePlan(("J",), countdown_s=1.0, clips=3), 0.0)
    capture.clip_done(2.5, kept=True)
    capture.clip_done(4.0, kept=False)
    capture.redo(4.5)
    assert capture.status(4.5) == CaptureStatus("countdown", "J", 0, 1, 1.0, 0, 5, (), 0, 0)


@pytest.mark.parametrize("field", ["clips", "max_failed_clips"])
@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_a_plan_refuses_clip_counts_that_are_not_whole_numbers_from_one(field, value):
    with pytest.raises(ValueError, match=f"CapturePlan.{field}"):
        CapturePlan(("J",), **{field: value})


def test_a_saved_clip_is_a_clip_file_with_its_row_and_never_overwrites(tmp_path: Path):
    ws = Workspace(tmp_path / "ws")
    ws.set_alphabet("asl")
    session = ws.new_session("olena")
    take = ClipTake(0.3)
    for k in range(4):
        take.add(k * 0.1, hand(k))
    first = ws.save_clip(take.to_clip("?", 640, 480), signer="olena", session=session, letter="J")
    second = ws.save_clip(take.to_clip("?", 640, 480), signer="olena", session=session, letter="J")
    assert first.relpath == "J/olena_1_001.clip.json" and second.relpath == "J/olena_1_002.clip.json"
    clip = read_clip(first.path)
    assert clip.label == "J" and clip.n_frames == 4
    meta = ws.metadata()
    assert list(meta["file_name"]) == [first.relpath, second.relpath] and set(meta["signer"]) == {"olena"}
    assert list(meta["handedness"]) == ["Right", "Right"]
    again = Workspace(tmp_path / "ws")  # reopening reconciles: a clip and its row agree
    assert list(again.metadata()["file_name"]) == [first.relpath, second.relpath]


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock(step=1 / 15)
    monkeypatch.setattr(tab_record.time, "monotonic", fake.monotonic)
    return fake


@pytest.fixture
def asl_app(tmp_path: Path) -> DactylApp:
    app = DactylApp(workspace=str(tmp_path / "ws"))
    app.workspace.set_alphabet("asl")
    return app


def frames_of(gif: Path) -> list[Image.Image]:
    return [f.convert("RGB") for f in ImageSequence.Iterator(Image.open(gif))]


def run(app, clock, frames, letters: str, all_clips: bool = False, limit: int = 200, clips: int = 1):
    rs, status = tab_record.start_session(app, None, "olena", letters, 0.5, 3, all_clips, 1.5, clips)
    statuses = []
    for k in range(limit):
        if rs.capture is None or rs.capture.status(clock.monotonic()).phase == "done":
            break
        rs, _, status, _ = tab_record.record_frame(app, rs, frames[k % len(frames)])
        statuses.append(status)
        clock.tick()
    return rs, statuses


@pytest.mark.shared_data
def test_a_motion_letter_records_its_clips_each_after_the_countdown(asl_app, clock, asl_sample, tmp_path):
    frames = frames_of(j_gif(asl_sample, tmp_path / "j.gif", seed=1, photo_index=1))
    rs, statuses = run(asl_app, clock, frames, "J", clips=3, limit=300)
    try:
        assert "J — clip 1 of 3 · Get ready" in statuses[0]
        for k in (1, 2, 3):  # each take: its countdown, then its recording, in that order
            ready = next(i for i, s in enumerate(statuses) if f"J — clip {k} of 3 · Get ready" in s)
            recording = next(i for i, s in enumerate(statuses) if f"● J — clip {k} of 3 · Sign it" in s)
            assert ready < recording
        assert not any("clip 4 of 3" in s for s in statuses)
        clip_files = sorted((asl_app.workspace.root / "J").glob("*.clip.json"))
        names = [f.name for f in clip_files]
        assert names == ["olena_1_001.clip.json", "olena_1_002.clip.json", "olena_1_003.clip.json"]
        assert not list((asl_app.workspace.root / "J").glob("*.jpg"))  # clips, not a burst of photos
        for clip_file in clip_files:
            clip = read_clip(clip_file)
            assert clip.label == "J" and 1.4 <= clip.times[-1] <= 1.6 and clip.hand_found.mean() > 0.5
        assert rs.clips == 3 and rs.saved == 0 and "✅" in statuses[-1]
        assert "Session finished: 3 clips saved" in statuses[-1] and "Fewer" not in statuses[-1]
        assert list(asl_app.workspace.metadata()["file_name"]) == [f"J/{n}" for n in names]
    finally:
        rs.close()
    rs, _ = run(asl_app, clock, frames, "J", clips=1)  # the next session numbers on, never overwriting
    rs.close()
    assert sorted(f.name for f in (asl_app.workspace.root / "J").glob("*.clip.json"))[-1] == (
        "olena_2_001.clip.json"
    )


def test_a_clip_without_a_hand_is_not_kept_and_the_letter_starts_again(asl_app, clock):
    before = snapshot(asl_app.workspace.root)
    blank = [Image.new("RGB", (320, 240), (128, 128, 128))]
    rs, statuses = run(asl_app, clock, blank, "Z", limit=40)
    try:
        said = [s for s in statuses if "not kept: one hand was tracked in 0 of" in s]
        assert said and "Z — clip 1 of 1 · Get ready" in said[0]  # said through the countdown of the retry
        assert rs.saved == 0 and rs.capture.status(clock.monotonic()).letter == "Z"
        after = snapshot(asl_app.workspace.root)
        assert {k for k in after if k.startswith("Z/")} == set() and after.keys() - before.keys() <= {
            k for k in after if k.startswith(".sessions/")
        }
    finally:
        rs.close()


@pytest.mark.shared_data
def test_three_unusable_takes_leave_the_letter_short_and_the_session_goes_on(asl_app, clock, asl_sample):
    """I (recorded as clips) never sees a hand: 3 takes fail, I is reported short, and J after it still
    records its clips."""
    blank = Image.new("RGB", (320, 240), (128, 128, 128))
    photo = Image.open(sorted((asl_sample / "I").glob("*.jpg"))[1]).convert("RGB")
    rs, _ = tab_record.start_session(asl_app, None, "olena", "I J", 0.5, 3, True, 1.5, 2)
    statuses = []
    try:
        for _ in range(400):
            status = rs.capture.status(clock.monotonic())
            if status.phase == "done":
                break
            frame = blank if status.letter == "I" else photo
            rs, _, shown, _ = tab_record.record_frame(asl_app, rs, frame)
            statuses.append(shown)
            clock.tick()
        again = [s for s in statuses if "0 of" in s and "(most are needed); again" in s]
        assert again and "I — clip 1 of 2 · Get ready" in again[0]  # said through the retry's countdown
        gave_up = [s for s in statuses if "3 takes in a row failed, so I is left short" in s]
        assert gave_up and "J — clip 1 of 2 · Get ready" in gave_up[0]  # said through J's countdown
        assert "Session finished: 2 clips saved" in statuses[-1]
        assert "Fewer clips than asked for: I" in statuses[-1] and "Fewer photos" not in statuses[-1]
        assert len(list((asl_app.workspace.root / "J").glob("*.clip.json"))) == 2
        assert not list(asl_app.workspace.root.glob("I/*"))
    finally:
        rs.close()


def test_the_status_names_the_take_in_ukrainian_too(tmp_path):
    app = DactylApp(workspace=str(tmp_path / "ws"))
    app.workspace.set_alphabet("ukrainian")
    rs, status = tab_record.start_session(app, None, "olena", "Й", 3, 3, False, 1.5, 4, lang="uk")
    try:
        assert "Й — кліп 1 з 4 · Приготуйтеся" in status
    finally:
        rs.close()


@pytest.mark.shared_data
def test_a_static_letter_may_be_recorded_as_a_clip_held_still(asl_app, clock, asl_sample):
    photo = Image.open(sorted((asl_sample / "I").glob("*.jpg"))[1]).convert("RGB")
    rs, statuses = run(asl_app, clock, [photo], "I", all_clips=True)
    try:
        assert any("I — clip 1 of 1 · Get ready" in s for s in statuses)
        (clip_file,) = sorted((asl_app.workspace.root / "I").glob("*.clip.json"))
        assert read_clip(clip_file).label == "I"
    finally:
        rs.close()
    rs, _ = run(asl_app, clock, [photo], "I")  # without the choice, a burst of photos as before
    assert len(list((asl_app.workspace.root / "I").glob("*.jpg"))) == 3


@pytest.mark.parametrize(("lang", "shown"), [("en", "recording 1.5 s"), ("uk", "запис 1,5 с")])
def test_a_take_says_its_length_with_the_decimal_mark_of_the_page(tmp_path, lang, shown):
    app = DactylApp(workspace=str(tmp_path / "ws"))
    app.workspace.set_alphabet("ukrainian")
    rs, _ = tab_record.start_session(app, None, "olena", "Й", 3, 3, False, 1.5, 2, lang=lang)
    try:
        status = rs.capture.status(time.monotonic() + 3.5)  # past the countdown: the take records
        assert status.phase == "burst"
        assert shown in tab_record.status_markdown(status, rs, lang, [])
    finally:
        rs.close()
