"""Reading an action-plan row: which column is which, and the cells' verbatim spans."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.text import clean_inline
from ..core.types import Passage

# A plan's own promise: "We will …".
WE_WILL = re.compile(r"\bWe\s+will\b")


_ROLE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("action", re.compile(r"\bactions?\b|\bactivit(?:y|ies)\b|\bwhat we will do\b", re.I)),
    ("lead", re.compile(r"\bleads?\b|\bresponsib|\bowners?\b|\bwho\b", re.I)),
    ("timescale", re.compile(r"time\s*scales?|time\s*frames?|\bdeadlines?\b|\bdue\b|\bby when\b|\bwhen\b|\bdates?\b", re.I)),
    ("measure", re.compile(r"indicators?|measur|\bimpact\b|\boutcomes?\b|\bkpis?\b|\bevidence\b|\btargets?\b", re.I)),
    ("foundation", re.compile(r"\bfoundations?\b|\bthemes?\b|\bpillars?\b|\bstrands?\b|\bworkstreams?\b", re.I)),
    ("priority", re.compile(r"\bpriorit|\bobjectives?\b|\baims?\b|\bgoals?\b", re.I)),
]


# Several values merged into one cell are separated by two or more spaces.
_MERGE_SEP = re.compile(r"(?<=\S)[ \u00a0]{2,}(?=\S)")


def cell_pairs(p: Passage) -> list[tuple[str, str]]:
    """The passage's (header, value) pairs as strings, ignoring anything that is not a pair."""
    return [(str(c[0] or ""), str(c[1] or "")) for c in (p.cells or []) if isinstance(c, (tuple, list)) and len(c) == 2]


def header_role(header: str) -> str | None:
    """The role of a column from its header: action, lead, timescale, measure, foundation, priority."""
    h = clean_inline(header)
    if not h:
        return None
    for role, pattern in _ROLE_PATTERNS:
        if pattern.search(h):
            return role
    return None


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
    span). The span's own cells are found by splitting the text at tabs and matching
    each non-empty part to the next pair with the same cleaned value. Anything that does
    not match keeps its value without offsets; nothing here raises on odd input.
    """
    cells = [RowCell(h, v) for h, v in cell_pairs(p)]
    parts: list[tuple[int, int]] = []
    pos = 0
    text = p.text or ""
    for piece in text.split("\t"):
        s, e = pos, pos + len(piece)
        while s < e and text[s] in " \r\n\u00a0":
            s += 1
        while e > s and text[e - 1] in " \r\n\u00a0":
            e -= 1
        if e > s:
            parts.append((s, e))
        pos += len(piece) + 1
    j = 0
    for s, e in parts:
        clean = clean_inline(text[s:e])
        k = j
        while k < len(cells) and cells[k].value != clean:
            k += 1
        if k < len(cells):
            cells[k].raw, cells[k].start, cells[k].end = text[s:e], p.char_start + s, p.char_start + e
            j = k + 1
    return cells


def cell_roles(cells: list[RowCell]) -> dict[str, RowCell]:
    out: dict[str, RowCell] = {}
    for c in cells:
        role = header_role(c.header)
        if role and role not in out and c.value:
            out[role] = c
    return out


def is_action_row(p: Passage) -> bool:
    """True for a table row whose columns include an action column."""
    return p.kind == "row" and any(header_role(h) == "action" for h, _ in cell_pairs(p))


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
