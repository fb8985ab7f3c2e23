"""Publish from the app: the curated dataset (curation.hub.push_splits) and the model (sign_ml.hub.push_run).

First a dry run (`preview`) writes exactly the folders that would be uploaded and lists every file in
them; then `publish` uploads. The token is never read, passed or logged here: huggingface_hub finds it
(HF_TOKEN, then the stored `hf auth login`) when it sends a request, and `token_state` says only where
one would come from.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from curation.fileio import dir_mode
from curation.hub import push_splits
from sign_ml.hub import check_repo_id, push_run, require_login

if TYPE_CHECKING:
    from huggingface_hub import HfApi

log = logging.getLogger(__name__)

DATASET, MODEL = "dataset", "model"  # the repo kinds, and the preview's sub-folders
FILE_COLUMNS = ["repo", "path", "bytes"]


@dataclass
class Preview:
    """What a publish would upload: the dry-run folders and every file in them."""

    dataset_dir: Path | None  # OUT/dataset, or None when the dataset is not published
    model_dir: Path | None  # OUT/model, or None when the model is not published
    files: pd.DataFrame  # repo ("dataset" | "model"), path (posix, inside that repo), bytes; sorted
    dataset_repo: str | None = None
    model_repo: str | None = None

    def totals(self) -> pd.DataFrame:
        """Per repo kind: number of files and bytes."""
        return (
            self.files.groupby("repo", sort=True)
            .agg(files=("path", "size"), bytes=("bytes", "sum"))
            .reset_index()
        )

    def markdown(self) -> str:
        """Totals per repo (files, MB) and where the dry-run folders are, for the UI."""
        lines = ["**Dry run: nothing was uploaded.** Publishing would upload:", ""]
        totals = {row.repo: row for row in self.totals().itertuples()}
        for kind, repo, folder in (
            (DATASET, self.dataset_repo, self.dataset_dir),
            (MODEL, self.model_repo, self.model_dir),
        ):
            if folder is None:
                continue
            row = totals.get(kind)
            n, size = (int(row.files), int(row.bytes)) if row is not None else (0, 0)
            lines.append(f"- {kind} `{repo}`: {n} files, {size / 1e6:.2f} MB (folder `{folder}`)")
        if self.dataset_dir is not None:
            lines += ["", "The Hub adds the dataset's `dataset_info` to its README.md when the data arrives."]
        return "\n".join(lines)


def _check_parts(splits_dir: Any, dataset_repo: str | None, run_dir: Any, model_repo: str | None) -> None:
    """Each part needs both its folder and its repo id; at least one part; repo ids are USER/NAME."""
    for what, folder, repo in ((DATASET, splits_dir, dataset_repo), (MODEL, run_dir, model_repo)):
        if (folder is None) != (repo is None):
            raise ValueError(
                f"the {what} needs both its folder and its repository id (USER/NAME), or neither"
            )
        if repo is not None:
            check_repo_id(repo)
    if splits_dir is None and run_dir is None:
        raise ValueError("nothing to publish: give the dataset, the model, or both")


def _options(license: str | None, credits: str | None) -> dict[str, Any]:
    """Keyword arguments for push_splits/push_run; a license not given keeps each one's own default."""
    return ({"license": license} if license else {}) | ({"credits": credits} if credits else {})


def list_files(folder: Path, repo: str) -> pd.DataFrame:
    """Every file under `folder`: repo, path relative to it (posix), bytes; sorted by path."""
    rows = [
        {"repo": repo, "path": p.relative_to(folder).as_posix(), "bytes": p.stat().st_size}
        for p in folder.rglob("*")
        if p.is_file()
    ]
    return pd.DataFrame(rows, columns=FILE_COLUMNS).sort_values("path", ignore_index=True)


def _build_into(target: Path, build: Callable[[Path], Any]) -> Path:
    """Build a folder beside `target` and swap it in, so a failed build leaves no half preview and no stale files."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    fresh.chmod(dir_mode())  # mkdtemp's 0700 would hide the preview from a server running as another user
    try:
        build(fresh)
        if target.exists():
            shutil.rmtree(target)
        fresh.rename(target)
    finally:
        if fresh.exists():
            shutil.rmtree(fresh)
    return target


def preview(
    out_dir: str | Path,
    *,
    splits_dir: str | Path | None,
    run_dir: str | Path | None,
    dataset_repo: str | None,
    model_repo: str | None,
    license: str | None = None,
    credits: str | None = None,
) -> Preview:
    """Dry run: write OUT/dataset (push_splits) and OUT/model (push_run) as they would be uploaded, list them.

    Either part may be None (its folder and repo id both). OUT/dataset and OUT/model are replaced.
    """
    _check_parts(splits_dir, dataset_repo, run_dir, model_repo)
    out_dir = Path(out_dir)
    options = _options(license, credits)
    dataset_dir = model_dir = None
    frames = []
    if splits_dir is not None:
        dataset_dir = _build_into(
            out_dir / DATASET,
            lambda folder: push_splits(splits_dir, dataset_repo, dry_run_dir=folder, **options),
        )
        frames.append(list_files(dataset_dir, DATASET))
    if run_dir is not None:
        model_dir = _build_into(
            out_dir / MODEL,
            lambda folder: push_run(
                run_dir,
                model_repo,
                dry_run_dir=folder,
                dataset_id=dataset_repo,
                **options,
            ),
        )
        frames.append(list_files(model_dir, MODEL))
    files = pd.concat(frames, ignore_index=True).sort_values(["repo", "path"], ignore_index=True)
    log.info("publish preview in %s: %d files", out_dir, len(files))
    return Preview(dataset_dir, model_dir, files, dataset_repo, model_repo)


def token_state() -> str:
    """Where a Hub token would come from: "env" (HF_TOKEN), "login" (`hf auth login`) or "none"; never the token."""
    if (os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN") or "").strip():
        return "env"
    from huggingface_hub import get_token

    return "login" if get_token() else "none"


def publish(
    *,
    splits_dir: str | Path | None,
    run_dir: str | Path | None,
    dataset_repo: str | None,
    model_repo: str | None,
    private: bool = True,
    license: str | None = None,
    credits: str | None = None,
    api: HfApi | None = None,
    push: Callable[..., Any] | None = None,
) -> dict[str, str]:
    """Upload the dataset, then the model (its card links the dataset); returns {"dataset": url, "model": url}.

    Raises sign_ml.hub.NotLoggedInError before anything is built or sent when no token can be found.
    api, push: stand-ins for huggingface_hub's HfApi and DatasetDict.push_to_hub (tests); default the real ones.
    """
    _check_parts(splits_dir, dataset_repo, run_dir, model_repo)
    require_login()  # one clear refusal up front, not after the dataset went and the model could not
    options = _options(license, credits)
    urls: dict[str, str] = {}
    if splits_dir is not None:
        log.info("publishing the dataset %s to %s", splits_dir, dataset_repo)
        urls[DATASET] = str(
            push_splits(splits_dir, dataset_repo, private=private, api=api, push=push, **options)
        )
    if run_dir is not None:
        log.info("publishing the model %s to %s", run_dir, model_repo)
        urls[MODEL] = str(
            push_run(
                run_dir,
                model_repo,
                private=private,
                dataset_id=dataset_repo,
                api=api,
                **options,
            )
        )
    return urls
