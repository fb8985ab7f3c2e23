"""`sign-ml train --data SPLITS --out RUN`: train the landmark model, the temporal model or MobileNetV3-Large.

`--kind auto` (default) trains the landmark model (an MLP on MediaPipe hand landmarks, seconds on a CPU)
when the training split has fewer than 10,000 photos, else MobileNetV3-Large with the thesis recipe;
`--kind landmarks` / `--kind image` choose explicitly; `--kind temporal` trains one model for still and
moving letters on the split's photos and clips (`.clip.json` rows), minutes on a CPU.

Configuration precedence: the TrainConfig defaults (thesis) < RUN/train_config.json when resuming
< --config FILE < flags given on the command line. Multi-GPU:
`torchrun --nproc_per_node 8 "$(which sign-ml)" train --data SPLITS --out RUN`.
"""

from __future__ import annotations

import argparse

from sign_ml import training
from sign_ml.config import TrainConfig
from sign_ml.training import AUTO_IMAGE_MIN_PHOTOS, KINDS, TrainRequest

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
# switch → (TrainConfig field, argparse action, help); absent unless given, as the flags above
_SWITCHES: dict[str, tuple[str, str, str]] = {
    "--hand-crop": (
        "hand_crop",
        "store_true",
        "image kind: train and predict on the hand crop instead of the whole photo",
    ),
    "--hflip": (
        "hflip",
        "store_true",
        "random horizontal flips (mirrors the signing hand; off in the thesis)",
    ),
    "--no-augment": ("augment", "store_false", "no augmentation at all"),
    "--compile": ("compile", "store_true", "torch.compile the model (CUDA; minutes of warm-up)"),
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
        help="landmarks (MLP on hand landmarks) | temporal (photos and clips, motion letters too) | "
        f"image (MobileNetV3-Large) | auto: landmarks below {AUTO_IMAGE_MIN_PHOTOS:,} training photos "
        "(default)",
    )
    for flag, (dest, kind, help_text) in _FLAGS.items():
        parser.add_argument(flag, dest=dest, type=kind, default=argparse.SUPPRESS, help=help_text)
    for flag, (dest, action, help_text) in _SWITCHES.items():
        parser.add_argument(flag, dest=dest, action=action, default=argparse.SUPPRESS, help=help_text)


def request_from_args(args: argparse.Namespace) -> TrainRequest:
    """The parsed command line as a TrainRequest: only the flags actually given become overrides."""
    fields = [dest for dest, _, _ in (*_FLAGS.values(), *_SWITCHES.values())]
    return TrainRequest(
        data=str(getattr(args, "data", "")),
        out=str(args.out),
        kind=getattr(args, "kind", "auto"),
        resume=bool(args.resume),
        config_file=args.config,
        overrides={k: getattr(args, k) for k in fields if hasattr(args, k)},
    )


def resolve_config(args: argparse.Namespace) -> TrainConfig:
    """Defaults < RUN/train_config.json (on --resume) < --config < explicit flags."""
    return training.resolve_config(request_from_args(args))


def run(args: argparse.Namespace) -> int:
    outcome = training.run_training(request_from_args(args))
    for line in outcome.lines:
        print(line)
    return outcome.code
