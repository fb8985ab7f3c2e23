"""Pure functions turning predictions, evaluation outputs and curation reports into what the
app shows: label dicts, Markdown, DataFrames (plain or styled). No Gradio, no file reading,
so every view is tested on hand-built inputs.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from curation.alphabet import is_ukrainian, order_classes, ukrainian_letter
from sign_ml.ui.i18n import text

Prediction = Sequence[tuple[str, float]]  # [(class name, probability)], most probable first

# The issue tables of the Dataset tab: i18n key of the table → the report's checks whose issues it lists
# (see curation/report.py: "loading" = files skipped while loading, "integrity" = unreadable or odd files).
ISSUE_GROUPS: dict[str, tuple[str, ...]] = {
    "issues_unreadable": ("integrity", "loading"),
    "issues_duplicates": ("duplicates",),
    "issues_leakage": ("leakage",),
}


# ---------------------------------------------------------------- Recognize tab
def display_label(class_name: str, ukrainian: bool = True) -> str:
    """The letter plus its name (`Й (йот)`) for a Ukrainian class set; any other class name as it is.

    ukrainian: whether the model's whole class set is Ukrainian (`curation.alphabet.is_ukrainian`), so
    an ASL "B" is never shown as the Ukrainian Б whose transliteration it happens to be.
    """
    letter = ukrainian_letter(class_name) if ukrainian else None
    return f"{letter.char} ({letter.name})" if letter else class_name


def label_dict(preds: Prediction, ukrainian: bool = True) -> dict[str, float]:
    """{`letter (name)`: probability} for gr.Label, in the predictor's order (most probable first)."""
    return {display_label(name, ukrainian): float(p) for name, p in preds}


def api_dict(preds: Prediction) -> dict[str, float]:
    """{class name: probability}: the raw names a program calling the API wants."""
    return {name: float(p) for name, p in preds}


def is_motion(class_name: str, ukrainian: bool = True) -> bool:
    letter = ukrainian_letter(class_name) if ukrainian else None
    return bool(letter and letter.motion)


def verdict_markdown(preds: Prediction, threshold: float, lang: str = "en", ukrainian: bool = True) -> str:
    """The answer line: the letter in large type, or "not sure" below the threshold."""
    if not preds:
        return ""
    name, prob = preds[0]
    if prob < threshold:
        return f"### {text('not_sure', lang)}\n\n({display_label(name, ukrainian)}: {prob:.0%} < {threshold:.0%})"
    line = f"## {display_label(name, ukrainian)} · {prob:.0%}"
    if is_motion(name, ukrainian):
        line += f"\n\n_{text('motion_note', lang)}_"
    return line


def model_note(meta: Any, model_ref: str, lang: str = "en") -> str:
    """One line naming the loaded model; for the embedded demo model, say plainly what it is."""
    data = getattr(meta, "data", {}) or {}
    metrics = getattr(meta, "metrics", {}) or {}
    parts = [f"**{text('loaded_model', lang)}:** `{model_ref}`"]
    described = data.get("description") or data.get("name") or data.get("source")
    if described:
        parts.append(str(described))
    acc = _first(metrics, ("test_accuracy", "accuracy", "val_accuracy"))
    if acc is not None:
        which = next(k for k in ("test_accuracy", "accuracy", "val_accuracy") if metrics.get(k) is not None)
        parts.append(f"{which.replace('_', ' ')} {float(acc):.1%}")
    note = " · ".join(parts)
    if data.get("demo") or "demo" in str(model_ref).replace("\\", "/").split("/")[-2:]:
        note += f"\n\n_{text('demo_model', lang)}_"
    return note


def _first(d: Mapping[str, Any], keys: Iterable[str]) -> Any:
    return next((d[k] for k in keys if d.get(k) is not None), None)


