"""The model card shows the motion letters as their own group, with each one's clips and signers."""

from __future__ import annotations

import numpy as np
from test_evaluate_groups import ASL, asl_interp
from test_model_card import _inputs, _table_rows

from sign_ml.model_card import render_model_card


def card(data_clips) -> str:
    inputs = _inputs(ASL)
    ev = asl_interp().metrics()
    data = dict(inputs.meta.data)
    if data_clips is not None:
        data["clips"] = data_clips
    from dataclasses import replace

    return render_model_card(replace(inputs, evaluation=ev, meta=replace(inputs.meta, data=data)))


def test_motion_letters_are_their_own_group_with_clips_and_signers():
    text = card(
        {
            "J": {"clips": 60, "synthetic": 60, "by_split": {"train": 50, "test": 10}, "signers": 1},
            "Z": {"clips": 7, "synthetic": 0, "by_split": {"train": 7}, "signers": 3},
        }
    )
    static = _table_rows(text, "| class | precision |")
    assert [r[0] for r in static] == [c for c in ASL if c not in ("J", "Z")]  # motion letters not among them
    groups = {r[0]: r for r in _table_rows(text, "| group | letters |")}
    assert groups["motion"][1:] == ["J Z", "0.2500", groups["motion"][3], "4"]
    assert groups["static"][2] == "1.0000"
    motion = {r[0]: r for r in _table_rows(text, "| motion letter |")}
    assert motion["J"][1:] == ["1.0000", "0.5000", "0.6667", "2", "60 (all synthetic)", "1"]
    assert motion["Z"][2] == "0.0000" and motion["Z"][5:] == ["7", "3"]
    assert "**Synthetic clips.**" in text


def test_a_letter_without_clips_and_an_old_run_say_so():
    text = card({"J": {"clips": 4, "synthetic": 0, "by_split": {}, "signers": None}})
    motion = {r[0]: r for r in _table_rows(text, "| motion letter |")}
    assert motion["J"][5:] == ["4", "unknown (no signer groups)"]
    assert motion["Z"][5:] == ["0 (photos only)", "–"] and "Synthetic clips" not in text
    old = {r[0]: r for r in _table_rows(card(None), "| motion letter |")}
    assert old["J"][5:] == ["not recorded", "not recorded"]
    assert np.isfinite(float(motion["J"][1]))
