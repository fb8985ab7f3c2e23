"""The temporal kind: one model for still and moving letters, over a clip of any length (a photo is a clip
of one frame).

Input (`clip_rows`, defined once for training, evaluation, the predictor and the app): one row per frame
with a hand, (T, N_FEATURES + n_clip_features()) float32, each row the frame's landmark features
(`sign_ml.landmarks.features`: the handshape) followed by the clip's trajectory vector
(`sign_ml.trajectory.clip_features`: wrist and fingertip paths in the hand's own frame, the same on every
row). Carrying the trajectory on every row keeps the model's input one tensor with a dynamic time axis, so
the ONNX graph and the predictor's backends stay those of the other kinds. A clip with more than
`MAX_FRAMES` hand frames is subsampled evenly in time: the trajectory is already resampled to fixed steps,
the frames only need to show the handshape.

Model (`TemporalNet`): the per-frame features through a small layer, a residual 1-D convolution over time,
mean and max over time; the trajectory through its own layer; both into a small head. Standardization and
mirror symmetry (the logits are the mean of the clip's and its mirror image's, as the landmark MLP does,
with `landmarks.mirror_signs` and `trajectory.clip_mirror_signs`) are buffers inside the module, so the
ONNX export carries them. Training pads clips to a batch's longest and passes a mask; padded frames are
zeroed before the convolution, so a clip's logits do not depend on what it was batched with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from sign_ml.landmarks import FEATURE_VERSION, N_FEATURES, mirror_points, mirror_signs
from sign_ml.trajectory import (
    STEPS,
    TRAJECTORY_VERSION,
    clip_features,
    clip_mirror_signs,
    clip_points,
    hand_mask,
    n_clip_features,
)

HANDEDNESS_MODES = ("symmetric", "mirror_left", "as_is")
MAX_FRAMES = 48  # hand frames the model reads at most (1.6 s at 30 fps); longer clips are subsampled


def n_inputs(steps: int = STEPS) -> int:
    """Width of one input row: frame features, then the trajectory vector."""
    return N_FEATURES + n_clip_features(steps)


def input_signs(steps: int = STEPS) -> np.ndarray:
    """(n_inputs,) of ±1: a row of the mirrored clip is the row times this."""
    return np.concatenate([mirror_signs(), clip_mirror_signs(steps)]).astype(np.float32)


def clip_rows(
    points: np.ndarray,
    times: np.ndarray,
    steps: int = STEPS,
    max_frames: int = MAX_FRAMES,
    source: str = "clip",
) -> np.ndarray:
    """(T, 21, 3) pixel-space landmarks (NaN rows: no hand) and (T,) seconds → (T', n_inputs) float32 rows,
    T' = the hand frames, at most max_frames. ValueError (naming source) for a clip without a hand."""
    cf = clip_features(points, times, steps, source)
    frames = cf.frames
    if len(frames) > max_frames:  # evenly in time, first and last kept
        keep = np.unique(np.round(np.linspace(0, len(frames) - 1, max_frames)).astype(int))
        frames = frames[keep]
    vector = np.broadcast_to(cf.vector(), (len(frames), cf.vector().shape[0]))
    return np.ascontiguousarray(np.concatenate([frames, vector], axis=1), dtype=np.float32)


def clip_input(
    landmarks: np.ndarray,
    times: np.ndarray,
    width: int,
    height: int,
    handedness: Sequence[str | None],
    mirror_left: bool,
    steps: int = STEPS,
    max_frames: int = MAX_FRAMES,
    source: str = "clip",
) -> np.ndarray:
    """MediaPipe's normalized landmarks of a clip (T, 21, 3) → the model's rows. mirror_left: mirror the
    whole clip when most of its hand frames were called left hands (one clip, one hand: mirroring frame by
    frame would break its path where MediaPipe's call flickers)."""
    points = clip_points(landmarks, width, height)
    if mirror_left:
        calls = [h for h, found in zip(handedness, hand_mask(points), strict=True) if found and h]
        if calls and sum(h == "Left" for h in calls) * 2 > len(calls):
            points = mirror_points(points)
    return clip_rows(points, times, steps, max_frames, source)


class TemporalNet(nn.Module):
    """rows (B, T, n_inputs) [+ mask (B, T) bool, True on real frames] → logits (B, K)."""

    def __init__(
        self,
        num_classes: int,
        steps: int = STEPS,
        width: int = 128,
        dropout: float = 0.3,
        symmetric: bool = True,
    ):
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"need at least 2 classes, got {num_classes}")
        self.n_frame, self.n_traj = N_FEATURES, n_clip_features(steps)
        n = self.n_frame + self.n_traj
        self.symmetric = symmetric
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("std", torch.ones(n))
        self.register_buffer("signs", torch.from_numpy(input_signs(steps)))
        self.frame = nn.Sequential(nn.Linear(self.n_frame, width), nn.ReLU(), nn.Dropout(dropout))
        self.conv = nn.Conv1d(width, width, kernel_size=3, padding=1)
        self.traj = nn.Sequential(nn.Linear(self.n_traj, width), nn.ReLU())
        self.head = nn.Sequential(
            nn.Linear(3 * width, width), nn.ReLU(), nn.Dropout(dropout), nn.Linear(width, num_classes)
        )

    def set_standardization(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.mean.copy_(mean)
        # a feature that never varies (the wrist is the origin; a still's path) keeps its scale
        self.std.copy_(torch.where(std < 1e-4, torch.ones_like(std), std))

    def _logits(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        z = (x - self.mean) / self.std
        h = self.frame(z[..., : self.n_frame])  # (B, T, W)
        if mask is not None:
            m = mask.unsqueeze(-1).to(h.dtype)  # (B, T, 1)
            h = h * m  # padded frames are zeros, as the convolution's own padding
        h = h + torch.relu(self.conv(h.transpose(1, 2)).transpose(1, 2))  # (B, T, W)
        if mask is None:
            mean, peak = h.mean(dim=1), h.amax(dim=1)
        else:
            mean = (h * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)
            peak = h.masked_fill(m == 0, float("-inf")).amax(dim=1)
        t = self.traj(z[:, 0, self.n_frame :])  # (B, W): the trajectory is on every row; row 0 is real
        return self.head(torch.cat([mean, peak, t], dim=1))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        logits = self._logits(x, mask)
        if self.symmetric:
            logits = 0.5 * (logits + self._logits(x * self.signs, mask))
        return logits


def temporal_spec(width: int, dropout: float, handedness: str, steps: int = STEPS) -> dict[str, Any]:
    """What config.json's `landmarks` section records for the temporal kind: enough to rebuild the model
    and compute its input."""
    if handedness not in HANDEDNESS_MODES:
        raise ValueError(f"handedness must be one of {HANDEDNESS_MODES}, got {handedness!r}")
    return {
        "feature_version": FEATURE_VERSION,
        "trajectory_version": TRAJECTORY_VERSION,
        "n_features": N_FEATURES,
        "steps": int(steps),
        "n_inputs": n_inputs(steps),
        "max_frames": MAX_FRAMES,
        "width": int(width),
        "dropout": float(dropout),
        "handedness": handedness,
    }


def build_temporal_model(spec: dict[str, Any], num_classes: int) -> TemporalNet:
    """The model a temporal `landmarks` section describes (weights still to be loaded)."""
    versions = (int(spec.get("feature_version", 0)), int(spec.get("trajectory_version", 0)))
    if versions != (FEATURE_VERSION, TRAJECTORY_VERSION):
        raise ValueError(
            f"model uses landmark features v{versions[0]} and trajectories v{versions[1]}; "
            f"this version computes v{FEATURE_VERSION} and v{TRAJECTORY_VERSION}"
        )
    steps = int(spec.get("steps", STEPS))
    if not 2 <= steps <= 256 or not 1 <= int(spec["width"]) <= 4096:
        raise ValueError(f"steps {steps} or width {spec['width']} out of range")
    return TemporalNet(
        num_classes,
        steps,
        int(spec["width"]),
        float(spec["dropout"]),
        symmetric=spec.get("handedness") == "symmetric",
    )
