"""Publish a training run to the Hugging Face Hub: build the model repo folder, then upload it in one commit.

    README.md             model card (sign_ml.model_card), every number read from the run's files
    config.json           the run's config.json (absolute local paths in the data info reduced to names)
    model.safetensors     weights, byte for byte the run's
    confusion_matrix.png  from eval/<split>/
    curves.png            from the run, when present
    metrics.csv           per-epoch history, when present
    eval/<split>/         metrics.json, confusion_matrix.png, probs.npy, predictions.csv (no absolute paths);
                          loso.json + loso_confusion.png when `sign-ml loso` ran (the card's unseen-signer section)

The token is never read here: huggingface_hub finds it (HF_TOKEN, then the user's login) when the
request is sent, so it cannot leak into a file or a log line.
"""

from __future__ import annotations

import csv
import io
import logging
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from curation.dataset_card import strip_local_paths
from curation.fileio import read_json, refuse_output_in_data
from curation.hub import bound_hub_timeouts, with_retries
from sign_ml.artifacts import CONFIG_FILE, MODEL_FILE, atomic_write_json, atomic_write_text, read_meta
from sign_ml.curves import METRICS_FILE, read_metrics
from sign_ml.loso import LOSO_CONFUSION_PNG, LOSO_FILE
from sign_ml.model_card import DEFAULT_LICENSE, CardInputs, render_model_card, split_class_counts

if TYPE_CHECKING:
    from huggingface_hub import HfApi

log = logging.getLogger(__name__)

README_FILE = "README.md"
CONFUSION_FILE = "confusion_matrix.png"
CURVES_FILE = "curves.png"
HISTORY_FILE = METRICS_FILE
EVAL_FILES = ("metrics.json", CONFUSION_FILE, "probs.npy", "predictions.csv")
OPTIONAL_MODEL_FILES = ("model.onnx",)  # shipped when the run has one, so Hub users skip the export
# never uploaded: bytecode, hidden files (temporary writes, .env files)
IGNORE_PATTERNS = ["__pycache__/*", "**/__pycache__/*", "*.pyc", "**/*.pyc", ".*", "**/.*"]


class NotLoggedInError(RuntimeError):
    """No Hugging Face token in HF_TOKEN or the user's login."""


def read_history(path: str | Path) -> list[dict[str, Any]]:
    """metrics.csv rows as dicts of numbers (empty list when the file is absent)."""
    return read_metrics(path).to_dict("records")