# ---------------------------------------------------------------- Model tab
def model_markdown(
    meta: Any,
    model_ref: str,
    backend: str = "",
    fallback_reason: str | None = None,
    evaluation: Mapping[str, Any] | None = None,
) -> str:
    """What the model is: architecture, classes, input, training config, metrics, how to publish.

    evaluation: the metrics.json the Evaluation tab shows (its split is named here too).
    """
    prep = meta.preprocessing
    uk = is_ukrainian(meta.class_names)
    classes = ", ".join(display_label(c, uk) for c in meta.class_names)
    motion = [c for c in meta.class_names if is_motion(c, uk)]
    tc = meta.train_config or {}
    data = meta.data or {}
    lines = [
        f"### {meta.arch} (width ×{meta.width_mult:g}, dropout {meta.dropout:g})",
        f"- **Loaded from:** `{model_ref}`" + (f" · served by **{backend}**" if backend else ""),
    ]
    if fallback_reason:
        lines.append(f"- **Runtime note:** {fallback_reason}")
    lines += [
        f"- **Classes ({len(meta.class_names)}):** {classes}",
        f"- **Input:** {prep.size}×{prep.size} px RGB, resize `{prep.resize}` (whole photo, never cropped), "
        f"mean {tuple(round(m, 3) for m in prep.mean)}, std {tuple(round(s, 3) for s in prep.std)}",
    ]
    if motion:
        lines.append(f"- **Motion letters (a photo shows only their static start):** {', '.join(motion)}")
    protocol = _split_protocol(data, tc)
    if protocol:
        lines.append(f"- **Data and split protocol:** {protocol}")
    if meta.metrics:
        shown = ", ".join(f"{k} {_fmt(v)}" for k, v in meta.metrics.items() if not isinstance(v, dict | list))
        lines.append(f"- **Metrics:** {shown}" + (f" (split protocol: {protocol})" if protocol else ""))
    if tc:
        keys = (
            "epochs",
            "batch_size",
            "lr",
            "lr_schedule",
            "weights",
            "image_size",
            "augment",
            "label_smoothing",
            "seed",
        )
        shown = ", ".join(f"{k}={tc[k]}" for k in keys if k in tc)
        lines.append(f"- **Training config:** {shown}")
    if evaluation:
        lines.append(f"- **Evaluation:** {eval_summary(evaluation)}")
    lines += [
        "",
        "#### How to publish it",
        "```bash",
        "huggingface-cli login          # once",
        f"sign-ml push {model_ref} --repo USER/NAME",
        "```",
        "The Hub repository gets the weights (safetensors), config.json and a model card with these metrics.",
    ]
    return "\n".join(lines)


def _split_protocol(data: Mapping[str, Any], tc: Mapping[str, Any]) -> str:
    bits = []
    for key in ("source", "splits_dir", "method", "ratios", "group_pattern", "group_column", "seed"):
        if data.get(key) not in (None, "", [], {}):
            bits.append(f"{key} {data[key]}")
    counts = data.get("counts") or data.get("split_counts")
    if isinstance(counts, Mapping) and all(isinstance(v, int | float) for v in counts.values()):
        bits.append("sizes " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return "; ".join(bits)


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


def split_sizes(manifest: pd.DataFrame) -> pd.DataFrame:
    """Photos per class and split, plus totals: rows = classes + "total", columns = splits + "total"."""
    table = pd.crosstab(manifest["label"], manifest["split"])
    splits = [s for s in ("train", "validation", "test") if s in table.columns] + [
        s for s in table.columns if s not in ("train", "validation", "test")
    ]
    table = table.reindex(index=order_classes(list(table.index)), columns=splits, fill_value=0)
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
        frames = []
        for name in names:
            issues = checks.get(name, {}).get("issues")
            if issues:
                frames.append(pd.DataFrame(issues).assign(check=name))
        table = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=["path", "flag", "score"])
        )
        if root and "path" in table.columns:
            table["path"] = [_relative(str(p), str(root)) for p in table["path"]]
        first = [
            c for c in ("path", "flag", "score", "detail", "cluster", "split", "check") if c in table.columns
        ]
        out[key] = table[first + [c for c in table.columns if c not in first]]
    return out


def _relative(path: str, root: str) -> str:
    root = root.rstrip("/") + "/"
    return path[len(root) :] if path.startswith(root) else path


def report_summary(report: Mapping[str, Any]) -> str:
    """Markdown: one line per check (its summary), as the report wrote it."""
    lines = [f"- **{name}**: {c.get('summary', '')}" for name, c in report_checks(report).items()]
    return "\n".join(lines)


# ---------------------------------------------------------------- Evaluation tab
def confusion_frame(metrics: Mapping[str, Any], normalized: bool = True) -> pd.DataFrame:
    """The K×K confusion matrix with class names: index = true letter, columns = predicted letter."""
    names = list(metrics["class_names"])
    key = "confusion_matrix_normalized" if normalized else "confusion_matrix"
    matrix = np.asarray(metrics[key], dtype=float)
    if matrix.shape != (len(names), len(names)):
        raise ValueError(f"{key} has shape {matrix.shape}, expected {len(names)}×{len(names)}")
    return pd.DataFrame(matrix, index=pd.Index(names, name="true \\ predicted"), columns=names)


def confusion_table(cm: pd.DataFrame) -> pd.DataFrame:
    """The matrix with the true letter as its first column: the shape gr.Dataframe shows."""
    return cm.reset_index()


