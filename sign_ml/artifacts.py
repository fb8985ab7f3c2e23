"""The self-describing model directory.

A model directory holds everything needed to rebuild and use the model:
    model.safetensors   weights (fp32 or fp16; loaded as fp32)
    config.json         architecture, class names in order, preprocessing, train config, metrics
Training runs are model directories with more beside them (metrics.csv, curves.png,
checkpoints/, eval/). Loading never unpickles anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from curation.fileio import (  # noqa: F401  (the atomic writers are re-exported: callers import them from here)
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    atomic_write_with,
    first_line,
    read_json,
)
from sign_ml.model import build_model
from sign_ml.presets import Preprocessing

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
FORMAT_VERSION = 1
MAX_INPUT_SIDE = (
    1024  # px: the largest preprocessing.size a model directory may ask for (the thesis uses 224)
)
MAX_WIDTH_MULT = 4.0  # MobileNetV3 channel multiplier (1.0 in the thesis)
KINDS = ("image", "landmarks", "temporal")  # config.json's `kind`: the model module that rebuilds it
MAX_CLASSES = 10_000  # a fingerspelling alphabet has ~33; a bound keeps a forged config from sizing anything


@dataclass
class ModelMeta:
    """Everything in config.json."""

    class_names: list[str]
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    # "image": a CNN on pixels | "landmarks": an MLP on hand-landmark features | "temporal": a model over a
    # clip's landmarks and trajectory (a photo is a clip of one frame)
    kind: str = "image"
    landmarks: dict[str, Any] = field(default_factory=dict)  # landmark kinds: feature spec and layer widths
    arch: str = "mobilenet_v3_large"
    width_mult: float = 1.0
    dropout: float = 0.2
    train_config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)  # e.g. {"val_accuracy": .., "test_accuracy": ..}
    data: dict[str, Any] = field(default_factory=dict)  # data summary: source, split method, class counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "library": "ukrsl-dactyl",
            "kind": self.kind,
            "landmarks": self.landmarks,
            "arch": self.arch,
            "width_mult": self.width_mult,
            "dropout": self.dropout,
            "num_classes": len(self.class_names),
            "class_names": list(self.class_names),
            "preprocessing": self.preprocessing.to_dict(),
            "train_config": self.train_config,
            "metrics": self.metrics,
            "data": self.data,
        }

    def problems(self) -> list[str]:
        """What makes this config unusable (empty when it is fine)."""
        out = []
        if not self.class_names:
            out.append("class_names is empty")
        elif not all(isinstance(c, str) and c for c in self.class_names):
            bad = next(c for c in self.class_names if not isinstance(c, str) or not c)
            out.append(f"class_names must be a list of non-empty text, got {bad!r}")
        size = self.preprocessing.size
        if not isinstance(size, int) or not 1 <= size <= MAX_INPUT_SIDE:
            # the weights do not fix it (adaptive pooling), so a bound: 20000 px took 4.6 GB at start-up
            out.append(f"preprocessing.size must be a positive integer ≤ {MAX_INPUT_SIDE} px, got {size!r}")
        if not 0 < self.width_mult <= MAX_WIDTH_MULT:
            out.append(f"width_mult must be in (0, {MAX_WIDTH_MULT}], got {self.width_mult!r}")
        if len(self.class_names) > MAX_CLASSES:
            out.append(f"class_names has {len(self.class_names)} names; at most {MAX_CLASSES}")
        if (
            len(self.preprocessing.mean) != 3
            or len(self.preprocessing.std) != 3
            or min(self.preprocessing.std) <= 0
        ):
            out.append("preprocessing.mean and .std must be 3 numbers each, std > 0")
        if self.kind not in KINDS:
            out.append(f"kind must be one of {', '.join(map(repr, KINDS))}, got {self.kind!r}")
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelMeta:
        return cls(
            class_names=list(d["class_names"]),
            preprocessing=Preprocessing.from_dict(d["preprocessing"]),
            kind=d.get("kind", "image"),
            landmarks=d.get("landmarks", {}),
            arch=d.get("arch", "mobilenet_v3_large"),
            width_mult=float(d.get("width_mult", 1.0)),
            dropout=float(d.get("dropout", 0.2)),
            train_config=d.get("train_config", {}),
            metrics=d.get("metrics", {}),
            data=d.get("data", {}),
        )


def save_model_dir(out_dir: str | Path, model: nn.Module, meta: ModelMeta, half: bool = False) -> Path:
    """Write model.safetensors + config.json into `out_dir` (atomically, file by file)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = getattr(model, "module", model)  # unwrap DistributedDataParallel
    model = getattr(model, "_orig_mod", model)  # unwrap torch.compile
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    atomic_write_with(
        out_dir / MODEL_FILE,
        lambda tmp: save_file(state, tmp, metadata={"format": "pt", "library": "ukrsl-dactyl"}),
    )
    atomic_write_json(out_dir / CONFIG_FILE, meta.to_dict())
    return out_dir


