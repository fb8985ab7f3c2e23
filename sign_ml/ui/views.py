"""Pure functions turning predictions, evaluation outputs and curation reports into what the app shows:
label dicts, Markdown, DataFrames, the confusion heatmap image. No Gradio, no file reading, so every
view is tested on hand-built inputs. `lang` is "en" or "uk" everywhere; every visible word comes from
`sign_ml.ui.i18n`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from curation import alphabet
from curation.alphabet import is_ukrainian, order_classes, ukrainian_letter
from curation.dataset_card import ratios_text
from curation.manifest import SPLIT_NAMES
from sign_ml.ui.i18n import text

Prediction = Sequence[tuple[str, float]]  # [(class name, probability)], most probable first
NO_HAND_LABEL = "(no hand)"  # = sign_ml.evaluate.NO_HAND_LABEL: the "prediction" of a photo without a hand
TOP_K = 5  # letters the Recognize tab ranks
DEFAULT_THRESHOLD = 0.5  # below this top-1 probability the app says "not sure" instead of a letter

# The issue tables of the Dataset tab: i18n key of the table → the report's checks whose issues it lists
# (see curation/report.py: "loading" = files skipped while loading, "integrity" = unreadable or odd files).
ISSUE_GROUPS: dict[str, tuple[str, ...]] = {
    "issues_unreadable": ("integrity", "loading"),
    "issues_duplicates": ("duplicates",),
    "issues_leakage": ("leakage",),
    "issues_hands": ("hands",),  # the photos behind "hands: N flagged"
}
COLUMNS = (
    "class",
    "photos",
    "path",
    "flag",
    "score",
    "detail",
    "cluster",
    "split",
    "check",
    "label",
    "train",
    "validation",
    "test",
    "total",
    "precision",
    "recall",
    "f1",
    "support",
    "true",
    "predicted",
    "count",
    "cluster_size",
    "mixed_labels",
    "distance",
    "kind",
    "unit",
    "other_splits",
    "group",
)


def pct(p: float) -> str:
    return f"{float(p):.0%}"


def translate_columns(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The same table with its known column names in `lang` (unknown ones kept)."""
    return table.rename(columns={c: text(f"col_{c}", lang) for c in table.columns if c in COLUMNS})


# ---------------------------------------------------------------- Recognize tab
def display_label(class_name: str, ukrainian: bool = True) -> str:
    """The letter plus its name (`Й (йот)`) for a Ukrainian class set; any other class name as it is.

    ukrainian: whether the model's whole class set is Ukrainian (`curation.alphabet.is_ukrainian`), so
    an ASL "B" is never shown as the Ukrainian Б whose transliteration it happens to be.
    """
    letter = ukrainian_letter(class_name) if ukrainian else None
    return f"{letter.char} ({letter.name})" if letter else class_name


def label_dict(preds: Prediction, ukrainian: bool = True) -> dict[str, float]:
    """{`letter (name)`: probability} for gr.Label, in the predictor's order (most probable first); letters
    that would read "0 %" are left out (the first always stays), so the ranking has no empty rows."""
    kept = [(name, p) for i, (name, p) in enumerate(preds) if i == 0 or float(p) >= 0.005]
    return {display_label(name, ukrainian): float(p) for name, p in kept}


def api_dict(preds: Prediction) -> dict[str, float]:
    """{class name: probability}: the raw names a program calling the API wants."""
    return {name: float(p) for name, p in preds}


def is_motion(class_name: str, class_names: Sequence[str]) -> bool:
    """Whether `class_name` is signed with movement in the alphabet of `class_names` (UkrSL or ASL)."""
    check = getattr(alphabet, "is_motion_letter", None)
    if check is not None:
        return bool(check(class_name, list(class_names)))
    letter = ukrainian_letter(class_name) if is_ukrainian(list(class_names)) else None
    return bool(letter and letter.motion)


def motion_letters(class_names: Sequence[str]) -> list[str]:
    return [c for c in class_names if is_motion(c, class_names)]


