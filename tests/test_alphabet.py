"""Which alphabet a set of class names is: Latin capitals are never read as transliterated Ukrainian."""

import pytest

from curation.alphabet import UKRAINIAN_ALPHABET, is_asl, is_ukrainian, missing_letters, order_classes

LATIN = [chr(c) for c in range(ord("A"), ord("Z") + 1)]


@pytest.mark.parametrize("letter", LATIN)
def test_every_single_latin_capital_is_not_ukrainian(letter: str) -> None:
    assert not is_ukrainian([letter]) and is_asl([letter])
    assert missing_letters([letter]) == []


def test_a_latin_subset_that_is_all_transliterations_stays_latin() -> None:
    names = ["A", "B", "V", "H", "D", "E"]  # each also the transliteration of А Б В Г Д Е
    assert not is_ukrainian(names) and missing_letters(names) == []
    assert order_classes(names) == sorted(names)  # code-point order, not the Ukrainian one (Г before Д)


@pytest.mark.parametrize("letter", [letter.char for letter in UKRAINIAN_ALPHABET])
def test_every_single_cyrillic_letter_is_ukrainian(letter: str) -> None:
    assert is_ukrainian([letter]) and len(missing_letters([letter])) == 32


def test_a_transliterated_ukrainian_set_is_still_read_as_ukrainian() -> None:
    names = [letter.translit.upper() for letter in UKRAINIAN_ALPHABET]
    assert is_ukrainian(names) and missing_letters(names) == []
    assert order_classes(names)[:4] == ["A", "B", "V", "H"]  # А Б В Г: the alphabet's order
