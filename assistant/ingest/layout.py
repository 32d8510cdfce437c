"""The layout model the passage splitter reads: lines, blocks, cells, and what a line looks like.

Pure helpers over a document's text; every offset is into that text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core.text import clean_inline, is_value, trim

BULLET_RE = re.compile(r"^[ \t]*(?:[-*•·–▪➤]|\d{1,2}[.)](?=\s))[ \t]+")


NUMBERED_PARA_RE = re.compile(r"^[ \t]*(?:-[ \t]+)?(\d+(?:\.\d+)+)\.?[ \t]+\S")


_SECTION_NO_RE = re.compile(r"^\d+(?:\.\d+)*\.?$")


@dataclass
class Line:
    start: int
    end: int  # exclusive, newline not included
    raw: str

    @property
    def stripped(self) -> str:
        return self.raw.strip()


@dataclass
class Cell:
    start: int
    end: int
    text: str  # verbatim text of the cell (may span lines)

    @property
    def clean(self) -> str:
        return clean_inline(self.text)


@dataclass
class Table:
    """What is known about the table being read: its titles, header and the row above."""

    titles: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    above: list[str] = field(default_factory=list)


def split_lines(text: str) -> list[Line]:
    lines = []
    pos = 0
    for raw in text.split("\n"):
        end = pos + len(raw)
        body = raw[:-1] if raw.endswith("\r") else raw
        lines.append(Line(pos, pos + len(body), body))
        pos = end + 1
    return lines


def split_blocks(lines: list[Line]) -> list[list[Line]]:
    """Groups of lines separated by blank lines. A line of tabs is an empty table cell, not a blank."""
    blocks: list[list[Line]] = []
    current: list[Line] = []
    for line in lines:
        blank = line.raw.strip(" \r\u00a0") == ""
        heading = line.stripped.startswith("#")
        if blank or heading:
            if current:
                blocks.append(current)
            current = []
            if heading:
                blocks.append([line])
            continue
        current.append(line)
    if current:
        blocks.append(current)
    return blocks


def tab_cells(text: str, line: Line) -> list[Cell]:
    cells, pos = [], line.start
    for part in line.raw.split("\t"):
        s, e = trim(text, pos, pos + len(part))
        cells.append(Cell(s, e, text[s:e]))
        pos += len(part) + 1
    return cells


def is_tsv_row(line: Line) -> bool:
    parts = [p for p in line.raw.split("\t") if p.strip()]
    return len(parts) >= 2 and not (len(parts) == 2 and _SECTION_NO_RE.match(parts[0].strip()))


# Page furniture that is neither a heading nor content.
FURNITURE_RE = re.compile(r"^(?:this page is intentionally left blank|page \d+(?: of \d+)?)$", re.IGNORECASE)


_SPACED_SPLIT = re.compile(r"(?<=\S)[ \u00a0]{3,}(?=\S)")


def spaced_cells(text: str, line: Line) -> list[Cell] | None:
    """Cells of a space-aligned row whose last cell is a figure, else None."""
    parts = list(_SPACED_SPLIT.finditer(line.raw))
    if not parts:
        return None
    cells, pos = [], 0
    for m in parts:
        cells.append((pos, m.start()))
        pos = m.end()
    cells.append((pos, len(line.raw.rstrip())))
    out = []
    for s, e in cells:
        s, e = trim(text, line.start + s, line.start + e)
        if e > s:
            out.append(Cell(s, e, text[s:e]))
    if len(out) >= 2 and is_value(out[-1].text):
        return out
    return None


_ALIGNED_SPLIT = re.compile(r"(?<=\S)[ \u00a0]{2,}(?=\S)")
_ALIGN_SLACK = 2  # characters a cell may start off its column (hand-typed alignment)


def aligned_rows(text: str, block: list[Line]) -> list[list[Cell]] | None:
    """A table typed with spaces ("Action   Responsible   Deadline" over rows aligned under it):
    the cells of each line, the first line being the header; None when the block is not such a table.

    Every line has at least two cells, and every cell starts where one of the header's columns starts."""
    lines = [ln for ln in block if ln.stripped]
    if len(lines) < 3:
        return None
    rows: list[list[Cell]] = []
    for ln in lines:
        starts = [0] + [m.end() for m in _ALIGNED_SPLIT.finditer(ln.raw)]
        ends = [m.start() for m in _ALIGNED_SPLIT.finditer(ln.raw)] + [len(ln.raw.rstrip())]
        cells = [Cell(ln.start + a, ln.start + b, text[ln.start + a:ln.start + b]) for a, b in zip(starts, ends)]
        if len(cells) < 2:
            return None
        rows.append(cells)
    cols = [c.start - lines[0].start for c in rows[0]]
    for ln, cells in zip(lines, rows):
        for c in cells:
            if not any(abs((c.start - ln.start) - x) <= _ALIGN_SLACK for x in cols):
                return None
    return rows


