"""Commitments: what the plans say will be done, by whom and by when.

Two shapes of commitment are read from the index's passages (never from re-parsed
files, so every offset is the one the citations use):

* **action-plan table rows** — a row passage whose column headers name an action
  ("Action", "Actions"), usually with a lead, a timescale and a measure or indicator,
  and often a foundation/theme and a priority carried down from the row above;
* **"We will …" statements** — sentences that start with "We will" (or the glued
  and in paragraphs, list items and fragments.

Each `Commitment` keeps the exact span it came from: `text == document_text[char_start:char_end]`.
A row whose action cell holds several actions run together with double spaces
("We will sustain …  We will report on …") is split into one commitment per action when
its lead or timescale cell splits into the same number of parts; the span is then that
action's part of the cell. Otherwise a row is one commitment and its span is the row.

Timescales are normalised into `due` ("March2021" -> "2021-03") or `recurrence`
("Quarterly audits" -> "recurring quarterly", "Current" -> "ongoing"); leads into
`lead_normalised` ("SeniorManager DCC" -> "Senior Manager, DCC").

Entry points: `extract_commitments(passages)`, `search_commitments(...)`, and
`commitments_for(assistant)` (computed once per loaded index).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..core.text import clean_inline, sentence_spans
from ..core.types import Passage, in_document_order
from .cells import (
    WE_WILL,
    RowCell,
    cell_pairs,
    cell_roles,
    display_text,
    emphasised,
    is_action_row,
    locate_cells,
    normalise_lead,
    split_cell,
    unglue,
)
from .periods import parse_due, parse_recurrence, valid_month

# Headings that name a plan ("Our Promise", "Service Plan", "Improvement Strategy").
_PLAN_WORD = re.compile(r"\b(?:plan|promise|strategy|pledge|charter|compact|covenant)\b", re.I)


# Where a statement may start: the start of a segment, after a sentence end, after a list bullet.
_STATEMENT_START = re.compile(
    r"(?:^|(?<=[\n\t])|(?<=[.!?;:]\s)|(?<=[.!?;:][\"'’”)]\s)|(?<=\s\s))[ \t\u00a0]*(?:[-*•·▪➤][ \t]+)?(We\s+will\b)")


_NUMBER_ONLY = re.compile(r"^\d{1,2}[.)]?$")


@dataclass
class Commitment:
    """One thing a plan commits to, with its exact source span."""

    plan: str
    foundation: str | None
    priority: str | None
    action: str  # display text (markup removed); the verbatim words are in `text`
    lead: str | None  # as written
    lead_normalised: str | None
    timescale: str | None  # as written
    due: str | None  # YYYY-MM when the timescale names a month
    recurrence: str | None  # "recurring quarterly", "ongoing", … when it names no date
    measure: str | None
    source: str
    char_start: int
    char_end: int
    text: str  # verbatim: document_text[char_start:char_end]
    organisation: str | None = None
    published: str = ""
    kind: str = "row"  # row | statement
    section: str = ""
    title: str = ""
    passage_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def schedule(self) -> str:
        """The timescale as one short phrase: the due month, the recurrence, or the text as written."""
        return self.due or self.recurrence or (self.timescale or "")


@dataclass
class _SourceState:
    """What is known while reading one source's passages in order."""

    foundations: dict[str, str] = field(default_factory=dict)  # full cleaned cell -> emphasised name
    plan_heading: str = ""
    sections_seen: list[str] = field(default_factory=list)
    heading_fix: tuple[str, str] | None = None  # (stale top heading, real heading)
    last_row: tuple[str | None, str | None] | None = None  # (foundation, priority) of the action row just read
    last: Passage | None = None


def _strip_reference(title: str) -> str:
    return re.sub(r"\s*\((?:report|ref)[^)]*\)\s*$", "", title or "", flags=re.I).strip()


def _table_titles(p: Passage) -> list[str]:
    """The table titles at the front of a row's context (before the first column name)."""
    headers = {clean_inline(h) for h, _ in cell_pairs(p) if h}
    titles: list[str] = []
    for bit in (p.context or "").split(" | "):
        b = bit.strip()
        if not b or b in headers or any(b.startswith(h + ": ") for h in headers):
            break
        titles.append(b)
    return titles


def _plan_for_row(p: Passage, state: _SourceState) -> str:
    titles = _table_titles(p)
    named = " ".join(titles).strip()
    if named and (len(named.split()) > 3 or re.search(r"\d{4}", named)):
        return named
    base = state.plan_heading or _strip_reference(p.title) or p.source
    return f"{base} {named}".strip() if named else base


def _plan_for_statement(p: Passage, state: _SourceState) -> str:
    return state.plan_heading or _strip_reference(p.title) or p.source


