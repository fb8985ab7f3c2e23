"""The training-curve figure: few enough epoch ticks that their labels never run together."""

import numpy as np
import pandas as pd

from sign_ml.curves import plot_curves


def test_a_long_run_gets_few_whole_epoch_ticks() -> None:
    n = 300
    metrics = pd.DataFrame(
        {
            "epoch": np.arange(1, n + 1),
            "train_loss": np.linspace(2.0, 0.1, n),
            "val_loss": np.linspace(2.0, 0.2, n),
            "train_acc": np.linspace(0.0, 1.0, n),
            "val_acc": np.linspace(0.0, 0.9, n),
        }
    )
    fig = plot_curves(metrics)
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if 1 <= t <= n]
        # matplotlib's default put 6 labels in 1..300, which ran together ("280300") when shown small
        assert 2 <= len(ticks) <= 5
        assert all(float(t).is_integer() for t in ticks)
    assert fig.axes[1].get_title() == "best validation accuracy 0.9000 (epoch 300)"
