"""Evaluation: an `Interpretation` built once from predictions, then cheap questions asked of it (fastai style).

Computing is kept apart from plotting and from files: `Interpretation` holds labels and probabilities and
answers accuracy, per-class metrics, the confusion matrix, the most confused pairs, top losses, a confusion
cell's photos and calibration (ECE); `save`/`load` move it to and from RUN/eval/<split>/, which the app and
Hub publishing read; `evaluate_run` predicts a split of a curated split directory and writes all of it.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from curation.fileio import read_json
from sign_ml.artifacts import CONFIG_FILE, atomic_write_bytes, atomic_write_json, atomic_write_text

log = logging.getLogger(__name__)

EVAL_DIR = "eval"
PREDICTIONS_FILE, PROBS_FILE, METRICS_FILE = "predictions.csv", "probs.npy", "metrics.json"
CONFUSION_PNG, UNREADABLE_FILE = "confusion_matrix.png", "unreadable.csv"
PREDICTION_COLUMNS = ["path", "relpath", "true", "pred", "prob_pred", "prob_true", "loss", "correct"]
NO_HAND_LABEL = "(no hand)"  # the prediction shown for a photo in which no hand was found
_EPS = 1e-12  # probability floor for the log in cross-entropy (a confident mistake costs ~27.6, not inf)


GROUP_COLUMNS = ["group", "classes", "support", "correct", "accuracy", "macro_f1"]
STATIC, MOTION = "static", "motion"


def is_clip_path(path: str) -> bool:
    from curation.clips import is_clip_path as clip

    return clip(path)


def class_groups(class_names: list[str]) -> dict[str, list[str]]:
    """{"static": [...], "motion": [...]}: the classes split by `curation.alphabet`'s motion flags (UkrSL's
    Ґ Д З Ї Й Ц Щ, ASL's J and Z), each in model order; an unknown alphabet has no motion letters."""
    from curation.alphabet import motion_letters

    motion = set(motion_letters(list(class_names)))
    return {
        STATIC: [c for c in class_names if c not in motion],
        MOTION: [c for c in class_names if c in motion],
    }


