"""The temporal kind: its input rows, the model (any length, padding- and mirror-invariant), ONNX with a
dynamic time axis, training on a split of photos and clip rows (`sign-ml train --kind temporal`), resume
and its refusals, and the predictor reading a moving J as J and a still I as I."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from curation.clips import Clip, write_clip
from curation.hand_cache import detect_files
from sign_ml.landmarks import canonicalize, features, mirror_points
from sign_ml.synthetic_motion import held_still, synthesize_j, synthesize_z
from sign_ml.temporal_model import TemporalNet, clip_rows, input_signs, n_inputs
from sign_ml.temporal_train import TemporalConfig, pad, photo_rows
from sign_ml.trajectory import clip_points

W, H = 320, 240


def hand_points(rng_seed: int = 0, n: int = 4) -> np.ndarray:
    """n plausible pixel-space hands (a fixed shape, turned and moved a little)."""
    rng = np.random.default_rng(rng_seed)
    base = np.array(
        [[0, 0], [-20, -15], [-35, -30], [-45, -45], [-55, -55], [-15, -60], [-18, -90], [-20, -110],
         [-22, -125], [0, -62], [0, -95], [0, -118], [0, -135], [15, -58], [17, -88], [18, -108],
         [19, -122], [28, -50], [32, -72], [34, -86], [35, -98]], dtype=np.float64
    )  # fmt: skip
    out = []
    for _ in range(n):
        a = rng.uniform(-0.3, 0.3)
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        xy = base @ rot.T + rng.uniform(100, 200, 2)
        out.append(np.column_stack([xy, rng.normal(0, 3, 21)]))
    return np.stack(out)


def test_a_photo_is_a_clip_of_one_frame_with_no_path() -> None:
    points = hand_points(n=3)
    rows = photo_rows(points)
    assert rows.shape == (3, 1, n_inputs())
    for k in range(3):
        one = clip_rows(points[k][None], np.zeros(1))
        np.testing.assert_allclose(rows[k], one, atol=1e-6)  # the batch shortcut is clip_rows itself
    np.testing.assert_allclose(rows[:, 0, :290], features(*canonicalize(points)), atol=1e-6)
    assert not rows[:, 0, 290:].any()  # a still has no trajectory


def test_long_clips_are_subsampled_and_a_j_path_differs_from_a_still() -> None:
    still = hand_points(n=1)[0]
    rng = np.random.default_rng(0)
    j_points, j_times = synthesize_j(still, rng, fps=(60.0, 60.0), duration=(1.4, 1.4))
    rows = clip_rows(j_points, j_times)
    assert len(j_times) > 48 and rows.shape == (48, n_inputs())
    held = clip_rows(*held_still(still, rng))
    path = slice(290, 290 + 16 * 20)  # the resampled displacements (the summary adds jitter's path length)
    assert np.linalg.norm(rows[0, path]) > 10 * np.linalg.norm(held[0, path])


@pytest.fixture(scope="module")
def net() -> TemporalNet:
    torch.manual_seed(0)
    model = TemporalNet(5, width=32)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.3)
    return model.eval()


def test_any_length_padding_and_mirror_invariance(net: TemporalNet) -> None:
    still = hand_points(n=1)[0]
    rng = np.random.default_rng(1)
    short = clip_rows(still[None], np.zeros(1))
    long = clip_rows(*synthesize_z(still, rng))
    with torch.inference_mode():
        alone = [net(torch.from_numpy(r[None]))[0] for r in (short, long)]
        x, mask = pad([short, long])
        batched = net(x, mask)
        assert batched.shape == (2, 5) and torch.isfinite(batched).all()
        torch.testing.assert_close(batched[0], alone[0], atol=1e-5, rtol=1e-5)  # padding changes nothing
        torch.testing.assert_close(batched[1], alone[1], atol=1e-5, rtol=1e-5)
        # a mirrored clip (a left hand making the same movement) reads exactly the same
        p, t = synthesize_j(still, rng)
        mirrored = clip_rows(mirror_points(p), t)
        np.testing.assert_allclose(mirrored, clip_rows(p, t) * input_signs(), atol=1e-4)
        a, b = net(torch.from_numpy(clip_rows(p, t)[None])), net(torch.from_numpy(mirrored[None]))
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


# --------------------------------------------------------------------------- a split of photos and clips
def write_synthetic_clip(path: Path, points: np.ndarray, times: np.ndarray, label: str) -> Path:
    """Pixel-space points of a W×H frame as a clip file (MediaPipe's fractions)."""
    marks = (points / np.array([W, H, W])).astype(np.float32)
    n = len(times)
    clip = Clip(
        label, 30.0, W, H, times, marks, np.zeros_like(marks), ("Right",) * n, (0.9,) * n, "synthetic"
    )
    return write_clip(path, clip)


@pytest.fixture(scope="module")
def split_dir(asl_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Photos of D, I and L, clip rows of J (from the I hands) and Z (from the D hands), by hand."""
    root = tmp_path_factory.mktemp("temporal-split")
    photos = {c: sorted((asl_sample / c).glob("*.jpg"))[:8] for c in "DIL"}
    outcomes, _ = detect_files([p for ps in photos.values() for p in ps], cache=True)
    hands = iter(outcomes)
    stills = {c: [] for c in "DIL"}
    for c, ps in photos.items():
        for _ in ps:
            d = next(hands).detection
            if d is not None and d.found:
                stills[c].append(clip_points(d.hand.landmarks, d.width, d.height))
    rows = []
    for c, ps in photos.items():
        rows += [(str(p), c, "train" if k < 6 else "validation") for k, p in enumerate(ps)]
    rng = np.random.default_rng(0)
    for label, source, make in (("J", "I", synthesize_j), ("Z", "D", synthesize_z)):
        for k in range(16):
            points, times = make(stills[source][k % len(stills[source])], rng)
            path = write_synthetic_clip(
                root / "clips" / label / f"{label}{k}.clip.json", points, times, label
            )
            rows.append((str(path), label, "train" if k < 12 else "validation"))
    bad = root / "clips" / "J" / "broken.clip.json"
    bad.write_text("{not json", encoding="utf-8")
    rows.append((str(bad), "J", "train"))
    splits = root / "splits"
    splits.mkdir()
    pd.DataFrame(rows, columns=["path", "label", "split"]).to_csv(splits / "manifest.csv", index=False)
    (splits / "splits.json").write_text(json.dumps({"class_names": list("DIJLZ")}), encoding="utf-8")
    return splits


@pytest.fixture(scope="module")
def run_dir(split_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sign_ml.cli import main

    out = tmp_path_factory.mktemp("temporal-run") / "run"
    code = main(
        ["train", "--kind", "temporal", "--data", str(split_dir), "--out", str(out), "--epochs", "40"]
    )
    assert code == 0
    return out


def test_sign_ml_train_kind_temporal_writes_a_self_describing_run(run_dir: Path) -> None:
    config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    assert config["kind"] == "temporal" and config["class_names"] == list("DIJLZ")
    assert config["landmarks"]["n_inputs"] == n_inputs() and config["data"]["clips_used"]["train"] == 24
    assert config["data"]["dropped"]["train"] == 1  # the broken clip file, counted, not trained on
    assert json.loads((run_dir / "train_config.json").read_text())["epochs"] == 40
    assert (run_dir / "checkpoints" / "last.pt").is_file() and (run_dir / "metrics.csv").is_file()
    assert config["metrics"]["best_val_accuracy"] > 0.8  # validation photos and clips


def test_the_predictor_reads_a_moving_j_as_j_and_a_held_i_as_i(
    run_dir: Path, split_dir: Path, asl_sample: Path
) -> None:
    from sign_ml.predict import Predictor

    predictor = Predictor.from_pretrained(run_dir)
    assert predictor.backend == "onnx" and predictor.kind == "temporal"
    table = pd.read_csv(split_dir / "manifest.csv")
    val = table[table["split"] == "validation"]
    answers = list(predictor.predict_files(val["path"].tolist()))
    right = sum(a.ok and a.top[0][0] == label for a, label in zip(answers, val["label"], strict=True))
    assert right >= len(val) - 2, [(a.source, a.top[:1]) for a in answers]
    j = next(a for a, label in zip(answers, val["label"], strict=True) if label == "J")
    assert j.top[0][0] == "J" and j.frames > 1 and not j.motion  # the movement was seen: the letter itself
    photo = sorted((asl_sample / "I").glob("*.jpg"))[7]
    still = predictor.predict(photo)
    assert still.ok and still.top[0][0] == "I" and still.frames == 1
    d = still.detection
    rng = np.random.default_rng(3)
    points, times = held_still(clip_points(d.hand.landmarks, d.width, d.height), rng)
    marks = (points / np.array([d.width, d.height, d.width])).astype(np.float32)
    n = len(times)
    held = Clip("I", 30.0, d.width, d.height, times, marks, np.zeros_like(marks), ("Right",) * n, (0.9,) * n)
    assert predictor.predict_clip(held).top[0][0] == "I"  # held still, the I stays an I


def test_onnx_agrees_with_torch_for_one_frame_and_45(run_dir: Path) -> None:
    from sign_ml.artifacts import load_model_dir
    from sign_ml.onnx_export import INPUT_NAME, OUTPUT_NAME, find_onnx, make_session, verify_onnx

    path = find_onnx(run_dir)  # exported by the predictor test, or now
    if path is None:
        from sign_ml.onnx_export import export_onnx

        path = export_onnx(run_dir)
    model, _ = load_model_dir(run_dir)
    session = make_session(path)
    assert verify_onnx(run_dir, path, model=model, session=session) < 1e-4
    rng = np.random.default_rng(0)
    for frames in (1, 45):
        x = rng.normal(0, 1, (2, frames, n_inputs())).astype(np.float32)
        with torch.inference_mode():
            expected = model(torch.from_numpy(x)).numpy()
        got = session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


def test_resume_continues_exactly_and_refuses_what_would_differ(split_dir: Path, tmp_path: Path) -> None:
    from sign_ml.training import TrainRequest, run_training

    whole = run_training(
        TrainRequest(str(split_dir), str(tmp_path / "whole"), "temporal", overrides={"epochs": 6})
    )
    stops = iter([False, False, True])
    req = TrainRequest(str(split_dir), str(tmp_path / "cut"), "temporal", overrides={"epochs": 6})
    cut = run_training(req, should_stop=lambda: next(stops, False))
    assert cut.code == 130 and cut.result["epochs_trained"] == 3
    again = run_training(TrainRequest(str(split_dir), str(tmp_path / "cut"), "auto", resume=True))
    assert again.code == 0 and again.kind == "temporal" and again.result["epochs_trained"] == 6
    a = pd.read_csv(tmp_path / "whole" / "metrics.csv")
    b = pd.read_csv(tmp_path / "cut" / "metrics.csv")
    np.testing.assert_allclose(a["train_loss"], b["train_loss"], rtol=1e-5)  # exactly as if never stopped
    with pytest.raises(FileExistsError, match="already holds a run"):
        run_training(req)
    with pytest.raises(ValueError, match="width differs"):
        run_training(
            TrainRequest(str(split_dir), str(tmp_path / "cut"), "temporal", True, overrides={"width": 64})
        )
    with pytest.raises(ValueError, match="landmarks kind; --kind temporal cannot resume it|temporal kind"):
        run_training(TrainRequest(str(split_dir), str(tmp_path / "cut"), "landmarks", True))
    assert whole.code == 0


def test_temporal_config_refuses_bad_ranges() -> None:
    with pytest.raises(ValueError, match="speed must be"):
        TemporalConfig(speed=(2.0, 1.0))
    with pytest.raises(ValueError, match="variants"):
        TemporalConfig(variants=0)


def test_the_live_window_reads_the_movement(run_dir: Path, split_dir: Path) -> None:
    from curation.clips import read_clip
    from sign_ml.predict import WINDOW_SECONDS, Predictor, WindowFrame

    predictor = Predictor.from_pretrained(run_dir)
    table = pd.read_csv(split_dir / "manifest.csv")
    path = table[(table["split"] == "validation") & (table["label"] == "J")]["path"].iloc[0]
    j = read_clip(path)
    start = j.landmarks[np.flatnonzero(j.hand_found)[0]]
    held = [WindowFrame(k / 30, start, "Right", j.width, j.height) for k in range(60)]  # 2 s of the I start
    moving = [
        WindowFrame(2.0 + float(t), None if np.isnan(m).any() else m, h, j.width, j.height)
        for t, m, h in zip(j.times, j.landmarks, j.handedness, strict=True)
    ]
    still_answer = predictor.predict_window(held)
    assert still_answer.top[0][0] == "I" and still_answer.frames > 1 and not still_answer.motion
    window = held + moving
    answer = predictor.predict_window(window)
    assert answer.top[0][0] == "J" and not answer.motion
    newest = window[-1].t  # frames older than the window's 1.5 s change nothing
    recent = [f for f in window if newest - f.t <= WINDOW_SECONDS]
    assert len(recent) < len(window)
    np.testing.assert_allclose(predictor.predict_window(recent).probs, answer.probs, atol=1e-6)
