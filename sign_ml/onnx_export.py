"""ONNX export of a model directory, for the fast CPU predictor (ONNX Runtime is ~3x faster than torch eager).

The exported graph records the sha256 of the model.safetensors it came from (ONNX metadata_props), so a
stale model.onnx (weights retrained since) is never used. A read-only model directory (or one inside the
Hugging Face cache, which must stay a faithful copy of the repo) gets its export in a user cache instead:
~/.cache/ukrsl-dactyl/onnx/<weights sha256>.onnx (UKRSL_DACTYL_CACHE or XDG_CACHE_HOME move it).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sign_ml.artifacts import MODEL_FILE, atomic_write_bytes, load_model_dir, read_meta

log = logging.getLogger(__name__)

ONNX_FILE = "model.onnx"
OPSET = 17
INPUT_NAME, OUTPUT_NAME = "input", "logits"
WEIGHTS_SHA_KEY = "ukrsl_dactyl.weights_sha256"  # metadata_props key tying the graph to its weights
CLASS_NAMES_KEY = "ukrsl_dactyl.class_names"  # ... and to the class names its outputs stand for


class OnnxMismatchError(RuntimeError):
    """ONNX Runtime's outputs differ from torch's beyond the tolerance."""


def weights_sha256(model_dir: str | Path) -> str:
    """sha256 (hex) of model_dir/model.safetensors."""
    digest = hashlib.sha256()
    with open(Path(model_dir) / MODEL_FILE, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_dir() -> Path:
    """Where exports of read-only model directories go."""
    if os.environ.get("UKRSL_DACTYL_CACHE"):
        return Path(os.environ["UKRSL_DACTYL_CACHE"]).expanduser() / "onnx"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "ukrsl-dactyl" / "onnx"


def onnx_candidates(model_dir: str | Path, sha: str) -> list[Path]:
    """Where an export of these weights may already be: beside the weights, then the user cache."""
    return [Path(model_dir) / ONNX_FILE, cache_dir() / f"{sha}.onnx"]


def onnx_metadata(onnx_path: str | Path) -> dict[str, str]:
    """The metadata_props of an ONNX file (cheap: the graph is parsed, no session is built)."""
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    return {p.key: p.value for p in model.metadata_props}


def find_onnx(model_dir: str | Path) -> Path | None:
    """An existing export whose recorded weights hash and class names match the model directory's, or None."""
    sha = weights_sha256(model_dir)
    class_names = read_meta(model_dir).class_names
    for path in onnx_candidates(model_dir, sha):
        if not path.is_file():
            continue
        try:
            props = onnx_metadata(path)
            recorded = props.get(WEIGHTS_SHA_KEY)
            names = json.loads(props.get(CLASS_NAMES_KEY, "null"))
        except Exception as exc:  # a truncated or foreign file: ignore it, a fresh export replaces it
            log.warning("ignoring unreadable %s (%s)", path, exc)
            continue
        if (
            recorded == sha and names != class_names
        ):  # config.json edited since: its outputs mean other letters
            log.info("%s was exported for other class names; re-exporting", path)
            continue
        if recorded == sha:
            return path
        log.info(
            "%s was exported from other weights (sha %s != %s); re-exporting",
            path,
            str(recorded)[:12],
            sha[:12],
        )
    return None


def export_target(model_dir: str | Path, sha: str) -> Path:
    """model_dir/model.onnx when the directory can take it, else the user cache's <sha>.onnx."""
    model_dir = Path(model_dir)
    return model_dir / ONNX_FILE if _writable(model_dir) else cache_dir() / f"{sha}.onnx"


def _writable(directory: Path) -> bool:
    """True if a file can be created in `directory` (tried for real: root ignores permission bits)."""
    if _inside_hf_cache(directory):
        return False  # the HF cache mirrors the repo; an export written there would look like a repo file
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".write-test.")
    except OSError:
        return False
    os.close(fd)
    os.unlink(tmp)
    return True


