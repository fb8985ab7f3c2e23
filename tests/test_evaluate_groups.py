"""Per-class metrics with the motion letters as their own group: metrics.json, `sign-ml evaluate`'s lines."""

from __future__ import annotations

import numpy as np

from sign_ml.evaluate import Interpretation, class_groups, summary_lines

ASL = [chr(c) for c in range(ord("A"), ord("Z") + 1)]


def asl_interp() -> Interpretation:
    """Two samples per letter; every static letter right; J: one clip right, one clip read as I; Z: both
    photos read as D."""
    y_true, preds, paths = [], [], []
    for k, c in enumerate(ASL):
        for j in range(2):
            y_true.append(k)
            if c == "J":
                preds.append(k if j == 0 else ASL.index("I"))
                paths.append(f"J/j{j}.clip.json")
            elif c == "Z":
                preds.append(ASL.index("D"))
                paths.append(f"Z/z{j}.jpg")
            else:
                preds.append(k)
                paths.append(f"{c}/{c}{j}.jpg")
    probs = np.eye(len(ASL))[preds]
    return Interpretation(ASL, np.array(y_true), probs, paths)


def test_class_groups_follow_the_alphabet_motion_flags():
    assert class_groups(ASL)["motion"] == ["J", "Z"] and len(class_groups(ASL)["static"]) == 24
    uk = class_groups(list("АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ"))
    assert uk["motion"] == list("ҐДЗЇЙЦЩ")
    assert class_groups(["cat", "dog"])["motion"] == []


def test_groups_pool_static_and_motion_letters_apart():
    interp = asl_interp()
    groups = interp.groups().set_index("group")
    assert groups.loc["static", "support"] == 48 and groups.loc["static", "accuracy"] == 1.0
    assert groups.loc["motion", "support"] == 4 and groups.loc["motion", "correct"] == 1
    assert groups.loc["motion", "accuracy"] == 0.25 and groups.loc["motion", "classes"] == "J Z"
    m = interp.metrics()["groups"]
    assert [g["group"] for g in m] == ["static", "motion"] and m[1]["correct"] == 1
    # one group only where the alphabet has no motion letters
    plain = Interpretation(["a", "b"], np.array([0, 1]), np.eye(2), ["x", "y"])
    assert plain.groups()["group"].tolist() == ["static"]
    assert not any("by letter group" in line for line in summary_lines(plain, "test", "run"))


def test_cli_lines_show_the_motion_group_and_each_motion_letter():
    lines = summary_lines(asl_interp(), "test", "run")
    text = "\n".join(lines)
    assert lines[0] == "test: 52 samples (2 clips)"
    assert "by letter group:" in text
    assert "  static  letters (A B C D E F G H I K L M N O P Q R S T U V W X Y): accuracy 1.0000" in text
    assert "  motion  letters (J Z): accuracy 0.2500" in text and "n=4" in text
    j = next(line for line in lines if line.startswith("  motion J"))
    assert "recall 0.500" in j and "n=2 (2 clips)" in j
    z = next(line for line in lines if line.startswith("  motion Z"))
    assert "recall 0.000" in z and "(0 clips)" in z
