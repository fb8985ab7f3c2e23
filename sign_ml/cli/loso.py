"""`sign-ml loso --data SPLITS --run RUN`: leave-one-signer-out accuracy of the run's landmark
or temporal model.

For each signer, a model of the run's own kind is trained on every other signer's photos and clips and tested
on that signer's (all splits pooled; no hand = wrong). The result goes to RUN's evaluation folder as loso.json (+ a confusion
matrix), where the app's Evaluation tab and `sign-ml push`'s model card read it. Each fold trains with the
run's own recipe (train_config.json) unless --config names another.
"""

from __future__ import annotations

import argparse


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
        help="YAML or JSON file of the run kind's config fields (LandmarkConfig or TemporalConfig) for the folds "
        "(default: the run's own recipe, else the defaults)",
    )


def run(args: argparse.Namespace) -> int:
    from sign_ml.loso import loso_for_run, loso_lines

    result, path = loso_for_run(args.run, args.data, group_column=args.group_column, config_file=args.config)
    for line in loso_lines(result, path):
        print(line)
    return 0