def verdict_markdown(
    preds: Prediction,
    threshold: float,
    lang: str = "en",
    class_names: Sequence[str] | None = None,
    movement: str = "still",
) -> str:
    """The answer: the letter in large type, or "not sure" below the threshold. A motion letter says how it
    was read (`movement`): "still", a photo shows only its start; "seen", a video through a model of
    movements; "unseen", a video through a model of handshapes (the movement was not checked).

    class_names: the model's whole class set (decides letter names and motion marks); default: the preds'.
    """
    if not preds:
        return ""
    names = list(class_names) if class_names is not None else [n for n, _ in preds]
    uk = is_ukrainian(names)
    name, prob = preds[0]
    if prob < threshold:
        return f"### {text('not_sure', lang)}\n\n({display_label(name, uk)}: {prob:.1%} < {threshold:.0%})"
    line = f"## {display_label(name, uk)} · {pct(prob)}"
    if is_motion(name, names):
        key = {"seen": "motion_seen", "unseen": "motion_unseen"}.get(movement, "motion_note")
        line += f"\n\n_{text(key, lang, letter=display_label(name, uk).split(' ')[0])}_"
    return line


def no_hand_markdown(lang: str = "en") -> str:
    """The answer when the hand stage found no hand: never a letter."""
    return f"### {text('no_hand', lang)}"


def error_reason(reason: str, lang: str = "en") -> str:
    """An `UnreadableImageError.reason` (English, from curation.images) in `lang`."""
    if lang == "en":
        return reason
    for prefix, key in (
        ("not an image", "reason_not_image"),
        ("too large", "reason_too_large"),
        ("file not found", "reason_not_found"),
        ("cannot decode", "reason_cannot_decode"),
    ):
        if reason.startswith(prefix):
            return text(key, lang)
    return reason


def model_name(model_ref: str) -> str:
    """What the header shows for a model: a Hub id as it is, a local folder by its name (never the server's path)."""
    ref = str(model_ref).rstrip("/\\")
    if not ref:
        return ""
    path = Path(ref)
    if path.is_absolute() or ref.startswith((".", "~")) or path.exists():
        parts = [p for p in path.parts if p not in ("/", "\\")]
        # a run's model lives in RUN/ or models/NAME/: the last folder names it
        return parts[-1] if parts else ref
    return ref


def model_note(meta: Any, model_ref: str, lang: str = "en") -> str:
    """One line naming the loaded model (by name, not path); for the demo model, say plainly what it is."""
    metrics = getattr(meta, "metrics", {}) or {}
    parts = [f"**{text('loaded_model', lang)}:** `{model_name(model_ref)}`"]
    acc = metrics.get("test_accuracy")
    if acc is not None:
        parts.append(f"{text('test_accuracy', lang)} {float(acc):.1%}")
    note = " · ".join(parts)
    if is_demo(meta, model_ref):
        note += f"\n\n_{text('demo_model', lang)}_"
    return note


def is_demo(meta: Any, model_ref: str) -> bool:
    data = getattr(meta, "data", {}) or {}
    return bool(data.get("demo")) or "demo" in str(model_ref).replace("\\", "/").split("/")[-2:]


def example_label(class_name: str, class_names: Sequence[str]) -> str:
    """The caption of an example photo: its true letter."""
    return display_label(class_name, is_ukrainian(list(class_names)))


# ---------------------------------------------------------------- Model tab
def split_word(split: str, lang: str) -> str:
    """ "test" / "validation" as the Model tab's sentence says it (an unknown split keeps its own name)."""
    return text(f"how_split_{split}", lang) if split in ("test", "validation") else split


def model_overview(
    meta: Any, model_ref: str, evaluation: Mapping[str, Any] | None, lang: str = "en", loso: Any = None
) -> str:
    """In plain language: what the model is for, what it cannot do, how it was evaluated (a held-out split,
    leave-one-signer-out `loso`, both, or neither)."""
    names = list(meta.class_names)
    uk = is_ukrainian(names)
    data = getattr(meta, "data", {}) or {}
    lines = [
        f"### {text('model_for', lang)}",
        text(
            "model_for_text",
            lang,
            k=len(names),
            first=display_label(names[0], uk),
            last=display_label(names[-1], uk),
        ),
    ]
    if is_demo(meta, model_ref):
        lines.append(f"\n{text('model_demo_text', lang)}")
    lines.append(f"\n### {text('model_cannot', lang)}")
    motion = motion_letters(names)
    if motion:
        lines.append(
            f"- {text('model_cannot_motion', lang, letters=', '.join(display_label(m, uk) for m in motion))}"
        )
    lines.append(f"- {text('model_cannot_words', lang)}")
    n_train = (data.get("totals") or {}).get("train") or sum(
        (data.get("counts") or {}).get("train", {}).values() or [0]
    )
    if n_train:
        signers = text("one_signer", lang) if is_demo(meta, model_ref) else ""
        lines.append(f"- {text('model_cannot_signers', lang, n=n_train, signers=signers)}")
    lines.append(f"- {text('model_cannot_unsure', lang)}")
    lines.append(f"\n### {text('model_how', lang)}")
    if evaluation:
        lines.append(
            text(
                "model_how_text",
                lang,
                n=evaluation.get("n", "?"),
                # the split the numbers come from: a two-signer workspace has validation, no test split
                split=split_word(str(evaluation.get("split", "test")), lang),
                method=data.get("method", ""),
                ratios=ratios_text(data),  # as the model and dataset cards write them
                seed=data.get("seed", "?"),
                acc=pct(evaluation.get("accuracy", 0)),
                f1=f"{float(evaluation.get('macro_f1', 0)):.2f}",
            )
        )
    has_loso = loso is not None and getattr(loso, "status", None) == "ok"
    if has_loso:
        lines.append(
            ("\n" if evaluation else "")
            + text(
                "loso_result",
                lang,
                acc=pct(loso.accuracy),
                mean=pct(loso.mean_signer_accuracy),
                n=len(loso.per_signer),
            )
        )
    if not evaluation and not has_loso:
        lines.append(text("model_how_none", lang))
    return "\n".join(lines)


