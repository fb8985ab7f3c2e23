"""Data checks: one module per check, one result shape, a registry from name to check.

A check is a pure function `check(table, context) -> CheckResult`:
- `table` is the sample table (pandas DataFrame, one row per photo; see `curation.scan`),
- `context` holds what several checks share and is computed once (image probes, hashes).
Checks never read or write files themselves; `curation.report` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class CheckResult:
    """The common shape every check returns.

    issues: one row per flagged photo (or group), with at least the columns
        `path`, `flag` (a short machine-readable kind, e.g. "corrupt", "near-duplicate")
        and `score` in 0..1 (1 = surely a problem), plus check-specific columns
        (`cluster`, `detail`, `split`, ...).
    summary: one human line, e.g. "3 unreadable files, 2 odd modes".
    stats: small JSON-safe numbers for the report (counts, ratios, thresholds used).
    """

    name: str
    summary: str
    issues: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["path", "flag", "score"]))
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def n_issues(self) -> int:
        return len(self.issues)


CheckFn = Callable[..., CheckResult]
CHECKS: dict[str, CheckFn] = {}


def register(name: str) -> Callable[[CheckFn], CheckFn]:
    """Decorator: make a check available to the report under `name`."""

    def add(fn: CheckFn) -> CheckFn:
        CHECKS[name] = fn
        return fn

    return add
