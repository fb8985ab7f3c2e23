"""Load a photo set into the sample table: a folder of class folders, a saved `datasets` dataset, or a Hub id.

Whatever the source, the result is file-based: one row per photo with an absolute `path`, so the scan,
the checks and the splits never care where the photos came from. A clip (`<name>.clip.json`, see
`curation.clips`) in a class folder is a sample beside the photos: one row like a photo's, and, when the
table holds any clip, a `kind` column ("photo" | "clip"; `curation.clips.is_clip_path` tells them apart
by name where the column is absent). An unreadable or invalid clip is found by the scan, as an
unreadable photo is, and reported by the integrity check in one line naming the file. Images a dataset stores as bytes are
written once to a content-addressed cache (`<sha256>.<ext>`, bytes unchanged). Source files are only read.

Folder semantics (as torchvision's / datasets' ImageFolder, but reporting instead of silently skipping):
    ROOT/<class>/**/<photo>                    class = NFC-normalised top folder name, recursive below it
    ROOT/<class>/**/<name>.clip.json           a clip of that class, beside the photos
    ROOT/{train,validation|val,test}/<class>/… an existing split layout: sets the `split` column
    ROOT/metadata.csv|metadata.jsonl           optional, `file_name` relative to ROOT: extra columns
                                               (only read for `group_column`)
Hidden files and folders, non-image files, files directly in ROOT and empty class folders are skipped
and listed in `LoadedData.skipped` with the reason. A split directory (manifest.csv + splits.json, see
`curation.manifest`) loads from its manifest, so checking it shows leakage between the written splits.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from curation.alphabet import normalize_class_name, order_classes
from curation.clips import CLIP_SUFFIX, is_clip_path, sample_kinds
from curation.fileio import atomic_write_bytes, first_line, looks_local
from curation.images import is_image_file
from curation.manifest import MANIFEST_FILE, SPLITS_FILE, read_manifest

log = logging.getLogger(__name__)

# Split folder (or DatasetDict key) names understood as the three splits of `curation.manifest`.
SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "validation": "validation",
    "val": "validation",
    "valid": "validation",
    "dev": "validation",
    "test": "test",
    "testing": "test",
}
METADATA_FILES = ("metadata.csv", "metadata.jsonl")
# files a recording workspace keeps beside its class folders (curation.workspace, curation.decisions): not photos
SIDECAR_FILES = (*METADATA_FILES, "workspace.json", "label_decisions.csv")

# Reasons in LoadedData.skipped: each starts with one of these phrases (the report maps them to flags).
SKIP_HIDDEN = "hidden file or folder"
SKIP_NOT_IMAGE = "not an image file"
SKIP_OUTSIDE = "file directly in the data folder, not in a class folder"
SKIP_EMPTY = "empty class folder: no photos"
SKIP_UNREADABLE = "unreadable folder"
NOTE_NFD = "folder name is NFD-normalised (macOS)"

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_MAGIC = [
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"II*\x00", "tif"),
    (b"MM\x00*", "tif"),
]


@dataclass
class LoadedData:
    """A loaded photo set: the sample table plus what loading skipped or noticed."""

    table: pd.DataFrame  # path (absolute), relpath ('/' separators), label (NFC), [split], [group], [kind]
    class_names: list[str]  # classes with at least one photo, in alphabet order (`order_classes`)
    root: Path | None  # the data folder; None for datasets (their photos may live in the cache)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): not in the table
    source: str = ""  # what was loaded, for the report
    empty_classes: dict[str, str] = field(default_factory=dict)  # class -> folder, classes with no photo
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, remark): loaded, but worth knowing

    @property
    def n_photos(self) -> int:
        """Samples in the table: photos and clips."""
        return len(self.table)

    @property
    def n_clips(self) -> int:
        return sum(is_clip_path(p) for p in self.table["path"]) if len(self.table) else 0


def default_cache_dir() -> Path:
    """Where dataset images stored as bytes are written: $XDG_CACHE_HOME/ukrsl-dactyl/images."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ukrsl-dactyl" / "images"