def _inside_hf_cache(directory: Path) -> bool:
    try:
        from huggingface_hub import constants

        hub_cache = Path(constants.HF_HUB_CACHE).expanduser().resolve()
    except Exception:
        return False
    return directory.resolve().is_relative_to(hub_cache)


def input_shape(meta, frames: int = 2) -> tuple[int, ...]:
    """One sample's input shape: (3, S, S) for the image kind, (F,) features for the landmark kind,
    (frames, F) rows for the temporal kind (its time axis is dynamic)."""
    if meta.kind == "landmarks":
        return (int(meta.landmarks["n_features"]),)
    if meta.kind == "temporal":
        return (frames, int(meta.landmarks["n_inputs"]))
    return (3, meta.preprocessing.size, meta.preprocessing.size)


def check_lengths(meta) -> tuple[int, ...]:
    """The time-axis lengths verify_onnx tries: a photo (1) and 1.5 s at 30 fps (45); () without one."""
    return (1, 45) if meta.kind == "temporal" else ()


def _export_bytes(model: nn.Module, shape: tuple[int, ...], dynamic_time: bool = False) -> bytes:
    """Serialize `model` (fp32, eval) to ONNX with a dynamic batch axis (and time axis 1, when
    dynamic_time); shape: one sample's input."""
    example = torch.zeros(2, *shape)
    input_axes = {0: "batch", 1: "time"} if dynamic_time else {0: "batch"}
    common = dict(
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        opset_version=OPSET,
        dynamic_axes={INPUT_NAME: input_axes, OUTPUT_NAME: {0: "batch"}},
    )
    try:
        # the TorchScript exporter: ~2 s and reliable for MobileNetV3; deprecated, hence the filter
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(model, (example,), buffer, dynamo=False, **common)
        return buffer.getvalue()
    except Exception as exc:
        log.warning(
            "TorchScript ONNX export failed (%s: %s); trying the dynamo exporter", type(exc).__name__, exc
        )
    chatty = [logging.getLogger(name) for name in ("onnx_ir", "onnxscript", "torch.onnx")]
    levels = [logger.level for logger in chatty]
    with (
        tempfile.TemporaryDirectory() as tmp,
        contextlib.redirect_stdout(io.StringIO()) as said,
        warnings.catch_warnings(),
    ):
        # the dynamo exporter prints progress to stdout, which must stay clean for `predict --json`
        for logger in chatty:
            logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
        try:
            out = Path(tmp) / ONNX_FILE
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (example,),
                str(out),
                dynamo=True,
                external_data=False,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                opset_version=max(OPSET, 18),  # the dynamo exporter's lowest native opset
                dynamic_shapes=(
                    {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC}
                    if dynamic_time
                    else {0: torch.export.Dim.DYNAMIC},
                ),
            )
            return out.read_bytes()
        finally:
            for logger, level in zip(chatty, levels, strict=True):
                logger.setLevel(level)
            log.debug("dynamo exporter said: %s", said.getvalue())


def export_onnx(model_dir: str | Path, model: nn.Module | None = None) -> Path:
    """Export model_dir's weights to model_dir/model.onnx (or the user cache if read-only); return its path.

    model: the already loaded fp32 model of this directory, to skip loading it again.
    """
    import onnx

    model_dir = Path(model_dir)
    meta = read_meta(model_dir)
    sha = weights_sha256(model_dir)
    if model is None:
        model, _ = load_model_dir(model_dir, "cpu")
    model = model.float().cpu().eval()  # Grad-CAM and export both want the fp32 CPU graph

    dynamic_time = bool(check_lengths(meta))
    proto = onnx.load_from_string(_export_bytes(model, input_shape(meta), dynamic_time))
    props = {
        WEIGHTS_SHA_KEY: sha,
        CLASS_NAMES_KEY: json.dumps(meta.class_names, ensure_ascii=False),
        "ukrsl_dactyl.preprocessing": json.dumps(meta.preprocessing.to_dict()),
    }
    del proto.metadata_props[:]
    for key, value in props.items():
        proto.metadata_props.add(key=key, value=value)
    proto.producer_name = "ukrsl-dactyl"
    data = proto.SerializeToString()

    target = export_target(model_dir, sha)
    atomic_write_bytes(target, data)
    opset = max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    log.info("exported ONNX (opset %d, %.1f MB) to %s", opset, len(data) / 1e6, target)
    return target


