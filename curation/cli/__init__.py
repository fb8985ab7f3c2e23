"""`sign-curate`: check a photo set, write reproducible splits, push them to the Hub, list likely mislabels."""

from __future__ import annotations

from curation.cli.dispatch import dispatch

COMMANDS = {
    "check": ("curation.cli.check", "check a photo set: balance, unreadable files, duplicates, leakage"),
    "split": ("curation.cli.split", "write reproducible stratified (optionally group-aware) splits"),
    "clips": ("curation.cli.clips", "landmark clips from videos of letters (a folder per letter or a CSV)"),
    "push": ("curation.cli.push", "push curated splits to the Hugging Face Hub with a dataset card"),
    # lives in sign_ml (it trains the landmark model); the dispatcher imports a module by this name only when
    # `issues` runs, so importing the curation package never imports sign_ml
    "issues": ("sign_ml.cli.issues", "rank photos that look mislabelled (k-fold landmark model + cleanlab)"),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("sign-curate", COMMANDS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
