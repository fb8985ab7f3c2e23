"""Loss and accuracy curves (train vs validation) from a run's metrics.csv."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sign_ml.artifacts import atomic_write_bytes

METRICS_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "img_per_s"]


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
    fig = plot_curves(pd.read_csv(metrics_csv), title=title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(out_png, buf.getvalue())
    return Path(out_png)
