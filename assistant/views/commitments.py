"""Commitments: what the plans say will be done, by whom, with whom, by when and how it is measured.

Read from the index's passages (never from re-parsed files, so every offset is the one the
citations use), in every layout public bodies publish:

* **action tables**: a header row over rows, one cell per line, tab or pipe rows (also rows
  flattened into one line), cells that wrap, tables continued over pages with their header
  repeated (the repeat is no commitment). Columns are found by what their headers say
  (`vocabulary`), not by their position (`rows`);
* **blocks of fields** per action ("Timeline: … / Lead agency: … / Partner agency: …"), the action
  being the heading above them when no field names it;
* **sentences**: "We will …", "The Council will …", "[a named body] will … by [date]", and
  numbered clauses that commit to an action with a date (`prose`).

Each `Commitment` keeps the exact span it came from (`text == document_text[char_start:char_end]`)
and, in `spans`, the span each of its fields was read from, so that any field can be cited through
`Citation.from_span` (see `Commitment.field_span`). Timescales are kept as printed and normalised
into `due` ("Dec. 31, 2021" -> "2021-12", "2012/13" -> "2013-03", "by 2030" -> "2030") or
`recurrence` ("Quarterly" -> "recurring quarterly"); a relative term ("Short term") is resolved
through the plan's own definition of it (`timescale_defined`, cited too), never guessed.

Entry points: `extract_commitments(passages)`, `search_commitments(...)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..core.text import MONTH_RE, clean_inline
from ..core.types import Passage, in_document_order
from .cells import RowCell, cell_pairs, display_text, normalise_lead, split_cell, unglue
from .periods import parse_due, parse_recurrence, valid_month
from .prose import bare_date, date_phrase, definitions, is_clause, relative_term, statement_spans, subject_of
from .rows import Part, RowParts, read_parts
from .vocabulary import is_timescale_value

# Headings that name a plan ("Our Promise", "Service Plan", "Improvement Strategy").
_PLAN_WORD = re.compile(r"\b(?:plan|promise|strategy|pledge|charter|compact|covenant)\b", re.I)


_NUMBER_ONLY = re.compile(r"^\d{1,2}[.)]?$")

# The fields a commitment may have besides its action, in the order they are shown.
FIELDS = ("theme", "lead", "partners", "timescale", "timescale_defined", "measure", "cost", "funding")


@dataclass
class FieldSpan:
    """The verbatim span one field of a commitment was read from: a `Span` for `Citation.from_span`."""

    source: str
    title: str
    organisation: str | None
    published: str
    section: str
    char_start: int
    char_end: int
    text: str


@dataclass
class Commitment:
    """One thing a plan commits to, with its exact source span and the span of each field."""

    plan: str
    theme: str | None  # the heading(s) the plan groups it under ("Voice > Supporting families"), as printed
    action: str  # display text (markup removed); the verbatim words are in `text`
    lead: str | None  # who leads it, as printed
    lead_normalised: str | None
    timescale: str | None  # as printed
    due: str | None  # when it ends: "YYYY-MM", or "YYYY" when only a year is given
    recurrence: str | None  # "recurring quarterly", "ongoing", … when it names no date
    measure: str | None  # how success is measured
    source: str
    char_start: int
    char_end: int
    text: str  # verbatim: document_text[char_start:char_end]
    organisation: str | None = None
    published: str = ""
    kind: str = "row"  # row (an action table's row or a block of fields) | statement (a sentence)
    section: str = ""
    title: str = ""
    passage_id: str = ""
    partners: str | None = None
    cost: str | None = None
    funding: str | None = None
    timescale_defined: str | None = None  # the plan's definition of a relative timescale ("Short term: 0-2 years")
    spans: dict[str, list[Any]] = field(default_factory=dict)  # field -> [char_start, char_end, verbatim text]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def schedule(self) -> str:
        """The timescale as one short phrase: the due month, the recurrence, or the text as written."""
        return self.due or self.recurrence or (self.timescale or "")

    def field_span(self, name: str) -> FieldSpan | None:
        """Where field `name` ("lead", "timescale", "action", …) was read, to cite it; None when unknown."""
        got = self.spans.get(name)
        if not got:
            return None
        start, end, text = got
        return FieldSpan(self.source, self.title, self.organisation, self.published, self.section, start, end, text)


@dataclass
class _SourceState:
    """What is known while reading one source's passages in order."""

    plan_heading: str = ""
    sections_seen: list[str] = field(default_factory=list)
    heading_fix: tuple[str, str] | None = None  # (stale top heading, real heading)
    last_row: tuple[list[Part], str] | None = None  # the themes of the action row just read, and its headers
    headers: list[str] = field(default_factory=list)  # the column names of the last action table read
    theme_cells: dict[str, Part] = field(default_factory=dict)  # a theme cell's header and value -> where it was printed
    last: Passage | None = None
    defined: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # relative term -> its definition


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


