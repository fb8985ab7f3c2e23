"""Learning-rate schedules shared by both model kinds, robust to runs of a step or a few."""

from __future__ import annotations

import math

import torch


def one_cycle(
    optimizer: torch.optim.Optimizer,
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.1,
    cycle_momentum: bool = True,
) -> torch.optim.lr_scheduler.LRScheduler:
    """OneCycleLR over `total_steps`; for a run too short for its warm-up (under two steps of it, where
    OneCycleLR divides by zero or takes its only steps at its floor, max_lr / 250,000), a cosine decay
    from `max_lr` instead: one epoch of ten steps, or one step, still trains."""
    total_steps = max(1, total_steps)
    if pct_start * total_steps >= 2:
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=max_lr,
            total_steps=total_steps,
            pct_start=pct_start,
            cycle_momentum=cycle_momentum,
        )
    for group in optimizer.param_groups:
        group["lr"] = max_lr
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / total_steps))
    )
