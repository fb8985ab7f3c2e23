"""`sign-ml loso --data SPLITS --run RUN`: leave-one-signer-out accuracy of the landmark model.

For each signer, the landmark model is trained on every other signer's photos and tested on that signer's
(all splits pooled; no hand = wrong). The result goes to RUN's evaluation folder as loso.json (+ a confusion
matrix), where the app's Evaluation tab and `sign-ml push`'s model card read it. Each fold trains with the
run's own landmark recipe (train_config.json) unless --config names another.
"""

from __future__ import annotations

import argparse
import shlex


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", required=True, help="split directory (from `sign-curate split --group-column signer`)"
    )
    parser.add_argument(
        "--run", required=True, help="run directory: loso.json is written to its evaluation folder"
    )
    parser.add_argument(
        "--group-column", default="group", help="manifest column holding the signer (default: group)"
    )
    parser.add_argument(
        "--config",
        help="YAML or JSON file of LandmarkConfig fields for the folds "
        "(default: the run's landmark recipe, else the defaults)",
    )


def run(args: argparse.Namespace) -> int:
    from sign_ml.artifacts import read_meta
    from sign_ml.config import LandmarkConfig
    from sign_ml.data import read_split_dir
    from sign_ml.loso import loso_for_split_dir, run_eval_dir, save_loso

    meta = read_meta(args.run)  # refuses a folder that is not a run
    classes = read_split_dir(args.data).class_names
    if list(classes) != list(meta.class_names):
        raise ValueError(
            f"{args.data}: its classes differ from the run's ({len(classes)} vs "
            f"{len(meta.class_names)}); the numbers would describe another model"
        )
    if args.config:
        cfg = LandmarkConfig.from_file(args.config)
    elif meta.kind == "landmarks" and meta.train_config:
        cfg = LandmarkConfig.from_dict(meta.train_config)
    else:
        cfg = LandmarkConfig()
    result = loso_for_split_dir(args.data, group_column=args.group_column, cfg=cfg, progress=True)
    words = ["sign-ml", "loso", "--data", args.data, "--run", args.run]
    if args.group_column != "group":
        words += ["--group-column", args.group_column]
    if args.config:
        words += ["--config", args.config]
    result.command = shlex.join(words)
    path = save_loso(result, run_eval_dir(args.run))

    if result.status != "ok":
        table = result.per_signer[["signer", "photos", "hands"]]
        if len(table):
            print(table.to_string(index=False))
        print(result.sentence)
    else:
        print(result.per_signer.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print(
            f"pooled accuracy {result.accuracy:.4f} over {int(result.per_signer['photos'].sum())} photos "
            f"({result.no_hand} without a hand, counted wrong); mean over {len(result.per_signer)} signers "
            f"{result.mean_signer_accuracy:.4f}; {result.seconds:.1f} s"
        )
    print(f"written to {path}")
    return 0