TRAINING_KEYS = (  # the training settings the Model tab lists, in this order
    "epochs",
    "batch_size",
    "lr",
    "lr_schedule",
    "weights",
    "image_size",
    "augment",
    "hflip",
    "label_smoothing",
    "seed",
)


def model_details(
    meta: Any,
    model_ref: str,
    backend: str = "",
    fallback_reason: str | None = None,
    evaluation: Mapping[str, Any] | None = None,
    lang: str = "en",
) -> str:
    """The details under the overview: each fact once (architecture, input, data, training, metrics, publishing)."""
    names = list(meta.class_names)
    uk = is_ukrainian(names)
    kind = getattr(meta, "kind", "image")
    lines = [f"- **{text('d_arch', lang)}:** {_arch_text(meta, kind, lang)}"]
    if kind != "image":
        lines.append(f"- **{text('d_kind', lang)}:** `{kind}`")
    if backend:
        lines.append(f"- **{text('d_backend', lang)}:** `{backend}`")
    if fallback_reason:
        lines.append(f"- **{text('d_runtime', lang)}:** {fallback_reason}")
    lines.append(
        f"- **{text('d_classes', lang)} ({len(names)}):** {', '.join(display_label(c, uk) for c in names)}"
    )
    motion = motion_letters(names)
    if motion:
        lines.append(f"- **{text('d_motion', lang)}:** {', '.join(display_label(c, uk) for c in motion)}")
    lines.append(f"- **{text('d_input', lang)}:** {_input_text(meta, kind, lang)}")
    protocol = split_protocol(meta.data or {})
    if protocol:
        lines.append(f"- **{text('d_split', lang)}:** {protocol}")
    tc = meta.train_config or {}
    if tc:
        settings = ", ".join(f"`{k}={tc[k]}`" for k in TRAINING_KEYS if k in tc)
        lines.append(f"- **{text('d_training', lang)}:** {settings}")
    shown = {k: v for k, v in (meta.metrics or {}).items() if not isinstance(v, dict | list)}
    if shown:
        lines.append(
            f"- **{text('d_metrics', lang)}:** " + ", ".join(f"`{k}={_fmt(v)}`" for k, v in shown.items())
        )
    return "\n".join(lines + _publish_lines(model_ref, lang))


def _arch_text(meta: Any, kind: str, lang: str) -> str:
    """The architecture: a CNN with its width and dropout, else the model's own name."""
    if kind != "image":
        return f"`{meta.arch}`"
    return text(
        "d_arch_text", lang, arch=f"`{meta.arch}`", width=f"{meta.width_mult:g}", dropout=f"{meta.dropout:g}"
    )


def _input_text(meta: Any, kind: str, lang: str) -> str:
    """What the model reads: the photo's size and normalization, or the hand stage's points."""
    if kind != "image":  # a landmark model reads the hand stage's points, not the photo
        n = (getattr(meta, "landmarks", None) or {}).get("n_features", "?")
        return text("d_input_landmarks", lang, n=n)
    prep = meta.preprocessing
    return text(
        "d_input_text",
        lang,
        size=prep.size,
        mean=tuple(round(m, 3) for m in prep.mean),
        std=tuple(round(s, 3) for s in prep.std),
    )


def _publish_lines(model_ref: str, lang: str) -> list[str]:
    return [
        "",
        f"#### {text('d_publish', lang)}",
        "```bash",
        "hf auth login          # once",
        f"sign-ml push {publish_ref(model_ref)} --repo USER/NAME",
        "```",
        text("d_publish_text", lang),
    ]