class Interpretation:
    """Predictions of one split, and the metrics and views computed from them.

    class_names: class order of the probability columns; y_true: (N,) class indices;
    probs: (N, K) probabilities, an all-zero row where the hand stage found no hand (no letter: always
    wrong, predicted as NO_HAND_LABEL); paths: N photo paths; relpaths: paths relative to the data root.
    """

    def __init__(
        self,
        class_names: list[str],
        y_true: np.ndarray,
        probs: np.ndarray,
        paths: list[str],
        relpaths: list[str] | None = None,
        split: str = "test",
    ):
        self.class_names = [str(c) for c in class_names]
        # float32, as saved: a saved-and-loaded interpretation answers identically
        self.probs = np.asarray(probs, dtype=np.float32)
        self.y_true = np.asarray(y_true, dtype=np.int64)
        self.paths = [str(p) for p in paths]
        self.relpaths = [str(p) for p in relpaths] if relpaths is not None else list(self.paths)
        self.split = split
        n, k = len(self.y_true), len(self.class_names)
        if self.probs.ndim != 2 or self.probs.shape != (n, k):
            raise ValueError(f"probs must be (N={n}, K={k}), got {self.probs.shape}")
        if n == 0:
            raise ValueError("nothing to interpret: no predictions")
        if len(self.paths) != n or len(self.relpaths) != n:
            raise ValueError(f"need {n} paths and relpaths, got {len(self.paths)} and {len(self.relpaths)}")
        if self.y_true.min() < 0 or self.y_true.max() >= k:
            raise ValueError(f"y_true must be class indices in 0..{k - 1}")
        if not np.all(np.isfinite(self.probs)):
            raise ValueError("probs contain NaN or inf")
        self._index = {c: i for i, c in enumerate(self.class_names)}

    # --- per-sample values ---
    @property
    def n(self) -> int:
        return len(self.y_true)

    @property
    def no_hand(self) -> np.ndarray:
        """(N,) bool: no hand was found, so no letter was given."""
        return ~self.probs.any(axis=1)

    @property
    def y_pred(self) -> np.ndarray:
        """Predicted class index per sample (argmax; ties go to the earlier class); -1 where no hand."""
        return np.where(self.no_hand, -1, self.probs.argmax(axis=1))

    @property
    def correct(self) -> np.ndarray:
        return self.y_pred == self.y_true

    @property
    def losses(self) -> np.ndarray:
        """Per-sample cross-entropy, -log p(true class)."""
        p_true = self.probs[np.arange(self.n), self.y_true].astype(np.float64)
        return -np.log(np.clip(p_true, _EPS, None))

    @property
    def accuracy(self) -> float:
        return float(self.correct.mean())

    # --- class-level views ---
    def confusion_matrix(self, normalize: bool = False) -> np.ndarray:
        """K×K, rows = true class, columns = predicted. normalize: each row sums to 1 (empty rows stay 0)."""
        k = len(self.class_names)
        counts = np.zeros((k, k), dtype=np.int64)
        given = ~self.no_hand
        np.add.at(counts, (self.y_true[given], self.y_pred[given]), 1)
        if not normalize:
            return counts
        # over every photo of the class, no-hand ones included: the diagonal is the class's recall
        totals = np.bincount(self.y_true, minlength=k)[:, None]
        return np.divide(counts, totals, out=np.zeros((k, k), dtype=np.float64), where=totals > 0)

    def no_hand_counts(self) -> np.ndarray:
        """(K,) photos of each true class in which no hand was found."""
        return np.bincount(self.y_true[self.no_hand], minlength=len(self.class_names))

    def per_class(self) -> pd.DataFrame:
        """One row per class: precision, recall, f1, support (sklearn; 0 where undefined)."""
        from sklearn.metrics import precision_recall_fscore_support

        labels = np.arange(len(self.class_names))
        precision, recall, f1, support = precision_recall_fscore_support(
            self.y_true, self.y_pred, labels=labels, zero_division=0
        )
        return pd.DataFrame(
            {
                "class": self.class_names,
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "support": support.astype(int),
                "no_hand": self.no_hand_counts(),
            }
        )

    @property
    def macro_f1(self) -> float:
        """Unweighted mean F1 over the classes that occur in the truth or the predictions (sklearn's default)."""
        from sklearn.metrics import f1_score

        labels = np.union1d(self.y_true, self.y_pred[self.y_pred >= 0])  # "no hand" is a miss, not a class
        return float(f1_score(self.y_true, self.y_pred, labels=labels, average="macro", zero_division=0))

    def most_confused(self, min_count: int = 1) -> list[tuple[str, str, int]]:
        """(actual, predicted, count) for off-diagonal cells with count ≥ min_count; largest first, then by names."""
        cm = self.confusion_matrix()
        pairs = [
            (self.class_names[t], self.class_names[p], int(cm[t, p]))
            for t, p in zip(*np.nonzero(cm), strict=True)
            if t != p and cm[t, p] >= min_count
        ]
        return sorted(pairs, key=lambda x: (-x[2], x[0], x[1]))

    def ece(self, n_bins: int = 15) -> float:
        """Expected calibration error of the top-1 confidence over `n_bins` equal-width bins (lo, hi]."""
        confidence = self.probs.max(axis=1).astype(np.float64)
        bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
        total = 0.0
        for b in np.unique(bins):
            in_bin = bins == b
            total += in_bin.sum() * abs(self.correct[in_bin].mean() - confidence[in_bin].mean())
        return float(total / self.n)

    # --- sample-level views ---
    def table(self) -> pd.DataFrame:
        """All predictions: path, relpath, true, pred, prob_pred, prob_true, loss, correct (index = sample)."""
        rows = np.arange(self.n)
        names = np.asarray([*self.class_names, NO_HAND_LABEL], dtype=object)  # index -1 = no hand
        y_pred = self.y_pred
        return pd.DataFrame(
            {
                "path": self.paths,
                "relpath": self.relpaths,
                "true": names[self.y_true],
                "pred": names[y_pred],
                "prob_pred": np.where(y_pred >= 0, self.probs[rows, np.maximum(y_pred, 0)], 0.0).astype(
                    np.float64
                ),
                "prob_true": self.probs[rows, self.y_true].astype(np.float64),
                "loss": self.losses,
                "correct": y_pred == self.y_true,
            }
        )

    def top_losses(self, k: int = 9) -> pd.DataFrame:
        """The k samples with the largest loss (right or wrong), largest first."""
        return self.table().sort_values("loss", ascending=False, kind="stable").head(k)

    def misclassified(self) -> pd.DataFrame:
        """Every wrong prediction, largest loss first: path, relpath, true, pred, prob_pred, prob_true, loss."""
        t = self.table()
        wrong = t[~t["correct"]].sort_values("loss", ascending=False, kind="stable")
        return wrong.drop(columns="correct")

    def cell(self, true_label: str, pred_label: str) -> pd.DataFrame:
        """Exactly the photos of one confusion-matrix cell (true, predicted), most confident first."""
        for label in (true_label, pred_label):
            if label not in self._index and not (label == NO_HAND_LABEL and label == pred_label):
                raise ValueError(f"unknown class {label!r}; classes: {', '.join(self.class_names)}")
        pred_index = -1 if pred_label == NO_HAND_LABEL else self._index[pred_label]
        mask = (self.y_true == self._index[true_label]) & (self.y_pred == pred_index)
        return self.table()[mask].sort_values("prob_pred", ascending=False, kind="stable")

    # --- summary ---
    def metrics(self) -> dict[str, Any]:
        """The content of metrics.json."""
        per_class = self.per_class()
        return {
            "split": self.split,
            "n": self.n,
            "accuracy": self.accuracy,
            "no_hand": int(self.no_hand.sum()),  # photos with no hand found: counted as wrong
            "macro_f1": self.macro_f1,
            "ece": self.ece(),
            "class_names": list(self.class_names),
            "per_class": [
                {
                    "class": r["class"],
                    "precision": float(r["precision"]),
                    "recall": float(r["recall"]),
                    "f1": float(r["f1"]),
                    "support": int(r["support"]),
                    "no_hand": int(r["no_hand"]),
                }
                for r in per_class.to_dict("records")
            ],
            "confusion_matrix": self.confusion_matrix().tolist(),
            "confusion_matrix_normalized": self.confusion_matrix(normalize=True).tolist(),
            "most_confused": [list(x) for x in self.most_confused()],
            # static and motion letters apart: a motion letter's still is not the letter, so pooled
            # figures would hide how the movement letters do
            "groups": [
                {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
                for r in self.groups().to_dict("records")
            ],
        }

    def groups(self) -> pd.DataFrame:
        """Per-class metrics pooled by letter group: one row for the static letters and one for the motion
        letters (`class_groups`; no motion row for an alphabet without them): group, classes, support,
        correct, accuracy (over the group's samples, no hand = wrong), macro_f1 (the mean F1 of the
        group's classes that occur)."""
        per_class = self.per_class()
        correct = np.bincount(self.y_true[self.correct], minlength=len(self.class_names))
        rows = []
        for group, names in class_groups(self.class_names).items():
            if not names:
                continue
            idx = [self._index[c] for c in names]
            support = int(per_class["support"].iloc[idx].sum())
            present = [i for i in idx if per_class["support"].iloc[i] > 0]
            rows.append(
                {
                    "group": group,
                    "classes": " ".join(names),
                    "support": support,
                    "correct": int(correct[idx].sum()),
                    "accuracy": float(correct[idx].sum() / support) if support else float("nan"),
                    "macro_f1": float(per_class["f1"].iloc[present].mean()) if present else float("nan"),
                }
            )
        return pd.DataFrame(rows, columns=GROUP_COLUMNS)

    # --- files ---
    def save(self, eval_dir: str | Path) -> Path:
        """Write predictions.csv, probs.npy, metrics.json and confusion_matrix.png into eval_dir (atomically)."""
        eval_dir = Path(eval_dir)
        eval_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(eval_dir / PREDICTIONS_FILE, self.table()[PREDICTION_COLUMNS].to_csv(index=False))
        buffer = io.BytesIO()
        np.save(buffer, self.probs.astype(np.float32))
        atomic_write_bytes(eval_dir / PROBS_FILE, buffer.getvalue())
        atomic_write_json(eval_dir / METRICS_FILE, self.metrics())
        atomic_write_bytes(eval_dir / CONFUSION_PNG, figure_png(self.plot_confusion_matrix(normalize=True)))
        log.info("wrote %s", eval_dir)
        return eval_dir

    @classmethod
    def load(cls, eval_dir: str | Path) -> Interpretation:
        """Read back what `save` wrote (predictions.csv + probs.npy + the class names in metrics.json)."""
        eval_dir = Path(eval_dir)
        missing = [f for f in (PREDICTIONS_FILE, PROBS_FILE, METRICS_FILE) if not (eval_dir / f).is_file()]
        if missing:
            raise FileNotFoundError(f"{eval_dir}: not an evaluation folder (missing {', '.join(missing)})")
        info = read_json(eval_dir / METRICS_FILE)  # errors name the file
        table = pd.read_csv(
            eval_dir / PREDICTIONS_FILE,
            dtype={"path": str, "relpath": str, "true": str, "pred": str},
            keep_default_na=False,
        )
        probs = np.load(eval_dir / PROBS_FILE, allow_pickle=False)
        class_names = list(info["class_names"])
        index = {c: i for i, c in enumerate(class_names)}
        unknown = sorted(set(table["true"]) - set(index))
        if unknown:
            raise ValueError(
                f"{eval_dir / PREDICTIONS_FILE}: labels not in metrics.json class_names: {unknown[:5]}"
            )
        if len(table) != len(probs):
            raise ValueError(f"{eval_dir}: {len(table)} predictions but {len(probs)} probability rows")
        y_true = np.array([index[c] for c in table["true"]], dtype=np.int64)
        return cls(
            class_names,
            y_true,
            probs,
            table["path"].tolist(),
            table["relpath"].tolist(),
            split=info.get("split", "test"),
        )

    # --- plotting (separate from computing) ---
    def plot_confusion_matrix(
        self, normalize: bool = True, figsize: tuple[float, float] | None = None, cmap: str = "Blues"
    ):
        """A heatmap like the thesis figure: class names on both axes, values in cells when K ≤ 40."""
        import matplotlib
        from matplotlib.figure import Figure  # no pyplot: no global state, safe in the app's threads

        cm = self.confusion_matrix(normalize=normalize)
        k = len(self.class_names)
        side = figsize or (max(5.0, 0.36 * k + 2.5),) * 2
        cell_font = max(4.5, min(10.0, 260.0 / max(k, 1)))  # smaller digits as the grid gets finer
        tick_font = 10.0 if k <= 40 else 7.0
        # single letters fit upright under the columns; longer names need turning
        long_names = any(len(name) > 2 for name in self.class_names)
        with matplotlib.rc_context({"font.family": "DejaVu Sans"}):  # DejaVu Sans has Cyrillic glyphs
            fig = Figure(figsize=side, dpi=120, layout="constrained")
            ax = fig.add_subplot()
            image = ax.imshow(cm, cmap=cmap, vmin=0.0, vmax=1.0 if normalize else max(1, int(cm.max())))
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.02, shrink=0.8)
            ax.set_xticks(
                range(k), self.class_names, rotation=90 if long_names and k > 8 else 0, fontsize=tick_font
            )
            ax.set_yticks(range(k), self.class_names, fontsize=tick_font)
            ax.set_xlabel("Predicted letter")
            ax.set_ylabel("True letter")
            kind = "normalized" if normalize else "counts"
            ax.set_title(
                f"Confusion matrix ({self.split}, n={self.n}, {kind})\naccuracy {self.accuracy:.2%}"  # 2 lines: fits 3 classes
            )
            if k <= 40:
                threshold = (1.0 if normalize else cm.max()) / 2
                for t in range(k):
                    for p in range(k):
                        value = cm[t, p]
                        if value == 0 and t != p:
                            continue  # blank zero cells: the off-diagonal mistakes stand out
                        text = f"{value:.2f}" if normalize else str(int(value))
                        ax.text(
                            p,
                            t,
                            text,
                            ha="center",
                            va="center",
                            fontsize=cell_font,
                            color="white" if value > threshold else "black",
                        )
        return fig

    def __repr__(self) -> str:
        return f"Interpretation({self.split}: n={self.n}, {len(self.class_names)} classes, accuracy={self.accuracy:.4f})"


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(
        buffer, format="png", bbox_inches="tight"
    )  # a long title is never clipped ("onfusion matrix")
    return buffer.getvalue()


