"""Preprocessing defined once: the evaluation transform used by training's validation,
`sign-ml evaluate`, the predictor and the app, and the uint8 layout of the training cache.

A photo becomes a model input in two steps:
1. `to_uint8(image, size)`: upright RGB, resized (not cropped, so the hand is never cut off)
   to size×size, as a uint8 CHW tensor. The training cache stores exactly this.
2. `normalize(uint8 batch)`: float, scaled to 0..1, minus mean, over std.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from curation.hands import DETECT_MAX_SIDE, HandDetection, crop_hand
from curation.images import ImageSource, load_rgb

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Preprocessing:
    size: int = 224  # px, square model input
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    resize: str = "squash"  # whole photo resized to size×size, aspect not kept

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["mean"], d["std"] = list(self.mean), list(self.std)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessing:
        return cls(
            size=int(data["size"]),
            mean=tuple(data["mean"]),
            std=tuple(data["std"]),
            resize=data.get("resize", "squash"),
        )


def resize_rgb(image: Image.Image, size: int) -> Image.Image:
    """The one resize used everywhere (training cache, evaluation, app)."""
    if image.size == (size, size):
        return image
    return image.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=3.0)


def to_uint8_array(source: ImageSource, size: int) -> np.ndarray:
    """Decode and resize one photo: uint8 array (size, size, 3), HWC. Raises UnreadableImageError."""
    # decode JPEGs at ≥ 2×size: the DCT draft is cheap and the final resize still antialiases
    image = (
        load_rgb(source, max_side=None)
        if isinstance(source, Image.Image)
        else load_rgb(source, max_side=2 * size)
    )
    return np.array(resize_rgb(image, size), dtype=np.uint8)  # a writable copy: torch.from_numpy needs one


def to_uint8(source: ImageSource, size: int) -> torch.Tensor:
    """Decode and resize one photo: uint8 tensor (3, size, size). Raises UnreadableImageError."""
    return torch.from_numpy(to_uint8_array(source, size)).permute(2, 0, 1).contiguous()


def decode_for_hands(source: ImageSource) -> Image.Image:
    """The one decode in front of the hand stage (training, evaluation, uploads and the app alike)."""
    return load_rgb(source, max_side=DETECT_MAX_SIDE)


def hand_crop_uint8(image: Image.Image, detection: HandDetection, size: int, margin: float) -> np.ndarray:
    """The hand crop of a `decode_for_hands` image, resized to the model input: uint8 (size, size, 3)."""
    return np.array(resize_rgb(crop_hand(image, detection.hand, margin=margin), size), dtype=np.uint8)


def normalize(batch_uint8: torch.Tensor, prep: Preprocessing) -> torch.Tensor:
    """uint8 (B, 3, H, W) → float (B, 3, H, W) normalised, on the batch's device."""
    mean = torch.tensor(prep.mean, device=batch_uint8.device).view(1, 3, 1, 1) * 255.0
    std = torch.tensor(prep.std, device=batch_uint8.device).view(1, 3, 1, 1) * 255.0
    return (batch_uint8.float() - mean) / std


def normalize_numpy(batch_hwc_uint8: np.ndarray, prep: Preprocessing) -> np.ndarray:
    """uint8 (B, H, W, 3) → float32 (B, 3, H, W) normalised: the ONNX Runtime input, no torch needed."""
    # transpose the uint8 first and work in place: 4x less memory traffic than float temporaries
    out = np.ascontiguousarray(batch_hwc_uint8.transpose(0, 3, 1, 2)).astype(np.float32)
    out -= (np.asarray(prep.mean, dtype=np.float32) * 255.0).reshape(1, 3, 1, 1)
    out *= (1.0 / (np.asarray(prep.std, dtype=np.float32) * 255.0)).reshape(1, 3, 1, 1)
    return out


def eval_tensor(source: ImageSource, prep: Preprocessing) -> torch.Tensor:
    """One photo → normalised float (1, 3, size, size), ready for the model."""
    return normalize(to_uint8(source, prep.size).unsqueeze(0), prep)
