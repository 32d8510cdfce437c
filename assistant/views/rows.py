"""Reading one action-table row, or one block of "Label: value" fields, into its parts.

The columns are found by what their headers say (`vocabulary`), never by their position. Each
part keeps the verbatim span it was read from (`Part`), so that every field of a commitment can
be cited. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core.text import clean_inline
from ..core.types import Passage
from .cells import RowCell, display_text, emphasised, locate_cells
from .vocabulary import COMMITMENT_HEADER, COMMITMENT_ROLES, DEADLINE_HEADER, is_timescale_value, table_roles

# The timescale at the end of a cell that holds two things: "MTC/ABAG, CMAs 4 YEARS", "Planning team Short term".
_TIMESCALE_TAIL = re.compile(
    r"(?:(?<=\s)|^)((?:\d+\s*(?:[-–]\s*\d+\s*)?(?:years?|yrs?|months?)|(?:short|medium|long)[\s-]*term|immediate|"
    r"ongoing|on-going|(?:by\s+)?(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+)?(?:19|20)\d\d)"
    r"\b(?:\s*\([^)]*\))?)", re.I)


@dataclass
class Part:
    """A field's value and the exact span it was read from (absolute offsets in the source)."""

    value: str  # as a reader should see it (markup removed)
    start: int = -1  # -1: carried from elsewhere without a known span
    end: int = -1
    raw: str = ""  # verbatim source text of [start:end], when known


@dataclass
class RowParts:
    """The parts of one row or block of fields, by role."""

    action: Part | None = None
    parts: dict[str, Part] = field(default_factory=dict)  # lead, partners, timescale, measure, cost, funding
    themes: list[Part] = field(default_factory=list)  # the theme cells, outermost first
    theme_headers: list[str] = field(default_factory=list)  # their cells' header and value, as a key
    action_cell: RowCell | None = None  # for splitting cells that hold several actions
    others: list[Part] = field(default_factory=list)  # cells no role claimed ("Notes on action"), in order


def _part(c: RowCell) -> Part:
    if c.start is not None and c.raw:
        return Part(display_text(c.raw), c.start, c.end if c.end is not None else -1, c.raw)
    return Part(display_text(c.value))


def is_header_repeat(cells: list[RowCell]) -> bool:
    """A table's header row repeated over a page break: most values are their own column's header."""
    filled = [c for c in cells if c.value]
    same = sum(1 for c in filled if clean_inline(c.value).lower() == clean_inline(c.header).lower())
    return bool(filled) and same * 2 >= len(filled)


def _split_timescale(c: RowCell) -> tuple[Part | None, Part | None]:
    """A cell under "Partners and Timeframe": (who, when), each with its own span."""
    text = c.raw or c.value
    found = [m for m in _TIMESCALE_TAIL.finditer(text) if m.start(1) > 0]
    if not found:
        return _part(c), None
    m = found[0]  # "MTC/ABAG, Caltrans 1-4 years includes …": who, then when; what follows is a note
    who_raw, when_raw = text[:m.start(1)].rstrip(" ,;–-\t\n"), m.group(1).strip()
    base = c.start if (c.start is not None and c.raw) else None

    def sub(raw: str, at: int) -> Part:
        if not raw:
            return Part("")
        return Part(display_text(raw), base + at, base + at + len(raw), raw) if base is not None else Part(display_text(raw))

    return (sub(who_raw, 0) if who_raw else None), sub(when_raw, m.start(1))


