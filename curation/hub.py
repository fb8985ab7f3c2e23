"""Share a curated split directory on the Hugging Face Hub: the DatasetDict as Parquet plus a dataset card.

Order matters: the card is uploaded first, then `DatasetDict.push_to_hub` writes the Parquet shards and
merges its own `dataset_info`/`configs` into that README's metadata, keeping our text. The token is never
read here: huggingface_hub and datasets find it (HF_TOKEN, then the user's login) when they send requests.

Clips travel twice, both readable without this project: as Parquet rows (kind "clip", no image, the clip's
JSON in `clip`) and as the clip files themselves, clips/<relpath> (`<letter>/<name>.clip.json`), uploaded
beside the Parquet in the same push.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curation.dataset_card import DEFAULT_DATA_LICENSE, ordered_splits, render_dataset_card
from curation.fileio import read_json, refuse_output_in_data
from curation.manifest import DATASET_DIR, SPLITS_FILE

if TYPE_CHECKING:
    from datasets import DatasetDict
    from huggingface_hub import HfApi

log = logging.getLogger(__name__)

README_FILE = "README.md"
DATA_DIR = "data"  # push_to_hub's folder for the default config
CLIPS_DIR = "clips"  # the clip files, clips/<letter>/<name>.clip.json
PRIVATE_COLUMNS = ("path",)  # absolute local file paths: never published


# huggingface_hub waits forever by default, and retries each request 5 more times inside each of our tries:
# a Hub that accepts the connection and never answers hung `push` for 20 minutes. Our policy alone decides:
# each request gets `hub_timeout_s()` of silence, each step HUB_ATTEMPTS tries (README: the worst case).
HUB_TIMEOUT_S = 60.0  # seconds without a byte from the Hub; DACTYL_HUB_TIMEOUT overrides
HUB_TIMEOUT_ENV = "DACTYL_HUB_TIMEOUT"
HUB_CONNECT_TIMEOUT_S = 10.0
HUB_ATTEMPTS = 3  # tries of each step (create the repo, upload the commit)
HUB_RETRY_WAIT_S = 2.0  # before the 2nd try; doubled before each later one
_NO_ANSWER_STATUS = frozenset({408, 500, 502, 503, 504})  # huggingface_hub would retry these itself


class HubUnreachableError(RuntimeError):
    """The Hub did not answer (timeouts, refused connections, 5xx) after every try."""


class HubNoAnswer(TimeoutError):
    """One request the Hub left unanswered (silence, a dropped connection, a 5xx). huggingface_hub's own
    retry loop does not catch it (it retries only its HTTP library's errors), so `with_retries` decides."""


def hub_timeout_s() -> float:
    """Seconds of silence allowed per request: DACTYL_HUB_TIMEOUT, or HUB_TIMEOUT_S; ValueError naming it."""
    raw = os.environ.get(HUB_TIMEOUT_ENV, "").strip()
    if not raw:
        return HUB_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value < 86_400:  # also NaN
        raise ValueError(f"{HUB_TIMEOUT_ENV}: expected seconds, a number in (0, 86400), got {raw!r}")
    return value


def hub_worst_case_s(steps: int = 1, timeout_s: float | None = None) -> float:
    """The longest `steps` steps can wait on a Hub that stops answering: every try silent for the timeout,
    plus the pauses between tries."""
    timeout_s = hub_timeout_s() if timeout_s is None else timeout_s
    pauses = sum(HUB_RETRY_WAIT_S * 2**i for i in range(HUB_ATTEMPTS - 1))
    return steps * (HUB_ATTEMPTS * timeout_s + pauses)


def _one_try_client(http: Any, retried: tuple[type[BaseException], ...]) -> type:
    """huggingface_hub's client class with `send` ending the try at an unanswered request (HubNoAnswer).

    A subclass, not a custom transport: the client keeps everything else it does (proxies from the
    environment, redirects); a non-streamed answer is read inside `send`, so silence mid-body is caught too."""

    class OneTryClient(http.Client):  # type: ignore[misc, name-defined]
        one_try = True

        def send(self, request: Any, **kwargs: Any) -> Any:
            what = f"{request.method} {request.url.path}"
            try:
                response = super().send(request, **kwargs)
            except retried as exc:
                raise HubNoAnswer(f"{what}: {type(exc).__name__}") from exc
            if response.status_code in _NO_ANSWER_STATUS:
                response.close()
                raise HubNoAnswer(f"{what}: the Hub answered {response.status_code}")
            return response

    return OneTryClient


def bound_hub_timeouts() -> None:
    """Give huggingface_hub's shared HTTP client our policy: finite timeouts and no retries of its own.

    Through its documented `set_client_factory`: a client like its default one (its event hooks, redirects)
    with our timeout, whose unanswered requests raise HubNoAnswer instead of being retried inside."""
    import importlib

    from huggingface_hub import set_client_factory
    from huggingface_hub.utils import get_session

    timeout_s = hub_timeout_s()
    default = get_session()
    # huggingface_hub chooses the HTTP library (httpx, httpx2): take it from its own client (or the one
    # an earlier call here replaced it with)
    base = next(c for c in type(default).__mro__ if not getattr(c, "one_try", False))
    http = importlib.import_module(base.__module__.partition(".")[0])
    # what huggingface_hub's http_backoff retries on its own, 5 more times per request
    client_class = _one_try_client(http, (http.TimeoutException, http.NetworkError, http.RemoteProtocolError))
    hooks = default.event_hooks

    def factory() -> Any:
        return client_class(
            event_hooks=hooks,
            follow_redirects=True,
            timeout=http.Timeout(timeout_s, connect=min(HUB_CONNECT_TIMEOUT_S, timeout_s)),
        )

    set_client_factory(factory)


def _transient(exc: BaseException) -> bool:
    """Worth another try: no answer, a dropped connection, or a server-side (5xx) error."""
    from huggingface_hub.errors import HfHubHTTPError

    # httpx's TimeoutException/TransportError (by name: huggingface_hub picks the HTTP library), or the OS's
    if isinstance(exc, TimeoutError | ConnectionError) or any(
        c.__name__ in ("TimeoutException", "TransportError") for c in type(exc).__mro__
    ):
        return True
    response = getattr(exc, "response", None) if isinstance(exc, HfHubHTTPError) else None
    return response is not None and response.status_code >= 500


def with_retries(step: str, call: Callable[[], Any]) -> Any:
    """Run one Hub call, retrying transient failures HUB_ATTEMPTS times in all, with a growing pause."""
    wait = HUB_RETRY_WAIT_S
    for attempt in range(1, HUB_ATTEMPTS + 1):
        try:
            return call()
        except Exception as exc:
            if not _transient(exc):
                raise
            if attempt == HUB_ATTEMPTS:
                raise HubUnreachableError(
                    f"{step}: the Hub did not answer after {HUB_ATTEMPTS} tries ({type(exc).__name__}; "
                    f"{hub_timeout_s():g} s allowed per request, {HUB_TIMEOUT_ENV} to change)"
                ) from exc
            log.warning(
                "%s: %s; trying again in %g s (%d/%d)",
                step,
                type(exc).__name__,
                wait,
                attempt + 1,
                HUB_ATTEMPTS,
            )
            time.sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def load_splits(splits_dir: str | Path) -> tuple[DatasetDict, dict[str, Any]]:
    """(SPLITS/dataset as a DatasetDict, splits.json)."""
    from datasets import load_from_disk

    splits_dir = Path(splits_dir)
    info_path, data_path = splits_dir / SPLITS_FILE, splits_dir / DATASET_DIR
    if not info_path.is_file() or not data_path.is_dir():
        raise FileNotFoundError(
            f"{splits_dir}: needs {SPLITS_FILE} and {DATASET_DIR}/ (make them with `sign-curate split DATA --out DIR`)"
        )
    dataset = load_from_disk(str(data_path))
    if not hasattr(dataset, "keys"):
        raise ValueError(f"{data_path}: a single Dataset, expected a DatasetDict with train/validation/test")
    return dataset, read_json(info_path)


def _label_column(dataset: DatasetDict) -> str:
    first = next(iter(dataset.values()))
    for name in ("label", "labels", "letter"):
        if name in first.column_names:
            return name
    raise ValueError(f"the dataset has no label column (columns: {first.column_names})")


def class_counts(dataset: DatasetDict) -> dict[str, dict[str, int]]:
    """{split: {class: n}} counted from the data itself (ClassLabel ids mapped to names)."""
    column = _label_column(dataset)
    counts: dict[str, dict[str, int]] = {}
    for split in ordered_splits(dataset):
        part = dataset[split]
        feature = part.features[column]
        names = getattr(feature, "names", None)
        per: dict[str, int] = {}
        for value in part[column]:
            key = names[value] if names is not None else str(value)
            per[key] = per.get(key, 0) + 1
        counts[split] = per
    return counts


def public_columns(dataset: DatasetDict) -> DatasetDict:
    """Without columns that reveal the user's disk (absolute `path`); `relpath` keeps the file names."""
    private = [c for c in PRIVATE_COLUMNS if c in next(iter(dataset.values())).column_names]
    return dataset.remove_columns(private) if private else dataset


def describe_columns(dataset: DatasetDict) -> dict[str, str]:
    """{column: feature type} for the card's Fields section."""
    first = next(iter(dataset.values()))
    return {
        name: type(feature).__name__ if not isinstance(feature, dict) else "dict"
        for name, feature in first.features.items()
    }


def _public_clip(text: str) -> str:
    """The clip JSON with an absolute `source` (a video outside the corpus) cut to its file name: a
    published clip never names the user's disk."""
    import json

    data = json.loads(text)
    source = str(data.get("source", ""))
    if source and (Path(source).is_absolute() or source.startswith("~")):
        data["source"] = Path(source).name
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text


def clip_files(dataset: DatasetDict) -> dict[str, str]:
    """{path in the repo: clip JSON} of every clip row of every split (empty without clips)."""
    out: dict[str, str] = {}
    for split in ordered_splits(dataset):
        part = dataset[split]
        if "clip" not in part.column_names:
            continue
        for relpath, text in zip(part["relpath"], part["clip"], strict=True):
            if text:
                out[f"{CLIPS_DIR}/{Path(relpath).as_posix().lstrip('/')}"] = _public_clip(text)
    return out


def _clips_section(n_clips: int) -> str:
    return (
        "\n## Clips\n\n"
        f"{n_clips} samples are clips: short sequences of one hand's 21 landmarks with timestamps (format "
        '"ukrsl-dactyl-clip" version 1, JSON). Each is in `clips/<letter>/<name>.clip.json`, and in the '
        'Parquet as a row with `kind` "clip", no `image`, and the same JSON in `clip`.\n'
    )


def dataset_card_text(
    splits_dir: str | Path, repo_id: str, *, license: str = DEFAULT_DATA_LICENSE, credits: str | None = None
) -> tuple[DatasetDict, str]:
    """(the DatasetDict, its README.md text)."""
    dataset, info = load_splits(splits_dir)
    dataset = public_columns(dataset)
    card = render_dataset_card(
        repo_id,
        info,
        class_counts(dataset),
        license=license,
        credits=credits,
        columns=describe_columns(dataset),
    )
    n_clips = len(clip_files(dataset))
    if n_clips:
        card = card.rstrip("\n") + "\n" + _clips_section(n_clips)
    return dataset, card


def write_dataset_folder(dataset: DatasetDict, card: str, out_dir: str | Path) -> Path:
    """What push_to_hub would put in the repo: data/<split>-00000-of-00001.parquet (photos embedded) + README.md."""
    from datasets.table import embed_table_storage

    out_dir = Path(out_dir)
    (out_dir / DATA_DIR).mkdir(parents=True, exist_ok=True)
    for split in ordered_splits(dataset):
        part = dataset[split]
        fmt = part.format
        # image columns stored as paths become bytes, as push_to_hub does (embed_external_files=True)
        part = part.with_format("arrow").map(embed_table_storage, batched=True, keep_in_memory=True)
        part = part.with_format(**fmt)
        part.to_parquet(str(out_dir / DATA_DIR / f"{split}-00000-of-00001.parquet"))
    for name, text in clip_files(dataset).items():
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text + "\n", encoding="utf-8")
    (out_dir / README_FILE).write_text(card, encoding="utf-8")
    log.info("dataset folder written to %s", out_dir)
    return out_dir


