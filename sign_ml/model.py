"""Model factory: torchvision's MobileNetV3-Large with the run's class count."""

from __future__ import annotations

import logging
import pickle

import torch
from torch import nn
from torchvision.models import MobileNet_V3_Large_Weights, mobilenet_v3_large

log = logging.getLogger(__name__)


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights could not be downloaded or found in torch's hub cache."""


def set_bn_momentum(model: nn.Module, momentum: float) -> nn.Module:
    """Set every BatchNorm layer's running-stat momentum (torchvision fixes 0.01 for MobileNetV3)."""
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.momentum = momentum
    return model


def build_model(
    num_classes: int, width_mult: float = 1.0, dropout: float = 0.2, weights: str = "none"
) -> nn.Module:
    """MobileNetV3-Large for `num_classes` classes.

    weights: "none" trains from scratch (the thesis); "imagenet" starts from torchvision's
    IMAGENET1K_V2 weights (downloaded once into torch's hub cache) with a fresh last layer.
    """
    if num_classes < 2:
        raise ValueError(f"need at least 2 classes, got {num_classes}")
    if weights == "none":
        return mobilenet_v3_large(num_classes=num_classes, width_mult=width_mult, dropout=dropout)
    if weights != "imagenet":
        raise ValueError(f"weights must be 'none' or 'imagenet', got {weights!r}")
    pretrained = MobileNet_V3_Large_Weights.IMAGENET1K_V2
    try:
        # torchvision's weights API (download once into torch's hub cache; the sha256 prefix in the
        # file name is checked on download only), but unpickled with weights_only=True, which
        # `mobilenet_v3_large(weights=...)` does not do
        state = pretrained.get_state_dict(progress=True, check_hash=True, weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as exc:  # URLError is an OSError
        cache = torch.hub.get_dir() + "/checkpoints/" + pretrained.url.rsplit("/", 1)[-1]
        raise WeightsUnavailableError(
            f"could not load ImageNet weights ({exc.__class__.__name__}: {exc}). "
            f"Connect to the internet once, or place the file at {cache}, or use weights='none'."
        ) from None
    model = mobilenet_v3_large(num_classes=len(pretrained.meta["categories"]), dropout=dropout)
    model.load_state_dict(state)
    last = model.classifier[-1]
    model.classifier[-1] = nn.Linear(last.in_features, num_classes)  # new head for our letters
    log.info("loaded ImageNet weights %s; new %d-class head", pretrained, num_classes)
    return model