class _StillView(nn.Module):
    """A temporal model read one frame at a time: features (B, F) → the rows of a clip of one frame (the
    trajectory of a still is all zeros) → logits. What a still-frame consumer (the offline web page, which
    computes only the per-frame features) can run."""

    def __init__(self, model: nn.Module, n_frame: int, n_inputs: int):
        super().__init__()
        self.model, self.n_frame, self.n_rest = model, n_frame, n_inputs - n_frame

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = torch.cat([x, x.new_zeros(x.shape[0], self.n_rest)], dim=1)
        return self.model(rows.unsqueeze(1))


def export_still_onnx(model_dir: str | Path, target: str | Path) -> Path:
    """The ONNX graph that takes one frame's (B, F) landmark features, as a landmark model does: the model
    itself for the landmark kind, a one-frame view of it for the temporal kind (checked against torch)."""
    meta = read_meta(model_dir)
    model, _ = load_model_dir(model_dir, "cpu")
    n_frame = int(meta.landmarks["n_features"])
    if meta.kind == "temporal":
        model = _StillView(model, n_frame, int(meta.landmarks["n_inputs"])).eval()
    data = _export_bytes(model, (n_frame,))
    atomic_write_bytes(Path(target), data)
    session = make_session(target)
    x = torch.randn(3, n_frame, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        expected = model(x).numpy()
    got = session.run([OUTPUT_NAME], {INPUT_NAME: x.numpy()})[0]
    if not np.allclose(got, expected, atol=1e-4, rtol=1e-4):
        raise OnnxMismatchError(f"{target}: the one-frame ONNX graph differs from torch")
    return Path(target)


def make_session(onnx_path: str | Path):
    """An ONNX Runtime CPU session tuned for latency: all cores, all graph optimizations, sequential."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only: ORT's warnings about unused initializers are noise here
    # no spin-waiting between runs: a server's cores are shared, and idle threads spinning after every
    # small run burned ~10 ms of CPU per Live landmarks message (benchmarks/live_capacity.py)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"])


def verify_onnx(
    model_dir: str | Path,
    onnx_path: str | Path,
    atol: float = 1e-4,
    rtol: float = 1e-4,
    model: nn.Module | None = None,
    session=None,
    seed: int = 0,
) -> float:
    """Compare ONNX Runtime's logits with torch's on random inputs (batches of 1 and 3, and for the temporal
    kind clips of 1 and 45 frames); return the max |diff|.

    Raises OnnxMismatchError when |ort - torch| > atol + rtol·|torch| anywhere.
    """
    meta = read_meta(model_dir)
    if model is None:
        model, _ = load_model_dir(model_dir, "cpu")
    if session is None:
        session = make_session(onnx_path)
    generator = torch.Generator().manual_seed(seed)
    worst = 0.0
    lengths = check_lengths(meta) or (2,)
    # two batch sizes (and two clip lengths): proves those axes really are dynamic
    for batch, frames in [(b, t) for b in (1, 3) for t in lengths]:
        x = torch.randn(batch, *input_shape(meta, frames), generator=generator)
        with torch.inference_mode():
            expected = model.float().cpu().eval()(x).numpy()
        got = session.run([OUTPUT_NAME], {INPUT_NAME: x.numpy()})[0]
        if got.shape != expected.shape:
            raise OnnxMismatchError(f"{onnx_path}: output shape {got.shape} != torch {expected.shape}")
        diff = np.abs(got - expected)
        worst = max(worst, float(diff.max()))
        if not np.all(diff <= atol + rtol * np.abs(expected)):
            raise OnnxMismatchError(
                f"{onnx_path}: ONNX Runtime logits differ from torch by up to {worst:.2e}"
            )
    log.info("ONNX verified against torch: max |diff| %.2e", worst)
    return worst