def load_table(
    source: str | Path, *, group_column: str | None = None, cache_dir: str | Path | None = None
) -> LoadedData:
    """Load a folder of class folders, a `save_to_disk` directory, a split directory or a Hub id ("user/name").

    group_column: a metadata column (folder: metadata.csv/jsonl; dataset: a column) copied to `group`.
    cache_dir: where images stored as bytes are written (default `default_cache_dir()`).
    Raises FileNotFoundError / ValueError / RuntimeError with a one-line reason when nothing can be loaded.
    """
    text = os.fspath(source)
    path = Path(text).expanduser()
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if path.is_dir():
        if (path / MANIFEST_FILE).is_file() and (path / SPLITS_FILE).is_file():
            loaded = _load_split_dir(path.resolve())
        elif (path / "dataset_dict.json").is_file() or (path / "state.json").is_file():
            import datasets

            loaded = _from_datasets(
                datasets.load_from_disk(str(path)), f"saved dataset {path}", group_column, cache
            )
        else:
            loaded = _load_folder(path.resolve(), group_column)
    elif path.exists():
        raise ValueError(
            f"{text}: is a file; expected a folder of class folders, a saved dataset or a Hub id"
        )
    elif isinstance(source, str) and _HUB_ID.match(text) and not looks_local(text):
        try:
            hub = _load_hub(text)
        except RuntimeError as exc:
            raise RuntimeError(f"{text}: no such folder, and {exc}") from exc.__cause__
        loaded = _from_datasets(hub, f"Hub dataset {text}", group_column, cache)
    else:
        raise FileNotFoundError(f"{text}: no such folder")
    loaded.table = with_kind(loaded.table)
    if loaded.table.empty:
        raise ValueError(
            f"{text}: no photos found (expected one sub-folder per class holding image files; "
            f"{len(loaded.skipped)} entries skipped)"
        )
    log.info(
        "loaded %d photos in %d classes from %s", len(loaded.table), len(loaded.class_names), loaded.source
    )
    return loaded


def with_kind(table: pd.DataFrame) -> pd.DataFrame:
    """The table with a `kind` column ("photo" | "clip") when it holds a clip; unchanged otherwise (a
    photo-only table keeps the columns it always had)."""
    if "kind" in table.columns or table.empty:
        return table
    kinds = sample_kinds(table["path"])
    return table.assign(kind=kinds) if "clip" in kinds else table


def _load_split_dir(splits_dir: Path) -> LoadedData:
    """A split directory written by `sign-curate split`: its manifest, so leakage between its splits shows."""
    table, info = read_manifest(splits_dir)
    columns = [c for c in ("path", "relpath", "label", "split", "group", "kind") if c in table.columns]
    table = table[columns].astype({"path": str, "label": str}).reset_index(drop=True)
    root = info.get("data_root")
    return LoadedData(
        table=table,
        class_names=order_classes(sorted(set(table["label"]))),
        root=Path(root) if root else None,
        source=f"split directory {splits_dir}",
    )


# --- folders -------------------------------------------------------------------------------------------


# a recording workspace's own hidden entries (curation.workspace, curation.decisions, sign_ml.studio): expected,
# so not reported as skipped files
WORKSPACE_INTERNALS = frozenset({".dactyl", ".sessions", ".metadata.lock", ".label_decisions.lock"})


def _hidden(name: str) -> bool:
    return name.startswith(".") or name == "__MACOSX"  # __MACOSX: resource forks left by macOS zip


