"""The Record tab's pipeline calls the library, not the CLIs: two runs at once keep their outputs apart."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from conftest import make_class_folder

from sign_ml import studio


def workspace(root: Path, seed: int) -> Path:
    make_class_folder(root, {"A": 6, "B": 6}, seed=seed)
    # a decision naming a photo that is not there: the split logs a warning naming this workspace's file
    (root / "label_decisions.csv").write_text(
        "file_name,action,label,time\nA/gone.png,exclude,,t\n", encoding="utf-8"
    )
    return root


def test_two_pipelines_at_once_keep_their_outputs_apart_and_leave_stdout_alone(tmp_path):
    roots = [workspace(tmp_path / name, seed) for seed, name in enumerate(("ann", "bo"))]
    stdout, stderr = sys.stdout, sys.stderr
    outcomes: dict[str, studio.TrainOutcome] = {}
    events: dict[str, list[dict]] = {r.name: [] for r in roots}
    start = threading.Barrier(len(roots))

    def run(root: Path) -> None:
        start.wait()
        outcomes[root.name] = studio.train_landmarks(root, n_signers=1, progress=events[root.name].append)

    threads = [threading.Thread(target=run, args=(r,)) for r in roots]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sys.stdout is stdout and sys.stderr is stderr  # nothing redirected the process's streams

    for root, other in (roots, roots[::-1]):
        outcome = outcomes[root.name]
        split, train = outcome.steps
        assert split.ok and split.command.startswith(f"sign-curate split {root} ")
        assert f"manifest: {root / '.dactyl' / 'splits' / 'manifest.csv'}" in split.output
        # the warning logged inside the library reached this run's step, and only this one
        assert f"{root / 'label_decisions.csv'}: 1 decision(s) name photos not in the data" in split.output
        assert str(other) not in split.output
        # synthetic photos hold no hand: training fails with the CLI's one line, naming this run's split
        assert not train.ok and train.code == 2 and not outcome.ok
        assert train.output.startswith("sign-ml train: error: ") and str(root) in train.output
        assert str(other) not in train.output
        assert [e["stage"] for e in events[root.name]] == ["split", "train"]


def _split_dir(root: Path, train_paths: list[str]) -> Path:
    import json

    import pandas as pd

    root.mkdir(parents=True)
    rows = [(p, "J" if p.endswith(".clip.json") else "I", "train") for p in train_paths]
    rows.append(("val/I/x.jpg", "I", "validation"))
    pd.DataFrame(rows, columns=["path", "label", "split"]).to_csv(root / "manifest.csv", index=False)
    (root / "splits.json").write_text(json.dumps({"class_names": ["I", "J"]}), encoding="utf-8")
    return root


def test_the_record_tab_trains_the_temporal_kind_once_the_split_holds_clips(tmp_path):
    from sign_ml.training import TrainRequest, choose_kind

    photos = _split_dir(tmp_path / "photos", ["I/a.jpg", "I/b.jpg"])
    with_clips = _split_dir(tmp_path / "clips", ["I/a.jpg", "J/anna_1_001.clip.json", "J/b.CLIP.JSON"])
    assert studio.train_request(photos, tmp_path / "run").kind == "landmarks"
    assert studio.train_request(with_clips, tmp_path / "run").kind == "temporal"
    kind, why = choose_kind(TrainRequest(data=str(with_clips), out=str(tmp_path / "r"), kind="auto"))
    assert (kind, "2 training clips beside 1 photos" in why) == ("temporal", True)
    assert choose_kind(TrainRequest(data=str(photos), out=str(tmp_path / "r"), kind="auto"))[0] == "landmarks"


def test_a_temporal_run_is_named_by_its_kind(tmp_path, monkeypatch):
    """Train on a workspace with clips trains the temporal kind into .dactyl/runs/temporal-<time>, not
    landmarks-<time>; a photos-only one still into landmarks-<time>."""
    from clip_helpers import make_clip

    photos_only = make_class_folder(tmp_path / "photos", {"A": 6, "B": 6})
    with_clips = make_class_folder(tmp_path / "clips", {"A": 6, "B": 6})
    for i in range(6):
        make_clip(with_clips / "J" / f"j_{i}.clip.json", "J", seed=i)
    asked: list[tuple[Path, str | None]] = []

    def train_step(splits_dir, run_dir, progress=None, kind=None):  # the split is real, training is not
        asked.append((run_dir, kind))
        return studio.Step("sign-ml train", 2, "not trained here")

    monkeypatch.setattr(studio, "train_step", train_step)
    for root in (with_clips, photos_only):
        assert studio.train_landmarks(root, n_signers=1).steps[0].ok
    (clip_run, clip_kind), (photo_run, photo_kind) = asked
    assert clip_kind == "temporal" and clip_run.parent == with_clips / ".dactyl" / "runs"
    assert clip_run.name.startswith("temporal-") and photo_run.name.startswith("landmarks-")
    assert photo_kind == "landmarks"


def test_the_latest_run_is_found_by_time_whichever_kind_named_it(tmp_path):
    """Old runs (landmarks-…, temporal ones included) and new temporal-… runs are found alike, the newest by
    its time, not by its name; unfinished runs and the background MobileNetV3's are not Train's."""
    runs = tmp_path / ".dactyl" / "runs"

    def run(name: str, finished: bool = True) -> Path:
        (runs / name).mkdir(parents=True)
        if finished:
            (runs / name / "config.json").write_text("{}", encoding="utf-8")
        return runs / name

    assert studio.latest_run(tmp_path) is None
    old = run("landmarks-20261201-100000")
    assert studio.latest_run(tmp_path) == old
    new = run("temporal-20261202-090000")
    assert studio.latest_run(tmp_path) == new
    run("mobilenet-20261203-000000")
    run("temporal-20261203-000000", finished=False)
    assert studio.latest_run(tmp_path) == new
    newest = run("landmarks-20261202-120000")  # by name it sorts before every temporal-…
    assert studio.latest_run(tmp_path) == newest
    clash = run("landmarks-20261202-120000-1")
    assert studio.latest_run(tmp_path) == clash
    assert studio.latest_run(tmp_path, "temporal") == new