def is_heading_candidate(text: str) -> bool:
    t = clean_inline(text).strip("#").strip()
    if not t or len(t) > 90 or len(t.split()) > 12:
        return False
    if t[-1] in ".;,:" or "\t" in text:
        return False
    if BULLET_RE.match(text) and not re.match(r"^\d{1,2}\.\s", t):
        return False
    return t[0].isupper() or t[0].isdigit()


def strong_heading(text: str) -> bool:
    """Headings that are headings wherever they stand: numbered ('1.0 PURPOSE') or all capitals."""
    t = clean_inline(text).strip("#").strip()
    letters = [c for c in t if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 3:
        return True
    return bool(re.match(r"^\d+(?:\.\d+)*\.?\s+\S", t))


BODY_KINDS = {"paragraph", "list", "tsv", "cells", "spaced", "pipe", "vote", "fields", "aligned"}


def heading_level(text: str, hashes: int) -> int:
    t = clean_inline(text).strip("#").strip()
    m = re.match(r"^(\d+(?:\.\d+)*)\.?\s", t)
    if m:
        parts = m.group(1).split(".")
        if len(parts) > 1 and parts[-1] == "0":
            parts = parts[:-1]
        return len(parts)
    if hashes:
        return hashes
    return 9  # unnumbered title lines: they replace each other under the numbered sections


# --- Markdown: front matter and pipe tables ---------------------------------------------------

FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n.*?\n---[ \t]*(?:\n|\Z)", re.S)
PIPE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


def front_matter_end(text: str) -> int:
    """Where a Markdown file's YAML front matter ends (0 when it has none): metadata, not content to cite."""
    m = FRONT_MATTER_RE.match(text)
    return m.end() if m else 0


def is_pipe_row(line: Line) -> bool:
    """A Markdown table line: "| Priority | Indicator | Source |" (the closing pipe is optional)."""
    s = line.stripped
    return s.startswith("|") and s.count("|") >= 2


def pipe_cells(text: str, line: Line) -> list[Cell]:
    """The cells of a Markdown table line, each trimmed, with offsets into `text` ("\\|" is a pipe in a cell)."""
    raw = line.raw
    bars = [m.start() for m in re.finditer(r"(?<!\\)\|", raw)]
    if raw.rstrip().endswith("|") and len(bars) >= 2:
        bounds = list(zip(bars, bars[1:]))
    else:
        bounds = list(zip(bars, bars[1:] + [len(raw)]))
    cells = []
    for a, b in bounds:
        s, e = trim(text, line.start + a + 1, line.start + b)
        cells.append(Cell(s, e, text[s:e]))
    return cells


# --- recorded votes ----------------------------------------------------------------------------

# "For (12)", "Yeas / For (16)", "Against: 3", "Abstentions – 1": a count of votes, not a heading.
VOTE_RE = re.compile(r"^\W*(?:(?:yeas?|nays?|ayes?|noes?|for|against|abstain\w*|abstentions?|in favou?r|absent|"
                     r"not voting)\b[\s/]*)+[:(–-]?\s*\(?\s*\d+\s*\)?\s*$", re.I)


def is_vote_line(text: str) -> bool:
    return bool(VOTE_RE.match(clean_inline(text).lstrip("#").strip()))


# --- lines wrapped into blocks of their own ------------------------------------------------------

_ENDS_SENTENCE = re.compile(r"[.!?:;][\"'’”)\]]*$")
_WRAPPED_MIN_CHARS = 60  # a line this long that stops mid-sentence was wrapped, not a heading


def continues(prev: list[Line], nxt: list[Line], wrapped: bool = False) -> bool:
    """True when block `nxt` carries on the sentence that block `prev` stopped in the middle of.

    Markdown converted from PDF often leaves a blank line after every wrapped line, and a sentence
    may run on over a page break: such blocks are one paragraph. A block that is a heading, a
    bullet, a table row or a vote count never continues another, and none continues one that ends
    a sentence. A block starting with a capital continues a long unfinished line only in a
    document whose lines are `wrapped` this way throughout (elsewhere it is usually a heading).
    """
    a, b = prev[-1].stripped, nxt[0].stripped
    if not a or not b or _ENDS_SENTENCE.search(a):
        return False
    if a.startswith(("#", "|")) or b.startswith(("#", "|")) or "\t" in a or "\t" in b or is_vote_line(a):
        return False
    if BULLET_RE.match(nxt[0].raw) or NUMBERED_PARA_RE.match(nxt[0].raw) or is_vote_line(b):
        return False
    if b[0].islower() or b[0] in "£$€(" or re.match(r"\d[\d,.]*(?![.)\d])", b):
        return True  # a sentence goes on with a lower-case word or a figure; a heading rarely starts so
    return wrapped and len(a) >= _WRAPPED_MIN_CHARS and not strong_heading(a) and not is_value(a.split()[-1])


# A document counts as wrapped into one-line blocks when this share of its block boundaries (and at
# least _WRAPPED_MIN_JOINS of them) fall in the middle of a sentence that carries on in lower case.
_WRAPPED_SHARE = 0.1
_WRAPPED_MIN_JOINS = 5


def rejoin_wrapped(blocks: list[list[Line]]) -> list[list[Line]]:
    """Blocks with the ones that carry on a sentence joined to it (see `continues`)."""
    joins = sum(continues(a, b) for a, b in zip(blocks, blocks[1:]))
    wrapped = joins >= max(_WRAPPED_MIN_JOINS, _WRAPPED_SHARE * len(blocks))
    out: list[list[Line]] = []
    for block in blocks:
        if out and continues(out[-1], block, wrapped):
            out[-1] = out[-1] + block
        else:
            out.append(block)
    return out


# --- fields: "Lead agency: Transport team" -------------------------------------------------------

# A label of one to five words, capitalised, then a colon and (usually) its value. Markdown bold
# around the label ("**Lead:** …") is allowed; a sentence ending in a colon is not a label.
FIELD_RE = re.compile(r"^[ \t]*(?:[-*•·▪][ \t]+)?(?:\*\*|__)?([A-Z][A-Za-z0-9/&()'’ -]{0,48}?)(?:\*\*|__)?[ \t]*:"
                      r"(?:\*\*|__)?(?:[ \t]+(\S.*))?$")
_FIELD_MAX_WORDS = 5


def field_line(line: Line) -> tuple[str, str] | None:
    """(label, value) of a "Label: value" line, or None. The value may be empty (it follows on the next line)."""
    m = FIELD_RE.match(line.raw)
    if not m:
        return None
    label = clean_inline(m.group(1)).strip()
    if not label or len(label.split()) > _FIELD_MAX_WORDS:
        return None
    return label, clean_inline(m.group(2) or "")


def is_fields_block(block: list[Line]) -> bool:
    """Two or more "Label: value" lines, every other line carrying on the value above it (indented or lower case)."""
    lines = [ln for ln in block if ln.stripped]
    found = [field_line(ln) for ln in lines]
    labelled = [f is not None for f in found]
    if sum(labelled) < 2 or not labelled[0] or _glossary([f for f in found if f]):
        return False
    return all(ok or ln.raw[:1] in " \t" or ln.stripped[:1].islower() for ok, ln in zip(labelled, lines))


def is_field_block(block: list[Line]) -> bool:
    """One "Label: value" line on its own: with its neighbours, perhaps a block of fields split by blank lines."""
    lines = [ln for ln in block if ln.stripped]
    found = field_line(lines[0]) if len(lines) == 1 else None
    return found is not None and bool(found[1]) and not _glossary([found])


def _glossary(found: list[tuple[str, str]]) -> bool:
    """Labels that are acronyms ("UASC: Unaccompanied …"): a glossary, each line a definition of its own."""
    return sum(1 for label, _ in found if re.fullmatch(r"[A-Z][A-Z0-9&]{1,9}s?", label)) * 2 > len(found)
