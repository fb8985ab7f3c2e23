"""The static web export: a landmark model as a folder that spells letters in a browser with no server.

`export_web(run, out)` writes:

    index.html, app.js, features.js     the page (features.js computes sign_ml/landmarks.py's features)
    model.onnx                          the landmark model, the same graph the predictor serves
    classes.json                        class names in output order, shown letters, motion flags,
                                        the feature spec and the graph's input/output names
    assets/tasks-vision/, assets/onnxruntime-web/, assets/hand_landmarker.task
                                        the pinned WebAssembly builds (sign_ml/web/vendor) and hand model
    README.md                           what it is, its limits, licence credits

Only landmark models: an image model would need the photo pipeline in JavaScript too.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from curation.alphabet import is_motion_letter, is_ukrainian, ukrainian_letter
from sign_ml.artifacts import read_meta
from sign_ml.landmarks import FEATURE_VERSION, N_FEATURES
from sign_ml.resolve import resolve_model_dir

log = logging.getLogger(__name__)

WEB = Path(__file__).resolve().parent / "web"
PAGE_FILES = ("index.html", "app.js", "features.js")


class ExportError(ValueError):
    """The run cannot be exported (wrong kind, wrong feature version, output folder not empty)."""


def class_table(class_names: list[str]) -> dict:
    uk = is_ukrainian(class_names)

    def shown(name: str) -> str:
        letter = ukrainian_letter(name) if uk else None
        return letter.char if letter else name

    return {
        "class_names": list(class_names),
        "display": [shown(n) for n in class_names],
        "motion": [is_motion_letter(n, class_names) for n in class_names],
    }


def readme(meta, source: str) -> str:
    names = ", ".join(meta.class_names)
    motion = [n for n in meta.class_names if is_motion_letter(n, meta.class_names)]
    vendor = json.loads((WEB / "vendor" / "MANIFEST.json").read_text(encoding="utf-8"))["packages"]
    tv, ort = vendor["tasks-vision"]["version"], vendor["onnxruntime-web"]["version"]
    return f"""# Fingerspelling in the browser (ukrsl-dactyl web export)

A self-contained page that reads fingerspelled letters from a camera with **no server**: the hand landmarker,
the landmark features and the letter model all run in the browser (WebAssembly, on the CPU). Nothing leaves
the page. It is for app builders who want this model in their own page: `app.js` shows the whole loop
(camera → 21 landmarks → 290 features → logits → held letters).

Try it: `python -m http.server -d THIS_FOLDER 8000`, then open http://127.0.0.1:8000/ (a camera needs
`localhost` or https; `file://` pages cannot load WebAssembly).

- Model: `model.onnx`, exported from `{source}` (input `input`: float32 (N, {N_FEATURES}) features, output
  `logits`: (N, {len(meta.class_names)})). Classes, in output order: {names}.
- `classes.json`: the class names, the letters shown, motion flags, the feature version ({FEATURE_VERSION}).
- `features.js`: the landmark features exactly as `sign_ml/landmarks.py` computes them.

## Limits
- Static letters only: a motion letter ({", ".join(motion) or "none in this class set"}) is read from its
  start; the page does not see movement.
- One hand, the largest; the model is as good as its training data (see the model's own card for its
  accuracy and the signers it was trained on). Lighting, distance and signers unlike the training set make
  it worse.
- Needs WebAssembly with SIMD (Chrome/Edge 91+, Firefox 89+, Safari 16.4+). Runs single-threaded: a plain
  static server sends no cross-origin isolation headers.
- Not a translator and not an assessment tool.

## Licences
- MediaPipe Tasks Vision {tv} (`assets/tasks-vision/`) and the hand landmarker model
  (`assets/hand_landmarker.task`): Copyright The MediaPipe Authors (Google LLC), Apache License 2.0
  (`assets/tasks-vision/LICENSE`).
- onnxruntime-web {ort} (`assets/onnxruntime-web/`): Copyright Microsoft Corporation, MIT
  (`assets/onnxruntime-web/LICENSE`).
- The page and the model: the ukrsl-dactyl project's licence.
"""


def export_web(run: str | Path, out: str | Path) -> Path:
    """Write the export of run (a run/model directory or Hub id) into out (new or empty); return out."""
    from curation.hands import model_path
    from sign_ml import onnx_export

    model_dir = resolve_model_dir(run)
    meta = read_meta(model_dir)
    if meta.kind not in ("landmarks", "temporal"):
        raise ExportError(f"{model_dir}: an {meta.kind} model; the web export needs a landmark model")
    version = int(meta.landmarks.get("feature_version", 0))
    if version != FEATURE_VERSION or int(meta.landmarks.get("n_features", 0)) != N_FEATURES:
        raise ExportError(
            f"{model_dir}: landmark features v{version}; features.js computes v{FEATURE_VERSION}"
        )
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out}: exists and is not an empty folder")
    onnx_path = onnx_export.find_onnx(model_dir)
    if onnx_path is None:
        onnx_path = onnx_export.export_onnx(model_dir)
        onnx_export.verify_onnx(model_dir, onnx_path)
    out.mkdir(parents=True, exist_ok=True)
    for name in PAGE_FILES:
        shutil.copyfile(WEB / "export" / name, out / name)
    if meta.kind == "temporal":  # the page computes one frame's features: a one-frame view of the model
        onnx_export.export_still_onnx(model_dir, out / "model.onnx")
    else:
        shutil.copyfile(onnx_path, out / "model.onnx")
    assets = out / "assets"
    for package in ("tasks-vision", "onnxruntime-web"):
        shutil.copytree(WEB / "vendor" / package, assets / package)
    shutil.copyfile(model_path(), assets / "hand_landmarker.task")
    table = {
        **class_table(meta.class_names),
        "feature_version": FEATURE_VERSION,
        "n_features": N_FEATURES,
        "handedness": meta.landmarks.get("handedness", "symmetric"),
        "input": onnx_export.INPUT_NAME,
        "output": onnx_export.OUTPUT_NAME,
    }
    (out / "classes.json").write_text(
        json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (out / "README.md").write_text(readme(meta, str(run)), encoding="utf-8")
    log.info("web export of %s written to %s", model_dir, out)
    return out
