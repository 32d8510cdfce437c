"""Figures: numbers the reports give for a measure, and how they change over time.

`extract_figures(passages)` reads two kinds of evidence from the index's passages:

* **change phrases** in prose and list items: "reduced from 43 to 32", "increased from
  68% to 96%", "reduced from 442 in 2021 to 429 in 2023", "went up from 35% in 2020-21 to
  56% in 2023-24", "increased from 71% in 2019-20 to 100% in 2020-21 and 83% in 2021-22",
  "a reduction in <measure> from 43 to 18", "<measure> was 466 – it has risen to 502";
* **tables of values**: year columns ("2022 | 2023 | 2024"), a budget column
  ("Provisional Revenue Budget 2021-2022"), baseline/target columns
  ("21% (2020/21)" | "27%").

Every `FigureValue` keeps its measure label, value, unit, period and the exact span
that holds it (`text == document_text[char_start:char_end]`, the sentence or the table
row) plus the offsets of the number itself (`value_start`, `value_end`).

`build_series(values)` links the values of one measure into a `Series`: first the
values read together (one change phrase, one table row), then, across reports of the
same place (the place each report's organisation is named after, `DocumentRecord.place`:
a city council and the health board named after the same city share it), series whose
measure labels match. Labels
are compared by stemmed content words weighted by rarity (weighted Jaccard), with the
numbers in a label required to agree ("SCQF Level 4" is not "SCQF Level 5"), values
at the same period required not to contradict each other, and a shared value (one
report's end is the next one's start) accepted as evidence. Two rows of one report are
never the same measure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..core.settings import Linking
from ..core.text import clean_inline, is_value, sentence_spans
from ..core.types import Passage, in_document_order
from .rows import is_action_row
from .figure_values import FigureValue, parse_number
from .periods import PERIOD_RE, normalise_period
from .phrases import clean_label, heading_label, phrase_values

_VALUE_HEADER = re.compile(rf"\bbaseline\b|\btargets?\b|^\s*(?:{PERIOD_RE})\s*$", re.I)


_GENERIC_LABEL_HEADERS = {"measure", "measures", "indicator", "indicators", "item", "items", "description", "label", ""}


@dataclass
class _TableState:
    header_reach: int  # Linking.header_reach_chars
    value_headers: list[str] = field(default_factory=list)  # headers of the value columns last seen
    value_headers_end: int = -1  # where the last row that used them ended
    last: Passage | None = None


def _value_header_parts(header: str) -> tuple[str, str | None, str]:
    """(role, period, other words) of a value column header: "2024 Target" -> ("target", "2024", "")."""
    h = clean_inline(header)
    role = "baseline" if re.search(r"\bbaseline\b", h, re.I) else "target" if re.search(r"\btargets?\b", h, re.I) else "value"
    m = re.search(PERIOD_RE, h)
    period = m.group(0) if m else None
    words = re.sub(PERIOD_RE, " ", h)
    words = re.sub(r"\b(?:baseline|targets?)\b", " ", words, flags=re.I)
    return role, period, " ".join(words.split()).strip(" -–:")


def _row_label_from_context(p: Passage, state: _TableState) -> str:
    """A label for a row of bare values: the short line just above it, else the last heading."""
    last = state.last
    if last is not None and 0 <= p.char_start - last.char_end <= 12 and last.kind in ("fragment", "paragraph") \
            and len(last.text) <= 200 and not last.text.rstrip().endswith(":") and not is_value(last.text):
        return clean_label(last.text)
    label, _, _ = heading_label(p.section)
    return label


def _value_headers(p: Passage, headers: list[str], value_idx: list[int], label_idx: int | None,
                   state: _TableState) -> list[str]:
    """The header of each value cell of a row, repaired when the row lost cells or its header row."""
    value_headers = [headers[i] for i in value_idx]
    near = 0 <= p.char_start - state.value_headers_end <= state.header_reach
    if label_idx is not None and _VALUE_HEADER.search(headers[label_idx] or "x"):
        # The row's cells were aligned to the wrong columns (a cell went missing): the value
        # columns' headers, in order, belong to the value cells, in order.
        wanted = [h for h in headers if h and _VALUE_HEADER.search(h)]
        value_headers = (wanted + [""] * len(value_idx))[:len(value_idx)]
        state.value_headers_end = p.char_end
    elif not any(value_headers) and near and len(state.value_headers) == len(value_idx):
        value_headers = list(state.value_headers)  # same table, its header row lost above a page break
        state.value_headers_end = p.char_end
    elif all(value_headers):
        state.value_headers, state.value_headers_end = value_headers, p.char_end
    return value_headers


def _shown_period(role: str, period: str | None) -> str:
    """ "baseline 2020-21", "2024 target", "2021-22" or ""."""
    if role == "baseline":
        return f"baseline {normalise_period(period)}" if period else "baseline"
    if role == "target":
        return f"{normalise_period(period)} target" if period else "target"
    return normalise_period(period) if period else ""


def _measure_name(words: str, label: str, label_header: str) -> str:
    """A row's measure: its label, with what the value column or label column adds ("Budget: Nursery")."""
    if words:
        return f"{words}: {label}"
    if label_header and label_header.lower() not in _GENERIC_LABEL_HEADERS and not _VALUE_HEADER.search(label_header):
        return f"{label_header}: {label}"
    return label


