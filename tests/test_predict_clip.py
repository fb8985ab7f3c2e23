"""Clips through the predictor: `predict_clip`, `predict_video`, `predict_window`, and clip/video paths in
`predict_files`, for the still kinds (a landmark model trained here, a tiny image model); the temporal
kind's own reading of clips is in test_temporal.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import make_model_dir
from PIL import Image

from curation.clips import Clip, write_clip
from curation.hands import shared_stage
from curation.images import load_rgb
from sign_ml.predict import Predictor, WindowFrame, still_frame, window_frame

STILL_LETTERS = "BDIJL"


@pytest.fixture(scope="module")
def demo(asl_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Predictor:
    """A still landmark model (the landmark kind) trained here on sample photos of B, D, I, J and L (J as
    its still start, as the sample has it): the still-kind behaviour under test, in seconds."""
    import json

    import pandas as pd

    from sign_ml.config import LandmarkConfig
    from sign_ml.landmark_train import train_landmarks

    root = tmp_path_factory.mktemp("still-model")
    rows = [
        (str(p), c, "train" if k < 14 else "validation")
        for c in STILL_LETTERS
        for k, p in enumerate(sorted((asl_sample / c).glob("*.jpg"))[:16])
    ]
    splits = root / "splits"
    splits.mkdir()
    pd.DataFrame(rows, columns=["path", "label", "split"]).to_csv(splits / "manifest.csv", index=False)
    (splits / "splits.json").write_text(json.dumps({"class_names": list(STILL_LETTERS)}), encoding="utf-8")
    train_landmarks(LandmarkConfig(epochs=60), splits, root / "run", progress=False)
    return Predictor.from_pretrained(root / "run")


def photo_hand(path: Path):
    """The IMAGE-mode hand stage's detection of one photo (as predict() sees it)."""
    detection = shared_stage().detect(load_rgb(path, max_side=1280), source=str(path))
    assert detection.found, path
    return detection


def still_clip(detection, n: int = 9, fps: float = 15.0, gaps: tuple[int, ...] = ()) -> Clip:
    """The photo's hand held still for n frames (frames in `gaps` without a hand)."""
    hand = detection.hand
    marks = np.repeat(hand.landmarks[None], n, axis=0).astype(np.float32)
    world = np.repeat(hand.world[None], n, axis=0).astype(np.float32)
    marks[list(gaps)] = np.nan
    world[list(gaps)] = np.nan
    hands = tuple(None if k in gaps else hand.handedness for k in range(n))
    scores = tuple(None if k in gaps else 0.9 for k in range(n))
    times = np.arange(n) / fps
    return Clip("?", fps, detection.width, detection.height, times, marks, world, hands, scores, "held.clip")


def write_gif(path: Path, photo: Path, frames: int = 5, shift: int = 2, fmt: str = "GIF") -> Path:
    base = Image.open(photo).convert("RGB")
    images = [Image.fromarray(np.roll(np.asarray(base), shift * k, axis=1)) for k in range(frames)]
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, format=fmt, save_all=True, append_images=images[1:], duration=80, loop=0)
    return path


def test_a_still_clip_reads_as_its_photo(demo: Predictor, asl_sample: Path) -> None:
    photo = asl_sample / "L" / "L1.jpg"
    from_photo = demo.predict(photo)
    clip = still_clip(photo_hand(photo), gaps=(0, 4))
    from_clip = demo.predict_clip(clip)
    assert from_photo.ok and from_clip.ok and from_clip.top[0][0] == from_photo.top[0][0] == "L"
    np.testing.assert_allclose(from_clip.probs, from_photo.probs, atol=1e-5)  # the very same hand
    assert from_clip.source == "held.clip" and from_clip.frames == 1  # a still kind reads one frame
    assert not from_clip.motion