def _load_folder(root: Path, group_column: str | None) -> LoadedData:
    skipped: list[tuple[str, str]] = []
    dirs: list[os.DirEntry] = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name in WORKSPACE_INTERNALS:
            continue
        if _hidden(entry.name):
            skipped.append((entry.path, SKIP_HIDDEN))
        elif entry.is_dir():
            dirs.append(entry)
        elif entry.name not in SIDECAR_FILES:
            skipped.append((entry.path, SKIP_OUTSIDE))
    # An existing split layout: every top folder is a split name (a class called "test" alone is not enough).
    split_layout = bool(dirs) and all(normalize_class_name(d.name).lower() in SPLIT_ALIASES for d in dirs)
    class_dirs: list[tuple[str | None, os.DirEntry]] = []
    if split_layout:
        for split_dir in dirs:
            split = SPLIT_ALIASES[normalize_class_name(split_dir.name).lower()]
            try:
                entries = sorted(os.scandir(split_dir.path), key=lambda e: e.name)
            except OSError as exc:
                skipped.append((split_dir.path, f"{SKIP_UNREADABLE}: {exc.strerror or exc}"))
                continue
            for entry in entries:
                if _hidden(entry.name):
                    skipped.append((entry.path, SKIP_HIDDEN))
                elif entry.is_dir():
                    class_dirs.append((split, entry))
                else:
                    skipped.append((entry.path, SKIP_OUTSIDE))
    else:
        class_dirs = [(None, d) for d in dirs]

    rows: list[dict[str, str]] = []
    folders_of: dict[str, list[str]] = defaultdict(list)  # class -> its folders (several after NFC merging)
    notes: list[tuple[str, str]] = []
    for split, class_dir in class_dirs:
        label = normalize_class_name(class_dir.name)
        folders_of[label].append(class_dir.path)
        if class_dir.name != unicodedata.normalize("NFC", class_dir.name):
            notes.append((class_dir.path, f"{NOTE_NFD}: read as class '{label}'"))
        before = len(skipped)
        found = _walk_class(Path(class_dir.path), root, label, split, rows, skipped)
        unreadable = any(reason.startswith(SKIP_UNREADABLE) for _, reason in skipped[before:])
        if not found and not unreadable:
            skipped.append((class_dir.path, f"{SKIP_EMPTY} (class '{label}')"))
    for label, folders in folders_of.items():
        names = {Path(f).name for f in folders}
        if len(names) > 1:
            notes.append(
                (
                    folders[0],
                    f"folders {', '.join(ascii(n) for n in sorted(names))} merged into class '{label}'",
                )
            )

    table = pd.DataFrame(rows, columns=["path", "relpath", "label"] + (["split"] if split_layout else []))
    present = set(table["label"])
    empty = {label: folders[0] for label, folders in folders_of.items() if label not in present}
    if group_column:
        table = _attach_metadata(table, root, group_column)
    return LoadedData(
        table=table,
        class_names=order_classes(sorted(present)),
        root=root,
        skipped=skipped,
        source=f"folder {root}",
        empty_classes={c: empty[c] for c in order_classes(list(empty))},
        notes=notes,
    )


