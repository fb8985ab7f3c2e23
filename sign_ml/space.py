"""Assemble a deployable Hugging Face Space folder for the app, and upload it.

README.md         Spaces front matter (sdk: gradio, sdk_version = the installed gradio, models: [id])
app.py            space/app.py with DEFAULT_MODEL set to the model
requirements.txt  CPU torch and the packages' dependencies (gradio is preinstalled on Spaces)
sign_ml/ curation/  the project's packages, copied as folders (no tests, no bytecode)
model/            only when --model is a local run: the model files, so the Space needs no model repo
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from curation.fileio import read_json
from sign_ml.artifacts import CONFIG_FILE, MODEL_FILE, atomic_write_json, atomic_write_text
from sign_ml.hub import OPTIONAL_MODEL_FILES, build_model_repo, check_repo_id, scrub_paths, upload_repo_folder

if TYPE_CHECKING:
    from huggingface_hub import HfApi

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the packages' parent: the checkout, or site-packages
# package data (a link to space/ in the checkout), so an installed wheel can assemble a Space too
TEMPLATE_DIR = Path(__file__).resolve().parent / "space_template"
PACKAGES = ("sign_ml", "curation")
VENDORED_MODEL_DIR = "model"
TEMPLATE_FILES = ("README.md", "app.py", "requirements.txt")
_DEFAULT_MODEL_LINE = re.compile(r'^DEFAULT_MODEL = ".*?"', re.MULTILINE)
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


def gradio_version() -> str:
    """The installed gradio version: the Space runs the version the app was tested with."""
    try:
        return version("gradio")
    except PackageNotFoundError:  # pragma: no cover - gradio is a dependency
        raise RuntimeError("gradio is not installed; cannot pin the Space's sdk_version") from None


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(YAML front matter as a dict, the markdown after it)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        raise ValueError("README.md has no YAML front matter between '---' lines")
    return yaml.safe_load(match.group(1)) or {}, text[match.end() :]


def render_space_readme(
    template: str, *, model_id: str | None, license: str | None = None, title: str | None = None
) -> str:
    """The template README with sdk_version, models, licence (and title) filled in."""
    meta, body = split_front_matter(template)
    meta["sdk"] = "gradio"
    meta["sdk_version"] = gradio_version()
    meta["app_file"] = "app.py"
    meta["python_version"] = str(meta.get("python_version", "3.11"))
    meta["models"] = [model_id] if model_id else []  # a vendored local model has no Hub id to link
    if license:
        meta["license"] = license
    if title:
        meta["title"] = title
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).strip()
    return f"---\n{head}\n---\n{body}"


def render_space_app(template: str, model: str) -> str:
    """space/app.py with DEFAULT_MODEL set to `model` (a Hub id or the vendored folder's name)."""
    if not _DEFAULT_MODEL_LINE.search(template):
        raise ValueError('space/app.py has no `DEFAULT_MODEL = "..."` line to fill in')
    return _DEFAULT_MODEL_LINE.sub(
        lambda _: f"DEFAULT_MODEL = {model!r}".replace("'", '"'), template, count=1
    )


def _copy_package(src: Path, dst: Path) -> None:
    shutil.copytree(
        src,
        dst,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests", "*.egg-info", ".*", "space_template"),
    )


def _vendor_model(run_dir: Path, dst: Path, space_repo: str) -> None:
    """A local run → dst/: model files plus, when evaluated, the card and evaluation (the app's Evaluation tab)."""
    if (run_dir / "eval" / "test" / "metrics.json").is_file():
        build_model_repo(run_dir, dst, repo_id=space_repo)
        return
    dst.mkdir(parents=True)
    for name in (MODEL_FILE, *OPTIONAL_MODEL_FILES):
        if (run_dir / name).is_file():
            shutil.copyfile(run_dir / name, dst / name)
    config = read_json(run_dir / CONFIG_FILE)
    atomic_write_json(dst / CONFIG_FILE, scrub_paths(config))


def assemble_space(
    model: str,
    out_dir: str | Path,
    *,
    space_repo: str,
    license: str | None = None,
    template_dir: str | Path = TEMPLATE_DIR,
) -> Path:
    """Write a deployable Space folder for `model` into out_dir (which must be empty or absent).

    model: a Hub model id ("user/name"), served by the Space from the Hub, or a local run/model
    directory, copied into the Space as model/.
    """
    out_dir, template_dir = Path(out_dir), Path(template_dir)
    missing = [n for n in TEMPLATE_FILES if not (template_dir / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{template_dir}: Space template file(s) missing: {', '.join(missing)}")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} is not empty; pick a new folder for the Space")
    out_dir.mkdir(parents=True, exist_ok=True)

    local = Path(model).expanduser()
    if local.is_dir():
        if not (local / CONFIG_FILE).is_file():
            raise FileNotFoundError(f"{local}: no {CONFIG_FILE}; not a model directory")
        _vendor_model(local, out_dir / VENDORED_MODEL_DIR, space_repo)
        model_ref, model_id = VENDORED_MODEL_DIR, None
    else:
        check_repo_id(model)
        model_ref = model_id = model

    readme = (template_dir / "README.md").read_text(encoding="utf-8")
    atomic_write_text(out_dir / "README.md", render_space_readme(readme, model_id=model_id, license=license))
    app = (template_dir / "app.py").read_text(encoding="utf-8")
    atomic_write_text(out_dir / "app.py", render_space_app(app, model_ref))
    shutil.copyfile(template_dir / "requirements.txt", out_dir / "requirements.txt")
    for package in PACKAGES:
        _copy_package(PROJECT_ROOT / package, out_dir / package)
    log.info("Space folder for %s (model %s) written to %s", space_repo, model, out_dir)
    return out_dir


def push_space(
    model: str,
    space_repo: str,
    *,
    private: bool = False,
    license: str | None = None,
    dry_run_dir: str | Path | None = None,
    api: HfApi | None = None,
) -> str | Path:
    """Assemble the Space and upload it (repo_type="space", space_sdk="gradio", one commit).

    Returns the commit URL, or the folder for a dry run (nothing uploaded).
    """
    check_repo_id(space_repo)
    if dry_run_dir is not None:
        return assemble_space(model, dry_run_dir, space_repo=space_repo, license=license)
    with tempfile.TemporaryDirectory(prefix="ukrsl-dactyl-space-") as tmp:
        folder = assemble_space(model, Path(tmp) / "space", space_repo=space_repo, license=license)
        return upload_repo_folder(
            folder,
            space_repo,
            repo_type="space",
            space_sdk="gradio",
            private=private,
            api=api,
            commit_message=f"Deploy the ukrsl-dactyl app for {model if not Path(model).is_dir() else 'a local model'}",
        )
