"""One training request, resolved and run: what `sign-ml train`, the background job and the Record tab all call.

The precedence of settings is the CLI's documented one: the config defaults (thesis) < RUN/train_config.json
when resuming < a config file < explicit overrides. `run_training` returns the outcome with the lines a
terminal shows, so every caller words the result the same way; nothing here prints.
"""

from __future__ import annotations

import logging
import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.fileio import read_json
from sign_ml.config import LandmarkConfig, TrainConfig
from sign_ml.progress import ProgressCallback

log = logging.getLogger(__name__)

KINDS = ("auto", "landmarks", "image", "temporal")
AUTO_IMAGE_MIN_PHOTOS = 10_000  # below this many training photos, a CNN from scratch learns rooms, not hands
EXIT_INTERRUPTED = 130  # the status of a run stopped by Ctrl-C or SIGTERM (curation.cli.dispatch)


@dataclass(frozen=True)
class TrainRequest:
    """What to train: the split directory, the run directory, the kind, and the settings given explicitly."""

    data: str
    out: str
    kind: str = "auto"  # auto | landmarks | image | temporal (photos and clips)
    resume: bool = False  # continue OUT exactly from checkpoints/last.pt
    config_file: str | None = None  # YAML or JSON of config fields
    overrides: Mapping[str, Any] = field(
        default_factory=dict
    )  # config field → value, as given on the command line

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "out": self.out,
            "kind": self.kind,
            "resume": self.resume,
            "config_file": self.config_file,
            "overrides": dict(self.overrides),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainRequest:
        return cls(**{**data, "overrides": dict(data.get("overrides") or {})})

    def command(self) -> list[str]:
        """The equivalent terminal command, word by word (shown to the user and kept in job.json)."""
        words = ["sign-ml", "train", "--data", str(self.data), "--out", str(self.out), "--kind", self.kind]
        if self.resume:
            words.append("--resume")
        if self.config_file:
            words += ["--config", str(self.config_file)]
        for name, value in self.overrides.items():
            flag = "--" + name.replace("_", "-")
            if name == "augment":
                words += [] if value else ["--no-augment"]
            elif isinstance(value, bool):
                words += [flag] if value else []
            else:
                words += [flag, str(value)]
        return words


def resolve_config(req: TrainRequest) -> TrainConfig:
    """Defaults < RUN/train_config.json (on resume) < the config file < the overrides."""
    data: dict[str, Any] = {}
    saved = Path(req.out) / "train_config.json"
    if req.resume and saved.is_file():
        data.update(TrainConfig.read_file(saved))
    if req.config_file:  # only the fields the file names: the others keep the run's (or the default) values
        data.update(TrainConfig.read_file(req.config_file))
    data.update(req.overrides)
    data["out_dir"] = str(req.out)
    return TrainConfig.from_dict(data)  # the file's own values were checked by read_file, naming it


def resolve_landmark_config(req: TrainRequest, config_class: type | None = None) -> Any:
    """The landmark-based kinds' config (LandmarkConfig, or the temporal kind's `config_class`): its
    defaults < RUN/train_config.json (on resume) < the config file < the overrides.

    A setting of the image kind alone is refused by its flag's name: it would change nothing here."""
    cls = config_class or LandmarkConfig
    what = "the landmark model" if cls is LandmarkConfig else "the temporal model"
    known = set(cls.__dataclass_fields__)
    for name in req.overrides:
        if name not in known:
            flag = "--no-augment" if name == "augment" else "--" + name.replace("_", "-")
            raise ValueError(f"{flag} applies to the image model only (--kind image); {what} has no {name}")
    data: dict[str, Any] = {}
    saved = Path(req.out) / "train_config.json"
    if req.resume and saved.is_file():
        data.update(cls.read_file(saved))
    if req.config_file:
        data.update(cls.read_file(req.config_file))
    data.update(req.overrides)
    data["out_dir"] = str(req.out)
    return cls.from_dict(data)


def resolve_temporal_config(req: TrainRequest) -> Any:
    """The temporal kind's TemporalConfig, resolved as the landmark kind's."""
    from sign_ml.temporal_train import TemporalConfig

    return resolve_landmark_config(req, TemporalConfig)


def choose_kind(req: TrainRequest) -> tuple[str, str | None]:
    """(the model kind to train, a line saying why when `auto` chose it): as asked, else by the split's size.

    On resume the run's own kind (config.json), and a kind that differs from it is refused."""
    if req.resume:
        saved, last = Path(req.out) / "config.json", Path(req.out) / "checkpoints" / "last.pt"
        if saved.is_file():
            kind = read_json(saved).get("kind", "image")
        elif last.is_file():  # an image run stopped before its first epoch ended: the only run without one
            kind = "image"
        else:
            raise FileNotFoundError(f"{last}: nothing to resume (no run in {req.out})")
        if req.kind not in ("auto", kind):
            raise ValueError(f"{req.out} is a run of the {kind} kind; --kind {req.kind} cannot resume it")
        return kind, None
    if req.kind != "auto":
        return req.kind, None
    from curation.clips import is_clip_path
    from sign_ml.data import read_split_dir

    train = read_split_dir(req.data).splits["train"].paths
    n_clips = sum(is_clip_path(p) for p in train)
    if n_clips:  # only the temporal kind reads a clip's movement; the others would drop or still-read it
        return "temporal", (
            f"model kind: temporal ({n_clips:,} training clips beside {len(train) - n_clips:,} photos; "
            "--kind landmarks|image to choose)"
        )
    kind = "landmarks" if len(train) < AUTO_IMAGE_MIN_PHOTOS else "image"
    return kind, f"model kind: {kind} ({len(train):,} training photos; --kind image|landmarks to choose)"


