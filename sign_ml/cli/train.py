"""`sign-ml train --data SPLITS --out RUN`: train the landmark model or MobileNetV3-Large.

`--kind auto` (default) trains the landmark model (an MLP on MediaPipe hand landmarks, seconds on a CPU)
when the training split has fewer than 10,000 photos, else MobileNetV3-Large with the thesis recipe;
`--kind landmarks` / `--kind image` choose explicitly.

Configuration precedence: the TrainConfig defaults (thesis) < RUN/train_config.json when resuming
< --config FILE < flags given on the command line. Multi-GPU:
`torchrun --nproc_per_node 8 "$(which sign-ml)" train --data SPLITS --out RUN`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from curation.fileio import read_json
from sign_ml.config import LandmarkConfig, TrainConfig

KINDS = ("auto", "landmarks", "image")
AUTO_IMAGE_MIN_PHOTOS = 10_000  # below this many training photos, a CNN from scratch learns rooms, not hands

# flag → (TrainConfig field, type, help); every one defaults to "not given" so the file's value stays
_FLAGS: dict[str, tuple[str, type, str]] = {
    "--epochs": ("epochs", int, "epochs (thesis 100)"),
    "--batch-size": ("batch_size", int, "global batch size (thesis 50)"),
    "--lr": ("lr", float, "Adam learning rate (thesis 5e-5)"),
    "--weight-decay": ("weight_decay", float, "Adam weight decay (thesis 0)"),
    "--image-size": ("image_size", int, "input size in px (thesis 224)"),
    "--width-mult": ("width_mult", float, "MobileNetV3 width multiplier (thesis 1.0)"),
    "--dropout": ("dropout", float, "dropout before the last layer (thesis 0.2)"),
    "--weights": ("weights", str, "none (from scratch, thesis) | imagenet"),
    "--lr-schedule": ("lr_schedule", str, "constant (thesis) | cosine | onecycle"),
    "--warmup-epochs": ("warmup_epochs", int, "linear LR warm-up epochs"),
    "--label-smoothing": ("label_smoothing", float, "cross-entropy label smoothing"),
    "--bn-momentum": (
        "bn_momentum",
        float,
        "BatchNorm running-stat momentum (torchvision 0.01; 0.1 for small sets)",
    ),
    "--early-stopping": (
        "early_stopping",
        int,
        "stop after N epochs without a better val accuracy (0 = off)",
    ),
    "--device": ("device", str, "auto | cpu | cuda | cuda:N"),
    "--precision": ("precision", str, "auto (bf16 on CUDA) | fp32 | bf16"),
    "--seed": ("seed", int, "random seed"),
    "--num-workers": ("num_workers", int, "processes decoding photos into the cache"),
    "--cache": ("cache", str, "memory | mmap: where decoded photos live"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="split directory (from `sign-curate split`)")
    parser.add_argument("--out", required=True, help="run directory to write (or to resume)")
    parser.add_argument("--config", help="YAML or JSON file of TrainConfig fields")
    parser.add_argument("--resume", action="store_true", help="continue RUN exactly from checkpoints/last.pt")
    parser.add_argument(
        "--kind",
        choices=KINDS,
        default="auto",
        help="landmarks (MLP on hand landmarks) | image (MobileNetV3-Large) | auto: landmarks "
        f"below {AUTO_IMAGE_MIN_PHOTOS:,} training photos (default)",
    )
    parser.add_argument(
        "--hand-crop",
        dest="hand_crop",
        action="store_true",
        default=argparse.SUPPRESS,
        help="image kind: train and predict on the hand crop instead of the whole photo",
    )
    for flag, (dest, kind, help_text) in _FLAGS.items():
        parser.add_argument(flag, dest=dest, type=kind, default=argparse.SUPPRESS, help=help_text)
    parser.add_argument(
        "--hflip",
        dest="hflip",
        action="store_true",
        default=argparse.SUPPRESS,
        help="random horizontal flips (mirrors the signing hand; off in the thesis)",
    )
    parser.add_argument(
        "--no-augment",
        dest="augment",
        action="store_false",
        default=argparse.SUPPRESS,
        help="no augmentation at all",
    )
    parser.add_argument(
        "--compile",
        dest="compile",
        action="store_true",
        default=argparse.SUPPRESS,
        help="torch.compile the model (CUDA; minutes of warm-up)",
    )


def resolve_config(args: argparse.Namespace) -> TrainConfig:
    """Defaults < RUN/train_config.json (on --resume) < --config < explicit flags."""
    data: dict[str, Any] = {}
    saved = Path(args.out) / "train_config.json"
    if args.resume and saved.is_file():
        data.update(TrainConfig.read_file(saved))
    if args.config:  # only the fields the file names: the others keep the run's (or the default) values
        data.update(TrainConfig.read_file(args.config))
    fields = [dest for dest, _, _ in _FLAGS.values()] + ["hflip", "augment", "compile", "hand_crop"]
    data.update({k: getattr(args, k) for k in fields if hasattr(args, k)})
    data["out_dir"] = str(args.out)
    return TrainConfig.from_dict(data)  # the file's own values were checked by read_file, naming it


def choose_kind(args: argparse.Namespace) -> str:
    """The model kind to train: as asked, or for `auto` by the size of the training split.

    On --resume the run's own kind (config.json), and a --kind that differs from it is refused."""
    if args.resume:
        saved, last = Path(args.out) / "config.json", Path(args.out) / "checkpoints" / "last.pt"
        if saved.is_file():
            kind = read_json(saved).get("kind", "image")
        elif last.is_file():  # an image run stopped before its first epoch ended: the only run without one
            kind = "image"
        else:
            raise FileNotFoundError(f"{last}: nothing to resume (no run in {args.out})")
        if args.kind not in ("auto", kind):
            raise ValueError(f"{args.out} is a run of the {kind} kind; --kind {args.kind} cannot resume it")
        return kind
    if args.kind != "auto":
        return args.kind
    from sign_ml.data import read_split_dir

    n_train = len(read_split_dir(args.data).splits["train"])
    kind = "landmarks" if n_train < AUTO_IMAGE_MIN_PHOTOS else "image"
    print(f"model kind: {kind} ({n_train:,} training photos; --kind image|landmarks to choose)")
    return kind


