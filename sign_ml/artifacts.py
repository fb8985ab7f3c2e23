"""The self-describing model directory, and crash-safe file writes.

A model directory holds everything needed to rebuild and use the model:
    model.safetensors   weights (fp32 or fp16; loaded as fp32)
    config.json         architecture, class names in order, preprocessing, train config, metrics
Training runs are model directories with more beside them (metrics.csv, curves.png,
checkpoints/, eval/). Loading never unpickles anything.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from sign_ml.model import build_model
from sign_ml.presets import Preprocessing

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
FORMAT_VERSION = 1


@dataclass
class ModelMeta:
    """Everything in config.json."""

    class_names: list[str]
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    kind: str = "image"  # "image": a CNN on pixels | "landmarks": an MLP on hand-landmark features
    landmarks: dict[str, Any] = field(default_factory=dict)  # landmark kind: feature spec and layer widths
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


def _umask_mode() -> int:
    """Permissions a plainly created file gets (mkstemp makes 0600, too private for a shared model)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def atomic_torch_save(obj: Any, path: str | Path) -> None:
    """torch.save through a temporary file (checkpoints survive a crash mid-write)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model_dir(out_dir: str | Path, model: nn.Module, meta: ModelMeta, half: bool = False) -> Path:
    """Write model.safetensors + config.json into `out_dir` (atomically, file by file)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = getattr(model, "module", model)  # unwrap DistributedDataParallel
    model = getattr(model, "_orig_mod", model)  # unwrap torch.compile
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".model.", suffix=".tmp")
    os.close(fd)
    try:
        save_file(state, tmp, metadata={"format": "pt", "library": "ukrsl-dactyl"})
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, out_dir / MODEL_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    atomic_write_json(out_dir / CONFIG_FILE, meta.to_dict())
    return out_dir


def read_meta(model_dir: str | Path) -> ModelMeta:
    path = Path(model_dir) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{model_dir}: no {CONFIG_FILE}; not a model directory")
    return ModelMeta.from_dict(json.loads(path.read_text(encoding="utf-8")))


def load_model_dir(model_dir: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, ModelMeta]:
    """Rebuild the model from a model directory, in eval mode, fp32."""
    model_dir = Path(model_dir)
    meta = read_meta(model_dir)
    weights = model_dir / MODEL_FILE
    if not weights.is_file():
        raise FileNotFoundError(f"{model_dir}: no {MODEL_FILE}")
    if meta.kind == "landmarks":
        from sign_ml.landmark_model import build_landmark_model

        model = build_landmark_model(meta.landmarks, len(meta.class_names))
    else:
        model = build_model(len(meta.class_names), width_mult=meta.width_mult, dropout=meta.dropout, weights="none")
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(weights).items()}
    model.load_state_dict(state)
    return model.to(device).eval(), meta
