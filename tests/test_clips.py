"""Clips: the file format (written atomically, read back validated, one line naming the file for bad input)
and clips made from videos by the VIDEO-mode hand stage through `sign-curate clips`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from curation.cli import main
from curation.clips import (
    CLIP_FORMAT,
    MAX_FRAMES,
    Clip,
    ClipError,
    clip_from_video,
    list_videos,
    read_clip,
    write_clip,
)


def write_video(path: Path, photo: Path, frames: int = 6, fps: float = 15.0, size=(160, 120)) -> Path:
    """A short video (mp4v in .mp4, MJPG in .avi) of `photo` sliding a few pixels a frame."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    base = np.asarray(Image.open(photo).convert("RGB").resize(size))
    fourcc = cv2.VideoWriter_fourcc(*("MJPG" if path.suffix == ".avi" else "mp4v"))
    writer = cv2.VideoWriter(str(path), fourcc, fps, size)
    assert writer.isOpened()
    for k in range(frames):
        writer.write(np.ascontiguousarray(np.roll(base, 2 * k, axis=1)[:, :, ::-1]))
    writer.release()
    return path


def tiny_clip(n: int = 3, missing: tuple[int, ...] = (1,)) -> Clip:
    rng = np.random.default_rng(0)
    marks = rng.uniform(0, 1, (n, 21, 3)).astype(np.float32)
    world = rng.uniform(-0.1, 0.1, (n, 21, 3)).astype(np.float32)
    marks[list(missing)] = np.nan
    world[list(missing)] = np.nan
    hands = tuple(None if k in missing else "Right" for k in range(n))
    scores = tuple(None if k in missing else 0.9 for k in range(n))
    return Clip("Й", 30.0, 64, 48, np.arange(n) / 30.0, marks, world, hands, scores, source="Й/a.mp4")


