"""Shared fixtures: the real sample photos beside the checkout, and tiny seeded image folders."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ASL_SAMPLE = SHARED_DATA / "asl-letters-sample"


def wait_until(
    condition: Callable[[], Any], what: str | Callable[[], str], timeout_s: float = 120.0, poll_s: float = 0.1
) -> Any:
    """Poll `condition()` until it returns something truthy and return that; fail naming `what` (text, or a
    function giving it then) after `timeout_s`, a bound for a hang, not a timing claim. Tests wait on conditions through this, never on
    a sleep that assumes something has happened by then."""
    deadline = time.monotonic() + timeout_s
    pause = threading.Event()  # never set: a wait that cannot be cut short
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what() if callable(what) else what}: not within {timeout_s:g} s")
        pause.wait(poll_s)


@pytest.fixture(scope="session")
def asl_sample() -> Path:
    """../shared/data/asl-letters-sample, or skip: a user's clone does not have it."""
    if not ASL_SAMPLE.is_dir():
        pytest.skip(
            f"shared sample photos not found at {ASL_SAMPLE} (only present in the project's workplace)"
        )
    return ASL_SAMPLE


def make_photo(
    path: Path, seed: int, size: tuple[int, int] = (48, 48), mode: str = "RGB", fmt: str | None = None
) -> Path:
    """A distinct seeded picture (blocky noise, so perceptual hashes differ between seeds)."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(6, 6, 3), dtype=np.uint8)
    image = Image.fromarray(blocks).resize(size, Image.Resampling.NEAREST)
    if mode != "RGB":
        image = image.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format=fmt)
    return path


def make_class_folder(
    root: Path, counts: dict[str, int], size: tuple[int, int] = (48, 48), seed: int = 0
) -> Path:
    """root/<class>/<class>_<i>.png with `counts[class]` distinct photos each."""
    for c, (name, n) in enumerate(counts.items()):
        for i in range(n):
            make_photo(root / name / f"{name}_{i}.png", seed=seed * 100_000 + c * 1000 + i, size=size)
    return root


def make_assigned_splits(
    tmp: Path, assign: dict[str, list[str]], size: tuple[int, int], signers: int, info: dict[str, Any]
) -> Path:
    """A real split directory (manifest, splits.json, dataset/) written by curation.split_io into tmp/splits
    from make_class_folder's photos in tmp/photos: photo i of class c in split assign[c][i], its group
    `signer{i % signers}`; info: the splits.json info."""
    import pandas as pd

    from curation.split_io import write_splits

    root = make_class_folder(tmp / "photos", {c: len(s) for c, s in assign.items()}, size=size)
    rows = [
        {
            "path": str(root / c / f"{c}_{i}.png"),
            "relpath": f"{c}/{c}_{i}.png",
            "label": c,
            "split": s,
            "group": f"signer{i % signers}",
        }
        for c, splits in assign.items()
        for i, s in enumerate(splits)
    ]
    return write_splits(
        pd.DataFrame(rows), list(assign), tmp / "splits", info={"data_root": str(root), **info}
    )


def stop_process(proc) -> None:
    """Terminate a subprocess started by a test; kill it if it has not gone in 20 s."""
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def train_argv(data: Path, out: Path, *flags: str, kind: str | None = None) -> list[str]:
    """The argv of `sign-ml train [--kind KIND] --data DATA --out OUT FLAGS` (no --kind: the CLI's auto)."""
    return ["train", *(["--kind", kind] if kind else []), "--data", str(data), "--out", str(out), *flags]


def make_model_dir(
    path: Path, class_names=("А", "Б", "В", "Г", "Ґ"), size: int = 32, seed: int = 0, **meta_fields
):
    """A tiny untrained model directory with a spread-out head (so probabilities are not all equal); returns the model."""
    import torch

    from sign_ml.artifacts import ModelMeta, save_model_dir
    from sign_ml.model import build_model
    from sign_ml.presets import Preprocessing

    torch.manual_seed(seed)
    model = build_model(len(class_names), width_mult=0.25)
    with torch.no_grad():  # running BN statistics of random photos: outputs then depend on the input
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.momentum = None  # plain average over the batches below
        model.train()
        for _ in range(2):
            model(torch.rand(8, 3, size, size) * 4 - 2)
        model.eval()
        model.classifier[-1].weight.normal_(0.0, 1.0)
        model.classifier[-1].bias.normal_(0.0, 1.0)
    save_model_dir(
        path, model, ModelMeta(list(class_names), Preprocessing(size=size), width_mult=0.25, **meta_fields)
    )
    return model


# --- planted problem files for the curation tests (each a few hundred bytes) -----------------------------


def file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file below root (hidden ones included): compare before/after to prove nothing changed."""
    import hashlib

    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def write_png_header(path: Path, width: int, height: int) -> Path:
    """A PNG that only *claims* width×height (8-bit grey): tests the decompression-bomb guard in ~60 bytes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    idat = zlib.compress(b"\x00" * 16)  # far fewer bytes than the header claims: never decoded anyway
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def write_truncated_jpeg(path: Path, seed: int = 0) -> Path:
    """A real JPEG cut off halfway (a copy interrupted, a download that failed)."""
    make_photo(path, seed=seed, size=(64, 64), fmt="JPEG")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def write_exif_rotated(path: Path, seed: int = 0, size: tuple[int, int] = (48, 36)) -> Path:
    """A JPEG stored landscape with EXIF orientation 6 (shown rotated 90°, as phones do)."""
    make_photo(path, seed=seed, size=size, fmt="JPEG")
    image = Image.open(path)
    image.load()
    exif = Image.Exif()
    exif[0x0112] = 6
    image.save(path, format="JPEG", exif=exif)
    return path


def write_16bit_png(path: Path, size: tuple[int, int] = (48, 48)) -> Path:
    ramp = np.linspace(0, 65535, size[0] * size[1], dtype=np.uint16).reshape(size[1], size[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(ramp).save(path)  # mode I;16
    return path


def write_animated_gif(path: Path, frames: int = 3, size: tuple[int, int] = (48, 48)) -> Path:
    images = [Image.new("RGB", size, (60 * i, 100, 200 - 50 * i)) for i in range(frames)]
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], duration=100, loop=0)
    return path


def make_planted_set(root: Path) -> Path:
    """A Ukrainian-named folder with one of every problem `sign-curate check` must name (see test_cli_check)."""
    import unicodedata

    make_class_folder(root, {"А": 4, "Б": 3})
    write_truncated_jpeg(root / "А" / "corrupt.jpg")
    (root / "А" / "notes.jpg").write_text("not a photo, despite the name")
    make_photo(root / "А" / "rgba.png", seed=11, mode="RGBA")
    write_animated_gif(root / "А" / "moving.gif")
    write_exif_rotated(root / "А" / "rotated.jpg", seed=12)
    (root / "А" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "А" / "readme.txt").write_text("what these photos are")
    make_photo(root / "Б" / "tiny.png", seed=13, size=(1, 1))
    write_png_header(root / "Б" / "huge.png", 20000, 20000)
    make_photo(root / "Б" / "cmyk.jpg", seed=14, mode="CMYK", fmt="JPEG")
    write_16bit_png(root / "Б" / "deep.png")
    (root / "В").mkdir(parents=True)  # an empty class folder
    make_photo(root / "Г" / "only.png", seed=15)  # a one-photo class
    nfd = unicodedata.normalize("NFD", "Й")  # as macOS writes it: И + combining breve
    make_photo(root / nfd / "a.png", seed=16)
    make_photo(root / nfd / "b.png", seed=17)
    (root / "labels.csv").write_text("stray file in the data root\n")
    return root


@pytest.fixture(autouse=True, scope="session")
def private_hand_cache(tmp_path_factory):
    """Hand detections go to a cache of this test session, never to the user's ~/.cache."""
    import os

    old = os.environ.get("DACTYL_CACHE")
    os.environ["DACTYL_CACHE"] = str(tmp_path_factory.mktemp("dactyl-cache"))
    yield
    if old is None:
        os.environ.pop("DACTYL_CACHE", None)
    else:
        os.environ["DACTYL_CACHE"] = old


class EveryPhotoHasAHand:
    """A stand-in hand stage that finds one hand filling the middle of every photo.

    For tests of what comes after the hand stage (image-model batching, errors, CLIs, the Hub round trip) on
    seeded noise pictures, in which the real MediaPipe rightly finds no hand. The real stage has its own tests.
    """

    mode = "image"
    fingerprint = "test:every-photo-has-a-hand"

    def detect(self, image, source: str = ""):
        from curation.hands import Hand, HandDetection

        rng = np.random.default_rng(0)
        pts = np.column_stack([rng.uniform(0.2, 0.8, 21), rng.uniform(0.2, 0.8, 21), np.zeros(21)]).astype(
            np.float32
        )
        box = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
        return HandDetection(
            image.width, image.height, (Hand(pts, pts * 0.1, "Right", 0.9, box),), source=source
        )


@pytest.fixture
def every_photo_has_a_hand(monkeypatch):
    """Predictors in this test use EveryPhotoHasAHand instead of MediaPipe."""
    from sign_ml.predict import Predictor

    stage = EveryPhotoHasAHand()
    monkeypatch.setattr(Predictor, "hands", property(lambda self: stage))
    return stage


def plant_hand_in_cache(path) -> None:
    """Store EveryPhotoHasAHand's answer as the real hand stage's cached answer for this photo's bytes, so a
    separate process (a CLI run by subprocess) reads it as a hand photo."""
    from curation.hand_cache import HandCache
    from curation.hands import shared_stage
    from curation.images import load_rgb

    image = load_rgb(path, max_side=1280)
    cache = HandCache()
    cache.put(
        HandCache.key(Path(path).read_bytes(), shared_stage().fingerprint), EveryPhotoHasAHand().detect(image)
    )
    cache.close()


def proba(predictor, sources, batch_size: int = 32):
    """(N, K) probabilities of the predictor's one batch pipeline; zero rows where the status is not "ok"."""
    from sign_ml.predict import probability_rows

    predictions = list(predictor.predict_files(list(sources), batch_size=batch_size))
    return probability_rows(predictions, len(predictor.class_names))


@pytest.fixture
def gradio_upload(tmp_path, monkeypatch):
    """`upload(path)` → the payload Gradio's page sends for an uploaded file: a copy in Gradio's upload
    cache (a private GRADIO_TEMP_DIR here) named by a FileData dict with its `meta`."""
    import shutil
    import uuid

    cache = tmp_path / "gradio-cache"
    cache.mkdir()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(cache))

    def upload(path) -> dict:
        target = cache / uuid.uuid4().hex / Path(path).name
        target.parent.mkdir()
        shutil.copyfile(path, target)
        return {"path": str(target), "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}

    return upload


# --- the embedded demo model and the Live tab's camera frames ---------------------------------------------
DEMO = Path(__file__).resolve().parents[1] / "models" / "demo"
DEMO_THUMBS = DEMO / "eval" / "test" / "thumbs"  # shipped with the repository, as the demo's evaluation


@pytest.fixture(scope="module")
def demo_app():
    """The app serving the embedded demo model (no data), or skip without it."""
    from sign_ml.ui.app import DactylApp

    if not (DEMO / "config.json").is_file():
        pytest.skip("no embedded demo model")
    return DactylApp(model=str(DEMO), data=None)


def centered_frame(photo: Image.Image) -> Image.Image:
    """A 640×480 grey camera frame with `photo` (at most 480 px) in its middle."""
    frame = Image.new("RGB", (640, 480), (200, 200, 200))
    photo = photo.copy()
    photo.thumbnail((480, 480))
    frame.paste(photo, ((640 - photo.width) // 2, (480 - photo.height) // 2))
    return frame


def left_frame(photo: Image.Image, width: int = 640, height: int = 480) -> Image.Image:
    """A grey camera frame with `photo`, scaled to its height, on the left: its mirror image is clearly another."""
    photo = photo.resize((height * photo.width // photo.height, height), Image.Resampling.BICUBIC)
    frame = Image.new("RGB", (width, height), (200, 200, 200))
    frame.paste(photo, (0, 0))
    return frame


def sure_live_frame(
    app: Any, place: Callable[[Image.Image], Image.Image] = centered_frame, min_prob: float = 0.8
) -> tuple[Image.Image, Any, list[tuple[str, float]]] | None:
    """The first shipped demo thumbnail, placed on a camera frame by `place`, in which the Live tab's VIDEO
    hand stage finds a hand and the model reads a letter with at least `min_prob`: (frame, detection, top
    letters), or None when there is none (each caller says whether that skips or fails)."""
    from sign_ml.ui import tab_live

    for path in sorted(DEMO_THUMBS.rglob("*.jpg")):
        frame = place(Image.open(path).convert("RGB"))
        session = tab_live.LiveSession()
        try:
            detection, top = tab_live.recognize_frame(app, session, frame)
        finally:
            session.close()
        if top is not None and top[0][1] >= min_prob:
            return frame, detection, top
    return None


def fake_camera_args(y4m: Path) -> list[str]:
    """Chromium flags that make `y4m` its camera, allowed without asking."""
    return [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}",
    ]


# --- a fake Hugging Face Hub on loopback -------------------------------------------------------------------
def point_hub_at(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, token: str) -> None:
    """huggingface_hub talks to `url` with `token` and never a stored login: HF_ENDPOINT and its constant
    (read once, at import), HF_TOKEN, and a token file that does not exist."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-login" / "token"))
    monkeypatch.setenv("HF_TOKEN", token)


def silent_hub_at(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, token: str, answered: tuple[str, ...] = ()
) -> Iterator[Any]:
    """A loopback_hub.SilentHub that huggingface_hub talks to (`point_hub_at`), closed afterwards: a fixture
    yields from it. answered: the path prefixes it does answer (see SilentHub)."""
    from loopback_hub import SilentHub

    hub = SilentHub(answered)
    point_hub_at(monkeypatch, tmp_path, hub.url, token)
    yield hub
    hub.close()


def push_in_thread(run_dir: Path, wait_s: float) -> list[int]:
    """`sign-ml push RUN --repo user/x` in a daemon thread, waited for at most `wait_s` (a bound for a hang):
    [its exit code], or [] while it still waits."""
    from sign_ml.cli import main

    done: list[int] = []
    worker = threading.Thread(
        target=lambda: done.append(main(["push", str(run_dir), "--repo", "user/x"])), daemon=True
    )
    worker.start()
    worker.join(wait_s)
    return done