def _locate(p: Passage, raw_value: str, cursor: int) -> tuple[str, int, int, int]:
    """(the number as written, its absolute start and end or -1, the new cursor): the first occurrence
    of the cell's number in the row after the previous value."""
    token = re.match(r"\s*([<>≤≥~]?\s*[£$€]?\s*\d[\d,]*(?:\.\d+)?\s*%?)", raw_value)
    if not token:
        return raw_value, -1, -1, cursor
    found = re.search(r"(?<![\d.,])" + re.escape(token.group(1).strip()) + r"(?![\d])", p.text[cursor:])
    if not found:
        return token.group(1).strip(), -1, -1, cursor
    return (token.group(1).strip(), p.char_start + cursor + found.start(), p.char_start + cursor + found.end(),
            cursor + found.end())


def _table_values(p: Passage, state: _TableState) -> list[FigureValue]:
    """FigureValues of one table row: a value per figure cell, labelled by the row and its column."""
    pairs = [(clean_inline(str(h or "")), str(v or "")) for h, v in
             (c for c in (p.cells or []) if isinstance(c, (tuple, list)) and len(c) == 2)]
    value_idx = [i for i, (_, v) in enumerate(pairs) if v and is_value(v)]
    if not value_idx:
        return []
    label_idx = next((i for i, (_, v) in enumerate(pairs) if v and i not in value_idx), None)
    headers = [h for h, _ in pairs]
    value_headers = _value_headers(p, headers, value_idx, label_idx, state)
    label = clean_label(pairs[label_idx][1]) if label_idx is not None else _row_label_from_context(p, state)
    if not label:
        return []
    label_header = headers[label_idx] if label_idx is not None else ""
    unit_hint = "per 1,000" if re.search(r"per\s+1,?000", label, re.I) else None
    out = []
    cursor = 0
    for i, header in zip(value_idx, value_headers):
        raw_value = pairs[i][1]
        number = parse_number(raw_value)
        if number is None:
            continue
        value, unit = number
        if unit == "count" and unit_hint:
            unit = unit_hint
        role, period, words = _value_header_parts(header)
        own = re.search(rf"\(\s*({PERIOD_RE})\s*\)", raw_value)
        if own:
            period = own.group(1)  # "21% (2020/21)": the value's own period wins
        value_text, vs, ve, cursor = _locate(p, raw_value, cursor)
        out.append(FigureValue(
            measure=_measure_name(words, label, label_header), value=value, value_text=value_text, unit=unit,
            period=_shown_period(role, period), role=role, source=p.source, char_start=p.char_start,
            char_end=p.char_end, text=p.text, value_start=vs, value_end=ve, organisation=p.organisation, place=p.place,
            published=p.published, title=p.title, section=p.section, group=f"{p.source}:{p.char_start}:row",
            passage_id=p.id,
        ))
    return out


def extract_figures(passages: Iterable[Passage] | Mapping[str, Passage], settings: Linking | None = None) -> list[FigureValue]:
    """Every change phrase and table value in the passages, in document order. Never raises on odd input."""
    items = in_document_order(passages)
    out: list[FigureValue] = []
    states: dict[str, _TableState] = {}
    reach = (settings or Linking()).header_reach_chars
    for p in items:
        state = states.setdefault(p.source, _TableState(reach))
        try:
            if p.kind == "row" and not is_action_row(p):
                out.extend(_table_values(p, state))
            if p.kind != "row" and p.text and re.search(r"\d", p.text):
                for s, e in sentence_spans(p.text):
                    out.extend(phrase_values(p, s, e, f"{p.source}:{p.char_start}"))
        except Exception:  # noqa: BLE001 - one odd passage must not lose the rest
            pass
        finally:
            state.last = p
    return out
