"""MobileNetV3 on hand crops: the training cache and the predictor crop the same way (planted hands)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import make_model_dir, train_argv
from test_landmark_train import CLASSES, planted_split, seed_cache

from curation.fileio import read_json
from curation.hand_cache import detection_from_column
from sign_ml.artifacts import read_meta, save_model_dir
from sign_ml.cli import main
from sign_ml.data import TensorCache, read_split_dir, split_hands
from sign_ml.predict import Predictor, softmax
from sign_ml.presets import decode_for_hands, hand_crop_uint8, to_uint8_array


def test_crop_cache_holds_exactly_the_hand_crops_and_drops_photos_without_a_hand(tmp_path):
    splits, by_path = planted_split(tmp_path, no_hand_in_test=2)
    test = read_split_dir(splits).splits["test"]
    hands = split_hands(test, splits)
    crops = TensorCache.build(test, 32, num_workers=1, progress=False, hands=hands, hand_margin=0.25)
    whole = TensorCache.build(test, 32, num_workers=1, progress=False)
    assert len(whole) == len(test) and len(crops) == len(test) - 2
    assert {reason for _, reason in crops.dropped} == {"no hand found"}
    k = 0
    path = crops.paths[k]
    expected = hand_crop_uint8(
        decode_for_hands(path), detection_from_column(hands[test.paths.index(path)]), 32, 0.25
    )
    np.testing.assert_array_equal(crops.images[k].permute(1, 2, 0).numpy(), expected)
    assert not np.array_equal(crops.images[k].numpy(), whole.images[whole.paths.index(path)].numpy())


@pytest.mark.slow
def test_image_kind_trains_and_predicts_on_crops(tmp_path):
    splits, by_path = planted_split(tmp_path)
    run = tmp_path / "run"
    flags = ("--hand-crop", "--epochs", "1", "--image-size", "32", "--width-mult", "0.25")
    assert (
        main(train_argv(splits, run, *flags, "--batch-size", "16", "--num-workers", "1", kind="image")) == 0
    )
    meta = read_json(run / "config.json")
    assert meta["kind"] == "image" and meta["train_config"]["hand_crop"] is True
    assert (run / "model.safetensors").is_file()


def test_crop_model_predicts_from_the_crop(tmp_path):
    splits, by_path = planted_split(tmp_path)
    seed_cache(by_path)
    # an untrained model with a spread-out head, so its answer depends on the pixels it is given
    model = make_model_dir(
        tmp_path / "model",
        class_names=CLASSES,
        size=32,
        train_config={"hand_crop": True, "hand_crop_margin": 0.25},
    )
    # a head of N(0, 1) weights over 1280 features saturates the softmax to one-hot for any input, so crop
    # and whole photo could both read [1, 0, 0]; a cooler head keeps the probabilities telling them apart
    with torch.no_grad():
        model.classifier[-1].weight.mul_(0.01)
        model.classifier[-1].bias.mul_(0.01)
    save_model_dir(tmp_path / "model", model, read_meta(tmp_path / "model"))
    predictor = Predictor.from_pretrained(tmp_path / "model", backend="torch")
    assert predictor.hand_crop
    paths = [p for p, d in by_path.items() if d.found][:3]
    # what the model reads is the crop: its output equals the model's output on hand_crop_uint8 of the photo
    crops = np.stack([hand_crop_uint8(decode_for_hands(p), by_path[p], 32, 0.25) for p in paths])
    predictions = list(predictor.predict_files(paths))
    assert [p.status for p in predictions] == ["ok"] * 3
    probs = np.stack([p.probs for p in predictions])
    np.testing.assert_allclose(probs, softmax(predictor.forward(crops)), atol=1e-6)
    whole = softmax(predictor.forward(np.stack([to_uint8_array(p, 32) for p in paths])))
    assert not np.allclose(probs, whole, atol=1e-4)
    assert sorted(predictor.class_names) == sorted(CLASSES)