def publish_ref(model_ref: str) -> str:
    """The model as `sign-ml push` takes it, without the server's absolute path (RUN_DIR instead)."""
    return "RUN_DIR" if Path(str(model_ref)).is_absolute() else str(model_ref)


def split_protocol(data: Mapping[str, Any]) -> str:
    """The Model tab's split line: `source=…`, `method=…`, `ratios=70/15/15` (the cards' own formatter), ..."""
    bits = []
    for key in ("source", "method", "ratios", "group_pattern", "group_column", "seed"):
        value = ratios_text(data) if key == "ratios" else data.get(key)
        if value in (None, "", [], {}):
            continue
        bits.append(f"`{key}={value}`")
    totals = data.get("totals")
    if isinstance(totals, Mapping) and all(isinstance(v, int | float) for v in totals.values()):
        bits.append("`sizes=" + ",".join(f"{k}:{v}" for k, v in totals.items()) + "`")
    return ", ".join(bits)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


# ---------------------------------------------------------------- Dataset tab
def class_counts(labels: Iterable[str]) -> pd.DataFrame:
    """DataFrame[class, photos] in alphabet order (Ukrainian order when the classes are Ukrainian)."""
    counts = pd.Series(list(labels), dtype=object).value_counts()
    order = order_classes([str(c) for c in counts.index])
    return pd.DataFrame({"class": order, "photos": [int(counts[c]) for c in order]})


def counts_frame(counts: Mapping[str, int]) -> pd.DataFrame:
    order = order_classes(list(counts))
    return pd.DataFrame({"class": order, "photos": [int(counts[c]) for c in order]})


def imbalance_ratio(counts: pd.DataFrame) -> float:
    """Largest class over smallest (inf when a class is empty)."""
    if counts.empty:
        return float("nan")
    lo, hi = counts["photos"].min(), counts["photos"].max()
    return float("inf") if lo == 0 else float(hi / lo)


def imbalance_markdown(ratio: float, lang: str = "en") -> str:
    if np.isfinite(ratio):
        return f"**{ratio:.2f}**"
    return f"**{text('imbalance_inf', lang)}**" if ratio > 0 else ""


def split_sizes(manifest: pd.DataFrame) -> pd.DataFrame:
    """Photos per class and split, plus totals: rows = classes + "total", columns = splits + "total"."""
    return _sizes_table(pd.crosstab(manifest["label"], manifest["split"]))


def recorded_sizes(data: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(class counts, split sizes) from a model's recorded `data.counts` ({split: {class: n}}); empty if none."""
    counts = data.get("counts") or {}
    if (
        not isinstance(counts, Mapping)
        or not all(isinstance(v, Mapping) for v in counts.values())
        or not counts
    ):
        return pd.DataFrame({"class": [], "photos": []}), pd.DataFrame()
    table = pd.DataFrame(counts).fillna(0).astype(int)  # rows = classes, columns = splits
    return counts_frame(table.sum(axis=1).to_dict()), _sizes_table(table)


def _sizes_table(table: pd.DataFrame) -> pd.DataFrame:
    splits = [s for s in SPLIT_NAMES if s in table.columns] + [
        s for s in table.columns if s not in SPLIT_NAMES
    ]
    table = table.reindex(index=order_classes([str(i) for i in table.index]), columns=splits, fill_value=0)
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    return table.rename_axis("class").reset_index()


def report_checks(report: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The report's checks as {name: {summary, stats, issues}}, from a dict or a list of checks."""
    checks = report.get("checks", {})
    if isinstance(checks, list):
        checks = {c.get("name", str(i)): c for i, c in enumerate(checks)}
    return {str(k): dict(v) for k, v in checks.items()}


def report_counts(report: Mapping[str, Any]) -> pd.DataFrame:
    """Class counts from a curation report: its `classes` list (empty classes included), else the balance stats."""
    classes = report.get("classes")
    if isinstance(classes, list) and classes:
        return counts_frame({str(c["name"]): int(c.get("count", 0)) for c in classes})
    for source in (
        report.get("class_counts"),
        (report_checks(report).get("balance", {}).get("stats") or {}).get("counts"),
    ):
        if isinstance(source, Mapping) and source:
            return counts_frame(source)
    return pd.DataFrame({"class": [], "photos": []})


def issue_tables(report: Mapping[str, Any], relative_to: str | None = None) -> dict[str, pd.DataFrame]:
    """One DataFrame per issue group (unreadable/odd files, duplicates, leakage), paths shortened."""
    checks = report_checks(report)
    root = report.get("root") or relative_to
    out: dict[str, pd.DataFrame] = {}
    for key, names in ISSUE_GROUPS.items():
        frames = [
            pd.DataFrame(checks[n]["issues"]).assign(check=n)
            for n in names
            if checks.get(n, {}).get("issues")
        ]
        table = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=["path", "flag", "score"])
        )
        if root and "path" in table.columns:
            table["path"] = [relative(str(p), str(root)) for p in table["path"]]
        first = [
            c for c in ("path", "flag", "score", "detail", "cluster", "split", "check") if c in table.columns
        ]
        out[key] = table[first + [c for c in table.columns if c not in first]]
    return out


