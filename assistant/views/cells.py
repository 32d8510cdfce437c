"""Reading an action-plan row: which column is which, and the cells' verbatim spans."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.text import clean_inline
from ..core.types import Passage

# A plan's own promise: "We will …".
WE_WILL = re.compile(r"\bWe\s+will\b")


# Several values merged into one cell are separated by two or more spaces.
_MERGE_SEP = re.compile(r"(?<=\S)[ \u00a0]{2,}(?=\S)")

# Between a cell's words in the text: anything but words (punctuation, line breaks, markup tags).
_TAG = re.compile(r"<[^>]{0,80}>")
_BETWEEN_WORDS = rf"(?:\W|{_TAG.pattern})*?"
_WORD_CHAR = re.compile(r"\w")


def cell_pairs(p: Passage) -> list[tuple[str, str]]:
    """The passage's (header, value) pairs as strings, ignoring anything that is not a pair."""
    return [(str(c[0] or ""), str(c[1] or "")) for c in (p.cells or []) if isinstance(c, (tuple, list)) and len(c) == 2]


def unglue(text: str) -> str:
    """Split words an export glued together at a case change: "SeniorManager" -> "Senior Manager".

    Only a lower-case letter followed by a capital and more lower-case letters is split,
    so acronyms ("DCC", "NHST") and "Mc"/"Mac" names stay whole.
    """
    return re.sub(r"(?<![A-Z]c)(?<!Ma[c])(?<=[a-z])(?=[A-Z][a-z])", " ", text)


def normalise_lead(lead: str) -> str:
    """A lead as one spelling for filtering.

    "SeniorManager, DCC", "Senior Manager DCC" and "Senior Manager,DCC" all become
    "Senior Manager, DCC"; "Protecting PeopleTeam, DCC" -> "Protecting People Team, DCC".
    Several leads merged in one cell are kept once each, joined with "; ".
    """
    parts = [p for p in _MERGE_SEP.split(lead or "") if p.strip()] or [lead or ""]
    out: list[str] = []
    for part in parts:
        t = unglue(clean_inline(part))
        t = re.sub(r"\s*,\s*", ", ", t).strip(" ,;")
        # "Senior Manager DCC": an organisation's acronym after a job title takes a comma.
        t = re.sub(r"(?<=[a-z])\s+([A-Z]{2,6})$", r", \1", t)
        t = re.sub(r"\s+", " ", t)
        if t and t not in out:
            out.append(t)
    return "; ".join(out)


def display_text(raw: str) -> str:
    """A cell or sentence as a reader should see it: list items joined with '; ', markup removed."""
    t = re.sub(r"</li>\s*(?=<li)", "; ", raw or "")
    t = clean_inline(t)
    t = re.sub(r"\s+;", ";", t).strip(" ;")
    return WE_WILL.sub("We will", t)


def emphasised(raw: str) -> tuple[str, str] | None:
    """("Voice", "Listening to …") from "<b>Voice</b> Listening to …" or "**Voice** …"; None without emphasis."""
    m = re.match(r"^\s*(?:<(b|strong)>(.+?)</\1>|\*\*(.+?)\*\*)\s*(.*)$", raw or "", re.S)
    if not m:
        return None
    name = clean_inline(m.group(2) or m.group(3) or "")
    return (name, clean_inline(m.group(4))) if name else None


@dataclass
class RowCell:
    header: str
    value: str  # cleaned, as in Passage.cells
    raw: str = ""  # verbatim text when the cell lies in the passage's span ("" when carried down)
    start: int | None = None  # absolute offsets of `raw`
    end: int | None = None