def _section_parts(section: str) -> list[str]:
    return [s.strip() for s in (section or "").split(" > ") if s.strip()]


def _strip_numbering(text: str) -> str:
    return re.sub(r"^\d+(?:\.\d+)*[.)]?\s*", "", text or "").strip()


def _update_state(p: Passage, state: _SourceState) -> None:
    """Track the nearest plan-naming heading and repair split numbered headings ("1." / "Community Justice").

    Only top-level headings name a plan: a document part titled "Our Promise" or
    "Improvement Strategy"; deeper headings name sections, programmes, projects.
    """
    top = (_section_parts(p.section) or [""])[0]
    if top and top not in state.sections_seen:
        state.sections_seen.append(top)
        if _PLAN_WORD.search(top) and len(top.split()) <= 12:
            state.plan_heading = _strip_numbering(top)
    if state.heading_fix and state.heading_fix[0] != top:
        state.heading_fix = None
    # A numbered heading whose number and title were cut apart ("1." then "Community Justice")
    # is read as a heading for what follows, until the section path itself moves on.
    last = state.last
    adjacent = last is not None and 0 <= p.char_start - last.char_end <= 8  # only line breaks between
    if (adjacent and p.kind == "fragment" and _NUMBER_ONLY.match((last.text or "").strip())
            and len(p.text.split()) <= 8 and not p.text.rstrip().endswith((".", ":", ";"))):
        state.heading_fix = (top, clean_inline(p.text))


def _priority_from_section(p: Passage, state: _SourceState) -> str | None:
    parts = _section_parts(p.section)
    if not parts:
        return None
    if state.heading_fix and parts[0] == state.heading_fix[0]:
        return state.heading_fix[1]
    return _strip_numbering(parts[0]) or None


def _foundation(cell: RowCell | None, state: _SourceState) -> str | None:
    if cell is None or not cell.value:
        return None
    if cell.raw:
        named = emphasised(cell.raw)
        if named:
            state.foundations[cell.value] = named[0]
            return named[0]
    return state.foundations.get(cell.value, cell.value)


def _row_commitments(p: Passage, state: _SourceState) -> list[Commitment]:
    cells = locate_cells(p)
    roles = cell_roles(cells)
    action = roles.get("action")
    if action is None:
        # A missing or misaligned action column: take the longest cell no other role claimed.
        claimed = {id(c) for c in roles.values()}
        spare = [c for c in cells if id(c) not in claimed and c.value and c.raw]
        if not spare:
            return []
        action = max(spare, key=lambda c: len(c.value))
    lead, timescale, measure = roles.get("lead"), roles.get("timescale"), roles.get("measure")
    foundation = _foundation(roles.get("foundation"), state)
    priority_cell = roles.get("priority")
    priority = display_text(priority_cell.value) if priority_cell else None
    if priority is None and state.last_row is not None:
        # A table continued after a page break repeats its header and foundation but leaves
        # the priority cell empty: the priority is the one the previous page ended with.
        last_foundation, last_priority = state.last_row
        if last_foundation == foundation:
            priority = last_priority
    state.last_row = (foundation, priority)
    plan = _plan_for_row(p, state)

    actions = split_cell(action)
    leads, times, measures = split_cell(lead), split_cell(timescale), split_cell(measure)
    n = len(actions)
    split = (n > 1 and all(len(x) in (0, 1, n) for x in (leads, times))
             and any(len(x) == n for x in (leads, times)) and all(a[1] >= 0 for a in actions))

    def pick(parts: list[tuple[str, int, int]], i: int, whole: RowCell | None) -> str | None:
        if not parts:
            return None
        if split and len(parts) == n:
            return display_text(parts[i][0])
        return display_text(whole.raw or whole.value) if whole else None

    out: list[Commitment] = []
    for i in range(n if split else 1):
        if split:
            raw, start, end = actions[i]
            span_text = p.text[start - p.char_start:end - p.char_start]
        else:
            raw, start, end, span_text = action.raw or action.value, p.char_start, p.char_end, p.text
        ts = pick(times, i, timescale)
        ld = pick(leads, i, lead)
        out.append(Commitment(
            plan=plan, foundation=foundation, priority=priority, action=display_text(raw),
            lead=ld, lead_normalised=normalise_lead(ld) if ld else None,
            timescale=ts, due=parse_due(ts or ""), recurrence=parse_recurrence(ts or "") if not parse_due(ts or "") else None,
            measure=pick(measures, i, measure), source=p.source, char_start=start, char_end=end, text=span_text,
            organisation=p.organisation, published=p.published, kind="row", section=p.section, title=p.title,
            passage_id=p.id,
        ))
    return out


