"""A run's per-epoch history, metrics.csv (the one reader and writer), and its loss and accuracy curves."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from curation.fileio import atomic_write_bytes, atomic_write_text

METRICS_FILE = "metrics.csv"
METRICS_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "img_per_s"]


def read_metrics(path: str | Path) -> pd.DataFrame:
    """metrics.csv as a DataFrame, one row per epoch (no rows when the file is absent or empty).

    A file that is not a metrics table raises ValueError naming it.
    """
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame(columns=METRICS_COLUMNS)
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable CSV file ({exc})") from None
    if "epoch" not in frame.columns:
        raise ValueError(f"{path}: no 'epoch' column; not a metrics.csv written by training")
    return frame


def append_metrics_row(path: str | Path, row: dict[str, Any]) -> None:
    """Append one epoch's row (header first when the file is new), flushed to disk before returning."""
    path = Path(path)
    new = not path.is_file() or path.stat().st_size == 0
    with path.open("a", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=METRICS_COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow({k: row[k] for k in METRICS_COLUMNS})
        f.flush()
        os.fsync(f.fileno())


def truncate_metrics(path: str | Path, last_epoch: int) -> None:
    """Keep rows up to `last_epoch` (after a crash between appending a row and saving the checkpoint)."""
    path = Path(path)
    if path.is_file():
        kept = read_metrics(path)
        kept = kept[kept["epoch"] <= last_epoch]
        atomic_write_text(
            path, kept.reindex(columns=METRICS_COLUMNS).to_csv(index=False, lineterminator="\n")
        )


def plot_curves(metrics: pd.DataFrame, title: str | None = None) -> Figure:
    """Two panels: loss and accuracy per epoch, train vs validation. Pure: returns the figure."""
    fig = Figure(figsize=(10, 4), dpi=100)  # no pyplot: no global state, safe in threads and servers
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = metrics["epoch"]
    marker = "o" if len(metrics) <= 30 else None
    for ax, key, label in ((ax_loss, "loss", "loss (cross-entropy)"), (ax_acc, "acc", "accuracy")):
        ax.plot(epochs, metrics[f"train_{key}"], marker=marker, label="train")
        ax.plot(epochs, metrics[f"val_{key}"], marker=marker, label="validation")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(
            MaxNLocator(nbins=5, integer=True)
        )  # "280300": ticks collided when shown small
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    ax_acc.set_ylim(0.0, 1.02)
    if len(metrics) and metrics["val_acc"].notna().any():
        best = metrics.loc[metrics["val_acc"].idxmax()]
        ax_acc.axvline(best["epoch"], color="grey", linestyle=":", linewidth=1)
        ax_acc.set_title(
            f"best validation accuracy {best['val_acc']:.4f} (epoch {int(best['epoch'])})", fontsize=10
        )
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def save_curves(metrics_csv: str | Path, out_png: str | Path, title: str | None = None) -> Path:
    """Read metrics.csv and (atomically) write the curves PNG."""
    fig = plot_curves(read_metrics(metrics_csv), title=title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(out_png, buf.getvalue())
    return Path(out_png)
