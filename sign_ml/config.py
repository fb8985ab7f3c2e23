"""The training configurations: frozen dataclasses whose defaults are the recipes (the thesis for the CNN).

Both share `ConfigBase`: every field is coerced to its annotated type or refused by name when the
object is made (YAML reads `5e-4` as text: that becomes 5e-4, while `"two"` epochs is refused), each
class then checks its ranges, and files are read with errors that name the file and the field.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_INT = 2**31 - 1  # any whole-number setting; beyond it every count here is a typo
MAX_EPOCHS = 100_000
MAX_BATCH = 65_536  # photos per step: far beyond any GPU's memory at 224 px, and beyond a landmark set


class ConfigBase:
    """Typed coercion, range checks, file reading and serialisation for a frozen config dataclass."""

    def __post_init__(self) -> None:
        problems = []
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            try:
                object.__setattr__(self, f.name, _coerce(getattr(self, f.name), hints[f.name]))
            except (TypeError, ValueError) as exc:
                problems.append(f"{f.name}: {exc}")
        if not problems:  # ranges only make sense on values of the right type
            problems = self.range_problems()
        if problems:
            raise ValueError(f"invalid {type(self).__name__}: " + "; ".join(problems))

    def range_problems(self) -> list[str]:
        """What is out of range (empty when all is well); each class says its own."""
        return []

    def to_dict(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self))  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str | Path | None = None) -> Any:
        """Build from a mapping of field values; `source` (a file) is named in every error."""
        where = f"{source}: " if source is not None else ""
        if not isinstance(data, dict):
            raise ValueError(f"{where}expected a mapping of {cls.__name__} fields, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(map(str, data)) - known)
        if unknown:
            raise ValueError(f"{where}unknown {cls.__name__} field(s): {', '.join(unknown)}")
        try:
            return cls(**data)
        except ValueError as exc:
            raise ValueError(f"{where}{exc}") from None

    @classmethod
    def read_file(cls, path: str | Path) -> dict[str, Any]:
        """The fields a YAML or JSON file sets, coerced and range-checked; fields it does not name stay absent
        (so a partial file never resets the others to the defaults)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: config file not found")
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:  # a binary file given as the config
            raise ValueError(f"{path}: not a text file (not UTF-8 at byte {exc.start})") from None
        try:
            data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except RecursionError:  # `[[[[...` 100,000 deep: the parsers recurse once per level
            raise ValueError(f"{path}: nested too deeply to be a config file") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" at line {mark.line + 1}" if mark is not None else ""
            raise ValueError(
                f"{path}: not valid YAML ({getattr(exc, 'problem', None) or exc}{line})"
            ) from None
        data = {} if data is None else data
        checked = cls.from_dict(data, source=path)
        return {k: getattr(checked, k) for k in data}

    @classmethod
    def from_file(cls, path: str | Path, **overrides: Any) -> Any:
        """Read YAML or JSON (by extension), then apply overrides."""
        return cls.from_dict({**cls.read_file(path), **overrides}, source=path)

    def replace(self, **changes: Any) -> Any:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


def _count_problems(epochs: int, batch_size: int) -> list[str]:
    """epochs and batch_size, each named, in 1..its maximum."""
    problems = []
    if not 1 <= epochs <= MAX_EPOCHS:
        problems.append(f"epochs must be in 1..{MAX_EPOCHS:,}, got {epochs}")
    if not 1 <= batch_size <= MAX_BATCH:
        problems.append(f"batch_size must be in 1..{MAX_BATCH:,}, got {batch_size}")
    return problems


def _plain(obj: Any) -> Any:
    """Tuples as lists, recursively: what JSON and YAML write."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def _coerce(value: Any, hint: Any) -> Any:
    """`value` as the annotated type, or TypeError/ValueError saying what was expected."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise TypeError(f"expected true or false, got {value!r}")
    if hint is int:
        number_: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number_ = value
        elif isinstance(value, float) and value.is_integer():
            number_ = int(value)
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):
                number_ = int(value.strip())
        if number_ is None:
            raise TypeError(f"expected a whole number, got {value!r}")
        if abs(number_) > MAX_INT:  # torch and numpy take 64-bit integers: refuse here, not after decoding
            raise ValueError(f"{number_} is too large (at most {MAX_INT:,})")
        return number_
    if hint is float:
        number: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):  # PyYAML reads 5e-4 (no dot) as text
            try:
                number = float(value.strip())
            except ValueError:
                number = None
        if number is None:
            raise TypeError(f"expected a number, got {value!r}")
        if not math.isfinite(number):
            raise ValueError(f"expected a finite number, got {value!r}")
        return number
    if hint is str:
        if isinstance(value, str):
            return value
        raise TypeError(f"expected text, got {value!r}")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0]) for v in value)
        if len(value) != len(args):
            raise ValueError(f"expected {len(args)} values, got {list(value)!r}")
        return tuple(_coerce(v, a) for v, a in zip(value, args, strict=True))
    if origin is dict:
        if isinstance(value, dict):
            return value
        raise TypeError(f"expected a mapping, got {value!r}")
    return value