def test_a_clip_round_trips_through_its_file(tmp_path: Path) -> None:
    clip = tiny_clip()
    path = write_clip(tmp_path / "a.clip.json", clip)
    data = json.loads(path.read_text(encoding="utf-8"))  # readable as plain JSON, without this project
    assert data["format"] == CLIP_FORMAT and data["version"] == 1 and data["label"] == "Й"
    assert data["frames"][1] == {
        "t": 0.033333,
        "landmarks": None,
        "world": None,
        "handedness": None,
        "score": None,
    }
    assert len(data["frames"][0]["landmarks"]) == 21 and len(data["frames"][0]["landmarks"][0]) == 3
    back = read_clip(path)
    assert back.n_frames == 3 and back.hand_found.tolist() == [True, False, True]
    np.testing.assert_allclose(back.landmarks[0], clip.landmarks[0], atol=1e-5)
    assert back.to_json() == Clip.from_dict(clip.to_dict()).to_json()
    assert [p.name for p in tmp_path.iterdir()] == ["a.clip.json"]  # no temporary file left behind


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(format="other"), "not a clip file"),
        (lambda d: d.update(version=99), "version 99"),
        (lambda d: d.update(frames=d["frames"][:1]), "1 frames"),
        (lambda d: d.update(frames=d["frames"] * (MAX_FRAMES // 2)), f"a clip has 2 to {MAX_FRAMES}"),
        (lambda d: d["frames"][0].update(t=float("nan")), "frame 0 t"),
        (lambda d: d["frames"][2].update(t=0.0), "strictly increase"),
        (lambda d: d["frames"][0]["landmarks"][3].__setitem__(0, 1e9), "frame 0 landmarks"),
        (lambda d: d["frames"][0].update(landmarks=[[0, 0]] * 21), "shape (21, 2)"),
        (lambda d: d["frames"][0].update(handedness="Both"), "handedness 'Both'"),
        (lambda d: d.pop("fps"), "missing or malformed field"),
    ],
)
def test_a_bad_clip_file_gets_one_line_naming_it(tmp_path: Path, change, message: str) -> None:
    data = tiny_clip().to_dict()
    change(data)
    path = tmp_path / "bad.clip.json"
    path.write_text(json.dumps(data).replace("NaN", "NaN"), encoding="utf-8")
    with pytest.raises(ClipError) as caught:
        read_clip(path)
    text = str(caught.value)
    assert text.startswith(str(path)) and message in text and "\n" not in text


def test_not_json_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "x.clip.json"
    path.write_text("{oops", encoding="utf-8")
    with pytest.raises(ClipError, match=r"x\.clip\.json: not JSON"):
        read_clip(path)


def test_a_video_becomes_a_clip_of_every_frame(asl_sample: Path, tmp_path: Path) -> None:
    video = write_video(tmp_path / "L" / "take.mp4", asl_sample / "L" / "L1.jpg", frames=6, fps=15)
    result = clip_from_video(str(video), "L")
    assert result.error is None
    clip = result.clip
    assert clip.n_frames == 6 and clip.fps == pytest.approx(15.0) and (clip.width, clip.height) == (160, 120)
    np.testing.assert_allclose(clip.times, np.arange(6) / 15.0, atol=1e-6)
    assert clip.hand_found.sum() >= 3  # the sample's L hand, found in most frames
    found = clip.hand_found
    assert np.isfinite(clip.landmarks[found]).all() and np.isnan(clip.landmarks[~found]).all()
    assert clip_from_video(str(video), "L").clip.to_json() == clip.to_json()  # the same video, the same clip


def test_bad_videos_get_one_line_naming_the_file(tmp_path: Path, monkeypatch) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000)
    result = clip_from_video(str(junk), "A")
    assert result.clip is None and result.error.startswith(str(junk)) and "\n" not in result.error

    blank = tmp_path / "blank.avi"  # frames decode, but no hand in any of them
    import cv2

    writer = cv2.VideoWriter(str(blank), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for k in range(4):
        writer.write(np.full((48, 64, 3), 40 * k, np.uint8))
    writer.release()
    assert "no hand found in any of its 4 frames" in clip_from_video(str(blank), "A").error

    import curation.clips as clips

    monkeypatch.setattr(clips, "MAX_VIDEO_BYTES", 100)
    assert "over the" in clip_from_video(str(blank), "A").error


def test_sign_curate_clips_writes_one_file_per_video(
    asl_sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    videos = tmp_path / "videos"
    write_video(videos / "L" / "one.mp4", asl_sample / "L" / "L1.jpg", frames=4)
    write_video(videos / "Y" / "two.avi", asl_sample / "Y" / "Y1.jpg", frames=4)
    (videos / "Y" / "broken.mp4").write_bytes(b"nope")
    out = tmp_path / "clips"
    assert main(["clips", str(videos), "--out", str(out), "--no-progress", "--workers", "1"]) == 1
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.clip.json"))
    assert written == ["L/one.clip.json", "Y/two.clip.json"]
    assert read_clip(out / "L" / "one.clip.json").source == "L/one.mp4"
    captured = capsys.readouterr()
    assert "2 clips from 3 videos" in captured.out
    assert str(videos / "Y" / "broken.mp4") in captured.err

    listing = tmp_path / "list.csv"  # the same videos named in a CSV
    listing.write_text("path,label\nvideos/L/one.mp4,L\n", encoding="utf-8")
    assert list_videos(listing) == [(str(tmp_path / "videos/L/one.mp4"), "L")]


def test_no_videos_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "A").mkdir()
    assert main(["clips", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "no videos" in err and len(err.splitlines()) == 1


def test_an_animated_gif_becomes_a_clip(asl_sample: Path, tmp_path: Path) -> None:
    base = Image.open(asl_sample / "L" / "L1.jpg").convert("RGB").resize((160, 120))
    frames = [Image.fromarray(np.roll(np.asarray(base), 2 * k, axis=1)) for k in range(4)]
    gif = tmp_path / "L" / "wave.gif"
    gif.parent.mkdir()
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100, loop=0)
    result = clip_from_video(str(gif), "L")
    assert result.error is None, result.error
    assert result.clip.n_frames == 4 and result.clip.fps == pytest.approx(10.0)
    np.testing.assert_allclose(result.clip.times, [0.0, 0.1, 0.2, 0.3], atol=1e-6)