def read_parts(p: Passage, heading: Part | None = None, headers: list[str] | None = None) -> RowParts | None:
    """The parts of a row or fields passage by the roles its headers name; None when it is no commitment.

    A row is read when a header names an action, or, in a table without one, when the row has a
    lead or a timescale: then its first free-text cell (and a description after it) is the action.
    A block of fields without an action field is the action under `heading` (the heading above it)
    when it gives a lead or a timescale. A repeated header row is never a commitment. A row whose
    table printed no header (continued on a new page, or a second table of the same shape) is read
    with `headers`, the last action table's, when it has as many cells.
    """
    cells = locate_cells(p)
    if not cells or is_header_repeat(cells):
        return None
    if headers and len(headers) == len(cells) and not any(c.header for c in cells):
        for c, h in zip(cells, headers):
            c.header = h
    roles = table_roles([c.header for c in cells], [c.value for c in cells], action_elsewhere=heading is not None)
    if not COMMITMENT_ROLES & {r for rs in roles for r in rs} and not any(
            "action" in rs and COMMITMENT_HEADER.search(c.header) for c, rs in zip(cells, roles)):
        return None  # "Organisation | Project summary | Amount requested": projects or grants, not commitments
    out = RowParts()
    free: list[RowCell] = []
    for c, rs in zip(cells, roles):
        if not c.value:
            continue
        if not rs:
            free.append(c)
            continue
        if len(rs) > 1 and "timescale" in rs:
            who, when = _split_timescale(c)
            other = next(r for r in rs if r != "timescale")
            if who is not None and who.value:
                out.parts.setdefault(other, who)
            if when is not None:
                out.parts.setdefault("timescale", when)
            continue
        role = rs[0]
        if role == "action":
            # Several headers may name an action ("Section in Strategy", "Commitment Description",
            # "Notes on action"): the action is the longest of them, the others are notes.
            if out.action_cell is None or len(c.value) > len(out.action_cell.value):
                if out.action_cell is not None:
                    out.others.append(_part(out.action_cell))
                out.action, out.action_cell = _part(c), c
            else:
                out.others.append(_part(c))
        elif role == "theme":
            named = emphasised(c.raw) if c.raw else None
            theme = _part(c)
            if named:  # "<b>Voice</b> Listening to …": the theme is the emphasised name
                theme.value = named[0]
            out.themes.append(theme)
            out.theme_headers.append(f"{c.header}\t{c.value}")
        elif role not in out.parts:
            out.parts[role] = _part(c)
        else:
            out.others.append(_part(c))
    if out.action is None and heading is not None and heading.value and (out.parts.get("lead") or out.parts.get("timescale")):
        out.action = heading
    if out.action is None and free and any("action" in rs for rs in roles):
        # The action cell is empty where its header stands (cells shifted): the longest free cell is it.
        longest = max(free, key=lambda c: len(c.value))
        out.action, out.action_cell = _part(longest), longest
    if out.action is None:
        deadline = any("timescale" in rs and DEADLINE_HEADER.search(c.header) for c, rs in zip(cells, roles))
        if not deadline or not _dated(out.parts.get("timescale")) or not free:
            return None  # a table naming no action is read only when it says by when (a release schedule)
        # No column names the action: the row's first free-text cell is what is done (a dataset's
        # name, a project), with a description cell after it when there is one.
        first = free[0]
        out.action, out.action_cell = _part(first), first
        described = next((c for c in free[1:] if re.search(r"descri|detail|summary|scope", c.header, re.I)), None)
        if described is not None and first.start is not None and described.end is not None and first.raw:
            joined = (p.text or "")[first.start - p.char_start:described.end - p.char_start]
            out.action = Part(display_text(joined), first.start, described.end, joined)
    if out.action_cell is not None and _identifier(out.action.value):
        # "Activity 3.3.1", "Dataset 4.1.2", "1.2": the action column holds a reference; what is done
        # is the longest free-text cell beside it.
        described = max((c for c in free if len(c.value.split()) >= _MIN_ACTION_WORDS), key=lambda c: len(c.value),
                        default=None)
        if described is not None:
            out.others.append(out.action)
            out.action, out.action_cell = _part(described), described
            free = [c for c in free if c is not described]
    if not re.search(r"[A-Za-z]{3}", out.action.value):
        return None
    words = len(out.action.value.split())
    bare = not out.parts.get("lead") and not out.parts.get("timescale")
    if words < 2 or (bare and (words <= _MIN_ACTION_WORDS - 1 or out.action.value.split()[0].islower())):
        # "Commitment", "10-Year Vision": a header or title cell; "centers to create …": the end of a
        # cell cut off by a page break. Neither is something to be done.
        return None
    out.others += [_part(c) for c in free if c is not out.action_cell]
    return out


_MIN_ACTION_WORDS = 4


def _identifier(value: str) -> bool:
    """A reference rather than an action: a few words with a number ("Activity 3.3.1", "1.2", "Dataset 4")."""
    words = value.split()
    return len(words) <= 3 and bool(re.search(r"\d", value))


def _dated(part: Part | None) -> bool:
    return part is not None and bool(part.value) and (is_timescale_value(part.value) or bool(re.search(r"\d{4}", part.value)))


def is_action_row(p: Passage) -> bool:
    """True for a table row or block of fields one of whose headers names an action."""
    pairs = [h for h, _ in (p.cells or []) if isinstance(h, str)]
    return p.kind in ("row", "fields") and any("action" in rs for rs in table_roles(pairs))
