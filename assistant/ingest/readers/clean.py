"""Clean-up shared by the PDF, Word and HTML readers: one spelling of spaces, line ends and ligatures."""

from __future__ import annotations

import unicodedata

_LIGATURES = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st",
})


# Characters that carry no text: controls (tab and newline are kept), soft hyphens, zero-width marks.
_INVISIBLE = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127, 0xAD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF])


_SPACES = dict.fromkeys([0xA0, 0x2007, 0x202F, 0x2002, 0x2003, 0x2009, 0x3000], " ")


# Bullets drawn from the Symbol and Wingdings fonts come out as private-use characters.
_PUA_BULLETS = dict.fromkeys([0xF0B7, 0xF0A7, 0xF0D8, 0xF076, 0xF0FC, 0xF0A8, 0xF06E, 0xF0B2], "•")


# A list or paragraph marker: "4.6.1", "3.", "(a)", "iv)", "•".
MARKER = r"(?:\d+(?:\.\d+)*\.?|\(?[a-zA-Z]\)|\(?[ivx]+\)|[a-z]\.|[•·▪–*-])"


def clean_text(text: str) -> str:
    """Line ends unified, invisible characters removed, ligatures spelt out, odd spaces made spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = text.translate(_LIGATURES).translate(_SPACES).translate(_INVISIBLE).translate(_PUA_BULLETS)
    return unicodedata.normalize("NFC", text)


def tidy_lines(text: str) -> str:
    """Trailing spaces removed (tabs kept: they are empty table cells), at most one blank line in a row."""
    lines = [ln.rstrip(" ") for ln in text.split("\n")]
    lines = ["" if not ln.strip() else ln for ln in lines]
    out: list[str] = []
    for ln in lines:
        if ln == "" and (not out or out[-1] == ""):
            continue
        out.append(ln)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)


def one_line(text: str) -> str:
    return " ".join(clean_text(text).split())


def blocks_text(blocks: list[list[str]]) -> str:
    """Blocks of lines joined by blank lines."""
    return tidy_lines("\n\n".join("\n".join(b) for b in blocks if any(ln.strip() for ln in b)))
