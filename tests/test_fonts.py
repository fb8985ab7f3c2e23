"""The app's typeface: the shipped Noto Sans faces are the pinned files, licensed, embedded in the CSS, and
every capital the issue found misread (M N E W, т д) reads as itself; the same glyph check catches the
Montserrat Alternates that Gradio's theme ships under the name Montserrat."""

from __future__ import annotations

import io
from pathlib import Path

import gradio
import numpy as np
import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from sign_ml.ui import fonts
from sign_ml.ui.app import launch_kwargs

GRADIO_MONTSERRAT = (
    Path(gradio.__file__).parent / "templates/frontend/static/fonts/Montserrat/Montserrat-Regular.woff2"
)
# a letter and the shape it must not be mistaken for (issue 20: "10 mB", "JPεG", "Фomo go")
CONFUSABLE = [("M", "m"), ("N", "n"), ("W", "ш"), ("т", "m"), ("д", "g")]


def pil_font(data: bytes, size: int = 96) -> tuple[ImageFont.FreeTypeFont, str]:
    """(a PIL font, its full name) from WOFF2 bytes: decompressed to TrueType in memory."""
    font = TTFont(io.BytesIO(data))
    font.flavor = None
    out = io.BytesIO()
    font.save(out)
    return ImageFont.truetype(io.BytesIO(out.getvalue()), size), font["name"].getDebugName(4)


def ink(font: ImageFont.FreeTypeFont, char: str, side: int = 32) -> np.ndarray:
    """The glyph's ink, cropped to its box and scaled to side × side (shape only, not size)."""
    image = Image.new("L", (220, 220), 0)
    ImageDraw.Draw(image).text((40, 20), char, font=font, fill=255)
    ys, xs = np.nonzero(np.asarray(image) > 127)
    box = image.crop((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)).resize((side, side))
    return np.asarray(box) > 127


def misread(font: ImageFont.FreeTypeFont) -> list[str]:
    """The letters a reader could take for another: shapes too alike, or an E without square corners (ε)."""
    bad = []
    for letter, other in CONFUSABLE:
        a, b = ink(font, letter), ink(font, other)
        if (a & b).sum() / (a | b).sum() > 0.6:  # Noto Sans: 0.22-0.51; Montserrat Alternates: 0.66-0.96
            bad.append(f"{letter} looks like {other}")
    e = ink(font, "E")
    if not (e[0, 0] and e[-1, 0] and e[0, -1] and e[-1, -1]):
        bad.append("E looks like ε")
    return bad


def test_the_shipped_faces_are_the_pinned_licensed_noto_sans() -> None:
    for name in fonts.FACES:
        _, full_name = pil_font(fonts.face_bytes(name))  # checks the sha256 too
        assert full_name.startswith("Noto Sans"), full_name
    licence = (fonts.ASSETS / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL Open Font License, Version 1.1" in licence and "Reserved Font Name" in licence


def test_a_changed_face_is_refused_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = "NotoSans-Regular.woff2"
    data = bytearray(fonts.face_bytes(name))
    data[-1] ^= 0xFF
    (tmp_path / name).write_bytes(bytes(data))
    monkeypatch.setattr(fonts, "ASSETS", tmp_path)
    with pytest.raises(RuntimeError, match="sha256 differs"):
        fonts.face_bytes(name)


@pytest.mark.parametrize("name", list(fonts.FACES))
def test_every_capital_reads_as_itself_in_the_shipped_faces(name: str) -> None:
    font, _ = pil_font(fonts.face_bytes(name))
    assert misread(font) == []


@pytest.mark.skipif(not GRADIO_MONTSERRAT.is_file(), reason="this Gradio ships no Montserrat to compare")
def test_the_glyph_check_catches_gradios_montserrat_alternates() -> None:
    font, full_name = pil_font(GRADIO_MONTSERRAT.read_bytes())
    assert "Alternates" in full_name  # the file named Montserrat-Regular is not Montserrat
    assert set(misread(font)) >= {"M looks like m", "т looks like m", "д looks like g", "E looks like ε"}


def test_the_page_gets_noto_sans_from_its_own_css_and_no_montserrat() -> None:
    kwargs = launch_kwargs()
    css = kwargs["css"]
    assert css.count("@font-face") == len(fonts.FACES) and "data:font/woff2;base64," in css
    assert "http" not in css.split("}")[0]  # embedded, never a CDN
    theme = kwargs["theme"]
    names = [getattr(f, "name", f) for f in [*theme._font, *theme._font_mono]]
    assert names[0] == "Noto Sans" and not any("Montserrat" in n or "Plex" in n for n in names)
    assert "Montserrat" not in theme._get_theme_css()
