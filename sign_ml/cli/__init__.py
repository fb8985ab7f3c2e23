"""`sign-ml`: train, evaluate, loso, predict, push, space, export-web. Each subcommand lives in its own module
exposing `add_arguments(parser)` and `run(args) -> int`; imported lazily so `--help` is fast."""

from __future__ import annotations

from curation.cli.dispatch import dispatch

COMMANDS = {
    "train": ("sign_ml.cli.train", "train MobileNetV3-Large on a split directory"),
    "evaluate": ("sign_ml.cli.evaluate", "evaluate a run on a split: metrics, confusion matrix, mistakes"),
    "loso": (
        "sign_ml.cli.loso",
        "leave-one-signer-out accuracy of the run's landmark or temporal model (loso.json in the run)",
    ),
    "predict": ("sign_ml.cli.predict", "predict the letter in photos"),
    "push": ("sign_ml.cli.push", "publish a run to the Hugging Face Hub with a model card"),
    "space": ("sign_ml.cli.space", "assemble (and upload) a Hugging Face Space for a model"),
    "export-web": ("sign_ml.cli.export_web", "a static web page that spells letters with no server (ONNX)"),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("sign-ml", COMMANDS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
