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
