"""The landmark model: a small MLP on `sign_ml.landmarks` features, mirror-symmetric by construction.

Feature standardization (mean, std from the training set) and the mirror symmetrization live inside the
module as buffers, so the ONNX export and every caller get them without a second copy of the logic.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from sign_ml.landmarks import FEATURE_VERSION, N_FEATURES, mirror_signs

HANDEDNESS_MODES = ("symmetric", "mirror_left", "as_is")


class LandmarkMLP(nn.Module):
    """features (B, F) → logits (B, K).

    symmetric: the logits are the mean of the logits for the hand and for its mirror image, so a left hand
    and a right hand making the same shape get exactly the same answer.
    """

    def __init__(
        self,
        n_features: int,
        num_classes: int,
        hidden: tuple[int, ...] = (256, 128),
        dropout: float = 0.3,
        symmetric: bool = True,
    ):
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"need at least 2 classes, got {num_classes}")
        self.symmetric = symmetric
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))
        self.register_buffer(
            "signs", torch.from_numpy(mirror_signs()) if n_features == N_FEATURES else torch.ones(n_features)
        )
        layers: list[nn.Module] = []
        width = n_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.BatchNorm1d(h), nn.ReLU(inplace=True), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def set_standardization(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.mean.copy_(mean)
        # a feature that never varies (the wrist is the origin) keeps its scale: dividing by ~0 would blow up
        # any noise in it into huge activations
        self.std.copy_(torch.where(std < 1e-4, torch.ones_like(std), std))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.net((x - self.mean) / self.std)
        if self.symmetric:
            logits = 0.5 * (logits + self.net((x * self.signs - self.mean) / self.std))
        return logits


def landmark_spec(hidden: tuple[int, ...], dropout: float, handedness: str) -> dict[str, Any]:
    """What config.json's `landmarks` section records: enough to rebuild the model and its features."""
    if handedness not in HANDEDNESS_MODES:
        raise ValueError(f"handedness must be one of {HANDEDNESS_MODES}, got {handedness!r}")
    return {
        "feature_version": FEATURE_VERSION,
        "n_features": N_FEATURES,
        "hidden": [int(h) for h in hidden],
        "dropout": float(dropout),
        "handedness": handedness,
    }


def build_landmark_model(spec: dict[str, Any], num_classes: int) -> LandmarkMLP:
    """The model a `landmarks` section describes (weights still to be loaded)."""
    version = int(spec.get("feature_version", 0))
    if version != FEATURE_VERSION:
        raise ValueError(f"model uses landmark features v{version}; this version computes v{FEATURE_VERSION}")
    return LandmarkMLP(
        int(spec["n_features"]),
        num_classes,
        tuple(int(h) for h in spec["hidden"]),
        float(spec["dropout"]),
        symmetric=spec.get("handedness") == "symmetric",
    )