def resolve_landmark_config(args: argparse.Namespace) -> LandmarkConfig:
    """LandmarkConfig defaults < RUN/train_config.json (on --resume) < --config < the flags given.

    A flag of the image kind alone is refused by name: it would change nothing here."""
    known = set(LandmarkConfig.__dataclass_fields__)
    flags = {dest: flag for flag, (dest, _, _) in _FLAGS.items()} | {
        "hflip": "--hflip",
        "compile": "--compile",
        "hand_crop": "--hand-crop",
        "augment": "--no-augment",
    }
    for dest, flag in flags.items():
        if hasattr(args, dest) and dest not in known:
            raise ValueError(
                f"{flag} applies to the image model only (--kind image); the landmark model has no {dest}"
            )
    data: dict[str, Any] = {}
    saved = Path(args.out) / "train_config.json"
    if args.resume and saved.is_file():
        data.update(LandmarkConfig.read_file(saved))
    if args.config:
        data.update(LandmarkConfig.read_file(args.config))
    data.update({k: getattr(args, k) for k in flags if k in known and hasattr(args, k)})
    data["out_dir"] = str(args.out)
    return LandmarkConfig.from_dict(data)


def run_landmarks(args: argparse.Namespace) -> int:
    from sign_ml.landmark_train import train_landmarks

    cfg = resolve_landmark_config(args)
    result = train_landmarks(cfg, args.data, args.out, resume=args.resume)
    where = Path(result["run_dir"]).resolve()
    if result["interrupted"]:
        print(
            f"interrupted after epoch {result['epochs_trained']}; state saved in {where}/checkpoints/last.pt"
        )
        print(f"continue with: sign-ml train --data {args.data} --out {args.out} --resume")
        return 130
    print(f"run: {where}")
    which = "the last epoch" if cfg.keep == "last" else "the best validation epoch"
    val = result["best_val_accuracy"]
    print(
        f"landmark model: kept {which}, {result['best_epoch']} of {result['epochs_trained']} "
        f"(validation accuracy {'n/a, no validation photos' if val is None else f'{val:.4f}'}; "
        f"{result['train_seconds']:.1f} s); "
        f"no hand found in {result['no_hand']} photo(s), left out of training"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    if choose_kind(args) == "landmarks":
        return run_landmarks(args)
    from sign_ml.train import train  # torch import only when training

    cfg = resolve_config(args)
    result = train(cfg, args.data, args.out, resume=args.resume)
    if int(os.environ.get("RANK", "0")) != 0:
        return 0
    where = Path(result["run_dir"]).resolve()
    dropped = {k: v for k, v in result["dropped"].items() if v}
    if dropped:
        print(f"unreadable photos skipped: {dropped} (see the log for their paths)")
    if result["interrupted"]:
        print(
            f"interrupted after epoch {result['epochs_trained']}; state saved in {where}/checkpoints/last.pt"
        )
        print(f"continue with: sign-ml train --data {args.data} --out {args.out} --resume")
        return 130
    print(f"run: {where}")
    print(
        f"best validation accuracy {result['best_val_accuracy']:.4f} at epoch {result['best_epoch']} "
        f"({result['epochs_trained']} epochs, {result['train_seconds']:.0f} s on {result['device']})"
        + (", stopped early" if result["stopped_early"] else "")
    )
    return 0
