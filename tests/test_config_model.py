"""TrainConfig (thesis defaults, validation, files), the model factory, and the model directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from torchvision.models import MobileNet_V3_Large_Weights, mobilenet_v3_large

from sign_ml.artifacts import ModelMeta, load_model_dir, read_meta, save_model_dir
from sign_ml.config import TrainConfig
from sign_ml.model import WeightsUnavailableError, build_model, set_bn_momentum
from sign_ml.presets import Preprocessing


def test_defaults_are_the_thesis_recipe():
    cfg = TrainConfig()
    assert cfg.arch == "mobilenet_v3_large" and cfg.weights == "none"  # from scratch
    assert (cfg.batch_size, cfg.epochs, cfg.lr, cfg.betas, cfg.eps) == (50, 100, 5e-5, (0.9, 0.999), 1e-8)
    assert (cfg.dropout, cfg.width_mult, cfg.image_size) == (0.2, 1.0, 224)
    assert cfg.lr_schedule == "constant" and cfg.warmup_epochs == 0 and cfg.weight_decay == 0.0
    assert cfg.label_smoothing == 0.0 and cfg.early_stopping == 0
    assert cfg.hflip is False
    assert cfg.bn_momentum == 0.01  # torchvision's MobileNetV3 value: the thesis's model unchanged


@pytest.mark.parametrize(
    "changes",
    [
        {"dropout": 1.0},
        {"width_mult": 0},
        {"image_size": 16},
        {"epochs": 0},
        {"batch_size": 0},
        {"lr": 0},
        {"betas": (0.9, 1.0)},
        {"lr_schedule": "step"},
        {"precision": "fp16"},
        {"cache": "disk"},
        {"weights": "imagenet", "width_mult": 0.5},
        {"crop_scale_min": 0.0},
        {"arch": "resnet50"},
        {"bn_momentum": 0.0},
        {"bn_momentum": 1.5},
    ],
)
def test_invalid_values_raise(changes):
    with pytest.raises(ValueError, match="invalid TrainConfig"):
        TrainConfig(**changes)


def test_unknown_field_raises():
    with pytest.raises(ValueError, match="unknown TrainConfig field"):
        TrainConfig.from_dict({"learning_rate": 1e-3})


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_file_round_trip(tmp_path, suffix):
    cfg = TrainConfig(epochs=7, lr=1e-3, betas=(0.8, 0.99), hflip=True, extra={"note": "ukr"})
    path = tmp_path / f"cfg{suffix}"
    text = (
        json.dumps(cfg.to_dict()) if suffix == ".json" else yaml.safe_dump(cfg.to_dict(), allow_unicode=True)
    )
    path.write_text(text, encoding="utf-8")
    assert TrainConfig.from_file(path) == cfg
    assert TrainConfig.from_file(path, epochs=3) == cfg.replace(epochs=3)


def test_model_output_shape_and_finite():
    torch.manual_seed(0)
    model = build_model(5, width_mult=0.25, dropout=0.2).eval()
    with torch.no_grad():
        out = model(torch.randn(3, 3, 64, 64))
    assert out.shape == (3, 5) and torch.isfinite(out).all()
    assert model.classifier[-2].p == 0.2  # dropout before the last linear layer


def test_model_rejects_bad_arguments():
    with pytest.raises(ValueError):
        build_model(1)
    with pytest.raises(ValueError):
        build_model(3, weights="coco")


def _seed_hub_cache(torch_home: Path) -> dict[str, torch.Tensor]:
    """Put an (untrained) 1000-class state dict where torchvision's weights API looks for the download."""
    url = MobileNet_V3_Large_Weights.IMAGENET1K_V2.url
    target = torch_home / "hub" / "checkpoints" / url.rsplit("/", 1)[-1]
    target.parent.mkdir(parents=True)
    torch.manual_seed(123)
    state = mobilenet_v3_large(num_classes=1000).state_dict()
    torch.save(state, target)
    return state


def test_imagenet_weights_unavailable_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))

    def no_network(url, dst, *args, **kwargs):  # what urllib raises offline; never touches the network
        raise OSError(f"<urlopen error> {url}")

    monkeypatch.setattr("torch.hub.download_url_to_file", no_network)
    with pytest.raises(WeightsUnavailableError, match="place the file at .*mobilenet_v3_large-"):
        build_model(26, weights="imagenet")


def test_imagenet_weights_load_from_seeded_hub_cache(tmp_path, monkeypatch):
    # torchvision passes check_hash=True, but torch.hub verifies the sha256 prefix in the file name only
    # when it downloads; a file already in the cache is loaded as is (here with weights_only=True)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr("torch.hub.download_url_to_file", lambda *a, **k: pytest.fail("tried to download"))
    seeded = _seed_hub_cache(tmp_path / "torch")
    model = build_model(26, weights="imagenet", dropout=0.3)
    loaded = model.state_dict()
    head = {"classifier.3.weight", "classifier.3.bias"}
    assert set(loaded) == set(seeded)
    for key, value in seeded.items():
        if key in head:
            assert loaded[key].shape[0] == 26  # the new head for our letters
        else:
            assert torch.equal(loaded[key], value), key
    assert model.classifier[-2].p == 0.3


def test_model_dir_reload_gives_identical_logits(tmp_path):
    torch.manual_seed(0)
    model = build_model(4, width_mult=0.25).eval()
    meta = ModelMeta(
        class_names=["а", "б", "в", "г"],
        preprocessing=Preprocessing(size=64),
        width_mult=0.25,
        train_config=TrainConfig(width_mult=0.25, image_size=64).to_dict(),
        metrics={"best_val_accuracy": 0.5},
    )
    save_model_dir(tmp_path / "run", model, meta)
    reloaded, meta2 = load_model_dir(tmp_path / "run")
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(model(x), reloaded(x))
    assert meta2.class_names == meta.class_names and meta2.preprocessing == meta.preprocessing
    assert read_meta(tmp_path / "run").metrics == {"best_val_accuracy": 0.5}
    assert TrainConfig.from_dict(meta2.train_config) == TrainConfig(width_mult=0.25, image_size=64)


def test_bn_momentum_reaches_every_batchnorm_layer():
    model = build_model(4, width_mult=0.25)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and {m.momentum for m in norms} == {0.01}  # torchvision's default
    set_bn_momentum(model, 0.1)
    assert {m.momentum for m in norms} == {0.1}
