"""Training augmentation, batched on the training device (the GPU when there is one).

One `grid_sample` moves the whole batch: per photo a random resized crop (area fraction
`crop_scale_min`..1, mild aspect change), a rotation of ±`rotation_deg`, and (only if
`hflip`) a horizontal mirror. Then per-photo colour jitter (brightness, contrast, saturation).
Parameters are drawn on the CPU from a seeded `torch.Generator`, so a batch's augmentation is
the same on any device and is reproduced exactly after `--resume`.

Horizontal flip is OFF by default: a mirrored photo shows the other signing hand (a left-handed
signer), and for some letters the mirrored hand shape reads as a different sign.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from sign_ml.presets import Preprocessing, normalize

_GRAY = (0.299, 0.587, 0.114)  # ITU-R 601 luma, as torchvision's rgb_to_grayscale


@dataclass(frozen=True)
class AugmentParams:
    """The augmentation recipe (a slice of TrainConfig)."""

    crop_scale_min: float = 0.7  # random resized crop keeps at least this fraction of the area
    aspect: tuple[float, float] = (0.8, 1.25)  # crop width/height ratio range (mild: hands keep their shape)
    rotation_deg: float = 10.0  # ± degrees
    color_jitter: float = 0.2  # brightness/contrast/saturation factors in 1 ± this
    hflip: bool = False  # mirrors the signing hand; off by default

    @classmethod
    def from_config(cls, cfg) -> AugmentParams:  # cfg: TrainConfig (not imported: keeps this module pure)
        return cls(
            crop_scale_min=cfg.crop_scale_min,
            rotation_deg=cfg.rotation_deg,
            color_jitter=cfg.color_jitter,
            hflip=cfg.hflip,
        )


def affine_matrices(batch: int, params: AugmentParams, generator: torch.Generator) -> torch.Tensor:
    """Per-photo 2×3 matrices (B, 2, 3) mapping output to input coordinates in [-1, 1] (for affine_grid)."""
    u = torch.rand(batch, 5, generator=generator, dtype=torch.float64)
    scale = params.crop_scale_min + (1.0 - params.crop_scale_min) * u[:, 0]  # area fraction
    log_lo, log_hi = math.log(params.aspect[0]), math.log(params.aspect[1])
    ratio = torch.exp(log_lo + (log_hi - log_lo) * u[:, 1])  # width / height
    w = torch.sqrt(scale * ratio).clamp(max=1.0)  # crop half-extent, as a fraction of the image
    h = torch.sqrt(scale / ratio).clamp(max=1.0)
    cx = (1.0 - w) * (2.0 * u[:, 2] - 1.0)  # crop centre, keeping the crop inside the photo
    cy = (1.0 - h) * (2.0 * u[:, 3] - 1.0)
    angle = torch.deg2rad(params.rotation_deg * (2.0 * u[:, 4] - 1.0))
    flip = torch.ones(batch, dtype=torch.float64)
    if params.hflip:
        flip = torch.where(torch.rand(batch, generator=generator) < 0.5, -1.0, 1.0).double()
    cos, sin = torch.cos(angle), torch.sin(angle)
    # input = centre + R(angle) · diag(w·flip, h) · output   (square images, so no aspect correction)
    theta = torch.stack(
        [
            torch.stack([cos * w * flip, -sin * h, cx], dim=1),
            torch.stack([sin * w * flip, cos * h, cy], dim=1),
        ],
        dim=1,
    )
    return theta.float()  # (B, 2, 3)


def jitter_factors(batch: int, strength: float, generator: torch.Generator) -> torch.Tensor:
    """(B, 3) brightness, contrast, saturation factors, uniform in [1 - strength, 1 + strength]."""
    u = torch.rand(batch, 3, generator=generator)
    return 1.0 + strength * (2.0 * u - 1.0)


def color_jitter(images: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
    """Float images (B, 3, H, W) in 0..255 with per-photo brightness/contrast/saturation applied."""
    # brightness (x·b), contrast (m + c·(x - m), m = mean luma) and saturation (g + s·(x - g), g = luma
    # per pixel) are all linear in the colour vector, so together they are one per-photo 3×3 matrix
    # plus an offset: out = b·c·S·x + (1 - c)·b·m, with S = s·I + (1 - s)·1·wᵀ (S·1 = 1 as Σw = 1).
    # One batched matmul instead of ten full-size passes; the same result as applying them in turn.
    batch, _, h, w = images.shape
    f = factors.to(device=images.device, dtype=images.dtype)
    b, c, s = f[:, 0], f[:, 1], f[:, 2]  # (B,)
    weights = torch.tensor(_GRAY, device=images.device, dtype=images.dtype)  # (3,)
    eye, ones = torch.eye(3, device=images.device, dtype=images.dtype), torch.ones(3, 1, device=images.device)
    sat = s.view(-1, 1, 1) * eye + (1.0 - s).view(-1, 1, 1) * (ones * weights)  # (B, 3, 3)
    matrix = (b * c).view(-1, 1, 1) * sat
    mean_luma = images.mean((2, 3)) @ weights  # (B,)
    offset = ((1.0 - c) * b * mean_luma).view(-1, 1, 1).expand(batch, 3, 1)  # (B, 3, 1)
    x = torch.baddbmm(offset, matrix, images.reshape(batch, 3, h * w))  # (B, 3, H·W)
    return x.view(batch, 3, h, w).clamp_(0.0, 255.0)


def augment_batch(images: torch.Tensor, params: AugmentParams, generator: torch.Generator) -> torch.Tensor:
    """uint8 or float (B, 3, S, S) in 0..255 → augmented float32 (B, 3, S, S) in 0..255, on the same device."""
    batch = images.shape[0]
    x = images.float()
    theta = affine_matrices(batch, params, generator).to(x.device, non_blocking=True)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # "border": corners uncovered by a rotation repeat the background instead of turning black
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if params.color_jitter > 0:
        x = color_jitter(
            x, jitter_factors(batch, params.color_jitter, generator).to(x.device, non_blocking=True)
        )
    return x


def train_inputs(
    images: torch.Tensor,
    prep: Preprocessing,
    params: AugmentParams | None,
    generator: torch.Generator | None,
    channels_last: bool = True,
) -> torch.Tensor:
    """uint8 batch → the model's normalised float input (augmented when `params` is given)."""
    x = augment_batch(images, params, generator) if params is not None else images
    x = normalize(x, prep)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x