def _heading(p: Passage, state: _SourceState, level: int) -> Part | None:
    """Heading `level` of the passage's section path (0 the outermost, -1 the innermost), with its span."""
    parts = _section_parts(p.section)
    if not parts or not -len(parts) <= level < len(parts):
        return None
    if level in (0, -len(parts)) and state.heading_fix and parts[0] == state.heading_fix[0]:
        return Part(state.heading_fix[1])
    title = _strip_numbering(parts[level])
    spans = p.heading_spans if len(p.heading_spans) == len(parts) else []
    if spans and spans[level][0] >= 0 and spans[level][1] - spans[level][0] == len(parts[level]):
        # The splitter's span holds the heading exactly as printed: cite the title without its number.
        start, end = spans[level]
        return Part(title, end - len(title), end, title)
    return Part(title)


def _first_theme_level(p: Passage) -> int:
    """The outermost heading of the section that is not the plan's own title (a theme, not the plan)."""
    parts = _section_parts(p.section)
    title = _strip_reference(p.title).lower()
    for i, part in enumerate(parts[:-1]):
        if not (_PLAN_WORD.search(part) or _strip_numbering(part).lower() == title):
            return i
    return max(0, len(parts) - 1)


def _start_of(part: Part | None) -> int:
    return part.start if part is not None else -2


def _span(part: Part | None) -> list[Any] | None:
    if part is None or part.start < 0:
        return None
    return [part.start, part.end, part.raw or part.value]


def _timescale_fields(timescale: str | None, state: _SourceState) -> dict[str, Any]:
    """due, recurrence and the plan's definition of a relative term, from a timescale as printed."""
    ts = timescale or ""
    due = parse_due(ts)
    out: dict[str, Any] = {"due": due, "recurrence": None if due else parse_recurrence(ts), "timescale_defined": None}
    term = relative_term(ts)
    if term and term in state.defined:
        text, start, end = state.defined[term]
        out["timescale_defined"] = text
        out["due"] = out["due"] or parse_due(text)
        out["defined_span"] = [start, end, text]
    return out


def _make(p: Passage, state: _SourceState, plan: str, action: Part, parts: dict[str, Part], themes: list[Part],
          kind: str, start: int, end: int, text: str) -> Commitment:
    ts = parts.get("timescale")
    lead = parts.get("lead")
    times = _timescale_fields(ts.value if ts else None, state)
    if not times["due"] and not times["recurrence"] and "frequency" in parts:
        times["recurrence"] = parse_recurrence(parts["frequency"].value)  # "Frequency of update: Quarterly"
    c = Commitment(
        plan=plan, theme=" > ".join(t.value for t in themes if t.value) or None, action=action.value,
        lead=lead.value if lead else None, lead_normalised=normalise_lead(lead.value) if lead else None,
        timescale=ts.value if ts else None, due=times["due"], recurrence=times["recurrence"],
        measure=parts["measure"].value if "measure" in parts else None, source=p.source, char_start=start,
        char_end=end, text=text, organisation=p.organisation, published=p.published, kind=kind, section=p.section,
        title=p.title, passage_id=p.id, partners=parts["partners"].value if "partners" in parts else None,
        cost=parts["cost"].value if "cost" in parts else None,
        funding=parts["funding"].value if "funding" in parts else None, timescale_defined=times["timescale_defined"],
    )
    spans = {"action": _span(action), **{("recurrence" if k == "frequency" else k): _span(v) for k, v in parts.items()}}
    if themes:
        spans["theme"] = _span(themes[-1])
    if times.get("defined_span"):
        spans["timescale_defined"] = times["defined_span"]
    c.spans = {k: v for k, v in spans.items() if v}
    return c


