"""The Ukrainian fingerspelling alphabet as data, and class-name normalisation.

Class names always come from folder names; this module only knows how to
normalise them and, when they are Ukrainian letters, how to order and describe them.
Any other alphabet (the ASL sample, say) works by folder names alone.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Letter:
    char: str  # the capital letter, NFC
    translit: str  # Latin transliteration (Ukrainian national system, 2010), safe for folder names and URLs
    name: str  # the letter's Ukrainian name
    motion: bool  # signed with movement: a photo shows only the static start


# Motion letters: in the Soviet-lineage manual alphabet from which the UkrSL chart
# derives (Zykov 1961 for the Russian one), Д and З are traced in the air and Й, Ц, Щ
# add a stroke to a static handshape; UkrSL adds Ґ, Ї (movement added to Г, І).
# This list has not been checked with a native signer: correct it here if your chart differs.
_MOTION = frozenset("ҐДЗЇЙЦЩ")
# ASL's manual alphabet: J is I traced as a hook, Z is drawn with the index finger (the shared sample's
# J and Z photos are stills of the movement).
ASL_MOTION = frozenset("JZ")

_LETTERS = [
    ("А", "A", "а"), ("Б", "B", "бе"), ("В", "V", "ве"), ("Г", "H", "ге"), ("Ґ", "G", "ґе"),
    ("Д", "D", "де"), ("Е", "E", "е"), ("Є", "Ye", "є"), ("Ж", "Zh", "же"), ("З", "Z", "зе"),
    ("И", "Y", "и"), ("І", "I", "і"), ("Ї", "Yi", "ї"), ("Й", "Yot", "йот"), ("К", "K", "ка"),
    ("Л", "L", "ел"), ("М", "M", "ем"), ("Н", "N", "ен"), ("О", "O", "о"), ("П", "P", "пе"),
    ("Р", "R", "ер"), ("С", "S", "ес"), ("Т", "T", "те"), ("У", "U", "у"), ("Ф", "F", "еф"),
    ("Х", "Kh", "ха"), ("Ц", "Ts", "це"), ("Ч", "Ch", "че"), ("Ш", "Sh", "ша"), ("Щ", "Shch", "ща"),
    ("Ь", "Soft", "м'який знак"), ("Ю", "Yu", "ю"), ("Я", "Ya", "я"),
]  # fmt: skip

UKRAINIAN_ALPHABET: tuple[Letter, ...] = tuple(
    Letter(char, translit, name, char in _MOTION) for char, translit, name in _LETTERS
)
_BY_CHAR = {letter.char: letter for letter in UKRAINIAN_ALPHABET}
_BY_TRANSLIT = {letter.translit.upper(): letter for letter in UKRAINIAN_ALPHABET}


def normalize_class_name(name: str) -> str:
    """NFC-normalise and strip a folder name, so macOS's NFD `Й` (И + U+0306) equals `Й`."""
    return unicodedata.normalize("NFC", name).strip()


def ukrainian_letter(class_name: str) -> Letter | None:
    """The letter a class name denotes (the letter itself, either case, or its transliteration)."""
    key = normalize_class_name(class_name)
    return _BY_CHAR.get(key.upper()) or _BY_TRANSLIT.get(key.upper())


def is_ukrainian(class_names: list[str]) -> bool:
    """True when every class name is a Ukrainian letter (the letter or its transliteration).

    A set of single Latin capitals only (A B V, ...) reads as Latin letters, not as transliterations:
    ASL's V is not В. A transliterated Ukrainian set shows itself by its Cyrillic or multi-letter names (ZH, KH).
    """
    if not class_names or all(
        len(n) == 1 and "A" <= n <= "Z" for n in map(normalize_class_name, class_names)
    ):
        return False
    return all(ukrainian_letter(n) is not None for n in class_names)


def order_classes(class_names: list[str]) -> list[str]:
    """Ukrainian letters in alphabet order; any other set of names sorted by code point."""
    names = sorted({normalize_class_name(n) for n in class_names})
    if is_ukrainian(names):
        position = {letter.char: i for i, letter in enumerate(UKRAINIAN_ALPHABET)}
        return sorted(names, key=lambda n: position[ukrainian_letter(n).char])
    return names


def missing_letters(class_names: list[str]) -> list[str]:
    """Ukrainian letters absent from a Ukrainian class set (empty for any other alphabet)."""
    if not is_ukrainian(class_names):  # A..Z would otherwise match transliterations (H = Г, ...)
        return []
    present = {ukrainian_letter(n).char for n in class_names}
    return [letter.char for letter in UKRAINIAN_ALPHABET if letter.char not in present]


def is_asl(class_names: list[str]) -> bool:
    """True when the class set is ASL's single Latin capital letters (the shared sample's A..Z)."""
    return bool(class_names) and all(
        len(n) == 1 and "A" <= n <= "Z" for n in map(normalize_class_name, class_names)
    )


def is_motion_letter(class_name: str, class_names: list[str]) -> bool:
    """True for a letter that is signed with movement, in the alphabet the class set belongs to."""
    if is_ukrainian(class_names):
        letter = ukrainian_letter(class_name)
        return bool(letter and letter.motion)
    if is_asl(class_names):
        return normalize_class_name(class_name) in ASL_MOTION
    return False


def motion_letters(class_names: list[str]) -> list[str]:
    """The motion letters of a class set, in its order (empty for an unknown alphabet)."""
    return [n for n in class_names if is_motion_letter(n, class_names)]


def describe_class(class_name: str, class_names: list[str] | None = None) -> str:
    """A human label: `Й (йот) — motion letter, static start only`, or the name itself.

    class_names: the model's whole class set; when it is not Ukrainian (ASL's A..Z), no name is
    read as a transliteration (ASL `B` is not `Б`).
    """
    if class_names is not None and not is_ukrainian(class_names):
        return class_name
    letter = ukrainian_letter(class_name)
    if letter is None:
        return class_name
    text = f"{letter.char} ({letter.name})"
    return text + " — motion letter, static start only" if letter.motion else text
