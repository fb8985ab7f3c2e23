"""The Record tab's handlers called as the stream and the buttons call them, with the real hand stage on the
shared sample's photos: guided capture keeps only one-hand frames, two signers record, Train splits by
signer, trains, and reports leave-one-signer-out accuracy that the Evaluation tab repeats; one signer is
told that accuracy on new signers is unknown; names that try to leave the workspace are refused; the
mislabel review writes decisions beside the photos that the next split applies; and without --workspace
there is no Record tab and nothing that writes."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from curation.capture import CaptureStatus
from sign_ml.ui import tab_record, views
from sign_ml.ui.app import DactylApp
from sign_ml.ui.i18n import text

LETTERS = ("A", "B", "C")


class FakeClock:
    """time.monotonic for the capture: each frame the test sends is `step` seconds after the last."""

    def __init__(self, step: float = 0.3) -> None:
        self.now, self.step = 1000.0, step

    def monotonic(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += self.step


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(tab_record.time, "monotonic", fake.monotonic)
    return fake


@pytest.fixture
def workspace_app(tmp_path, monkeypatch) -> DactylApp:
    # the workspace lies outside both the working folder and the temp dir, as /data does on a Space
    import tempfile

    (tmp_path / "tmpdir").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmpdir"))
    app = DactylApp(workspace=str(tmp_path / "data" / "ws"))
    app.workspace.set_alphabet("custom", list(LETTERS))
    return app


def record(
    app: DactylApp, clock: FakeClock, sample: Path, signer: str, first_photo: int, blank_every: int = 0
) -> str:
    """One guided session: the 'camera' shows the letter asked for (a sample photo), or, every `blank_every`
    frames, a grey frame without a hand; returns the final status text."""
    rs, status = tab_record.start_session(app, None, signer, "", 0.5, 3)
    assert "letter 1 of 3" in status, status
    frames = 0
    while (now := rs.capture.status(clock.monotonic())).phase != "done":
        frames += 1
        if blank_every and frames % blank_every == 0:
            frame = Image.new("RGB", (320, 240), (128, 128, 128))
        else:
            frame = Image.open(sample / now.letter / f"{now.letter}{first_photo + frames % 8}.jpg")
        rs, shown, status, _ = tab_record.record_frame(app, rs, frame)
        clock.tick()
        assert frames < 200, "the capture never finished"
    return status


def test_two_signers_record_train_and_see_accuracy_on_the_signer_left_out(workspace_app, clock, asl_sample):
    app = workspace_app
    status = record(app, clock, asl_sample, "ann", 0, blank_every=4)
    assert "Session finished: 9 photos saved" in status
    record(app, clock, asl_sample, "bo", 12)
    root = app.workspace.root
    meta = pd.read_csv(root / "metadata.csv", dtype=str, keep_default_na=False)
    assert sorted(meta["file_name"]) == sorted(str(p.relative_to(root)) for p in root.glob("*/*.jpg"))
    assert meta.groupby(["signer", "letter"]).size().to_dict() == {
        (s, x): 3 for s in ("ann", "bo") for x in LETTERS
    }
    assert set(meta["handedness"]) <= {"Left", "Right"} and "" not in set(meta["handedness"])
    from curation.hand_cache import detect_files

    # each kept photo carries the landmarks that were found in it (the cache gives the same ones back)
    outcomes, _ = detect_files([root / f for f in meta["file_name"]])
    for row, outcome in zip(meta.itertuples(), outcomes, strict=True):
        assert outcome.cached and outcome.detection.found
        assert np.allclose(json.loads(row.landmarks), outcome.detection.hand.landmarks, atol=1e-5)
    grid = tab_record.grid_frame(app.workspace.counts(), "en")
    assert grid.to_dict("records") == [{"letter": x, "ann": 3, "bo": 3, "total": 6} for x in LETTERS]

    summary, log_md, table, image = tab_record.train_now(app)
    assert "⚠" not in summary, log_md
    (line,) = re.findall(r"\d+% on signers it has not seen \(leave-one-signer-out over 2 signers", summary)
    per_signer = table["value"]
    assert list(per_signer["signer"]) == ["ann", "bo"] and list(per_signer["photos"]) == [9, 9]
    assert "sign-curate split" in log_md and "--group-column signer" in log_md and "sign-ml loso" in log_md
    # the app now serves the new model, and the Evaluation tab reads the very same result
    assert app.class_names == list(LETTERS)
    loso, _ = app.unseen_signers()
    # the confusion matrix drawn in the page's language, an image in memory: Gradio serves it from its own
    # cache wherever the workspace lies (a path outside its folders made Train end in a bare "Error")
    assert image["visible"] and image["value"].tobytes() == views.loso_heatmap(loso, "en").tobytes()
    assert Path(app.model.ref).name.startswith("landmarks-")  # photos only: the landmark kind, named so
    assert loso.status == "ok" and f"{loso.accuracy:.0%}" in line
    assert not (root / ".dactyl").resolve().is_relative_to(root / "A")
    assert (
        not list(root.glob("*/*.png")) and not (root / "splits").exists()
    )  # nothing written among the photos


def test_one_signer_is_told_accuracy_on_new_signers_is_unknown(workspace_app, clock, asl_sample):
    app = workspace_app
    record(app, clock, asl_sample, "ann", 0)
    summary, *_ = tab_record.train_now(app)
    assert "accuracy on new signers is unknown" in summary
    loso, _ = app.unseen_signers()
    assert loso.status == "one_signer" and loso.accuracy is None


def test_only_one_hand_frames_are_kept(workspace_app, clock, asl_sample):
    app = workspace_app
    rs, _ = tab_record.start_session(app, None, "ann", "A", 0, 2)
    two = Image.new("RGB", (1200, 600), (255, 255, 255))
    hand = Image.open(asl_sample / "A" / "A0.jpg").convert("RGB")
    two.paste(hand.resize((600, 600)), (0, 0))
    two.paste(hand.resize((600, 600)).transpose(Image.Transpose.FLIP_LEFT_RIGHT), (600, 0))
    for frame in (Image.new("RGB", (320, 240), (90, 90, 90)), two):
        clock.tick()
        rs, _, status, _ = tab_record.record_frame(app, rs, frame)
        assert "not kept" in status
    assert app.workspace.metadata().empty and not list(app.workspace.root.glob("A/*.jpg"))
    clock.tick()
    rs, _, status, _ = tab_record.record_frame(app, rs, hand)
    assert len(list(app.workspace.root.glob("A/*.jpg"))) == 1


@pytest.mark.parametrize("signer", ["../evil", "a/b", "..", "a\\b", "x\x00y", "", "/etc"])
def test_a_signer_id_that_leaves_the_workspace_is_refused_and_nothing_is_written(tmp_path, signer):
    app = DactylApp(workspace=str(tmp_path / "ws"))
    before = snapshot(tmp_path)
    rs, status = tab_record.start_session(app, None, signer, "", 0, 1)
    assert status.startswith("### ⚠") and rs.capture is None
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("letters", ["../x", "A ..", "/etc", ".hidden", "A/B"])
def test_letter_names_that_leave_the_workspace_are_refused(tmp_path, letters):
    app = DactylApp(workspace=str(tmp_path / "ws"))
    before = snapshot(tmp_path)
    shown, _ = tab_record.set_alphabet(app, "custom", letters)
    assert shown.startswith("### ⚠")
    assert snapshot(tmp_path) == before
    rs, status = tab_record.start_session(app, None, "ann", letters, 0, 1)  # as "only these letters" too
    assert status.startswith("### ⚠") and rs.capture is None


def test_mislabel_review_writes_a_decision_that_the_next_split_applies(tmp_path, asl_sample):
    from curation.decisions import read_decisions
    from sign_ml import studio
    from sign_ml.ui import tab_mislabels

    app = DactylApp(workspace=str(tmp_path / "ws"))
    ws = app.workspace
    ws.set_alphabet("custom", list(LETTERS))
    for letter in LETTERS:
        for i in range(10):
            ws.save_photo(
                (asl_sample / letter / f"{letter}{i}.jpg").read_bytes(),
                signer="ann",
                session=1,
                letter=letter,
            )
    planted = ws.save_photo((asl_sample / "C" / "C20.jpg").read_bytes(), signer="ann", session=1, letter="A")
    app.refresh_data()
    summary, gallery, rows = tab_mislabels.find(app)
    assert rows and rows[0]["relpath"] == planted.relpath and rows[0]["suggested"] == "C", summary
    assert gallery[0][1].startswith("#1 A")
    index, picked, choice, actions = tab_mislabels.pick(app, rows, 0)
    assert index == 0 and choice["value"] == "C" and actions["visible"]
    original = planted.path.read_bytes()
    done, _ = tab_mislabels.decide(app, rows, 0, "relabel", "C")
    assert "relabelled as C" in done
    decisions = read_decisions(ws.root)
    assert decisions[["file_name", "action", "label"]].values.tolist() == [[planted.relpath, "relabel", "C"]]
    assert planted.path.read_bytes() == original  # the photo itself is never touched
    step, splits = studio.split(ws.root, n_signers=1)
    assert step.ok, step.output
    manifest = pd.read_csv(splits / "manifest.csv", dtype=str, keep_default_na=False)
    assert manifest.loc[manifest["relpath"] == planted.relpath, "label"].tolist() == ["C"]


def test_without_a_workspace_there_is_no_record_tab_and_nothing_writes(tmp_path, monkeypatch):
    from sign_ml.ui import tab_mislabels

    monkeypatch.delenv("DACTYL_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    app = DactylApp()
    assert app.workspace is None and not app.writes_decisions
    demo = app.build()
    tabs = {b.id for b in demo.blocks.values() if isinstance(b, gr.Tab)}
    assert "record" not in tabs and {"recognize", "dataset", "evaluation", "live"} <= tabs
    handlers = {
        getattr(fn.fn, "__module__", "") + "." + getattr(fn.fn, "__qualname__", "")
        for fn in demo.fns.values()
    }
    assert not [h for h in handlers if "tab_record" in h]
    assert not [h for h in handlers if "on_decide" in h]  # no button that writes a label decision
    with pytest.raises(gr.Error):
        tab_mislabels.decide(app, [{"relpath": "A/x.jpg"}], 0, "exclude", None)
    with pytest.raises(gr.Error):
        tab_record.workspace_of(app)
    assert os.listdir(tmp_path) == []


def test_the_app_flag_and_environment_turn_the_workspace_on(tmp_path, monkeypatch):
    import app as app_module

    assert app_module.parse_args(["--workspace", str(tmp_path)]).workspace == str(tmp_path)
    monkeypatch.setenv("DACTYL_WORKSPACE", str(tmp_path / "ws"))
    assert app_module.parse_args([]).workspace == str(tmp_path / "ws")
    monkeypatch.setenv("DACTYL_WORKSPACE", "")
    assert app_module.parse_args([]).workspace is None


@pytest.mark.parametrize("n_signers", [2, 3, 4, 6, 12])
def test_the_split_plan_holds_whole_signers_out_for_validation_and_test(n_signers):
    from curation.splitting import assign_splits, parse_ratios
    from sign_ml.studio import split_plan

    plan = split_plan(n_signers)
    assert plan.group_column == "signer" and plan.small_classes == "train"
    table = pd.DataFrame(
        [
            {"relpath": f"{x}/s{s}_{i}.jpg", "label": x, "signer": f"s{s}"}
            for s in range(n_signers)
            for x in LETTERS
            for i in range(5)
        ]
    )
    split = assign_splits(table, ratios=parse_ratios(plan.ratios), group_col="signer", small_classes="train")
    per_split = table.assign(split=split).groupby("split")["signer"].nunique().to_dict()
    assert (
        table.assign(split=split).groupby("signer")["split"].nunique().max() == 1
    )  # no signer in two splits
    assert per_split.get("validation", 0) >= 1  # a signer the model never saw checks it
    if n_signers >= 3:
        assert per_split.get("test", 0) >= 1
    assert per_split["train"] >= n_signers - 2 - (n_signers >= 10) * (n_signers // 5)


def test_a_single_signer_split_is_stratified_not_grouped():
    from sign_ml.studio import split_plan

    plan = split_plan(1)
    assert plan.ratios == "85,10,5" and plan.group_column is None


def test_background_mobilenet_needs_a_split_then_trains_on_hand_crops_in_its_own_process(
    tmp_path, asl_sample
):
    from conftest import wait_until

    from sign_ml import studio

    app = DactylApp(workspace=str(tmp_path / "ws"))
    ws = app.workspace
    ws.set_alphabet("custom", list(LETTERS))
    jobs = tab_record.Jobs(ws.root)
    with pytest.raises(FileNotFoundError, match="no split yet"):
        jobs.start(1)
    for signer, first in (("ann", 0), ("bo", 12)):
        for letter in LETTERS:
            for i in range(3):
                ws.save_photo(
                    (asl_sample / letter / f"{letter}{first + i}.jpg").read_bytes(),
                    signer=signer,
                    session=1,
                    letter=letter,
                )
    assert studio.split(ws.root, n_signers=2)[0].ok
    status = jobs.start(1)
    assert status.state == "running" and status.epochs == 1
    wait_until(lambda: jobs.status().state != "running", "the training job's end", 150)
    status = jobs.status()
    assert status.state == "finished", status.last_line
    run = status.log_path.parent
    assert run.parent == ws.root / ".dactyl" / "runs" and (run / "model.safetensors").is_file()
    assert "--hand-crop" in (run / "job.json").read_text(encoding="utf-8")
    assert tab_record.Jobs(ws.root).status().state == "finished"  # re-attached after a restart


@pytest.mark.parametrize("kind", ["asl", "ukrainian"])
def test_every_single_letter_subset_prompts_that_letter_of_the_workspace_alphabet(tmp_path, kind):
    """'Only these letters' = one letter: the prompt names it as the workspace's alphabet does, never
    transliterated (ASL V is not В, Y is not И, Z is not З)."""
    from curation.alphabet import UKRAINIAN_ALPHABET
    from curation.workspace import ALPHABETS

    app = DactylApp(workspace=str(tmp_path / "ws"))
    app.workspace.set_alphabet(kind)
    names = {letter.char: letter.name for letter in UKRAINIAN_ALPHABET}
    cyrillic = {c for c in "".join(names) + "".join(names.values()) if "\u0400" <= c <= "\u04ff"}
    for letter in ALPHABETS[kind]:
        rs, status = tab_record.start_session(app, None, "ann", letter, 3, 1)
        head = status.splitlines()[0]
        if kind == "asl":
            motion = " ↻ " + text("rec_motion_note", "en") if letter in "JZ" else ""
            assert head == f"## {letter}{motion}", (letter, head)
            assert not set(head) & cyrillic
        else:
            assert head.startswith(f"## {letter} ({names[letter]})"), (letter, head)


def test_a_custom_latin_alphabet_is_never_read_as_ukrainian(tmp_path):
    app = DactylApp(workspace=str(tmp_path / "ws"))
    app.workspace.set_alphabet("custom", ["V", "Y", "H"])
    rs, status = tab_record.start_session(app, None, "ann", "V Y", 3, 1)
    assert status.splitlines()[0] == "## V"
    assert "В" not in tab_record.letters_markdown(["V", "Y", "H"], "en", "custom")


def test_check_shows_its_summary_and_the_flagged_photos_on_the_page(tmp_path, asl_sample):
    """The Check button's result goes where the user looks (not only into the closed command log)."""
    from sign_ml import studio

    app = DactylApp(workspace=str(tmp_path / "ws"))
    ws = app.workspace
    ws.set_alphabet("custom", ["A", "B"])
    for name in ["A/A0.jpg", "A/A1.jpg", "B/B5.jpg", "B/B6.jpg"]:
        ws.save_photo((asl_sample / name).read_bytes(), signer="ann", session=1, letter=name[0])
    ws.save_photo((asl_sample / "A/A0.jpg").read_bytes(), signer="bo", session=1, letter="B")  # a duplicate
    step = studio.check(ws.root)
    summary, flagged = tab_record.check_result(ws.root, step, "en")
    assert summary.startswith("### ✅ Checked 5 photos.")
    assert "- **duplicates**: 2 flagged" in summary and "- **hands**: none found" in summary
    assert flagged is not None and sorted(flagged["file"]) == ["A/ann_1_001.jpg", "B/bo_1_001.jpg"]
    uk, _ = tab_record.check_result(ws.root, step, "uk")
    assert uk.startswith("### ✅ Перевірено фото: 5.")


@pytest.mark.parametrize(
    ("photos", "clips", "lang", "shown"),
    [
        (9, 0, "en", "Session finished: 9 photos saved"),
        (4, 2, "en", "Session finished: 4 photos and 2 clips saved"),
        (0, 1, "en", "Session finished: 1 clip saved"),
        (1, 0, "en", "Session finished: 1 photo saved"),
        (4, 2, "uk", "Сеанс завершено: збережено 4 фото і 2 кліпи"),
        (0, 5, "uk", "Сеанс завершено: збережено 5 кліпів"),
        (3, 21, "uk", "Сеанс завершено: збережено 3 фото і 21 кліп"),
        (0, 12, "uk", "Сеанс завершено: збережено 12 кліпів"),
    ],
)
def test_the_finished_session_counts_photos_and_clips_as_saved(photos, clips, lang, shown):
    rs = tab_record.RecordSession(saved=photos, clips=clips)
    done = CaptureStatus("done", None, 2, 2, 0.0, 0, 3, ())
    assert shown in tab_record.status_markdown(done, rs, lang, ["I", "J"])
