"""Run the registered checks on a scanned table and write the report: JSON, Markdown and a balance chart.

report.json (what the app's Dataset tab reads; `format_version` 1):
    format_version  1
    created         ISO-8601 UTC time
    source, root    what was loaded ("folder /data/photos", "saved dataset …", "Hub dataset …"); root or null
    n_photos, n_classes, class_names (ordered as training will use them)
    classes         [{name, description, count, status}]: status "ok" | "small" | "empty", empty classes
                    included with count 0
    splits          {split: photos} when the data already has splits, else null
    scan            {seconds, workers, max_side, photos_per_s} of the decode pass ({} if unknown)
    checks          {name: {summary, n_issues, stats, issues}} in run order; `issues` is a list of rows
                    {path, flag, score, ...check-specific columns} (NaN as null). A check that failed has
                    summary "check failed: …" and stats {"error": …}. "loading" comes first: files
                    skipped while loading (hidden, not an image, outside a class folder, empty class
                    folder) and folder-name notes (NFD names).
    files           {json, markdown, balance_png}: the report's own file names
report.md is the same for people; class_balance.png is a bar chart with small/empty classes highlighted.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from curation.alphabet import describe_class, is_ukrainian, order_classes
from curation.checks import CHECKS, CheckResult
from curation.fileio import atomic_write_json, atomic_write_text, atomic_write_with
from curation.loading import (
    NOTE_NFD,
    SKIP_EMPTY,
    SKIP_HIDDEN,
    SKIP_NOT_IMAGE,
    SKIP_OUTSIDE,
    SKIP_UNREADABLE,
    LoadedData,
)

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
REPORT_JSON, REPORT_MD, BALANCE_PNG = "report.json", "report.md", "class_balance.png"
CHECK_MODULES = (
    "curation.checks.balance",
    "curation.checks.integrity",
    "curation.checks.duplicates",
    "curation.checks.leakage",
    "curation.checks.hands",
)
CHECK_ORDER = ("loading", "balance", "integrity", "hands", "duplicates", "leakage")
MD_MAX_ROWS = 100  # per check in report.md; report.json has them all
_LOADING_FLAGS = [
    (SKIP_HIDDEN, "hidden", 0.0),
    (SKIP_NOT_IMAGE, "not-image", 0.2),
    (SKIP_OUTSIDE, "outside-class-folder", 0.3),
    (SKIP_EMPTY, "empty-folder", 0.5),
    (SKIP_UNREADABLE, "unreadable-folder", 0.8),
]


def import_checks() -> None:
    """Import every check module that exists, so its checks register themselves."""
    for module in CHECK_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            log.debug("%s not available", module)


def available_checks() -> list[str]:
    import_checks()
    return sorted(CHECKS, key=lambda n: (CHECK_ORDER.index(n) if n in CHECK_ORDER else len(CHECK_ORDER), n))


def run_checks(table: pd.DataFrame, names: list[str] | None = None, **options: Any) -> list[CheckResult]:
    """Run the named checks (default: all registered) on a scanned table.

    options: passed to each check that takes an argument of that name (class_names, empty_classes,
    min_count, ...), so one call can configure them all. A check that raises becomes a result whose
    summary is the error, so one broken check never costs the rest of the report.
    """
    available = available_checks()
    chosen = available if names is None else list(names)
    unknown = [n for n in chosen if n not in CHECKS]
    if unknown:
        raise ValueError(f"unknown check(s) {unknown}; available: {', '.join(available)}")
    results = []
    for name in chosen:
        fn = CHECKS[name]
        params = inspect.signature(fn).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        kwargs = {k: v for k, v in options.items() if takes_any or k in params}
        try:
            result = fn(table, **kwargs)
        except Exception as exc:
            log.warning(
                "check %s failed: %s: %s",
                name,
                type(exc).__name__,
                exc,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            result = CheckResult(
                name, f"check failed: {type(exc).__name__}: {exc}", stats={"error": str(exc)}
            )
        results.append(result)
    return results


def loading_findings(loaded: LoadedData) -> CheckResult:
    """What loading skipped or noticed, as a check result (flag per skipped file or renamed folder)."""
    rows = []
    for path, reason in loaded.skipped:
        flag, score = next(
            ((f, s) for phrase, f, s in _LOADING_FLAGS if reason.startswith(phrase)), ("skipped", 0.2)
        )
        rows.append({"path": path, "flag": flag, "score": score, "detail": reason})
    for path, note in loaded.notes:
        flag = "nfd-name" if note.startswith(NOTE_NFD) else "note"
        rows.append({"path": path, "flag": flag, "score": 0.1, "detail": note})
    issues = pd.DataFrame(rows, columns=["path", "flag", "score", "detail"])
    counts = {str(k): int(v) for k, v in issues["flag"].value_counts().items()} if rows else {}
    what = f"{loaded.n_photos} photos"
    if loaded.n_clips:
        what = f"{loaded.n_photos - loaded.n_clips} photos and {loaded.n_clips} clips"
    if counts:
        summary = f"loaded {what}; " + ", ".join(f"{n} {flag}" for flag, n in counts.items())
    else:
        summary = f"loaded {what}; nothing skipped"
    return CheckResult("loading", summary, issues, {"n_photos": loaded.n_photos, "flag_counts": counts})


def write_report(
    results: list[CheckResult],
    loaded: LoadedData,
    out_dir: str | Path,
    *,
    scanned: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Write report.json, report.md and class_balance.png into `out_dir`; returns {kind: path}.

    scanned: the table `scan_table` returned, for the scan's timing (optional).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not any(r.name == "loading" for r in results):
        results = [loading_findings(loaded), *results]
    data = report_data(results, loaded, scanned)
    paths = {"json": out / REPORT_JSON, "markdown": out / REPORT_MD, "balance_png": out / BALANCE_PNG}
    data["files"] = {kind: p.name for kind, p in paths.items()}
    plot_balance(data["classes"], paths["balance_png"], threshold=_balance_stats(results).get("threshold"))
    # atomic: readers (the app) never see half a report
    atomic_write_json(paths["json"], data, indent=1, default=_json_default)
    atomic_write_text(paths["markdown"], render_markdown(data, loaded.root))
    log.info("report written to %s", out)
    return paths


def _balance_stats(results: list[CheckResult]) -> dict[str, Any]:
    return next((r.stats for r in results if r.name == "balance" and "counts" in r.stats), {})


def report_data(
    results: list[CheckResult], loaded: LoadedData, scanned: pd.DataFrame | None = None
) -> dict[str, Any]:
    """The report as a JSON-safe dict (see the module docstring)."""
    table = loaded.table
    balance = _balance_stats(results)
    counts = balance.get("counts") or {c: int(n) for c, n in table["label"].value_counts().items()}
    names = order_classes(list(counts) + list(loaded.class_names) + list(loaded.empty_classes))
    small = set(balance.get("small_classes", []))
    ukrainian = is_ukrainian(names)  # else "H" would be described as the letter Г (its transliteration)
    classes = []
    for name in names:
        n = int(counts.get(name, 0))
        status = "empty" if n == 0 else "small" if name in small else "ok"
        classes.append(
            {
                "name": name,
                "description": describe_class(name) if ukrainian else name,
                "count": n,
                "status": status,
            }
        )
    splits = None
    if "split" in table.columns:
        splits = {str(k): int(v) for k, v in table["split"].value_counts().sort_index().items()}
    ordered = sorted(
        results, key=lambda r: CHECK_ORDER.index(r.name) if r.name in CHECK_ORDER else len(CHECK_ORDER)
    )
    return {
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": loaded.source,
        "root": str(loaded.root) if loaded.root else None,
        "n_photos": int(len(table)),
        "n_classes": len(loaded.class_names),
        "class_names": list(loaded.class_names),
        "classes": classes,
        "splits": splits,
        "scan": dict(scanned.attrs.get("scan", {})) if scanned is not None else {},
        "checks": {r.name: _result_data(r) for r in ordered},
    }


def _result_data(result: CheckResult) -> dict[str, Any]:
    issues = result.issues if result.issues is not None else pd.DataFrame()
    rows = json.loads(issues.to_json(orient="records", force_ascii=False)) if len(issues) else []
    stats = json.loads(json.dumps(result.stats, default=_json_default, ensure_ascii=False))
    return {"summary": result.summary, "n_issues": len(rows), "stats": stats, "issues": rows}


def _json_default(value: Any) -> Any:
    """numpy scalars/arrays, paths, sets and frames, as JSON."""
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
    if isinstance(value, pd.DataFrame):
        return json.loads(value.to_json(orient="records", force_ascii=False))
    return str(value)


def _md_cell(value: Any, root: Path | None) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value)
    if root is not None and text.startswith(str(root) + os.sep):
        text = text[len(str(root)) + 1 :]  # relative to the data folder: shorter, still unambiguous
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(data: dict[str, Any], root: Path | None = None) -> str:
    """The human report (paths shown relative to `root`)."""
    lines = [
        "# Curation report",
        "",
        f"- Source: {data['source']}",
        f"- Photos: {data['n_photos']} in {data['n_classes']} classes",
    ]
    if data.get("splits"):
        lines.append("- Existing splits: " + ", ".join(f"{k} {v}" for k, v in data["splits"].items()))
    if data.get("scan"):
        s = data["scan"]
        lines.append(
            f"- Scan: {s.get('seconds')} s with {s.get('workers')} worker(s), {s.get('photos_per_s')} photos/s"
        )
    lines += [
        f"- Created: {data['created']}",
        "",
        "## Summary",
        "",
        "| check | issues | summary |",
        "|---|---:|---|",
    ]
    for name, check in data["checks"].items():
        lines.append(f"| {name} | {check['n_issues']} | {_md_cell(check['summary'], None)} |")
    lines += [
        "",
        "## Classes",
        "",
        f"![class balance]({BALANCE_PNG})",
        "",
        "| class | photos | status |",
        "|---|---:|---|",
    ]
    for c in data["classes"]:
        lines.append(
            f"| {_md_cell(c['description'], None)} | {c['count']} | {'' if c['status'] == 'ok' else c['status']} |"
        )
    for name, check in data["checks"].items():
        lines += ["", f"## {name}", "", _md_cell(check["summary"], None), ""]
        if not check["issues"]:
            continue
        extra = [k for k in check["issues"][0] if k not in ("path", "flag", "score", "detail")]
        columns = ["path", "flag", "score", *extra[:4], "detail"]
        columns = [c for c in columns if any(c in row for row in check["issues"])]
        lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for row in check["issues"][:MD_MAX_ROWS]:
            lines.append("| " + " | ".join(_md_cell(row.get(c), root) for c in columns) + " |")
        if check["n_issues"] > MD_MAX_ROWS:
            lines.append(f"\n… and {check['n_issues'] - MD_MAX_ROWS} more in {REPORT_JSON}.")
    return "\n".join(lines) + "\n"


def plot_balance(classes: list[dict[str, Any]], path: str | Path, threshold: float | None = None) -> Path:
    """Bar chart of photos per class; small classes orange, empty ones red (a stub bar), threshold dashed."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    colors = {"ok": "#4C72B0", "small": "#DD8452", "empty": "#C44E52"}
    names = [c["name"] for c in classes]
    counts = [c["count"] for c in classes]
    top = max(counts, default=0) or 1
    # DejaVu Sans ships with matplotlib and covers Cyrillic, so Ukrainian letters never turn into boxes.
    with rc_context({"font.family": "DejaVu Sans"}):
        fig = Figure(figsize=(max(6.0, 0.32 * len(names) + 1.5), 4.0), dpi=110)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        heights = [n if n else top * 0.015 for n in counts]  # empty classes get a visible stub
        bars = ax.bar(range(len(names)), heights, color=[colors[c["status"]] for c in classes])
        if len(names) <= 40:  # room to print each count
            ax.bar_label(bars, labels=[str(n) for n in counts], fontsize=7, padding=1)
        ax.set_xticks(range(len(names)), names, rotation=0 if max(map(len, names), default=0) <= 2 else 60)
        ax.set_xlim(-0.6, len(names) - 0.4)
        ax.set_ylabel("photos")
        ax.set_title(f"Usable photos per class ({sum(counts)} photos, {len(names)} classes)")
        handles = [
            Patch(color=colors[s], label=s)
            for s in ("ok", "small", "empty")
            if any(c["status"] == s for c in classes)
        ]
        if threshold:
            ax.axhline(threshold, color="#555555", linestyle="--", linewidth=1)
            handles.append(
                Line2D([], [], color="#555555", linestyle="--", linewidth=1, label=f"threshold {threshold:g}")
            )
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        atomic_write_with(path, lambda tmp: fig.savefig(tmp, format="png"))
    return Path(path)
