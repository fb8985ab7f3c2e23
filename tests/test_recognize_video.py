"""Recognizing a short video (issue 18): what counts as a video, the limits, and the one path the Recognize
tab, `DactylApp.infer` (hence /predict) and `sign-ml predict` share (`sign_ml.videos`). Bad videos get one
line naming the file; nothing is written into the data. Real MediaPipe on a sample photo slid along a path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import file_hashes
from PIL import Image

from sign_ml.videos import MAX_FRAMES, VideoRefused, is_video, probe_video, recognize_video

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "models" / "demo"


def moving_frames(photo: Path, n: int = 8, size=(320, 240)) -> list[Image.Image]:
    base = np.asarray(Image.open(photo).convert("RGB").resize(size))
    return [Image.fromarray(np.roll(base, 3 * k, axis=1)) for k in range(n)]


def write_gif(path: Path, frames: list[Image.Image], ms: int = 66) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=ms, loop=0)
    return path


def write_mp4(path: Path, frames: list[Image.Image], fps: float = 15.0) -> Path:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, frames[0].size)
    assert writer.isOpened()
    for frame in frames:
        writer.write(np.ascontiguousarray(np.asarray(frame)[:, :, ::-1]))
    writer.release()
    return path


@pytest.fixture(scope="module")
def predictor():
    from sign_ml.predict import Predictor

    return Predictor.from_pretrained(DEMO)


@pytest.fixture
def hand_videos(asl_sample: Path, tmp_path: Path) -> dict[str, Path]:
    frames = moving_frames(sorted((asl_sample / "I").glob("*.jpg"))[0])
    return {
        "gif": write_gif(tmp_path / "clips" / "i.gif", frames),
        "mp4": write_mp4(tmp_path / "clips" / "i.mp4", frames),
    }


# --------------------------------------------------------------------------- what a video is; the limits
def test_a_video_is_known_by_its_bytes_and_a_one_frame_gif_is_a_photo(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (16, 16), (10 * k, 0, 0)) for k in range(3)]
    assert is_video(write_gif(tmp_path / "a.gif", frames))
    named = write_mp4(tmp_path / "v.mp4", frames).rename(tmp_path / "named.png")
    assert is_video(named)  # an upload's name is the client's
    assert not is_video(write_gif(tmp_path / "still.gif", frames[:1]))
    frames[0].save(tmp_path / "p.png")
    assert not is_video(tmp_path / "p.png")
    webp = tmp_path / "a.webp"
    frames[0].save(webp, save_all=True, append_images=frames[1:], duration=100)
    assert is_video(webp) and probe_video(webp).frames == 3


@pytest.mark.parametrize(
    "make, says",
    [
        (
            lambda d: (d / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(300)),
            "cannot be decoded",
        ),
        (lambda d: write_mp4(d / "one.mp4", [Image.new("RGB", (32, 32))]), "1 frame(s) decoded"),
        (
            lambda d: write_gif(
                d / "long.gif", [Image.new("L", (4, 4), k % 256) for k in range(10_000)], ms=20
            ),
            "longer than the limit",
        ),
        (
            lambda d: write_mp4(d / "slow.mp4", [Image.new("RGB", (32, 32))] * 40, fps=2.0),
            "longer than the limit",
        ),
        (
            lambda d: (d / "huge.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(11 * 2**20)),
            "MB video limit",
        ),
    ],
)
def test_bad_videos_are_one_line_naming_the_file(tmp_path: Path, make, says: str) -> None:
    make(tmp_path)
    (path,) = [p for p in tmp_path.iterdir()]
    with pytest.raises(VideoRefused) as caught:
        probe_video(path, name="mine" + path.suffix)
    message = str(caught.value)
    assert message.startswith(f"mine{path.suffix}: ") and says in message and "\n" not in message


def test_ten_thousand_frames_are_refused_without_reading_them_all(tmp_path: Path) -> None:
    gif = write_gif(tmp_path / "long.gif", [Image.new("L", (4, 4), k % 256) for k in range(10_000)], ms=20)
    with pytest.raises(VideoRefused, match=f"{MAX_FRAMES} frames"):
        probe_video(gif)


# --------------------------------------------------------------------------- the recognition
@pytest.mark.shared_data
def test_a_gif_and_an_mp4_of_a_hand_give_every_letter(predictor, hand_videos) -> None:
    for path in hand_videos.values():
        rec = recognize_video(predictor, path, top_k=len(predictor.class_names), name=path.name)
        assert rec.ok, rec.error
        assert rec.source == path.name and {n for n, _ in rec.top} == set(predictor.class_names)
        assert abs(sum(p for _, p in rec.top) - 1.0) < 1e-4
        assert rec.top[0][0] == "I"  # the sample's I handshape, slid sideways


def test_a_video_without_a_hand_is_no_hand_and_a_bad_one_is_unreadable(predictor, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    noise = [Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)) for _ in range(4)]
    rec = recognize_video(predictor, write_gif(tmp_path / "noise.gif", noise))
    assert rec.no_hand and rec.top == []
    (tmp_path / "bad.webm").write_bytes(b"\x1a\x45\xdf\xa3" + bytes(100))
    rec = recognize_video(predictor, tmp_path / "bad.webm", name="bad.webm")
    assert rec.status == "unreadable" and rec.source == "bad.webm" and "cannot be decoded" in rec.error


# --------------------------------------------------------------------------- sign-ml predict
@pytest.mark.shared_data
def test_sign_ml_predict_reads_a_gif_and_an_mp4(hand_videos, asl_sample: Path, capsys) -> None:
    from sign_ml.cli import main

    folder = hand_videos["gif"].parent
    photo = sorted((asl_sample / "J").glob("*.jpg"))[0]
    before = file_hashes(folder)
    code = main(["predict", str(DEMO), str(folder), str(photo), "--json", "--top-k", "3"])
    rows = {Path(r["file"]).name: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert code == 0
    for name in ("i.gif", "i.mp4"):
        assert (
            rows[name]["video"] is True
            and rows[name]["top"][0]["label"] == "I"
            and rows[name]["error"] is None
        )
    assert "video" not in rows[photo.name]  # a photo's line is as before
    assert file_hashes(folder) == before  # nothing written beside the videos

    code = main(["predict", str(DEMO), str(photo)])
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{photo}\tJ ") and line.endswith(
        "(the start of J; sign it with the movement to be sure)"
    )


def test_sign_ml_predict_names_a_bad_video_in_one_line(tmp_path: Path, capsys) -> None:
    from sign_ml.cli import main

    one = write_mp4(tmp_path / "one.mp4", [Image.new("RGB", (32, 32))])
    assert main(["predict", str(DEMO), str(one)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        err[0].startswith(f"{one}\terror: 1 frame(s) decoded")
        and err[1] == "1 of 1 file(s) could not be read"
    )


# --------------------------------------------------------------------------- the app (/predict's path)
@pytest.fixture(scope="module")
def demo_app():
    from sign_ml.ui.app import DactylApp

    return DactylApp(model=str(DEMO), data=None)


@pytest.mark.shared_data
def test_the_app_reads_uploaded_videos_and_a_still_of_j_says_its_start(
    demo_app, hand_videos, gradio_upload, asl_sample: Path
) -> None:
    out = demo_app.predict(gradio_upload(hand_videos["mp4"]))
    assert set(out) == set(demo_app.class_names) and max(out, key=out.get) == "I"
    verdict, label, *_ = demo_app.recognize(gradio_upload(hand_videos["gif"]), 0.0)
    assert verdict.startswith("## I ·") and label
    # a still of J: only its start
    verdict, *_ = demo_app.recognize(gradio_upload(sorted((asl_sample / "J").glob("*.jpg"))[0]), 0.0)
    assert "the start of J; sign it with the movement to be sure" in verdict


def test_the_app_names_a_refused_video_in_one_line(demo_app, gradio_upload, tmp_path: Path) -> None:
    import gradio as gr

    one = gradio_upload(write_mp4(tmp_path / "one.mp4", [Image.new("RGB", (32, 32))]))
    verdict, label, *_ = demo_app.recognize(one, 0.5)
    assert (
        verdict.startswith("### ⚠") and "(one.mp4)" in verdict and "1 frame(s)" in verdict and label is None
    )
    assert "\n" not in verdict
    with pytest.raises(gr.Error, match=r"one\.mp4"):
        demo_app.predict(one)
    with pytest.raises(gr.Error, match="not uploaded"):  # a video is only ever a file Gradio received
        demo_app.predict({"path": str(tmp_path / "one.mp4")})


def test_a_video_payload_from_the_video_component_is_its_file() -> None:
    from sign_ml.ui.tab_recognize import video_file

    data = {"path": "/x.webm", "meta": {"_type": "gradio.FileData"}}
    assert video_file({"video": data, "subtitles": None}) is data
    assert video_file(None) is None and video_file(data) is data