def scrub_paths(obj: Any) -> Any:
    """Absolute local paths in every string → their last component (a published config must not reveal the user's disk)."""
    if isinstance(obj, dict):
        return {k: scrub_paths(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [scrub_paths(v) for v in obj]
    return strip_local_paths(obj) if isinstance(obj, str) else obj


def _public_predictions(src: Path) -> str:
    """predictions.csv with the absolute `path` column replaced by `relpath`."""
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
        fields = list(rows[0].keys()) if rows else []
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        if "path" in row:
            row["path"] = row.get("relpath") or PurePosixPath(row["path"].replace("\\", "/")).name
        writer.writerow(row)
    return out.getvalue()


def find_evaluation(run_dir: str | Path, split: str | None = None) -> Path:
    """RUN/eval/<split>/ the card reports: `split` when it was evaluated, else the evaluated split found first
    (test, then the others), else the folder that holds loso.json, else eval/test (nothing evaluated)."""
    from sign_ml.loso import run_eval_dir

    root = Path(run_dir) / "eval"
    if split is not None and (root / split / "metrics.json").is_file():
        return root / split
    where = run_eval_dir(run_dir)
    if split is not None and where.name != split:
        log.warning("%s: no evaluation on %s; the card reports %s", run_dir, split, where.name)
    if (where / "metrics.json").is_file() or (where / LOSO_FILE).is_file():
        return where
    found = sorted(p.parent for p in root.glob(f"*/{LOSO_FILE}"))
    return found[0] if found else where


def build_model_repo(
    run_dir: str | Path,
    out_dir: str | Path,
    *,
    repo_id: str,
    split: str | None = None,
    license: str = DEFAULT_LICENSE,
    dataset_id: str | None = None,
    credits: str | None = None,
) -> Path:
    """Write the folder that `push_run` uploads: model files, card, plots, evaluation. Returns out_dir.

    run_dir: a training run (a model directory; eval/<split>/ from `sign-ml evaluate` and loso.json from
        `sign-ml loso` when they ran: the card reports whatever evaluation exists and names what is missing).
    split: the evaluated split to report; None = test when evaluated, else the split that was.
    out_dir: created if needed; must not be run_dir. Files of a previous build are replaced.
    """
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    meta = read_meta(run_dir)  # FileNotFoundError when run_dir is not a model directory
    if not (run_dir / MODEL_FILE).is_file():
        raise FileNotFoundError(f"{run_dir}: no {MODEL_FILE}")
    eval_dir = find_evaluation(run_dir, split)
    split = eval_dir.name if eval_dir.name != "eval" else "test"
    metrics_path = eval_dir / "metrics.json"
    if out_dir.resolve() == run_dir.resolve():
        raise ValueError("the repo folder must be a new directory, not the run itself")
    evaluation = read_json(metrics_path) if metrics_path.is_file() else None
    if evaluation is None:
        log.warning("%s: not evaluated on a held-out split; the card says so", run_dir)
    elif list(evaluation.get("class_names", meta.class_names)) != list(meta.class_names):
        raise ValueError(
            f"{metrics_path}: class_names differ from {run_dir / CONFIG_FILE}; re-run the evaluation"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    _copy_model_files(run_dir, out_dir)
    loso, loso_confusion = _copy_evaluation(run_dir, eval_dir, out_dir / "eval" / split, evaluation, meta)
    confusion, curves = _copy_plots(run_dir, eval_dir, out_dir)

    card = render_model_card(
        CardInputs(
            repo_id=repo_id,
            meta=read_meta(out_dir),  # the published (scrubbed) data info
            evaluation=evaluation,
            history=read_history(run_dir / HISTORY_FILE),
            license=license,
            dataset_id=dataset_id,
            credits=credits,
            confusion_image=confusion,
            curves_image=curves,
            metrics_path=f"eval/{split}/metrics.json",
            splits_in_data=tuple(split_class_counts(meta.data)),
            loso=scrub_paths(loso) if loso is not None else None,
            loso_path=f"eval/{split}/{LOSO_FILE}",
            loso_confusion_image=f"eval/{split}/{LOSO_CONFUSION_PNG}" if loso_confusion else None,
        )
    )
    atomic_write_text(out_dir / README_FILE, card)
    log.info("model repo folder for %s written to %s", repo_id, out_dir)
    return out_dir


def _copy_model_files(run_dir: Path, out_dir: Path) -> None:
    """The weights byte for byte (the same logits after download), the config without local paths, extras."""
    shutil.copyfile(run_dir / MODEL_FILE, out_dir / MODEL_FILE)
    config = read_json(run_dir / CONFIG_FILE)
    atomic_write_json(out_dir / CONFIG_FILE, scrub_paths(config))
    for name in OPTIONAL_MODEL_FILES:
        if (run_dir / name).is_file():
            shutil.copyfile(run_dir / name, out_dir / name)


def _copy_evaluation(
    run_dir: Path, eval_dir: Path, repo_eval: Path, evaluation: dict | None, meta: Any
) -> tuple[dict | None, bool]:
    """eval/<split>/: the evaluation's files (predictions without local paths) and loso.json, scrubbed.
    → (the leave-one-signer-out result or None, whether its confusion image was copied)."""
    if evaluation is not None or (eval_dir / LOSO_FILE).is_file():
        repo_eval.mkdir(parents=True, exist_ok=True)
    for name in EVAL_FILES:
        src = eval_dir / name
        if not src.is_file():
            continue
        if name == "predictions.csv":
            atomic_write_text(repo_eval / name, _public_predictions(src))
        else:
            shutil.copyfile(src, repo_eval / name)
    if not (eval_dir / LOSO_FILE).is_file():
        return None, False
    loso = read_json(eval_dir / LOSO_FILE)
    if list(loso.get("class_names", [])) != list(meta.class_names):
        raise ValueError(
            f"{eval_dir / LOSO_FILE}: class_names differ from {run_dir / CONFIG_FILE}; "
            f"re-run `sign-ml loso --run {run_dir}`"
        )
    atomic_write_json(repo_eval / LOSO_FILE, scrub_paths(loso))  # its command may name local folders
    if not (eval_dir / LOSO_CONFUSION_PNG).is_file():
        return loso, False
    shutil.copyfile(eval_dir / LOSO_CONFUSION_PNG, repo_eval / LOSO_CONFUSION_PNG)
    return loso, True


def _copy_plots(run_dir: Path, eval_dir: Path, out_dir: Path) -> tuple[str | None, str | None]:
    """The confusion matrix and training curves beside the card (and the history behind the curves).
    → their names in the repo, None for those that do not exist."""
    confusion = curves = None
    if (eval_dir / CONFUSION_FILE).is_file():
        shutil.copyfile(eval_dir / CONFUSION_FILE, out_dir / CONFUSION_FILE)
        confusion = CONFUSION_FILE
    if (run_dir / CURVES_FILE).is_file():
        shutil.copyfile(run_dir / CURVES_FILE, out_dir / CURVES_FILE)
        curves = CURVES_FILE
    if (run_dir / HISTORY_FILE).is_file():
        shutil.copyfile(run_dir / HISTORY_FILE, out_dir / HISTORY_FILE)
    return confusion, curves


def default_api() -> HfApi:
    """huggingface_hub's client: endpoint from HF_ENDPOINT, token looked up by the library itself."""
    from huggingface_hub import HfApi

    return HfApi()


def require_login() -> None:
    """Fail early, before any upload, when no token can be found (never reveals the token)."""
    from huggingface_hub import get_token

    if not get_token():
        raise NotLoggedInError(
            "no Hugging Face token: run `hf auth login` or set HF_TOKEN (write access needed)"
        )


def upload_repo_folder(
    folder: str | Path,
    repo_id: str,
    *,
    repo_type: str = "model",
    private: bool = False,
    commit_message: str,
    api: HfApi | None = None,
    space_sdk: str | None = None,
) -> str:
    """Create the repo if needed, then upload `folder` as one commit. Returns the commit URL."""
    if api is None:
        require_login()
        api = default_api()
    # private=None (not False) when not asked: an organization that defaults to private repos stays private
    create_kwargs: dict[str, Any] = {
        "repo_type": repo_type,
        "private": True if private else None,
        "exist_ok": True,
    }
    if space_sdk is not None:
        create_kwargs["space_sdk"] = space_sdk
    bound_hub_timeouts()
    url = with_retries(f"creating {repo_id}", lambda: api.create_repo(repo_id, **create_kwargs))
    log.info("repository %s ready", url)
    info = with_retries(
        f"uploading to {repo_id}",
        lambda: api.upload_folder(
            repo_id=repo_id,
            folder_path=str(folder),
            repo_type=repo_type,
            commit_message=commit_message,
            ignore_patterns=IGNORE_PATTERNS,  # never hidden files (temporary writes, .env)
        ),
    )
    commit_url = str(getattr(info, "commit_url", info))
    log.info("uploaded %s in one commit: %s", folder, commit_url)
    return commit_url


def push_run(
    run_dir: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    split: str | None = None,
    license: str = DEFAULT_LICENSE,
    dataset_id: str | None = None,
    credits: str | None = None,
    dry_run_dir: str | Path | None = None,
    api: HfApi | None = None,
) -> str | Path:
    """Build the model repo folder and upload it (create_repo + upload_folder, one commit).

    dry_run_dir: write the folder there and upload nothing; returns that path.
    api: an `HfApi` (or a stand-in with create_repo/upload_folder); default: one from the environment.
    Returns the commit URL, or the folder for a dry run.
    """
    check_repo_id(repo_id)
    options = dict(repo_id=repo_id, split=split, license=license, dataset_id=dataset_id, credits=credits)
    if dry_run_dir is not None:
        data = read_meta(run_dir).data  # the run and the photos it was trained on stay as they are
        roots = [run_dir, *(data.get(k) for k in ("splits_dir", "data_root") if isinstance(data.get(k), str))]
        refuse_output_in_data(dry_run_dir, roots, "--dry-run")
        return build_model_repo(run_dir, dry_run_dir, **options)
    if api is None:
        require_login()  # before the build: no point writing a folder that cannot be sent
    with tempfile.TemporaryDirectory(prefix="ukrsl-dactyl-push-") as tmp:
        folder = build_model_repo(run_dir, Path(tmp) / "repo", **options)
        return upload_repo_folder(
            folder,
            repo_id,
            repo_type="model",
            private=private,
            api=api,
            commit_message=f"Upload {Path(run_dir).name} (its evaluation in README.md)",
        )


def check_repo_id(repo_id: str) -> None:
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"--repo must be USER/NAME, got {repo_id!r}")