def update_run_metrics(run_dir: str | Path, values: dict[str, Any]) -> None:
    """Merge `values` into config.json's "metrics", keeping everything else exactly (atomic rewrite)."""
    path = Path(run_dir) / CONFIG_FILE
    config = read_json(path)
    config.setdefault("metrics", {}).update(values)
    atomic_write_json(path, config)


def evaluate_run(
    run_dir: str | Path,
    splits_dir: str | Path,
    split: str = "test",
    batch_size: int = 64,
    device: str = "cpu",
    backend: str = "torch",
) -> Interpretation:
    """Predict every photo of `split` in a split directory with the run's model; write RUN/eval/<split>/.

    Unreadable photos are logged, listed in eval/<split>/unreadable.csv and left out. Also records
    <split>_accuracy, <split>_macro_f1, <split>_ece and <split>_n in the run's config.json metrics.
    """
    from curation.manifest import class_names_of, read_manifest
    from sign_ml.predict import Predictor

    run_dir = Path(run_dir)
    if not (run_dir / CONFIG_FILE).is_file():
        raise FileNotFoundError(f"{run_dir}: no {CONFIG_FILE}; not a run directory")
    table, info = read_manifest(splits_dir)
    predictor = Predictor.from_pretrained(run_dir, backend=backend, device=device)
    class_names = predictor.class_names
    data_classes = class_names_of(info)
    if set(data_classes) != set(class_names):
        only_data = sorted(set(data_classes) - set(class_names))
        only_model = sorted(set(class_names) - set(data_classes))
        raise ValueError(
            f"the model's classes differ from the data's: only in the data {only_data[:10]}, "
            f"only in the model {only_model[:10]}"
        )
    rows = table[table["split"] == split]
    if rows.empty:
        present = sorted(set(table["split"]))
        raise ValueError(f"{splits_dir}: no photos in split {split!r} (splits present: {', '.join(present)})")

    paths = rows["path"].astype(str).tolist()
    relpaths = rows["relpath"].astype(str).tolist() if "relpath" in rows else paths
    from sign_ml.predict import probability_rows

    predictions = list(
        predictor.predict_files(paths, batch_size=batch_size, progress=True, desc=f"evaluate {split}")
    )
    probs = probability_rows(predictions, len(class_names))  # no hand: a zero row, counted wrong
    errors = [p.error if p.status == "unreadable" else None for p in predictions]
    ok = np.array([e is None for e in errors])
    eval_dir = run_dir / EVAL_DIR / split
    bad = [(p, e) for p, e in zip(paths, errors, strict=True) if e is not None]
    if bad:
        for path, error in bad[:10]:
            log.warning("unreadable, left out: %s (%s)", path, error)
        listing = eval_dir / UNREADABLE_FILE
        log.warning("%d of %d photos unreadable and left out (listed in %s)", len(bad), len(paths), listing)
        atomic_write_text(listing, pd.DataFrame(bad, columns=["path", "error"]).to_csv(index=False))
    else:
        (eval_dir / UNREADABLE_FILE).unlink(missing_ok=True)  # a stale list from an earlier run would mislead
    if not ok.any():
        raise ValueError(f"no readable photos in split {split!r} of {splits_dir}")

    index = {c: i for i, c in enumerate(class_names)}
    y_true = np.array([index[c] for c in rows["label"]], dtype=np.int64)[ok]
    interp = Interpretation(
        class_names,
        y_true,
        probs[ok],
        [p for p, k in zip(paths, ok, strict=True) if k],
        [r for r, k in zip(relpaths, ok, strict=True) if k],
        split=split,
    )
    interp.save(eval_dir)
    update_run_metrics(
        run_dir,
        {
            f"{split}_accuracy": interp.accuracy,
            f"{split}_macro_f1": interp.macro_f1,
            f"{split}_ece": interp.ece(),
            f"{split}_n": interp.n,
        },
    )
    log.info("%s: %s accuracy %.4f on %d photos", run_dir, split, interp.accuracy, interp.n)
    return interp