def planned_epochs(req: TrainRequest) -> int:
    """The epochs the request will train to, resolved as training does (0: unknown, e.g. a bad setting)."""
    try:
        if req.kind == "landmarks":
            return resolve_landmark_config(req).epochs
        if req.kind == "temporal":
            return resolve_temporal_config(req).epochs
        # "auto" may still pick landmarks: the job's progress events carry the real count once it runs
        return resolve_config(req).epochs
    except (ValueError, OSError, TypeError) as exc:
        # the job reports the problem itself; here only the progress bar suffers
        log.debug("planned epochs unknown (%s)", exc)
        return 0


@dataclass
class TrainOutcome:
    """A finished (or interrupted) training: the trainer's summary, the lines to show, the exit status."""

    kind: str
    result: dict[str, Any]
    lines: list[str]
    code: int  # 0 done, 130 interrupted (resumable)

    @property
    def run_dir(self) -> Path:
        return Path(self.result["run_dir"])


def run_training(
    req: TrainRequest,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    progress_bars: bool = True,
) -> TrainOutcome:
    """Resolve the request's settings and train; raises ValueError/OSError with one-line messages.

    progress: called with `sign_ml.progress` events as training goes. should_stop: polled by both
    trainers; True saves checkpoints/last.pt and returns (as SIGTERM does).
    """
    kind, note = choose_kind(req)
    if note:
        log.info("%s", note)
    head = [note] if note else []
    if kind in ("landmarks", "temporal"):
        return _train_on_landmarks(kind, req, head, progress, should_stop, progress_bars)
    from sign_ml.train import train  # torch import only when training

    cfg = resolve_config(req)
    result = train(cfg, req.data, req.out, resume=req.resume, should_stop=should_stop, progress=progress)
    if int(os.environ.get("RANK", "0")) != 0:  # one rank speaks for a multi-GPU run
        return TrainOutcome(kind, result, [], 0)
    lines = head + image_lines(result, req)
    return TrainOutcome(kind, result, lines, EXIT_INTERRUPTED if result["interrupted"] else 0)


def _train_on_landmarks(
    kind: str,
    req: TrainRequest,
    head: list[str],
    progress: ProgressCallback | None,
    should_stop: Callable[[], bool] | None,
    progress_bars: bool,
) -> TrainOutcome:
    """The landmark MLP or the temporal model: both train in seconds on a CPU, stop and report alike."""
    if kind == "landmarks":
        from sign_ml.landmark_train import train_landmarks as trainer

        cfg: Any = resolve_landmark_config(req)
    else:
        from sign_ml.temporal_train import train_temporal as trainer

        cfg = resolve_temporal_config(req)
    result = trainer(
        cfg,
        req.data,
        req.out,
        progress=progress_bars,
        resume=req.resume,
        should_stop=should_stop,
        on_epoch=progress,
    )
    if result["interrupted"]:
        return TrainOutcome(kind, result, head + interrupted_lines(result, req), EXIT_INTERRUPTED)
    return TrainOutcome(kind, result, head + landmark_lines(result, cfg.keep, kind), 0)


def landmark_lines(result: dict[str, Any], keep: str, kind: str = "landmarks") -> list[str]:
    """What a landmark or temporal run reports: where it is, which epoch was kept, how many photos had no
    hand (and, for the temporal kind, how many clips it trained on)."""
    which = "the last epoch" if keep == "last" else "the best validation epoch"
    val = result["best_val_accuracy"]
    name = "temporal model" if kind == "temporal" else "landmark model"
    clips = f"; {result['clips']['train']} training clip(s)" if "clips" in result else ""
    return [
        f"run: {Path(result['run_dir']).resolve()}",
        f"{name}: kept {which}, {result['best_epoch']} of {result['epochs_trained']} "
        f"(validation accuracy {'n/a, no validation photos' if val is None else f'{val:.4f}'}; "
        f"{result['train_seconds']:.1f} s); "
        f"no hand found in {result['no_hand']} photo(s), left out of training{clips}",
    ]


def interrupted_lines(result: dict[str, Any], req: TrainRequest) -> list[str]:
    """Where an interrupted run (either kind) saved its state, and the command that continues it."""
    where = Path(result["run_dir"]).resolve()
    again = shlex.join(["sign-ml", "train", "--data", str(req.data), "--out", str(req.out), "--resume"])
    return [
        f"interrupted after epoch {result['epochs_trained']}; state saved in {where}/checkpoints/last.pt",
        f"continue with: {again}",
    ]


def image_lines(result: dict[str, Any], req: TrainRequest) -> list[str]:
    """What an image run reports: skipped photos, then where it stopped and how to go on, or its best epoch."""
    where = Path(result["run_dir"]).resolve()
    lines = []
    dropped = {k: v for k, v in result["dropped"].items() if v}
    if dropped:
        lines.append(f"unreadable photos skipped: {dropped} (see the log for their paths)")
    if result["interrupted"]:
        return lines + interrupted_lines(result, req)
    return lines + [
        f"run: {where}",
        f"best validation accuracy {result['best_val_accuracy']:.4f} at epoch {result['best_epoch']} "
        f"({result['epochs_trained']} epochs, {result['train_seconds']:.0f} s on {result['device']})"
        + (", stopped early" if result["stopped_early"] else ""),
    ]