def _walk_class(class_dir: Path, root: Path, label: str, split: str | None, rows: list, skipped: list) -> int:
    """Add every photo below one class folder to `rows`; returns how many."""
    found = 0

    def unreadable(exc: OSError) -> None:  # os.walk would skip it without a word
        skipped.append((exc.filename or str(class_dir), f"{SKIP_UNREADABLE}: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(class_dir, onerror=unreadable):
        for d in sorted(dirnames):
            if _hidden(d):
                skipped.append((os.path.join(dirpath, d), SKIP_HIDDEN))
        dirnames[:] = sorted(d for d in dirnames if not _hidden(d))  # sorted: the same order on every machine
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if _hidden(name):
                skipped.append((path, SKIP_HIDDEN))
            elif not (is_image_file(name) or name.lower().endswith(CLIP_SUFFIX)):
                skipped.append((path, f"{SKIP_NOT_IMAGE} ({Path(name).suffix or 'no extension'})"))
            else:
                row = {"path": path, "relpath": Path(path).relative_to(root).as_posix(), "label": label}
                if split is not None:
                    row["split"] = split
                rows.append(row)
                found += 1
    return found


def metadata_column(root: str | Path, column: str) -> dict[str, str]:
    """{relpath: value} of `column` in ROOT/metadata.csv|jsonl (`file_name` relative to ROOT).

    Raises FileNotFoundError without a metadata file, ValueError without the column."""
    root = Path(root)
    files = [root / name for name in METADATA_FILES if (root / name).is_file()]
    if not files:
        raise FileNotFoundError(
            f"{root}: --group-column {column} needs a metadata.csv or metadata.jsonl there"
        )
    meta = (
        pd.read_csv(files[0], dtype=str, keep_default_na=False)
        if files[0].suffix == ".csv"
        else pd.read_json(files[0], lines=True, dtype=False)
    )
    for needed in ("file_name", column):
        if needed not in meta.columns:
            raise ValueError(
                f"{files[0]}: no column '{needed}' (columns: {', '.join(map(str, meta.columns))})"
            )
    return dict(
        zip(meta["file_name"].map(lambda p: Path(str(p)).as_posix()), meta[column].astype(str), strict=True)
    )


def _attach_metadata(table: pd.DataFrame, root: Path, column: str) -> pd.DataFrame:
    """Copy `column` from ROOT/metadata.csv|jsonl (`file_name` relative to ROOT) into `group`."""
    groups = metadata_column(root, column)
    table = table.copy()
    table["group"] = table["relpath"].map(groups).fillna("")
    missing = int((table["group"] == "").sum())
    if missing:
        log.warning("%d photos have no '%s' in %s's metadata", missing, column, root)
    return table


# --- datasets ------------------------------------------------------------------------------------------


def _load_hub(repo_id: str) -> Any:
    import datasets

    try:
        return datasets.load_dataset(repo_id)
    except Exception as exc:  # offline, private, missing, bad config: all end the same way for the user
        raise RuntimeError(f"cannot load Hub dataset '{repo_id}': {first_line(exc)}") from exc


def _from_datasets(obj: Any, source: str, group_column: str | None, cache: Path) -> LoadedData:
    """Rows of a Dataset or DatasetDict; images stored as bytes go to the content-addressed cache."""
    import datasets

    parts = obj.items() if isinstance(obj, datasets.DatasetDict) else [(None, obj)]
    rows: list[dict[str, str]] = []
    class_names: set[str] = set()
    notes: list[tuple[str, str]] = []
    has_group = False
    for split_name, ds in parts:
        split = None if split_name is None else SPLIT_ALIASES.get(split_name.lower(), split_name)
        if split_name is not None and split_name.lower() not in SPLIT_ALIASES:
            notes.append(
                (source, f"split '{split_name}' is not train/validation/test; kept under its own name")
            )
        image_col, label_col = _image_and_label_columns(ds, source)
        label_feature = ds.features[label_col]
        names = (
            [normalize_class_name(n) for n in label_feature.names]
            if isinstance(label_feature, datasets.ClassLabel)
            else None
        )
        if names:
            class_names.update(names)
        group_col = group_column or ("group" if "group" in ds.column_names else None)
        if group_col and group_col not in ds.column_names:
            raise ValueError(f"{source}: no column '{group_col}' (columns: {', '.join(ds.column_names)})")
        has_group = has_group or group_col is not None
        keep = [image_col, label_col] + [c for c in ("relpath", "clip") if c in ds.column_names]
        keep += [group_col] if group_col and group_col not in keep else []
        ds = ds.select_columns(keep).cast_column(image_col, datasets.Image(decode=False))
        for batch in ds.iter(batch_size=512):
            for i, image in enumerate(batch[image_col]):
                raw_label = batch[label_col][i]
                label = names[raw_label] if names is not None else normalize_class_name(str(raw_label))
                class_names.add(label)
                clip_text = batch["clip"][i] if "clip" in batch else ""
                if (
                    clip_text
                ):  # a clip row (written by `to_dataset`): its JSON to the cache, as image bytes are
                    path = str(cache_bytes(clip_text.encode("utf-8"), cache, suffix_hint=CLIP_SUFFIX))
                    relpath = f"{label}/{Path(path).name}"
                else:
                    path, relpath = _image_file(image, label, cache)
                if "relpath" in batch and batch["relpath"][i]:
                    relpath = batch["relpath"][i]  # written by `to_dataset`: the photo's place in its folder
                row = {"path": path, "relpath": relpath, "label": label}
                if split is not None:
                    row["split"] = split
                if group_col:
                    row["group"] = str(batch[group_col][i])
                rows.append(row)
    columns = ["path", "relpath", "label"] + (["split"] if not isinstance(obj, datasets.Dataset) else [])
    columns += ["group"] if has_group else []
    table = pd.DataFrame(rows, columns=columns)
    present = set(table["label"])
    empty = {c: "" for c in class_names - present}  # declared by the ClassLabel but never used
    return LoadedData(
        table=table,
        class_names=order_classes(sorted(present)),
        root=None,
        skipped=[],
        source=source,
        empty_classes={c: empty[c] for c in order_classes(list(empty))},
        notes=notes,
    )


def _image_and_label_columns(ds: Any, source: str) -> tuple[str, str]:
    import datasets

    images = [name for name, f in ds.features.items() if isinstance(f, datasets.Image)]
    if not images:
        raise ValueError(f"{source}: no Image column (features: {', '.join(ds.features)})")
    labels = [name for name, f in ds.features.items() if isinstance(f, datasets.ClassLabel)]
    if "label" in labels or (not labels and "label" in ds.column_names):
        return images[0], "label"
    if labels:
        return images[0], labels[0]
    raise ValueError(f"{source}: no ClassLabel or 'label' column (features: {', '.join(ds.features)})")


def _image_file(image: dict[str, Any], label: str, cache: Path) -> tuple[str, str]:
    """(absolute path, relpath) for one `Image(decode=False)` value {"bytes", "path"}."""
    stored = image.get("path")
    data = image.get("bytes")
    if data is None:
        if not stored:
            return "", f"{label}/<missing>"  # the scan reports it as unreadable
        p = Path(stored)
        return str(p.resolve()), (p.as_posix() if not p.is_absolute() else f"{label}/{p.name}")
    path = cache_bytes(data, cache, suffix_hint=Path(stored).suffix if stored else "")
    return str(path), (Path(stored).as_posix().lstrip("/") if stored else f"{label}/{path.name}")


def cache_bytes(data: bytes, cache: Path, suffix_hint: str = "") -> Path:
    """Write image bytes once to `cache/<sha256>.<ext>` (unchanged) and return the path."""
    ext = next((e for magic, e in _MAGIC if data.startswith(magic)), "")
    if not ext and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        ext = "webp"
    if not ext and suffix_hint.lower() == CLIP_SUFFIX:
        ext = CLIP_SUFFIX.lstrip(".")  # "clip.json": the cached file is still a clip by its name
    ext = ext or suffix_hint.lstrip(".").lower() or "img"
    path = cache / f"{hashlib.sha256(data).hexdigest()}.{ext}"
    if not path.is_file():
        atomic_write_bytes(path, data)  # a parallel loader never sees half a file
    return path


def _clip_text(path: str) -> str:
    """A clip file's JSON as written (validated first: a dataset never carries a clip a reader refuses)."""
    from curation.clips import read_clip

    return read_clip(path).to_json()


def to_dataset(table: pd.DataFrame, class_names: list[str]) -> Any:
    """The sample table as a `datasets.Dataset`: image (file paths), label (ClassLabel), path, relpath, group,
    and the hand stage's columns when the table has them (landmarks etc. as the JSON `hand` column)."""
    import datasets

    unknown = sorted(set(table["label"]) - set(class_names))
    if unknown:
        raise ValueError(f"labels not in class_names: {unknown[:5]}")
    index = {name: i for i, name in enumerate(class_names)}
    group = table["group"].astype(str).tolist() if "group" in table.columns else [""] * len(table)
    paths = table["path"].astype(str).tolist()
    kinds = sample_kinds(paths)
    features = {
        "image": datasets.Image(),
        "label": datasets.ClassLabel(names=list(class_names)),
        "path": datasets.Value("string"),
        "relpath": datasets.Value("string"),
        "group": datasets.Value("string"),
    }
    columns = {
        "image": [None if kind == "clip" else p for p, kind in zip(paths, kinds, strict=True)],
        "label": [index[label] for label in table["label"]],
        "path": paths,
        "relpath": table["relpath"].tolist(),
        "group": group,
    }
    if "clip" in kinds:  # a clip has no image: its file's JSON travels in `clip` (see curation.clips)
        features["kind"] = datasets.Value("string")
        features["clip"] = datasets.Value("string")
        columns["kind"] = kinds
        columns["clip"] = [
            _clip_text(p) if kind == "clip" else "" for p, kind in zip(paths, kinds, strict=True)
        ]
    hand_types = {"hand_found": "bool", "n_hands": "int32", "handedness": "string", "hand": "string"}
    for name, dtype in hand_types.items():
        if name in table.columns:
            features[name] = datasets.Value(dtype)
            columns[name] = table[name].tolist()
    return datasets.Dataset.from_dict(columns, features=datasets.Features(features))
