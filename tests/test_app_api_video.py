"""A GIF and an mp4 through the served app's /predict, as a program calls it (gradio_client over loopback):
{letter: probability} over every letter, as for a photo; a refused video is the error's one line naming the
file. The served model is the embedded demo (landmarks), the hand stage real MediaPipe (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from test_app_api import serve_app
from test_recognize_video import moving_frames, write_gif, write_mp4

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`python app.py --model models/demo` on a free loopback port; yields its URL."""
    tmp = tmp_path_factory.mktemp("api-video")
    with serve_app(REPO / "models" / "demo", tmp / "app.log") as url:
        yield url


@pytest.mark.shared_data
def test_a_gif_and_an_mp4_give_every_letter_through_gradio_client(served, asl_sample, tmp_path):
    from gradio_client import Client, handle_file

    frames = moving_frames(sorted((asl_sample / "I").glob("*.jpg"))[0])
    client = Client(served, verbose=False)
    classes = None
    for path in (write_gif(tmp_path / "i.gif", frames), write_mp4(tmp_path / "i.mp4", frames)):
        out = client.predict(handle_file(str(path)), api_name="/predict")
        classes = classes or set(out)
        assert len(out) == 26 and set(out) == classes and abs(sum(out.values()) - 1.0) < 1e-4
        assert max(out, key=out.get) == "I", path.name


def test_a_one_frame_mp4_is_refused_in_one_line_naming_it(served, tmp_path):
    from gradio_client import Client, handle_file

    one = write_mp4(tmp_path / "one.mp4", [Image.new("RGB", (32, 32))])
    with pytest.raises(Exception) as caught:
        Client(served, verbose=False).predict(handle_file(str(one)), api_name="/predict")
    message = str(caught.value)
    assert "one.mp4" in message and "1 frame(s) decoded" in message and "Traceback" not in message