def summary_lines(interp: Interpretation, split: str, run_dir: str | Path) -> list[str]:
    """What `sign-ml evaluate` reports: accuracy, macro-F1, ECE, the worst classes, the static and motion
    letter groups (each motion letter on its own line), the most confused pairs."""
    n_clips = sum(is_clip_path(p) for p in interp.paths)
    lines = [
        f"{split}: {interp.n} photos" if not n_clips else f"{split}: {interp.n} samples ({n_clips} clips)",
        f"accuracy  {interp.accuracy:.4f}",
        f"macro-F1  {interp.macro_f1:.4f}",
        f"ECE       {interp.ece():.4f}",
        "worst classes by F1:",
    ]
    per_class = interp.per_class()
    worst = per_class[per_class["support"] > 0].sort_values(["f1", "class"], kind="stable").head(5)
    lines += [
        f"  {r['class']:<8} f1 {r['f1']:.3f}  precision {r['precision']:.3f}  recall {r['recall']:.3f}"
        f"  n={r['support']}"
        for r in worst.to_dict("records")
    ]
    groups = interp.groups()
    if (groups["group"] == MOTION).any():  # only an alphabet with motion letters has two groups
        lines.append("by letter group:")
        for r in groups.to_dict("records"):
            acc = "n/a" if r["support"] == 0 else f"{r['accuracy']:.4f}"
            f1 = "n/a" if pd.isna(r["macro_f1"]) else f"{r['macro_f1']:.4f}"
            lines.append(
                f"  {r['group']:<7} letters ({r['classes']}): accuracy {acc}  macro-F1 {f1}  n={r['support']}"
            )
        per_class = per_class.set_index("class")
        clips = np.bincount(
            interp.y_true[[is_clip_path(p) for p in interp.paths]], minlength=len(interp.class_names)
        )
        for name in class_groups(interp.class_names)[MOTION]:
            r = per_class.loc[name]
            lines.append(
                f"  motion {name:<8} f1 {r['f1']:.3f}  precision {r['precision']:.3f}  "
                f"recall {r['recall']:.3f}  n={int(r['support'])} "
                f"({int(clips[interp.class_names.index(name)])} clips)"
            )
    confused = interp.most_confused()[:10]
    lines.append(
        "most confused (true -> predicted: count):" if confused else "most confused: none (no mistakes)"
    )
    lines += [f"  {actual} -> {predicted}: {count}" for actual, predicted, count in confused]
    lines.append(f"written to {str(run_dir).rstrip('/')}/{EVAL_DIR}/{split}/")
    return lines