@dataclass(frozen=True)
class TrainConfig(ConfigBase):
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

    def range_problems(self) -> list[str]:
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
        problems += _count_problems(self.epochs, self.batch_size)
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
        if not 0.0 <= self.rotation_deg <= 180.0:
            problems.append(f"rotation_deg must be in [0, 180], got {self.rotation_deg}")
        if not 0.0 <= self.color_jitter <= 1.0:
            problems.append(f"color_jitter must be in [0, 1], got {self.color_jitter}")
        if not 0.0 <= self.label_smoothing < 1.0:
            problems.append(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.weight_decay < 0:
            problems.append(f"weight_decay must be ≥ 0, got {self.weight_decay}")
        for name in ("warmup_epochs", "early_stopping", "num_workers", "seed"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be ≥ 0, got {getattr(self, name)}")
        return problems


@dataclass(frozen=True)
class LandmarkConfig(ConfigBase):
    """Training configuration of the landmark model: a small MLP on features of MediaPipe's 21 hand landmarks.

    Defaults were chosen for a few hundred photos of one signer (the shared sample); README says how.
    """

    # --- features (sign_ml/landmarks.py) ---
    handedness: str = "symmetric"  # "symmetric": the model answers the same for a hand and its mirror image
    # (a left-handed signer reads like a right-handed one, whatever MediaPipe calls the hand) |
    # "mirror_left": mirror hands MediaPipe calls left | "as_is": use hands as seen
    # --- model ---
    hidden: tuple[int, ...] = (256, 128)  # hidden layer widths
    dropout: float = 0.3  # after each hidden layer
    # --- optimisation ---
    epochs: int = 300
    # "last": the annealed last epoch (chosen without the validation split, which often shows
    # only the training signers) | "best_val": the epoch with the best validation accuracy
    keep: str = "last"
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

    def range_problems(self) -> list[str]:
        problems = landmark_kind_problems(self)
        if not self.hidden or any(h < 1 for h in self.hidden):
            problems.append(f"hidden must be one or more positive widths, got {self.hidden}")
        return problems


def landmark_kind_problems(cfg: Any) -> list[str]:
    """The range checks of the fields both landmark-based kinds have, with the same meaning (LandmarkConfig,
    and `temporal_train.TemporalConfig`, which adds its own): the kept epoch, handedness, dropout, counts,
    the optimiser, the landmark-space augmentation and the seed."""
    problems = []
    if cfg.keep not in ("last", "best_val"):
        problems.append(f"keep must be last or best_val, got {cfg.keep!r}")
    if cfg.handedness not in ("symmetric", "mirror_left", "as_is"):
        problems.append(f"handedness must be symmetric, mirror_left or as_is, got {cfg.handedness!r}")
    if not 0.0 <= cfg.dropout < 1.0:
        problems.append(f"dropout must be in [0, 1), got {cfg.dropout}")
    problems += _count_problems(cfg.epochs, cfg.batch_size)
    if cfg.lr <= 0 or cfg.weight_decay < 0:
        problems.append("lr must be > 0 and weight_decay ≥ 0")
    if not 0.0 <= cfg.label_smoothing < 1.0:
        problems.append(f"label_smoothing must be in [0, 1), got {cfg.label_smoothing}")
    if not 0.0 <= cfg.rotation_deg <= 180.0 or not 0.0 <= cfg.tilt_deg <= 90.0:
        problems.append("rotation_deg must be in [0, 180] and tilt_deg in [0, 90]")
    if not 0.0 <= cfg.scale_jitter < 1.0 or not 0.0 <= cfg.noise <= 1.0:
        problems.append("scale_jitter must be in [0, 1) and noise in [0, 1]")
    if cfg.seed < 0:
        problems.append(f"seed must be ≥ 0, got {cfg.seed}")
    return problems
