"""The training configuration: one frozen dataclass whose defaults are the thesis recipe."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class TrainConfig:
    # --- model (thesis: torchvision MobileNetV3-Large, from scratch) ---
    arch: str = "mobilenet_v3_large"
    hand_crop: bool = False  # train and predict on the hand stage's crop instead of the whole photo
    hand_crop_margin: float = 0.25  # crop box = hand box grown by this fraction of its longer side, each way
    width_mult: float = 1.0  # channel multiplier; 1.0 in the thesis
    dropout: float = 0.2  # before the last linear layer
    weights: str = "none"  # "none" = from scratch (thesis) | "imagenet" = torchvision's IMAGENET1K_V2
    # --- input ---
    image_size: int = 224  # px, square; photos are resized (not cropped) to it
    # --- optimisation (thesis: Adam, constant lr, cross-entropy) ---
    epochs: int = 100
    batch_size: int = 50
    lr: float = 5e-5
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    label_smoothing: float = 0.0  # cross-entropy smoothing; 0 = plain cross-entropy (thesis)
    bn_momentum: float = 0.01  # BatchNorm running-stat update rate; 0.01 is torchvision's MobileNetV3 value.
    # On a few hundred photos from scratch the weights move faster than 0.01 lets the running stats follow,
    # and evaluation (which uses them) lags far behind training: raise it (0.1) for small sets
    lr_schedule: str = "constant"  # "constant" (thesis) | "cosine" | "onecycle"
    warmup_epochs: int = 0  # linear warm-up before the schedule
    early_stopping: int = 0  # stop after this many epochs without a better val accuracy; 0 = off
    # --- augmentation (train split only) ---
    augment: bool = True
    crop_scale_min: float = 0.7  # random resized crop keeps at least this fraction of the area
    rotation_deg: float = 10.0  # ± degrees
    color_jitter: float = 0.2  # brightness/contrast/saturation strength
    hflip: bool = False  # off: a mirrored photo shows the other signing hand, which can change the letter
    # --- runtime ---
    seed: int = 0
    device: str = "auto"  # "auto" (cuda if available) | "cpu" | "cuda" | "cuda:1" ...
    precision: str = "auto"  # "auto" (bf16 autocast on CUDA, fp32 on CPU) | "fp32" | "bf16"
    channels_last: bool = True  # faster convolutions on GPU and on CPU (oneDNN)
    compile: bool = False  # torch.compile the model (CUDA; minutes of warm-up)
    num_workers: int = 2  # decode workers for building the tensor cache
    cache: str = "memory"  # "memory" | "mmap": where decoded uint8 photos live during training
    out_dir: str = "runs/latest"
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes saved with the run

    def __post_init__(self) -> None:
        problems = []
        if self.arch != "mobilenet_v3_large":
            problems.append(f"arch must be 'mobilenet_v3_large', got {self.arch!r}")
        if self.weights not in ("none", "imagenet"):
            problems.append(f"weights must be 'none' or 'imagenet', got {self.weights!r}")
        if self.weights == "imagenet" and self.width_mult != 1.0:
            problems.append("ImageNet weights exist only for width_mult=1.0")
        if not 0.0 < self.bn_momentum <= 1.0:
            problems.append(f"bn_momentum must be in (0, 1], got {self.bn_momentum}")
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout must be in [0, 1), got {self.dropout}")
        if self.width_mult <= 0:
            problems.append(f"width_mult must be > 0, got {self.width_mult}")
        if self.image_size < 32:
            problems.append(f"image_size must be ≥ 32, got {self.image_size}")
        if self.epochs < 1 or self.batch_size < 1:
            problems.append("epochs and batch_size must be ≥ 1")
        if self.lr <= 0 or self.eps <= 0:
            problems.append("lr and eps must be > 0")
        if len(self.betas) != 2 or not all(0.0 <= b < 1.0 for b in self.betas):
            problems.append(f"betas must be two numbers in [0, 1), got {self.betas}")
        if self.lr_schedule not in ("constant", "cosine", "onecycle"):
            problems.append(f"lr_schedule must be constant, cosine or onecycle, got {self.lr_schedule!r}")
        if self.precision not in ("auto", "fp32", "bf16"):
            problems.append(f"precision must be auto, fp32 or bf16, got {self.precision!r}")
        if self.cache not in ("memory", "mmap"):
            problems.append(f"cache must be memory or mmap, got {self.cache!r}")
        if not 0.0 <= self.hand_crop_margin <= 2.0:
            problems.append(f"hand_crop_margin must be in [0, 2], got {self.hand_crop_margin}")
        if not 0.0 < self.crop_scale_min <= 1.0:
            problems.append(f"crop_scale_min must be in (0, 1], got {self.crop_scale_min}")
        if problems:
            raise ValueError("invalid TrainConfig: " + "; ".join(problems))

    # --- serialisation ---
    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s): {', '.join(unknown)}")
        data = dict(data)
        if "betas" in data:
            data["betas"] = tuple(float(b) for b in data["betas"])
        return cls(**data)

    @classmethod
    def from_file(cls, path: str | Path, **overrides: Any) -> TrainConfig:
        """Read YAML or JSON (by extension), then apply overrides."""
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text) or {}
        return cls.from_dict({**data, **overrides})

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class LandmarkConfig:
    """Training configuration of the landmark model: a small MLP on features of MediaPipe's 21 hand landmarks.

    Defaults were chosen for a few hundred photos of one signer (the shared sample); README says how.
    """

    # --- features (sign_ml/landmarks.py) ---
    mirror_left: bool = True  # mirror left hands into right hands, so a left-handed signer reads the same
    # --- model ---
    hidden: tuple[int, ...] = (256, 128)  # hidden layer widths
    dropout: float = 0.3  # after each hidden layer
    # --- optimisation ---
    epochs: int = 300
    batch_size: int = 64
    lr: float = 3e-3  # AdamW
    weight_decay: float = 1e-3
    label_smoothing: float = 0.1
    # --- landmark-space augmentation (train split only) ---
    augment: bool = True
    rotation_deg: float = 15.0  # ± in-plane rotation of the whole hand
    tilt_deg: float = 20.0  # ± rotation about the vertical and horizontal axes (another camera angle)
    scale_jitter: float = 0.1  # ± relative change of the hand's proportions along x and y
    noise: float = 0.02  # std of per-landmark jitter, in hand sizes
    # --- runtime ---
    seed: int = 0
    out_dir: str = "runs/latest"
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes saved with the run

    def __post_init__(self) -> None:
        problems = []
        if not self.hidden or any(int(h) < 1 for h in self.hidden):
            problems.append(f"hidden must be one or more positive widths, got {self.hidden}")
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout must be in [0, 1), got {self.dropout}")
        if self.epochs < 1 or self.batch_size < 1:
            problems.append("epochs and batch_size must be ≥ 1")
        if self.lr <= 0 or self.weight_decay < 0:
            problems.append("lr must be > 0 and weight_decay ≥ 0")
        if not 0.0 <= self.label_smoothing < 1.0:
            problems.append(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if not 0.0 <= self.rotation_deg <= 180.0 or not 0.0 <= self.tilt_deg <= 90.0:
            problems.append("rotation_deg must be in [0, 180] and tilt_deg in [0, 90]")
        if not 0.0 <= self.scale_jitter < 1.0 or not 0.0 <= self.noise <= 1.0:
            problems.append("scale_jitter must be in [0, 1) and noise in [0, 1]")
        if problems:
            raise ValueError("invalid LandmarkConfig: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LandmarkConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown LandmarkConfig field(s): {', '.join(unknown)}")
        data = dict(data)
        if "hidden" in data:
            data["hidden"] = tuple(int(h) for h in data["hidden"])
        return cls(**data)

    @classmethod
    def from_file(cls, path: str | Path, **overrides: Any) -> LandmarkConfig:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text) or {}
        return cls.from_dict({**data, **overrides})

    def replace(self, **changes: Any) -> LandmarkConfig:
        return dataclasses.replace(self, **changes)