def _default_push(dataset: DatasetDict, repo_id: str, *, private: bool, token: str | None) -> Any:
    return dataset.push_to_hub(repo_id, private=private, token=token, commit_message="Upload curated splits")


def push_splits(
    splits_dir: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    license: str = DEFAULT_DATA_LICENSE,
    credits: str | None = None,
    dry_run_dir: str | Path | None = None,
    api: HfApi | None = None,
    push: Callable[..., Any] | None = None,
    token: str | None = None,
) -> str | Path:
    """Push SPLITS/dataset with a dataset card; `dry_run_dir` writes the repo folder instead.

    api: an HfApi (or stand-in with create_repo/upload_file); push: called as
    push(dataset, repo_id, private=..., token=...), default DatasetDict.push_to_hub. Both injectable for tests.
    token: None lets huggingface_hub find it (HF_TOKEN or the login); never logged.
    Returns the dataset URL, or the folder for a dry run.
    """
    if len(repo_id.split("/")) != 2 or not all(repo_id.split("/")):
        raise ValueError(f"--repo must be USER/NAME, got {repo_id!r}")
    if dry_run_dir is not None:  # before loading the dataset
        from curation.split_io import data_roots_of

        refuse_output_in_data(dry_run_dir, data_roots_of(splits_dir), "--dry-run")
    dataset, card = dataset_card_text(splits_dir, repo_id, license=license, credits=credits)
    if dry_run_dir is not None:
        return write_dataset_folder(dataset, card, dry_run_dir)
    if api is None:
        from huggingface_hub import HfApi, get_token

        if token is None and not get_token():
            raise RuntimeError(
                "no Hugging Face token: run `hf auth login` or set HF_TOKEN (write access needed)"
            )
        api = HfApi()
    bound_hub_timeouts()
    with_retries(
        f"creating {repo_id}",
        lambda: api.create_repo(
            repo_id, repo_type="dataset", private=True if private else None, exist_ok=True, token=token
        ),
    )
    # the card goes first: push_to_hub then merges dataset_info/configs into it and keeps our text
    _upload_card(api, repo_id, card, token)
    with_retries(
        f"uploading the dataset to {repo_id}",
        lambda: (push or _default_push)(dataset, repo_id, private=private, token=token),
    )
    clips = clip_files(dataset)
    if clips:  # the clip files beside the Parquet, in one commit
        _upload_clips(api, repo_id, clips, token)
    from huggingface_hub import constants

    url = f"{constants.ENDPOINT}/datasets/{repo_id}"  # the Hub it went to (HF_ENDPOINT), not always huggingface.co
    log.info("pushed %s to %s", splits_dir, url)
    return url


