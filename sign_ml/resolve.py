"""Find a model directory: a local run/model directory, or a Hugging Face Hub model id fetched into the HF cache."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from curation.fileio import first_line, looks_local
from sign_ml.artifacts import CONFIG_FILE

log = logging.getLogger(__name__)

# what a model repo needs for prediction, the app and its Evaluation tab; never checkpoints/ or the data
HUB_ALLOW_PATTERNS = [
    "config.json",
    "model.safetensors",
    "model.onnx",
    "README.md",
    "eval/**",
    "*.png",
    "metrics.csv",
]
_REPO_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")  # "name" or "user/name", as the Hub spells ids


def resolve_model_dir(name_or_path: str | Path, revision: str | None = None) -> Path:
    """A local directory holding config.json, as is; otherwise a Hub id ("user/name") downloaded to the HF cache.

    revision: a branch, tag or commit of the Hub repo (default: main); ignored for local directories.
    Honours HF_ENDPOINT, HF_HUB_OFFLINE, HF_HUB_CACHE/HF_HOME and HF_TOKEN through huggingface_hub.
    Raises FileNotFoundError naming what was tried.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if (path / CONFIG_FILE).is_file():
            return path
        raise FileNotFoundError(f"{path}: a directory without {CONFIG_FILE}; not a model directory")
    name = str(name_or_path)
    if isinstance(name_or_path, Path) or not _REPO_ID.match(name):
        raise FileNotFoundError(f"{name}: not a local directory, and not a Hub model id like 'user/name'")
    if "/" in name and looks_local(name):  # "runs/ukrsl2" beside a real runs/: a typo, not a Hub id
        raise FileNotFoundError(
            f"{name}: no such folder (read as a local path, not a Hub id: ./{name.split('/')[0]} exists)"
        )

    from huggingface_hub import snapshot_download  # imported here: local use never pays for it

    try:
        folder = Path(snapshot_download(repo_id=name, revision=revision, allow_patterns=HUB_ALLOW_PATTERNS))
    # offline, unknown repo, gated, bad revision, connection errors: all end the same way
    except Exception as exc:
        raise FileNotFoundError(
            f"{name}: not a local directory; Hub download failed: {type(exc).__name__}: {first_line(exc)}"
        ) from exc
    if not (folder / CONFIG_FILE).is_file():
        raise FileNotFoundError(
            f"{name}: downloaded from the Hub to {folder}, but it has no {CONFIG_FILE}; not a model repo"
        )
    log.info("model %s%s -> %s", name, f"@{revision}" if revision else "", folder)
    return folder