def statement_spans(text: str) -> list[tuple[int, int]]:
    """Spans (relative to `text`) of the "We will …" statements in a piece of prose.

    A statement starts with "We will" at the start of a line or cell, after a
    sentence end, or after a double space; it ends at its sentence's end, at the next
    statement, or at a line break before a line that starts afresh (a capital, a digit or
    a bullet), since plans often list one statement per line without full stops.
    """
    starts = [m.start(1) for m in _STATEMENT_START.finditer(text)]
    if not starts:
        return []
    ends = sorted({e for _, e in sentence_spans(text)}
                  | {m.start() for m in re.finditer(r"[ \t\u00a0]*\n(?=[ \t\u00a0]*(?:[A-Z0-9]|[-*•·▪➤]\s))", text)})
    out = []
    for i, s in enumerate(starts):
        limit = starts[i + 1] if i + 1 < len(starts) else len(text)
        end = next((e for e in ends if s < e <= limit), limit)
        while end > s and text[end - 1] in " \t\r\n\u00a0":
            end -= 1
        if end > s:
            out.append((s, end))
    return out


def _statement_commitments(p: Passage, state: _SourceState) -> list[Commitment]:
    out = []
    for s, e in statement_spans(p.text or ""):
        raw = p.text[s:e]
        out.append(Commitment(
            plan=_plan_for_statement(p, state), foundation=None, priority=_priority_from_section(p, state),
            action=display_text(raw), lead=None, lead_normalised=None, timescale=None, due=None, recurrence=None,
            measure=None, source=p.source, char_start=p.char_start + s, char_end=p.char_start + e, text=raw,
            organisation=p.organisation, published=p.published, kind="statement", section=p.section,
            title=p.title, passage_id=p.id,
        ))
    return out


def extract_commitments(passages: Iterable[Passage] | Mapping[str, Passage]) -> list[Commitment]:
    """Every commitment in the passages (action-plan rows and "We will" statements), in document order.

    Accepts a list of passages or the index's `{id: passage}` mapping. Malformed rows
    (missing columns, merged cells, stray tabs) give what can be read; they never raise.
    """
    items = in_document_order(passages)
    out: list[Commitment] = []
    states: dict[str, _SourceState] = {}
    for p in items:
        state = states.setdefault(p.source, _SourceState())
        _update_state(p, state)
        try:
            if is_action_row(p):
                out.extend(_row_commitments(p, state))
            else:
                state.last_row = None
                if p.text and WE_WILL.search(p.text):
                    out.extend(_statement_commitments(p, state))
        except Exception:  # noqa: BLE001 - one unreadable passage must not lose the rest
            continue
        finally:
            state.last = p
    return out


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", unglue(clean_inline(text or "")).lower()).strip()


def search_commitments(commitments: Iterable[Commitment], text: str | None = None, lead: str | None = None,
                       foundation: str | None = None, due_before: str | None = None,
                       plan: str | None = None) -> list[Commitment]:
    """Commitments matching every filter given (case-insensitive; glued words ungued on both sides).

    text: every word appears in the action, measure, foundation, priority, lead or plan.
    lead: a substring of the normalised lead ("senior manager" matches "SeniorManager, DCC").
    foundation: the foundation's name (or its start), e.g. "Voice".
    due_before: "YYYY-MM"; keeps commitments due strictly before that month (undated ones are dropped).
    plan: a substring of the plan name, e.g. "2023-25".
    """
    if due_before is not None and not valid_month(due_before):
        raise ValueError(f"due_before must be a month as YYYY-MM (for example 2024-06), not {due_before!r}")
    words = [w for w in re.findall(r"[\w%£'-]+", _fold(text or "")) if w]
    lead_q = _fold(normalise_lead(lead)) if lead else ""
    found_q = _fold(foundation) if foundation else ""
    plan_q = _fold(plan) if plan else ""
    out = []
    for c in commitments:
        if words:
            hay = _fold(" ".join(x or "" for x in (c.action, c.measure, c.foundation, c.priority, c.lead_normalised, c.plan, c.timescale)))
            if not all(w in hay for w in words):
                continue
        if lead_q and lead_q not in _fold(c.lead_normalised or ""):
            continue
        if found_q:
            f = _fold(c.foundation or "")
            if not (f == found_q or f.startswith(found_q)):
                continue
        if due_before and not (c.due and c.due < due_before):
            continue
        if plan_q and plan_q not in _fold(c.plan):
            continue
        out.append(c)
    return out


def plans(commitments: Iterable[Commitment]) -> dict[str, int]:
    """Number of commitments per plan, in first-seen order."""
    counts: dict[str, int] = {}
    for c in commitments:
        counts[c.plan] = counts.get(c.plan, 0) + 1
    return counts