def _upload_card(api: HfApi, repo_id: str, card: str, token: str | None) -> None:
    """Upload the dataset card as the repo's README, with retries."""
    with tempfile.TemporaryDirectory(prefix="ukrsl-dactyl-card-") as tmp:
        path = Path(tmp) / README_FILE
        path.write_text(card, encoding="utf-8")
        with_retries(
            f"uploading the card to {repo_id}",
            lambda: api.upload_file(
                path_or_fileobj=str(path),
                path_in_repo=README_FILE,
                repo_id=repo_id,
                repo_type="dataset",
                commit_message="Add dataset card",
                token=token,
            ),
        )


def _upload_clips(api: HfApi, repo_id: str, clips: dict[str, str], token: str | None) -> None:
    """Upload the clip files (name -> text) under CLIPS_DIR in one commit, with retries."""
    with tempfile.TemporaryDirectory(prefix="ukrsl-dactyl-clips-") as tmp:
        for name, text in clips.items():
            target = Path(tmp) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text + "\n", encoding="utf-8")
        with_retries(
            f"uploading {len(clips)} clip files to {repo_id}",
            lambda: api.upload_folder(
                folder_path=str(Path(tmp) / CLIPS_DIR),
                path_in_repo=CLIPS_DIR,
                repo_id=repo_id,
                repo_type="dataset",
                commit_message=f"Add {len(clips)} clip files",
                token=token,
            ),
        )
