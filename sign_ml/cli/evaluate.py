"""`sign-ml evaluate RUN --data SPLITS`: metrics, confusion matrix and mistakes of a run on one split."""

from __future__ import annotations

import argparse

from curation.manifest import SPLIT_NAMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run", help="run directory (holds model.safetensors + config.json); eval/<split>/ is written there"
    )
    parser.add_argument("--data", required=True, help="split directory made by `sign-curate split`")
    parser.add_argument("--split", default="test", choices=SPLIT_NAMES, help="default: test")
    parser.add_argument("--batch-size", type=int, default=64, help="photos per forward pass (default 64)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:1, ...")
    parser.add_argument(
        "--backend",
        default="torch",
        choices=["torch", "onnx", "auto"],
        help="torch (default: the reference numbers) | onnx | auto",
    )


def run(args: argparse.Namespace) -> int:
    from sign_ml.evaluate import EVAL_DIR, evaluate_run

    interp = evaluate_run(
        args.run,
        args.data,
        split=args.split,
        batch_size=args.batch_size,
        device=args.device,
        backend=args.backend,
    )
    print(f"{args.split}: {interp.n} photos")
    print(f"accuracy  {interp.accuracy:.4f}")
    print(f"macro-F1  {interp.macro_f1:.4f}")
    print(f"ECE       {interp.ece():.4f}")
    per_class = interp.per_class()
    worst = per_class[per_class["support"] > 0].sort_values(["f1", "class"], kind="stable").head(5)
    print("worst classes by F1:")
    for r in worst.to_dict("records"):
        print(
            f"  {r['class']:<8} f1 {r['f1']:.3f}  precision {r['precision']:.3f}  recall {r['recall']:.3f}  n={r['support']}"
        )
    confused = interp.most_confused()[:10]
    print("most confused (true -> predicted: count):" if confused else "most confused: none (no mistakes)")
    for actual, predicted, count in confused:
        print(f"  {actual} -> {predicted}: {count}")
    print(f"written to {args.run.rstrip('/')}/{EVAL_DIR}/{args.split}/")
    return 0