def test_still_frame_is_the_hand_frame_nearest_the_middle() -> None:
    marks = np.zeros((7, 21, 3), np.float32)
    marks[[0, 1, 5, 6]] = np.nan  # hand seen in frames 2..4 of 0..6: the middle of its time is frame 3
    clip = Clip("?", 10.0, 64, 48, np.arange(7) / 10, marks, marks.copy(), (None,) * 7, (None,) * 7)
    assert still_frame(clip) == 3
    marks[:] = np.nan
    assert (
        still_frame(Clip("?", 10.0, 64, 48, np.arange(7) / 10, marks, marks, (None,) * 7, (None,) * 7))
        is None
    )


def test_a_motion_letter_from_a_still_kind_is_marked_as_its_start(demo: Predictor, asl_sample: Path) -> None:
    detections = [photo_hand(p) for p in sorted((asl_sample / "J").glob("*.jpg"))[:6]]
    answers = [demo.predict_clip(still_clip(d)) for d in detections]
    read_j = [a for a in answers if a.top[0][0] == "J"]
    assert read_j, [a.top[0] for a in answers]  # the demo reads the J photos' start handshape as J
    assert all(a.motion for a in read_j) and not any(a.motion for a in answers if a.top[0][0] != "J")


def test_a_clip_without_a_hand_is_no_hand_and_a_bad_one_unreadable(demo: Predictor, asl_sample: Path) -> None:
    clip = still_clip(photo_hand(asl_sample / "L" / "L1.jpg"), n=4, gaps=(0, 1, 2, 3))
    answer = demo.predict_clip(clip, source="empty.clip.json")
    assert answer.no_hand and answer.top == [] and answer.source == "empty.clip.json"
    broken = Clip(
        "?", 10.0, 64, 48, np.array([0.0, 0.0]), clip.landmarks[:2], clip.world[:2], (None,) * 2, (None,) * 2
    )
    answer = demo.predict_clip(broken, source="twice.clip.json")
    assert answer.status == "unreadable" and answer.error.startswith("twice.clip.json: ")
    assert "strictly increasing" in answer.error and "\n" not in answer.error
    assert demo.predict_clip("not a clip", source="x").status == "unreadable"


def test_clip_files_and_videos_beside_photos_in_predict_files(
    demo: Predictor, asl_sample: Path, tmp_path: Path
) -> None:
    photo = asl_sample / "L" / "L1.jpg"
    good = write_clip(tmp_path / "L" / "held.clip.json", still_clip(photo_hand(photo)))
    corrupt = tmp_path / "L" / "cut.clip.json"
    corrupt.write_text(good.read_text(encoding="utf-8")[:200], encoding="utf-8")
    gif = write_gif(tmp_path / "L" / "wave.gif", photo)
    junk = tmp_path / "L" / "junk.mp4"
    junk.write_bytes(b"\x00" * 500)
    sources = [photo, good, corrupt, gif, junk]
    answers = list(demo.predict_files(sources, batch_size=2))
    assert [a.source for a in answers] == [str(s) for s in sources]  # input order, across batches
    assert [a.status for a in answers] == ["ok", "ok", "unreadable", "ok", "unreadable"]
    assert answers[0].top[0][0] == answers[1].top[0][0] == answers[3].top[0][0] == "L"
    for bad, path in ((answers[2], corrupt), (answers[4], junk)):
        assert bad.error.startswith(str(path)) and "\n" not in bad.error


def test_predict_video_reads_gif_and_animated_webp(demo: Predictor, asl_sample: Path, tmp_path: Path) -> None:
    photo = asl_sample / "L" / "L1.jpg"
    for name, fmt in (("wave.gif", "GIF"), ("wave.webp", "WEBP")):
        answer = demo.predict_video(write_gif(tmp_path / name, photo, fmt=fmt))
        assert answer.ok, answer.error
        assert answer.top[0][0] == "L" and answer.source == str(tmp_path / name)
    blank = tmp_path / "blank.gif"
    frames = [Image.new("RGB", (64, 48), (40 * k, 40 * k, 40 * k)) for k in range(3)]
    frames[0].save(blank, save_all=True, append_images=frames[1:], duration=100)
    assert demo.predict_video(blank).no_hand
    for bad in ("junk.mp4", "missing.webm"):
        if bad == "junk.mp4":
            (tmp_path / bad).write_bytes(b"\x00" * 500)
        answer = demo.predict_video(tmp_path / bad)
        assert answer.status == "unreadable" and answer.error.startswith(str(tmp_path / bad))
        assert "\n" not in answer.error