def _row_commitments(p: Passage, state: _SourceState) -> list[Commitment]:
    parts = read_parts(p, _heading(p, state, -1) if p.kind == "fields" else None, state.headers)
    if parts is None:
        state.last_row = None
        return []
    if p.kind == "row" and any(h for h, _ in cell_pairs(p)):
        state.headers = [h for h, _ in cell_pairs(p)]
    for k, (theme, key) in enumerate(zip(parts.themes, parts.theme_headers)):
        # A theme carried down from the row above was printed there: cite that cell (and name it so).
        if theme.start >= 0:
            state.theme_cells[key] = theme
        elif key in state.theme_cells:
            parts.themes[k] = state.theme_cells[key]
    themes = parts.themes
    headers = " | ".join(h for h, _ in cell_pairs(p))
    if themes and len(themes) == 1 and state.last_row and state.last_row[1] == headers and len(state.last_row[0]) > 1:
        # A table continued after a page break repeats its outer theme but leaves the inner one empty.
        if state.last_row[0][0].value == themes[0].value:
            themes = state.last_row[0]
    if not themes:
        # The heading the row sits under; for a block of fields titled by its heading, the one above that.
        heading = _heading(p, state, -2 if (p.kind == "fields" and parts.action.start == _start_of(_heading(p, state, -1)))
                           else -1)
        themes = [heading] if heading else []
    state.last_row = (parts.themes, headers) if parts.themes else None
    plan = _plan_for_row(p, state)
    found = dict(parts.parts)
    if "lead" not in found and parts.action.raw:
        # No lead column: the body the action's own sentence names ("DWP dataset owners will …").
        subject = subject_of(parts.action.raw)
        at = parts.action.raw.find(subject) if subject else -1
        if subject and at >= 0:
            found["lead"] = Part(subject, parts.action.start + at, parts.action.start + at + len(subject), subject)
    found.update(_when(parts, found.get("timescale")))
    actions = split_cell(parts.action_cell) if parts.action_cell is not None and p.kind == "row" else []
    leads = split_cell(_cell_of(p, found.get("lead")))
    times = split_cell(_cell_of(p, found.get("timescale")))
    measures = split_cell(_cell_of(p, found.get("measure")))
    n = len(actions)
    split = (n > 1 and all(len(x) in (0, 1, n) for x in (leads, times))
             and any(len(x) == n for x in (leads, times)) and all(a[1] >= 0 for a in actions))
    if not split:
        return [_make(p, state, plan, parts.action, found, themes, "row", p.char_start, p.char_end, p.text)]
    out = []
    for i, (raw, start, end) in enumerate(actions):
        own = dict(found)
        for role, pieces in (("lead", leads), ("timescale", times), ("measure", measures)):
            if len(pieces) == n:
                own[role] = Part(display_text(pieces[i][0]), pieces[i][1], pieces[i][2], pieces[i][0])
        text = p.text[start - p.char_start:end - p.char_start]
        out.append(_make(p, state, plan, Part(display_text(raw), start, end, raw), own, themes, "row", start, end, text))
    return out


def _cell_of(p: Passage, part: Part | None) -> Any:
    """The part as a cell for `split_cell` (which splits values merged with double spaces)."""
    if part is None:
        return None
    return RowCell("", part.value, part.raw, part.start if part.start >= 0 else None, part.end if part.end >= 0 else None)


def _when(parts: RowParts, column: Part | None) -> dict[str, Part]:
    """The timescale of a row, as printed, in this order of preference: the timescale column when it
    gives a date; a note that gives one ("In place by March 2014", kept whole); a date in the action's
    own words; the timescale column as printed ("Short term", "N/A"); a note that says when without a
    date ("From October 2013", "Initial action by December"); a frequency in the action's words."""
    if column is not None and parse_due(column.value):
        return {"timescale": column}
    dated = next((o for o in parts.others if parse_due(o.value)), None)
    if dated is not None:
        return {"timescale": dated}
    in_action = _date_in(parts.action)
    if in_action and parse_due(in_action["timescale"].value) and not (
            column is not None and is_timescale_value(column.value)):
        return in_action
    if column is not None:
        return {"timescale": column}
    notes = next((o for o in parts.others + [parts.parts[k] for k in ("frequency",) if k in parts.parts]
                  if _tells_when(o)), None)
    if notes is not None:
        return {"timescale": notes}
    return in_action


def _tells_when(part: Part) -> bool:
    """A cell that says when: a date phrase, a month or a frequency ("Initial action by December, updated quarterly")."""
    return bool(part.value and (date_phrase(part.raw or part.value) or parse_recurrence(part.value)
                                or re.search(rf"\b(?:by|before|from|until)\s+(?:the\s+end\s+of\s+)?{MONTH_RE}\b",
                                             part.value)))


def _date_in(part: Part | None) -> dict[str, Part]:
    """A date phrase inside an action's own words ("… by March 2014"), or a date printed in them
    ("… overseas nationals 30.9.13 entering …"), as its timescale."""
    if part is None or not part.raw or part.start < 0:
        return {}
    found = date_phrase(part.raw)
    phrase = part.raw[found[0]:found[1]] if found else ""
    if found is None or not (parse_due(phrase) or parse_recurrence(phrase)):
        found = bare_date(part.raw) or found  # "… nationals 30.9.13 entering …": a printed date beats "from April"
    if not found:
        return {}
    s, e = found
    raw = part.raw[s:e]
    return {"timescale": Part(clean_inline(raw), part.start + s, part.start + e, raw)}