def locate_cells(p: Passage) -> list[RowCell]:
    """The row's (header, value) pairs, with the verbatim text and offsets of those inside its span.

    `Passage.cells` holds cleaned values, some carried down from the row above (not in the
    span). Each value is looked for, in order, where a cell can start (the start of the text, a
    tab, a line break, a pipe, a label's colon, or a run of spaces) with its words in order and
    anything but words between them (markup, line breaks). A value not found (carried down) keeps
    no offsets; nothing here raises on odd input.
    """
    cells = [RowCell(h, v) for h, v in cell_pairs(p)]
    text = p.text or ""
    pos = 0
    for c in cells:
        words = re.findall(r"\w+", c.value)
        found = _find_cell(text, words, pos) if words else None
        if found is None:
            continue
        start, end = found
        while True:  # the cell's opening markup ("<b>", "**") belongs to it: "<b>Voice</b> …"
            tag = re.search(r"(?:<[a-z]{1,6}>|\*\*|__)$", text[max(0, start - 8):start])
            if not tag:
                break
            start -= len(tag.group(0))
        while end < len(text) and text[end] in ".,;:!?)]%’'\"*_" and text[end] not in "\t\n|":
            end += 1
        c.raw, c.start, c.end = text[start:end], p.char_start + start, p.char_start + end
        pos = end
    return cells


def _find_cell(text: str, words: list[str], pos: int) -> tuple[int, int] | None:
    """The span of the first run of `words` at or after `pos` where a cell can start, with anything but
    words between them (`_BETWEEN_WORDS`); None when there is none.

    The words are followed through the text by hand: compiling a pattern for each cell was two thirds of
    the time spent reading an archive's views (a cell's value rarely repeats, so the `re` cache misses).
    Where a word could also begin inside a markup tag (the pattern might read "<b>" as "<" and a word
    "b"), the pattern decides, as before."""
    start = text.find(words[0], pos)
    while start != -1:
        end = _follow(text, words, start + len(words[0]))
        if end == -2:  # ambiguous: let the pattern choose
            pattern = re.compile(_BETWEEN_WORDS.join(re.escape(w) for w in words))
            return next(((m.start(), m.end()) for m in pattern.finditer(text, pos) if _cell_starts(text, m.start())),
                        None)
        if end == -1:
            start = text.find(words[0], start + 1)
        elif _cell_starts(text, start):
            return start, end
        else:  # as a pattern's search would, go on after this run
            start = text.find(words[0], end)
    return None


def _follow(text: str, words: list[str], i: int) -> int:
    """Where `words[1:]` end when read from `i`, each after anything but words: -1 when they are not there,
    -2 when one could begin inside a markup tag that lies between them."""
    n = len(text)
    for word in words[1:]:
        while i < n and not _WORD_CHAR.match(text, i):
            tag = _TAG.match(text, i) if text[i] == "<" else None
            if tag:
                inner = i + 1
                while inner < tag.end() and not _WORD_CHAR.match(text, inner):
                    inner += 1
                if text.startswith(word, inner):
                    return -2
                i = tag.end()
            else:
                i += 1
        if not text.startswith(word, i):
            return -1
        i += len(word)
    return i


def _cell_starts(text: str, i: int) -> bool:
    """True when a cell may start at `i`: at the start, or after a tab, line break, pipe, colon or two
    spaces, with only spaces, bullets and markup ("**", "<b>", "<li>") between."""
    j, spaces = i, 0
    while j > 0:
        ch = text[j - 1]
        if ch == ">" and "<" in text[max(0, j - 12):j]:
            j = text.rindex("<", max(0, j - 12), j)
        elif ch in " \u00a0":
            spaces, j = spaces + 1, j - 1
        elif ch in "*_([•·▪-":
            j -= 1
        else:
            break
    return j == 0 or text[j - 1] in "\t\n\r|:" or spaces >= 2


def split_cell(c: RowCell | None) -> list[tuple[str, int, int]]:
    """Parts of a cell merged with double spaces, as (raw, start, end); [] for a missing cell."""
    if c is None:
        return []
    if c.start is None or not c.raw:
        return [(c.value, -1, -1)]
    out = []
    pos = 0
    for m in list(_MERGE_SEP.finditer(c.raw)) + [None]:
        end = m.start() if m else len(c.raw)
        piece = c.raw[pos:end]
        if piece.strip():
            lead_ws = len(piece) - len(piece.lstrip())
            s = c.start + pos + lead_ws
            out.append((piece.strip(), s, s + len(piece.strip())))
        if m:
            pos = m.end()
    return out or [(c.value, -1, -1)]