def confusion_styler(cm: pd.DataFrame) -> Any:
    """Heatmap colours per cell: blue for the diagonal (right), red for errors, by share of the row."""
    table = confusion_table(cm)
    n = len(cm)

    def colour(frame: pd.DataFrame) -> pd.DataFrame:
        styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for i in range(n):
            for j in range(n):
                v = float(frame.iat[i, j + 1])
                if v <= 0:
                    continue
                alpha = 0.15 + 0.85 * min(v, 1.0)
                rgb = "37, 99, 235" if i == j else "220, 38, 38"
                ink = "white" if alpha > 0.55 else "black"
                styles.iat[i, j + 1] = f"background-color: rgba({rgb}, {alpha:.2f}); color: {ink}"
        return styles

    return table.style.apply(colour, axis=None).format(
        lambda v: "" if v == 0 else f"{v:.2f}", subset=list(cm.columns)
    )


def cell_from_index(cm: pd.DataFrame, row: int, col: int) -> tuple[str, str] | None:
    """(true, predicted) for a click at (row, col) of `confusion_table(cm)`; None for the label column."""
    if col < 1 or not 0 <= row < len(cm) or col > len(cm.columns):
        return None
    return str(cm.index[row]), str(cm.columns[col - 1])


def cell_rows(predictions: pd.DataFrame, true: str, pred: str) -> pd.DataFrame:
    """The photos of one cell (true letter `true` predicted as `pred`), most confident first."""
    rows = predictions[(predictions["true"].astype(str) == true) & (predictions["pred"].astype(str) == pred)]
    return rows.sort_values("prob_pred", ascending=False)


def gallery_items(
    rows: pd.DataFrame, resolve: Callable[[pd.Series], Any], ukrainian: bool = True
) -> list[tuple[Any, str]]:
    """[(image or None, caption)]: `resolve(row)` turns a predictions row into what the gallery shows."""
    items = []
    for _, row in rows.iterrows():
        name = str(row.get("relpath") or row["path"])
        caption = f"{name}: {display_label(str(row['pred']), ukrainian)} {float(row['prob_pred']):.0%}"
        if "prob_true" in row and pd.notna(row["prob_true"]):
            caption += f" (true {display_label(str(row['true']), ukrainian)} {float(row['prob_true']):.0%})"
        items.append((resolve(row), caption))
    return items


def cell_caption(true: str, pred: str, n: int, ukrainian: bool = True) -> str:
    what = "correct" if true == pred else "misclassified"
    return f"**true {display_label(true, ukrainian)} → predicted {display_label(pred, ukrainian)}**: {n} photo(s), {what}"


def per_class_frame(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """DataFrame[class, precision, recall, f1, support] in the model's class order."""
    table = pd.DataFrame(metrics.get("per_class", []))
    if table.empty:
        return pd.DataFrame(columns=["class", "precision", "recall", "f1", "support"])
    uk = is_ukrainian(list(metrics.get("class_names", [])))
    table["class"] = [display_label(str(c), uk) for c in table["class"]]
    for col in ("precision", "recall", "f1"):
        table[col] = table[col].astype(float).round(3)
    return table[["class", "precision", "recall", "f1", "support"]]


def most_confused_frame(metrics: Mapping[str, Any], min_count: int = 1) -> pd.DataFrame:
    """DataFrame[true, predicted, count] of the most-confused pairs, largest first."""
    pairs = [p for p in metrics.get("most_confused", []) if int(p[2]) >= min_count]
    table = pd.DataFrame(pairs, columns=["true", "predicted", "count"])
    if not table.empty:
        uk = is_ukrainian(list(metrics.get("class_names", [])))
        table["true"] = [display_label(str(c), uk) for c in table["true"]]
        table["predicted"] = [display_label(str(c), uk) for c in table["predicted"]]
        table = table.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)
    return table


def eval_summary(metrics: Mapping[str, Any]) -> str:
    """One Markdown line: split, n, accuracy, macro-F1, ECE."""
    bits = [f"split **{metrics.get('split', '?')}**", f"{metrics.get('n', '?')} photos"]
    for key in ("accuracy", "macro_f1", "ece"):
        if metrics.get(key) is not None:
            bits.append(f"{key.replace('_', '-')} **{float(metrics[key]):.3f}**")
    return " · ".join(bits)


def curves_long(history: pd.DataFrame) -> pd.DataFrame:
    """metrics.csv (one row per epoch) → long DataFrame[epoch, value, series, kind] for line plots."""
    series = [c for c in ("train_loss", "val_loss", "train_acc", "val_acc") if c in history.columns]
    long = history.melt(id_vars=["epoch"], value_vars=series, var_name="series", value_name="value")
    long["kind"] = ["loss" if s.endswith("loss") else "accuracy" for s in long["series"]]
    return long.dropna(subset=["value"]).reset_index(drop=True)


def escape(s: str) -> str:
    return html.escape(s, quote=True)
