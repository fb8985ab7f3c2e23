"""Signer ids are normalized for identity (issue 22): one person cannot sit in both train and test of LOSO
under two ids that look the same."""

from __future__ import annotations

import pytest
from conftest import make_photo

from curation.workspace import NameRefused, Workspace, safe_signer, signer_skeleton


@pytest.mark.parametrize(
    ("given", "identity"),
    [("ｏｌｅｎａ", "olena"), ("Ｏлена", None), ("olena", "olena"), ("Олена", "Олена"), ("ǆ", "dž")],
)
def test_nfkc_makes_compatibility_forms_one_id(given, identity) -> None:
    if identity is None:  # fullwidth Latin O + Cyrillic: mixed scripts once folded
        with pytest.raises(NameRefused):
            safe_signer(given)
    else:
        assert safe_signer(given) == identity


@pytest.mark.parametrize(
    "name",
    [
        "оlena",  # Cyrillic о + Latin
        "olеna",  # Latin + Cyrillic е
        "Ολena",  # Greek + Latin
        "con",
        "NUL",
        "com1",
        "Lpt9",
        "com¹",  # NFKC: com1
        "a" + "\u0301" * 31,  # one letter and 31 combining marks
        "e" + "\u0301\u0302\u0303",  # three marks on one letter
    ],
)
def test_look_alike_reserved_and_flooded_ids_are_refused(name) -> None:
    with pytest.raises(NameRefused) as info:
        safe_signer(name)
    assert str(info.value).startswith(f"signer {name!r} refused")


@pytest.mark.parametrize("name", ["olena", "Олена", "Ελένη", "nguyễn", "console", "com10", "é", "p-2"])
def test_ordinary_ids_of_one_script_pass(name) -> None:
    assert safe_signer(name) == name


def test_skeleton_folds_case_and_whole_script_look_alikes() -> None:
    assert signer_skeleton("асе") == signer_skeleton("ace") == signer_skeleton("ACE")  # Cyrillic асе
    assert signer_skeleton("олена") != signer_skeleton("olena")  # л is not l: not confusable


def test_a_workspace_refuses_an_id_that_looks_like_one_it_has(tmp_path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.set_alphabet("asl")
    jpeg = make_photo(tmp_path / "p.jpg", seed=0, size=(16, 16)).read_bytes()
    session = ws.new_session("ace")
    ws.save_photo(jpeg, signer="ace", session=session, letter="A")
    for look_alike in ("асе", "ACE", "Ace"):  # all-Cyrillic, and two cases of the same letters
        with pytest.raises(NameRefused, match="does not look like the workspace's signer 'ace'"):
            ws.new_session(look_alike)
        with pytest.raises(NameRefused, match="does not look like"):
            ws.save_photo(jpeg, signer=look_alike, session=1, letter="A")
    assert ws.signers() == ["ace"] and ws.new_session("ace") == 2