def localize_issues(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """An issue table as the Dataset tab shows it in `lang`: findings, checks, splits and yes/no translated,
    headers too; the curation's free-text `detail` (English) only in English."""
    from sign_ml.ui.i18n import FLAGS_UK

    table = table.copy()
    if lang != "en":
        table = table.drop(columns=[c for c in ("detail",) if c in table.columns])
        if "flag" in table.columns:
            table["flag"] = [FLAGS_UK.get(str(f), str(f)) for f in table["flag"]]
        for col in ("split", "other_splits"):
            if col in table.columns:
                table[col] = [text(f"col_{v}", lang) if v in SPLIT_NAMES else v for v in table[col]]
    if "check" in table.columns:
        table["check"] = [
            text(f"check_{c}", lang) if f"check_{c}" in _known_checks() else c for c in table["check"]
        ]
    for col in table.columns:
        if table[col].dtype == bool:
            table[col] = [text("yes" if v else "no", lang) for v in table[col]]
    return translate_columns(table, lang)


def relative(path: str, root: str) -> str:
    root = root.rstrip("/") + "/"
    return path[len(root) :] if path.startswith(root) else path


def report_summary(report: Mapping[str, Any], lang: str = "en") -> str:
    """Markdown: one line per check, in `lang`: what it looked for and how many files it flagged."""
    lines = []
    for name, check in report_checks(report).items():
        label = text(f"check_{name}", lang) if f"check_{name}" in _known_checks() else name
        n = check.get("n_issues", len(check.get("issues") or []))
        line = f"- **{label}**: " + (text("flagged", lang, n=n) if n else text("none_found", lang))
        mixed = (check.get("stats") or {}).get("mixed_label_clusters")
        if mixed:
            line += f"; {text('mixed_clusters', lang, n=mixed)}"
        lines.append(line)
    return "\n".join(lines)


@cache
def _known_checks() -> frozenset[str]:
    from sign_ml.ui.i18n import STRINGS

    return frozenset(k for k in STRINGS["en"] if k.startswith("check_"))


def duplicate_clusters(duplicates: pd.DataFrame, limit: int = 12) -> list[tuple[str, list[str], bool]]:
    """[(cluster id, [paths], mixes labels)] of the duplicate table, mixed-label clusters first, at most `limit`."""
    if duplicates.empty or "cluster" not in duplicates.columns:
        return []
    out = []
    for cid, rows in duplicates.groupby("cluster", sort=False):
        labels = set(rows["label"]) if "label" in rows.columns else set()
        mixed = bool(rows.get("mixed_labels", pd.Series([False])).any()) or len(labels) > 1
        out.append((str(cid), [str(p) for p in rows["path"]], mixed))
    out.sort(key=lambda c: (not c[2], c[0]))
    return out[:limit]


# ---------------------------------------------------------------- Evaluation tab
def confusion_frame(metrics: Mapping[str, Any], normalized: bool = True) -> pd.DataFrame:
    """The K×K confusion matrix with class names: index = true letter, columns = predicted letter."""
    names = list(metrics["class_names"])
    key = "confusion_matrix_normalized" if normalized else "confusion_matrix"
    matrix = np.asarray(metrics[key], dtype=float)
    if matrix.shape != (len(names), len(names)):
        raise ValueError(f"{key} has shape {matrix.shape}, expected {len(names)}×{len(names)}")
    return pd.DataFrame(matrix, index=pd.Index(names, name="true \\ predicted"), columns=names)


@dataclass(frozen=True)
class HeatmapLayout:
    """Where the cells of a drawn confusion heatmap are: cell (i, j) spans left + j·cell … left + (j+1)·cell."""

    n: int
    cell: int
    left: int
    top: int

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(row, column) under the pixel (x, y) of the drawn image; None outside the grid."""
        j, i = (x - self.left) // self.cell, (y - self.top) // self.cell
        return (int(i), int(j)) if 0 <= i < self.n and 0 <= j < self.n else None


def heatmap_layout(n: int) -> HeatmapLayout:
    """Cells sized so the whole matrix fits a 1366×900 screen for up to 33 classes (≤ ~800 px square)."""
    cell = max(20, min(40, 760 // max(n, 1)))
    return HeatmapLayout(n=n, cell=cell, left=70, top=64)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        import matplotlib

        return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf"), size)
    except (ImportError, OSError):
        return ImageFont.load_default(size)


def confusion_heatmap(
    cm: pd.DataFrame, lang: str = "en", selected: tuple[int, int] | None = None
) -> Image.Image:
    """The row-normalised matrix as an image: blue diagonal (right), red errors, % in every non-zero cell,
    letters on both axes, the axes named; `selected` (row, column) is outlined and keeps its value."""
    n = len(cm)
    lay = heatmap_layout(n)
    size_w, size_h = lay.left + n * lay.cell + 12, lay.top + n * lay.cell + 12
    img = Image.new("RGB", (size_w, size_h), "white")
    draw = ImageDraw.Draw(img)
    small, label, axis = _font(max(9, lay.cell // 3)), _font(max(11, lay.cell // 2)), _font(14)
    uk = is_ukrainian([str(c) for c in cm.columns])
    draw.text(
        (lay.left, 2), text("axis_predicted", lang), fill="black", font=axis
    )  # line 1: the columns' title
    draw.text((2, 22), text("axis_true", lang), fill="black", font=axis)  # line 2, above the row letters
    values = cm.to_numpy(dtype=float)
    for k, name in enumerate(cm.columns):
        shown = ukrainian_letter(str(name)).char if uk and ukrainian_letter(str(name)) else str(name)
        cx = lay.left + k * lay.cell + lay.cell / 2
        draw.text((cx, lay.top - 6), shown, fill="black", font=label, anchor="md")
        cy = lay.top + k * lay.cell + lay.cell / 2
        draw.text((lay.left - 8, cy), shown, fill="black", font=label, anchor="rm")
    for i in range(n):
        for j in range(n):
            v = float(values[i, j])
            x0, y0 = lay.left + j * lay.cell, lay.top + i * lay.cell
            box = (x0, y0, x0 + lay.cell - 1, y0 + lay.cell - 1)
            if v > 0:
                strength = 0.15 + 0.85 * min(v, 1.0)
                base = (37, 99, 235) if i == j else (220, 38, 38)
                colour = tuple(int(255 - strength * (255 - c)) for c in base)
                draw.rectangle(box, fill=colour)
                ink = "white" if strength > 0.55 else "black"
                draw.text(
                    (x0 + lay.cell / 2, y0 + lay.cell / 2),
                    f"{v * 100:.0f}",
                    fill=ink,
                    font=small,
                    anchor="mm",
                )
            else:
                draw.rectangle(box, fill=(246, 246, 246))
    if selected is not None:
        i, j = selected
        x0, y0 = lay.left + j * lay.cell, lay.top + i * lay.cell
        draw.rectangle(
            (x0 - 2, y0 - 2, x0 + lay.cell + 1, y0 + lay.cell + 1), outline=(250, 204, 21), width=3
        )
        draw.rectangle((x0 - 3, y0 - 3, x0 + lay.cell + 2, y0 + lay.cell + 2), outline="black", width=1)
    return img


def cell_caption(
    true: str, pred: str, n: int, share: float, class_names: Sequence[str], lang: str = "en"
) -> str:
    uk = is_ukrainian(list(class_names))
    if n == 0:  # an empty cell: no "0 photo(s) … misclassified"
        return text("cell_empty", lang, true=display_label(true, uk), pred=display_label(pred, uk))
    what = text("correct" if true == pred else "misclassified", lang)
    return text(
        "cell_caption",
        lang,
        true=display_label(true, uk),
        pred=display_label(pred, uk),
        n=n,
        share=pct(share),
        what=what,
    )


def loss_caption(row: Mapping[str, Any], class_names: Sequence[str], lang: str = "en") -> str:
    """A gallery caption in full: file, true letter and its probability, predicted letter and its probability."""
    uk = is_ukrainian(list(class_names))
    name = str(row.get("relpath") or row.get("path") or "")
    p_true = row.get("prob_true")
    if str(row["pred"]) == NO_HAND_LABEL:
        return f"{name}: {text('col_true', lang)} {display_label(str(row['true']), uk)} → {text('no_hand_short', lang)}"
    return text(
        "loss_caption",
        lang,
        name=name,
        true=display_label(str(row["true"]), uk),
        p_true=pct(p_true) if p_true is not None and pd.notna(p_true) else "?",
        pred=display_label(str(row["pred"]), uk),
        p_pred=pct(row["prob_pred"]),
    )


def gallery_items(
    rows: pd.DataFrame, resolve: Callable[[pd.Series], Any], class_names: Sequence[str], lang: str = "en"
) -> list[tuple[Any, str]]:
    """[(image or None, caption)]: `resolve(row)` turns a predictions row into what the gallery shows."""
    return [(resolve(row), loss_caption(row, class_names, lang)) for _, row in rows.iterrows()]


def per_class_frame(metrics: Mapping[str, Any], lang: str = "en") -> pd.DataFrame:
    """[class, precision, recall, f1, support] in `lang`, worst F1 first (the sort the label promises).

    With motion letters in the class set (`curation.alphabet`'s flags) a `group` column comes first and
    the motion letters form their own block before the static ones, each worst F1 first."""
    from curation.alphabet import motion_letters

    table = pd.DataFrame(metrics.get("per_class", []))
    cols = ["class", "precision", "recall", "f1", "support"]
    if table.empty:
        return translate_columns(pd.DataFrame(columns=cols), lang)
    names = list(metrics.get("class_names", []))
    uk = is_ukrainian(names)
    motion = set(motion_letters(names))
    is_motion = table["class"].astype(str).isin(motion)
    table["class"] = [display_label(str(c), uk) for c in table["class"]]
    for col in ("precision", "recall", "f1"):
        table[col] = table[col].astype(float).round(3)
    if not is_motion.any():
        table = table[cols].sort_values(["f1", "class"], kind="stable").reset_index(drop=True)
        return translate_columns(table, lang)
    # the few motion letters first: at the bottom of a 26- or 33-row scroll box nobody would see them
    table["_static"] = (~is_motion).astype(int)
    table["group"] = [text("group_motion" if m else "group_static", lang) for m in is_motion]
    table = table.sort_values(["_static", "f1", "class"], kind="stable").reset_index(drop=True)
    return translate_columns(table[["group", *cols]], lang)


def group_summary(metrics: Mapping[str, Any], lang: str = "en") -> str:
    """One Markdown line: accuracy of the static and of the motion letters apart ("" without motion
    letters). From metrics.json's `groups`, else from per-class recall × support (the same counts)."""
    from curation.alphabet import motion_letters

    names = list(metrics.get("class_names", []))
    motion = motion_letters(names)
    rows = metrics.get("per_class", [])
    if not motion or not rows:
        return ""

    def pooled(in_group: bool) -> tuple[str, int]:
        mine = [r for r in rows if (r["class"] in motion) == in_group]
        n = sum(int(r["support"]) for r in mine)
        right = sum(float(r["recall"]) * int(r["support"]) for r in mine)
        return ("–" if n == 0 else f"{right / n:.3f}"), n

    static_acc, static_n = pooled(False)
    motion_acc, motion_n = pooled(True)
    uk = is_ukrainian(names)
    return text(
        "groups_line",
        lang,
        static_acc=static_acc,
        static_n=static_n,
        motion_acc=motion_acc,
        motion_n=motion_n,
        letters=", ".join(display_label(c, uk) for c in motion),
    )


def most_confused_pairs(metrics: Mapping[str, Any], min_count: int = 1) -> list[tuple[str, str, int]]:
    """[(true, predicted, count)] of the most-confused pairs, largest first (raw class names)."""
    pairs = [(str(t), str(p), int(c)) for t, p, c in metrics.get("most_confused", []) if int(c) >= min_count]
    return sorted(pairs, key=lambda p: -p[2])


def most_confused_frame(metrics: Mapping[str, Any], lang: str = "en") -> pd.DataFrame:
    """DataFrame[true, predicted, count] in `lang`, rows in `most_confused_pairs` order (a click maps back)."""
    uk = is_ukrainian(list(metrics.get("class_names", [])))
    rows = [(display_label(t, uk), display_label(p, uk), c) for t, p, c in most_confused_pairs(metrics)]
    return translate_columns(pd.DataFrame(rows, columns=["true", "predicted", "count"]), lang)


def eval_summary(metrics: Mapping[str, Any], lang: str = "en") -> str:
    """One Markdown line: split, n, accuracy, macro-F1, ECE."""

    def num(key: str) -> str:
        return f"{float(metrics[key]):.3f}" if metrics.get(key) is not None else "?"

    split = metrics.get("split", "?")
    split = text(f"col_{split}", lang) if split in SPLIT_NAMES else split
    line = text(
        "eval_summary",
        lang,
        split=split,
        n=metrics.get("n", "?"),
        acc=num("accuracy"),
        f1=num("macro_f1"),
        ece=num("ece"),
    )
    no_hand = metrics.get("no_hand")
    no_hand = (
        sum(no_hand.values())
        if isinstance(no_hand, Mapping)
        else sum(no_hand)
        if isinstance(no_hand, list)
        else no_hand
    )
    return f"{line} · {text('eval_no_hand', lang, n=int(no_hand))}" if no_hand else line


def curves_long(history: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """metrics.csv (one row per epoch) → long DataFrame[epoch, value, series, kind], series named in `lang`."""
    series = [c for c in ("train_loss", "val_loss", "train_acc", "val_acc") if c in history.columns]
    long = history.melt(id_vars=["epoch"], value_vars=series, var_name="series", value_name="value")
    long["kind"] = ["loss" if s.endswith("loss") else "accuracy" for s in long["series"]]
    long["series"] = [text(f"series_{s}", lang) for s in long["series"]]
    return long.dropna(subset=["value"]).reset_index(drop=True)


# ---------------------------------------------------------------- signers the model has not seen
def loso_markdown(loso: Any, lang: str) -> str:
    """The honest number: accuracy on signers the model has not seen, or plainly that it is unknown."""
    if loso is None:
        return text("loso_none", lang)
    if loso.status != "ok":
        return f"### {text('loso_unknown', lang)}"
    return "### " + text(
        "loso_result",
        lang,
        acc=pct(loso.accuracy),
        mean=pct(loso.mean_signer_accuracy),
        n=len(loso.per_signer),
    )


def loso_table(loso: Any, lang: str) -> pd.DataFrame | None:
    if loso is None or loso.per_signer is None or loso.per_signer.empty:
        return None
    table = loso.per_signer.copy()
    if "accuracy" in table.columns:
        table["accuracy"] = table["accuracy"].map(lambda a: pct(a) if a == a else "—")
    # the "photos" column counts every held-out sample: clips too, when there are any
    samples = "loso_col_samples" if getattr(loso, "n_clips", 0) else "loso_col_photos"
    return table.rename(
        columns={c: text(samples if c == "photos" else f"loso_col_{c}", lang) for c in table.columns}
    )


def loso_heatmap(loso: Any, lang: str) -> Image.Image | None:
    """The leave-one-signer-out confusion matrix drawn as the Evaluation tab's heatmap, axes named in `lang`
    (loso_confusion.png beside loso.json is the model card's, in English); None without one."""
    interp = loso.interpretation() if loso is not None else None
    if interp is None:
        return None
    names = [str(c) for c in interp.class_names]
    frame = pd.DataFrame(interp.confusion_matrix(normalize=True), index=names, columns=names)
    return confusion_heatmap(frame, lang)


def split_notes_markdown(notes: Sequence[Mapping[str, Any]], lang: str = "en") -> str:
    """The split's notes (`curation.splitting.split_notes`, kept in splits.json) as bullet points in `lang`."""
    from curation.splitting import name_list

    def splits(names: Sequence[str]) -> str:
        return ", ".join(text(f"col_{n}", lang) if n in SPLIT_NAMES else str(n) for n in names)

    lines = []
    for note in notes:
        kind = note.get("kind")
        if lang == "en" or kind is None:
            lines.append(f"- {note.get('text', '')}")
        elif kind == "near_duplicates":
            who, pairs = list(note["who"]), list(note["pairs"])
            shown = ", ".join(pairs[:4]) + (f" … (+{len(pairs) - 4})" if len(pairs) > 4 else "")
            lines.append(f"- {text('note_near_duplicates', lang, who=', '.join(who), pairs=shown)}")
        elif kind in ("nothing_held_out", "missing_splits"):
            why = text(f"note_why_{note['reason']}", lang, n=note.get("n_groups", 0))
            lines.append(f"- {text(f'note_{kind}', lang, splits=splits(note['splits']), why=why)}")
        elif kind == "train_only":
            why = text("note_only_group" if note.get("reason") == "group" else "note_only_few", lang)
            lines.append(
                f"- {text('note_train_only', lang, letters=name_list(list(note['letters']), 12), why=why)}"
            )
        else:
            lines.append(f"- {note.get('text', '')}")
    return "\n".join(lines)