def read_meta(model_dir: str | Path) -> ModelMeta:
    """config.json of a model directory; a missing, broken or incomplete file raises one line naming it."""
    path = Path(model_dir) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{model_dir}: no {CONFIG_FILE}; not a model directory")
    data = read_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(data).__name__}")
    try:
        meta = ModelMeta.from_dict(data)
    except KeyError as exc:
        raise ValueError(f"{path}: missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    problems = meta.problems()
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return meta


def _build(meta: ModelMeta) -> nn.Module:
    if meta.kind == "landmarks":
        from sign_ml.landmark_model import build_landmark_model

        return build_landmark_model(meta.landmarks, len(meta.class_names))
    if meta.kind == "temporal":
        from sign_ml.temporal_model import build_temporal_model

        return build_temporal_model(meta.landmarks, len(meta.class_names))
    return build_model(
        len(meta.class_names), width_mult=meta.width_mult, dropout=meta.dropout, weights="none"
    )


def check_shapes(model_dir: Path, meta: ModelMeta, weights: Path) -> None:
    """Refuse a config.json whose model would not be the one in the weights, before allocating anything.

    The model is built on PyTorch's "meta" device (shapes only, no memory) and its every tensor's shape is
    compared with the safetensors header (read without loading a tensor): a forged `hidden: [1000000, 128]`
    would otherwise allocate gigabytes before load_state_dict noticed.
    """
    config = model_dir / CONFIG_FILE
    try:
        with torch.device("meta"):
            expected = {k: tuple(v.shape) for k, v in _build(meta).state_dict().items()}
    except (TypeError, ValueError, KeyError, RuntimeError) as exc:
        raise ValueError(f"{config}: cannot build the model it describes ({first_line(exc)})") from None
    try:
        with safe_open(str(weights), framework="pt") as f:
            found = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118 (not a dict)
    except Exception as exc:  # safetensors raises its own error type for a truncated or garbled header
        raise ValueError(f"{weights}: not a readable safetensors file ({first_line(exc)})") from None
    misfit = f"{weights}: weights do not fit the model {CONFIG_FILE} describes"
    for key, shape in expected.items():
        if key not in found:
            raise ValueError(f"{misfit} (it has {key!r}, the file does not)")
        if found[key] != shape:
            raise ValueError(f"{misfit} ({key} would be {list(shape)}, the file holds {list(found[key])})")
    extra = sorted(set(found) - set(expected))
    if extra:
        raise ValueError(f"{misfit} (the file holds {extra[0]!r}, the model has no such tensor)")


def load_model_dir(model_dir: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, ModelMeta]:
    """Rebuild the model from a model directory, in eval mode, fp32. The config's sizes are checked
    against the weights' shapes (check_shapes) before the model is allocated."""
    model_dir = Path(model_dir)
    meta = read_meta(model_dir)
    weights = model_dir / MODEL_FILE
    if not weights.is_file():
        raise FileNotFoundError(f"{model_dir}: no {MODEL_FILE}")
    check_shapes(model_dir, meta, weights)
    model = _build(meta)
    try:
        state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(weights).items()}
    except Exception as exc:  # safetensors raises its own error type for a truncated or garbled file
        raise ValueError(f"{weights}: not a readable safetensors file ({first_line(exc)})") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ValueError(
            f"{weights}: weights do not fit the model {CONFIG_FILE} describes ({first_line(exc)})"
        ) from None
    return model.to(device).eval(), meta