def _statement_commitments(p: Passage, state: _SourceState) -> list[Commitment]:
    out = []
    theme = _heading(p, state, _first_theme_level(p))
    for s, e, subject in statement_spans(p.text or ""):
        raw = p.text[s:e]
        start, end = p.char_start + s, p.char_start + e
        action = Part(display_text(raw), start, end, raw)
        parts: dict[str, Part] = _date_in(action)
        if not subject and "timescale" not in parts:
            continue  # a numbered clause commits when it gives a date
        if subject and subject.lower() not in ("we",) and not subject.lower().startswith("our "):
            parts["lead"] = Part(subject, start, start + len(subject), raw[:len(subject)])
        out.append(_make(p, state, _plan_for_statement(p, state), action, parts, [theme] if theme else [],
                         "statement", start, end, raw))
    return out


def _definitions(items: list[Passage]) -> dict[str, dict[str, tuple[str, int, int]]]:
    """Per source, the plan's definitions of its relative timescales ("short" -> ("Short term: 0-2 years", …))."""
    out: dict[str, dict[str, tuple[str, int, int]]] = {}
    for p in items:
        for term, s, e in definitions(p.text or ""):
            out.setdefault(p.source, {}).setdefault(term, (p.text[s:e], p.char_start + s, p.char_start + e))
    return out


def extract_commitments(passages: Iterable[Passage] | Mapping[str, Passage]) -> list[Commitment]:
    """Every commitment in the passages (action rows, blocks of fields, sentences), in document order.

    Accepts a list of passages or the index's `{id: passage}` mapping. Malformed rows
    (missing columns, merged cells, stray tabs) give what can be read; they never raise.
    """
    items = in_document_order(passages)
    defined = _definitions(items)
    out: list[Commitment] = []
    states: dict[str, _SourceState] = {}
    for p in items:
        state = states.setdefault(p.source, _SourceState(defined=defined.get(p.source, {})))
        _update_state(p, state)
        try:
            if p.kind in ("row", "fields") and cell_pairs(p):
                out.extend(_row_commitments(p, state))
            else:
                state.last_row = None
                if p.text and (" will " in p.text or " will\n" in p.text or is_clause(p.text)):
                    out.extend(_statement_commitments(p, state))
        except Exception:  # noqa: BLE001 - one unreadable passage must not lose the rest
            continue
        finally:
            state.last = p
    return _without_repeats(out)


def _without_repeats(found: list[Commitment]) -> list[Commitment]:
    """One commitment per span: a sentence also read as a row's action is kept once (the row)."""
    rows = {(c.source, c.char_start, c.char_end) for c in found if c.kind == "row"}
    seen: set[tuple[str, int, int, str]] = set()
    out = []
    for c in found:
        key = (c.source, c.char_start, c.char_end, c.kind)
        if key in seen or (c.kind != "row" and key[:3] in rows):
            continue
        seen.add(key)
        out.append(c)
    return out


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", unglue(clean_inline(text or "")).lower()).strip()


def search_commitments(commitments: Iterable[Commitment], text: str | None = None, lead: str | None = None,
                       theme: str | None = None, due_before: str | None = None,
                       plan: str | None = None) -> list[Commitment]:
    """Commitments matching every filter given (case-insensitive; glued words ungued on both sides).

    text: every word appears in the action, theme, measure, lead, partners, timescale or plan.
    lead: a substring of the normalised lead or of the partners ("senior manager" matches "SeniorManager, DCC").
    theme: one of the theme's headings (or its start), e.g. "Voice" for "Voice > Supporting families".
    due_before: "YYYY-MM"; keeps commitments due strictly before that month (undated ones are dropped).
    plan: a substring of the plan name, e.g. "2023-25".
    """
    if due_before is not None and not valid_month(due_before):
        raise ValueError(f"due_before must be a month as YYYY-MM (for example 2024-06), not {due_before!r}")
    words = [w for w in re.findall(r"[\w%£'-]+", _fold(text or "")) if w]
    lead_q = _fold(normalise_lead(lead)) if lead else ""
    theme_q = _fold(theme) if theme else ""
    plan_q = _fold(plan) if plan else ""
    out = []
    for c in commitments:
        if words:
            hay = _fold(" ".join(x or "" for x in (c.action, c.measure, c.theme, c.lead_normalised, c.partners, c.plan,
                                                   c.timescale)))
            if not all(w in hay for w in words):
                continue
        if lead_q and lead_q not in _fold(c.lead_normalised or "") and lead_q not in _fold(c.partners or ""):
            continue
        if theme_q and not any(t.startswith(theme_q) for t in _fold(c.theme or "").split(" > ")):
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
