"""Motion letters end to end with a small temporal model (tests/motion_model.py: the sample's D, I, L photos
and the demo recipe's synthetic J and Z clips, trained in seconds): a GIF of an I photo moved along a J path
reads J through `sign-ml predict`, the app (/predict's path) and the Live tab's rolling window (real
VIDEO-mode hand stage, frames replayed at 15 fps), while the same I held still reads I and never commits J
(issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from motion_model import build_motion_model, i_gif, j_gif
from PIL import Image, ImageSequence

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


@pytest.fixture(scope="module")
def motion_run(asl_sample: Path, tmp_path_factory) -> Path:
    return build_motion_model(tmp_path_factory.mktemp("motion"), asl_sample)


@pytest.fixture(scope="module")
def gifs(asl_sample: Path, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("motion-gifs")
    # seed 1, photo 1: a J whose every frame the VIDEO stage tracks (so the Live replay sees the whole path)
    return {
        "J": j_gif(asl_sample, root / "j.gif", seed=1, photo_index=1),
        "I": i_gif(asl_sample, root / "i.gif"),
    }


def test_sign_ml_predict_reads_the_j_movement_as_j_and_the_still_i_as_i(motion_run, gifs, capsys) -> None:
    from sign_ml.cli import main

    assert main(["predict", str(motion_run), str(gifs["J"]), str(gifs["I"]), "--json", "--top-k", "2"]) == 0
    rows = {Path(r["file"]).name: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["j.gif"]["top"][0]["label"] == "J" and rows["j.gif"]["video"] is True
    assert rows["i.gif"]["top"][0]["label"] == "I"
    assert main(["predict", str(motion_run), str(gifs["J"])]) == 0
    line = capsys.readouterr().out.strip()
    assert line.split("\t")[1].startswith("J ") and "start of" not in line  # the movement was read


def test_the_app_says_the_movement_was_read(motion_run, gifs, gradio_upload) -> None:
    from sign_ml.ui.app import DactylApp

    app = DactylApp(model=str(motion_run), data=None)
    verdict, *_ = app.recognize(gradio_upload(gifs["J"]), 0.3)
    assert verdict.startswith("## J ·") and "read from the movement" in verdict
    out = app.predict(gradio_upload(gifs["J"]))
    assert max(out, key=out.get) == "J" and set(out) == set("DIJLZ")


def camera(gif: Path) -> list[Image.Image]:
    """A GIF's frames as a camera's, at their own size (MediaPipe finds the sample's hands close up)."""
    return [frame.convert("RGB") for frame in ImageSequence.Iterator(Image.open(gif))]


def replay(app, frames: list[Image.Image], fps: float = 15.0, practising: bool = False, session=None):
    """The frames through the Live tab's handler as a camera at `fps` would bring them; (session, answers)."""
    from sign_ml.ui.tab_live import LiveSession, live_frame

    session = session or LiveSession()
    clock = {"t": 0.0}
    session.clock = lambda: clock["t"]
    session.t0 = 0.0
    answers = []
    for frame in frames:
        clock["t"] += 1.0 / fps
        session, _, answer, _, prompt, _ = live_frame(app, session, np.asarray(frame), 600, practising)
        answers.append((answer, prompt))
    return session, answers


def test_live_commits_j_when_its_movement_ends_and_a_held_i_stays_i(motion_run, gifs) -> None:
    from sign_ml.ui.app import DactylApp
    from sign_ml.ui.tab_live import close_session

    app = DactylApp(model=str(motion_run), data=None)
    j = camera(gifs["J"])
    still = [j[0]] * 30  # the J's first frame: its I handshape, held 2 s
    session, answers = replay(app, still)
    try:
        assert session.word == "I"
    finally:
        close_session(session)
    session, answers = replay(app, still[:3] + j + [j[-1]] * 20)  # from I, the J movement, its end held
    try:
        # one J, at the end (never a second motion letter read from the same path as it leaves the window)
        assert session.word.count("J") == 1 and session.word.endswith("J") and "Z" not in session.word, (
            session.word
        )
        assert any("it counts when the movement ends" in a for a, _ in answers)
    finally:
        close_session(session)
