"""Recording clips in the Record tab (issue 18): a motion letter records a clip instead of a burst (countdown,
then about 1.5 s of the session's VIDEO-mode hand stage), kept as `.clip.json` in the workspace's letter
folder only when one hand was tracked in most frames; a static letter may be recorded as a clip too. The
pure take (`curation.capture.ClipTake`), `Capture.finish`, `Workspace.save_clip`, and the tab's handler on
a fake clock with real MediaPipe on a sample I photo moved along a J path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from motion_model import j_gif
from PIL import Image, ImageSequence
from test_record import FakeClock, snapshot

from curation.capture import Capture, CapturePlan, ClipTake
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


def test_finish_moves_to_the_next_letter_without_calling_it_short():
    capture = Capture(CapturePlan(("J", "Z"), countdown_s=1.0), 0.0)
    capture.finish(1.5)
    status = capture.status(1.5)
    assert status.letter == "Z" and status.phase == "countdown" and status.short == ()


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


def run(app, clock, frames, letters: str, all_clips: bool = False, limit: int = 200):
    rs, status = tab_record.start_session(app, None, "olena", letters, 0.5, 3, all_clips, 1.5)
    statuses = []
    for k in range(limit):
        if rs.capture is None or rs.capture.status(clock.monotonic()).phase == "done":
            break
        rs, _, status, _ = tab_record.record_frame(app, rs, frames[k % len(frames)])
        statuses.append(status)
        clock.tick()
    return rs, statuses


@pytest.mark.shared_data
def test_a_motion_letter_records_one_clip_after_the_countdown(asl_app, clock, asl_sample, tmp_path):
    frames = frames_of(j_gif(asl_sample, tmp_path / "j.gif", seed=1, photo_index=1))
    rs, statuses = run(asl_app, clock, frames, "J")
    try:
        assert any("Get ready" in s or "get ready" in s.lower() for s in statuses[:3])
        assert any("recording 1.5 s" in s for s in statuses)
        (clip_file,) = sorted((asl_app.workspace.root / "J").glob("*.clip.json"))
        assert not list((asl_app.workspace.root / "J").glob("*.jpg"))  # a clip, not a burst of photos
        clip = read_clip(clip_file)
        assert clip.label == "J" and 1.4 <= clip.times[-1] <= 1.6 and clip.hand_found.mean() > 0.5
        assert rs.clips == 1 and rs.saved == 0 and "✅" in statuses[-1]
        assert "Session finished: 1 clip saved" in statuses[-1]
        assert list(asl_app.workspace.metadata()["file_name"]) == [f"J/{clip_file.name}"]
    finally:
        rs.close()


def test_a_clip_without_a_hand_is_not_kept_and_the_letter_starts_again(asl_app, clock):
    before = snapshot(asl_app.workspace.root)
    blank = [Image.new("RGB", (320, 240), (128, 128, 128))]
    rs, statuses = run(asl_app, clock, blank, "Z", limit=40)
    try:
        assert any("not kept: one hand was tracked in 0 of" in s for s in statuses)
        assert rs.saved == 0 and rs.capture.status(clock.monotonic()).letter == "Z"
        after = snapshot(asl_app.workspace.root)
        assert {k for k in after if k.startswith("Z/")} == set() and after.keys() - before.keys() <= {
            k for k in after if k.startswith(".sessions/")
        }
    finally:
        rs.close()


@pytest.mark.shared_data
def test_a_static_letter_may_be_recorded_as_a_clip_held_still(asl_app, clock, asl_sample):
    photo = Image.open(sorted((asl_sample / "I").glob("*.jpg"))[1]).convert("RGB")
    rs, statuses = run(asl_app, clock, [photo], "I", all_clips=True)
    try:
        (clip_file,) = sorted((asl_app.workspace.root / "I").glob("*.clip.json"))
        assert read_clip(clip_file).label == "I"
    finally:
        rs.close()
    rs, _ = run(asl_app, clock, [photo], "I")  # without the choice, a burst of photos as before
    assert len(list((asl_app.workspace.root / "I").glob("*.jpg"))) == 3