def test_an_image_model_reads_a_video_frame_but_not_a_clip_file(
    asl_sample: Path, tmp_path: Path, every_photo_has_a_hand
) -> None:
    make_model_dir(tmp_path / "image")
    image = Predictor.from_pretrained(tmp_path / "image", backend="torch")
    clip = still_clip(photo_hand(asl_sample / "L" / "L1.jpg"))
    answer = image.predict_clip(clip, source="held.clip.json")
    assert answer.status == "unreadable" and "only landmarks" in answer.error
    assert answer.error.startswith("held.clip.json: ")
    assert image.predict_video(write_gif(tmp_path / "wave.gif", asl_sample / "L" / "L1.jpg")).ok


def test_the_live_window_reads_its_newest_hand_for_a_still_kind(demo: Predictor, asl_sample: Path) -> None:
    l_hand, b_hand = photo_hand(asl_sample / "L" / "L1.jpg"), photo_hand(asl_sample / "B" / "B1.jpg")

    def frame(t: float, detection) -> WindowFrame:
        hand = detection.hand if detection is not None else None
        return WindowFrame(
            t, None if hand is None else hand.landmarks, None if hand is None else hand.handedness, 640, 480
        )

    window = [frame(0.1 * k, l_hand) for k in range(10)] + [frame(1.0, b_hand), frame(1.1, None)]
    answer = demo.predict_window(window)
    expected = demo.predict_landmarks(b_hand.hand.landmarks, b_hand.hand.handedness, 640, 480)
    assert answer.ok and answer.top[0][0] == expected.top[0][0] == "B"
    np.testing.assert_allclose(answer.probs, expected.probs, atol=1e-6)
    assert demo.predict_window([]).no_hand and demo.predict_window([frame(0.0, None)]).no_hand
    bad = demo.predict_window([WindowFrame(0.0, np.zeros((20, 3)), "Right", 640, 480)])
    assert bad.status == "unreadable" and "21 finite" in bad.error


def test_window_frame_converts_a_browser_message() -> None:
    from sign_ml.landmark_messages import parse_message

    lm = [0.5] * 63
    message = parse_message({"t": 1500.0, "w": 640, "h": 480, "hands": [{"lm": lm, "hd": "Left"}]})
    frame = window_frame(message)
    assert frame.t == 1.5 and frame.handedness == "Left" and frame.landmarks.shape == (21, 3)
    assert (frame.width, frame.height) == (640, 480)
    empty = window_frame(parse_message({"t": 2000.0, "w": 640, "h": 480, "hands": []}))
    assert empty.landmarks is None and empty.handedness is None and empty.t == 2.0


def test_a_one_frame_or_ten_thousand_frame_clip_file_is_one_line(
    demo: Predictor, asl_sample: Path, tmp_path: Path
) -> None:
    import json

    data = still_clip(photo_hand(asl_sample / "L" / "L1.jpg"), n=2).to_dict()
    paths = []
    for n in (1, 10_000):
        frames = [dict(data["frames"][0], t=k / 30) for k in range(n)]
        path = tmp_path / f"n{n}.clip.json"
        path.write_text(json.dumps({**data, "frames": frames}), encoding="utf-8")
        paths.append(path)
    for answer, path in zip(demo.predict_files(paths), paths, strict=True):
        assert answer.status == "unreadable" and answer.error.startswith(str(path))
        assert "frames" in answer.error and "\n" not in answer.error
