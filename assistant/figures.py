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
same place (the first word of the organisation: "Dundee City Council" and "Dundee …
Integration Joint Board" are both "dundee"), series whose measure labels match. Labels
are compared by stemmed content words weighted by rarity (weighted Jaccard), with the
numbers in a label required to agree ("SCQF Level 4" is not "SCQF Level 5"), values
at the same period required not to contradict each other, and a shared value (one
report's end is the next one's start) accepted as evidence. Two rows of one report are
never the same measure.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .commitments import LARGE_INDEX, is_action_row
from .passages import clean_inline, in_document_order, is_value, sentence_spans
from .periods import PERIOD_RE, date_key, normalise_period, period_key
from .types import Citation, Passage

# --- numbers -----------------------------------------------------------------------------

_UNIT_SUFFIX = r"(?:\s*(?:%|per\s+1,?000(?!\d)|per\s+10,?000(?!\d)|[kKmM](?![A-Za-z])|bn(?![A-Za-z])))?"
NUM_RE = rf"(?<![\w.,])[£$€]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?(?![\d]){_UNIT_SUFFIX}"
_NUM = re.compile(NUM_RE)


def parse_number(text: str) -> tuple[float, str] | None:
    """(value, unit) of a figure as written: "£10,910,000" -> (10910000, "£"); "68%" -> (68, "%");
    "110 per 1,000" -> (110, "per 1,000"); "£7m" -> (7000000, "£"); "43" -> (43, "count")."""
    m = re.search(r"([£$€])?\s*(\d[\d,]*(?:\.\d+)?)\s*(%|per\s+1,?000|per\s+10,?000|[kKmM](?![A-Za-z])|bn(?![A-Za-z]))?",
                  text or "")
    if not m:
        return None
    try:
        value = float(m.group(2).replace(",", ""))
    except ValueError:
        return None
    suffix = (m.group(3) or "").lower().replace(" ", "")
    scale = {"k": 1e3, "m": 1e6, "bn": 1e9}.get(suffix, 1.0)
    if m.group(1):
        unit = m.group(1)
    elif suffix == "%":
        unit = "%"
    elif suffix.startswith("per"):
        unit = "per 10,000" if "10000" in suffix.replace(",", "") else "per 1,000"
    else:
        unit = "count"
    return value * scale, unit


# --- records -----------------------------------------------------------------------------


@dataclass
class FigureValue:
    """One number the reports give for a measure, with where it stands."""

    measure: str  # label as read, e.g. "children and young people in external residential care"
    value: float
    value_text: str  # the number as written: "43", "68%", "£10,910,000", "21% (2020/21)"
    unit: str  # count | % | £ | per 1,000 …
    period: str  # "2021", "2020-21", "July 2020", "baseline 2020/21", "2024 target", "start of period" …
    role: str  # from | to | value | baseline | target
    source: str
    char_start: int  # the span holding it: the sentence or the table row
    char_end: int
    text: str  # verbatim: document_text[char_start:char_end]
    value_start: int = -1  # offsets of the number itself in the document (-1 when not located)
    value_end: int = -1
    organisation: str = ""
    published: str = ""
    title: str = ""
    section: str = ""
    direction: str | None = None  # increase | decrease, for change phrases
    interval: str | None = None  # "last 8 months" when the sentence gives a duration, not a date
    group: str = ""  # values read together (one phrase or one row) share a group
    passage_id: str = ""

    @property
    def relative(self) -> bool:
        """True when the period is only "start of period"/"end of period"."""
        return self.period in ("start of period", "end of period", "")

    @property
    def sort_key(self) -> float:
        """Where the value stands in time: its period, else its report's date."""
        k = period_key(self.period) if not self.relative else None
        if k is not None:
            return k
        pub = date_key(self.published) or 0.0
        return pub - 0.5 if self.period == "start of period" else pub

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_citation(self, marker: int, score: float = 1.0) -> Citation:
        """This value as an answer's citation: the sentence or row that holds it, the number highlighted."""
        highlights = [(self.value_start - self.char_start, self.value_end - self.char_start)] if self.value_start >= 0 else []
        return Citation(marker=marker, source=self.source, title=self.title, organisation=self.organisation,
                        published=self.published, section=self.section, char_start=self.char_start,
                        char_end=self.char_end, text=self.text, score=score, highlights=highlights)


@dataclass
class SeriesPoint:
    """One observation on a timeline; restated values (the same start in two reports) share a point."""

    value: float
    value_text: str
    unit: str
    period: str
    role: str
    sort_key: float
    citations: list[FigureValue] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "value_text": self.value_text, "unit": self.unit, "period": self.period,
                "role": self.role, "sort_key": self.sort_key,
                "citations": [_citation(v) for v in self.citations]}


@dataclass
class Series:
    """The values of one measure, from one report or linked across reports of one place."""

    id: str
    measure: str
    labels: list[str]
    place: str
    unit: str
    organisations: list[str]
    sources: list[str]
    values: list[FigureValue]
    points: list[SeriesPoint]

    @property
    def linked(self) -> bool:
        """True when the series joins values from more than one report."""
        return len(self.sources) > 1

    def summary(self) -> str:
        """"43 (start of period) → 32 (end of period) → 18 (end of period)"."""
        return " → ".join(f"{p.value_text} ({p.period or 'no period'})" for p in self.points)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "measure": self.measure, "labels": self.labels, "place": self.place,
                "unit": self.unit, "organisations": self.organisations, "sources": self.sources,
                "linked": self.linked, "points": [p.to_dict() for p in self.points]}


def _citation(v: FigureValue) -> dict[str, Any]:
    return {"measure": v.measure, "value_text": v.value_text, "period": v.period, "role": v.role,
            "source": v.source, "char_start": v.char_start, "char_end": v.char_end, "text": v.text,
            "value_start": v.value_start, "value_end": v.value_end, "organisation": v.organisation,
            "published": v.published, "title": v.title}


# --- change phrases ------------------------------------------------------------------------

_UP = r"increased|increase|rose|risen|grew|grown|went\s+up|gone\s+up|improved|climbed"
_DOWN = r"reduced|decreased|fell|fallen|dropped|went\s+down|gone\s+down|declined"
_ADV = r"(?:(?:markedly|slightly|significantly|considerably|steadily|further|substantially|sharply)\s+)?"
_VERB = rf"(?:(?:has|have|had)\s+(?:been\s+)?)?{_ADV}(?P<verb>\b(?:{_UP}|{_DOWN})\b)\s+{_ADV}"
_P = PERIOD_RE
_AT = r"(?:in|at|on|during|by|as\s+at)"


def _num(name: str) -> str:
    return rf"(?P<{name}>{NUM_RE})"


_CHANGE = re.compile(
    rf"{_VERB}from\s+{_num('a')}(?:\s+{_AT}\s+(?P<pa>{_P}))?\s+to\s+{_num('b')}(?:\s+{_AT}\s+(?P<pb>{_P}))?",
    re.I)
_NOUN = re.compile(
    rf"\b(?P<noun>reduction|decrease|fall|drop|decline|increase|rise|improvement)\s+in\s+(?P<label>[^.;:]{{3,160}}?)\s+"
    rf"from\s+{_num('a')}(?:\s+{_AT}\s+(?P<pa>{_P}))?\s+to\s+{_num('b')}(?:\s+{_AT}\s+(?P<pb>{_P}))?",
    re.I)
_WAS = re.compile(
    rf"(?P<label>[^,;:.]{{3,160}}?)\s+(?:was|stood\s+at)\s+{_num('a')}\s*(?:[–—-]|,|;)\s*(?:and\s+|but\s+)?"
    rf"(?:it\s+|this\s+)?(?:has\s+|have\s+|had\s+)?{_ADV}(?P<verb>\b(?:{_UP}|{_DOWN})\b)\s+to\s+{_num('b')}",
    re.I)
_MORE = re.compile(rf"\s*,?\s*and\s+{_num('c')}\s+{_AT}\s+(?P<pc>{_P})", re.I)
_ELIDED = re.compile(
    rf"\s*,?\s*and\s+(?P<label>[^,;.]{{3,120}}?)\s+(?:{_VERB})?from\s+{_num('a')}(?:\s+{_AT}\s+(?P<pa>{_P}))?"
    rf"\s+to\s+{_num('b')}(?:\s+{_AT}\s+(?P<pb>{_P}))?",
    re.I)
_TRAILER = re.compile(rf"\s+(?:in|during)\s+(?P<p1>{_P})\s+and\s+(?P<p2>{_P})(?![\w-])", re.I)
_LEADING_PERIOD = re.compile(rf"^\s*(?:in|by|at|during|as\s+at)\s+(?P<p>{_P})\s*,", re.I)
_INTERVAL = re.compile(
    r"\b(?:(?:in|over|during|within)\s+the\s+(?:last|past|first|previous)|in|within)\s+(\d+|\w+)\s+(months?|years?|weeks?)\b",
    re.I)
_RANGE_IN_LABEL = re.compile(rf"\s*(?P<p1>{_P})\s*(?:to|-|–)\s*(?P<p2>{_P})\s*$", re.I)
_PRONOUN = re.compile(r"^(?:this|it|they|these|those|which|that|there|numbers?|figures?)$", re.I)


def _direction(word: str) -> str:
    return "decrease" if re.match(_DOWN, word.lower()) or word.lower() in (
        "reduction", "decrease", "fall", "drop", "decline") else "increase"


def _clean_label(text: str) -> str:
    t = clean_inline(text)
    t = re.sub(r"^[\s\-•·*➤]+", "", t)
    t = re.sub(r"\s*\((?:[A-Z]{2,6})(?:\s*,\s*[A-Z]{2,6})*\)\s*-?\s*$", "", t)  # "(CP, TP, LGBF)" tags
    t = re.sub(r"^(?:the|a|an)\s+", "", t, flags=re.I)
    return t.strip(" ,;:-–.")


def _clause_label(sentence: str, upto: int) -> str:
    """The measure named before a change verb: the clause from the last comma/colon/dash to the verb."""
    head = sentence[:upto]
    cut = max(head.rfind(", "), head.rfind(": "), head.rfind("; "), head.rfind(" – "), head.rfind(" - "))
    head = head[cut + 2:] if cut >= 0 else head
    head = re.sub(r"\s+(?:has|have|had)(?:\s+been)?\s*$", "", head, flags=re.I)
    return _clean_label(head)


def _elided_label(label: str, previous: str) -> str:
    """An elided clause shares the head of the clause before it, up to its own first word:
    "… pupils achieving SCQF Level 5 or above … and SCQF Level 6 or above from …"
    -> "pupils achieving SCQF Level 6 or above"."""
    own = _clean_label(label)
    first = own.split()[0] if own.split() else ""
    if first and previous:
        m = re.search(rf"(?<!\w){re.escape(first)}(?!\w)", previous)
        if m and m.start() > 0:
            return previous[:m.start()] + own
    return own


def _heading_label(section: str) -> tuple[str, str | None, str | None]:
    """(label, first period, last period) from the last heading: "School exclusions 2016-17 to 2018-19"."""
    parts = [s for s in (section or "").split(" > ") if s.strip()]
    if not parts:
        return "", None, None
    last = parts[-1].strip()
    if is_value(last):
        return "", None, None
    m = _RANGE_IN_LABEL.search(last)
    if m:
        return _clean_label(last[:m.start()]), m.group("p1"), m.group("p2")
    return _clean_label(last), None, None


@dataclass
class _Clause:
    label: str
    values: list[tuple[re.Match[str], str, str | None, str]]  # (match, group name, period, role)
    direction: str | None


def _phrase_values(p: Passage, s: int, e: int, group_base: str) -> list[FigureValue]:
    """FigureValues of the change phrases in one sentence `p.text[s:e]`."""
    sentence = p.text[s:e]
    clauses: list[_Clause] = []
    taken: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        return not any(a < m.end() and m.start() < b for a, b in taken)

    for pattern, kind in ((_NOUN, "noun"), (_WAS, "was"), (_CHANGE, "verb")):
        for m in pattern.finditer(sentence):
            if not free(m):
                continue
            if kind == "verb":
                label = _clause_label(sentence, m.start())
                direction = _direction(m.group("verb"))
            else:
                label = _clean_label(m.group("label"))
                direction = _direction(m.group("noun") if kind == "noun" else m.group("verb"))
                if kind == "was":
                    label = _clause_label(m.group("label"), len(m.group("label")))
            vals = [(m, "a", m.group("pa") if kind != "was" else None, "from"),
                    (m, "b", m.group("pb") if kind != "was" else None, "to")]
            end = m.end()
            if _TRAILER.match(sentence, m.end("b")):
                vals = [(m, "a", None, "from"), (m, "b", None, "to")]  # "… to 76% in 2020-21 and 2021-22"
                end = m.end("b")
            # "… to 100% in 2020-21 and 83% in 2021-22": more values of the same measure.
            while True:
                more = _MORE.match(sentence, end)
                if not more:
                    break
                vals.append((more, "c", more.group("pc"), "to"))
                end = more.end()
            taken.append((m.start(), end))
            clauses.append(_Clause(label, vals, direction))
            # "… from 76 to 49 and the proportion with … from 50% to 39%": elided verb.
            while True:
                el = _ELIDED.match(sentence, end)
                if not el:
                    break
                verb = el.group("verb") if el.groupdict().get("verb") else None
                el_vals = [(el, "a", el.group("pa"), "from"), (el, "b", el.group("pb"), "to")]
                el_end = el.end()
                if _TRAILER.match(sentence, el.end("b")):
                    el_vals = [(el, "a", None, "from"), (el, "b", None, "to")]
                    el_end = el.end("b")
                clauses.append(_Clause(_elided_label(el.group("label"), clauses[-1].label), el_vals,
                                       _direction(verb) if verb else direction))
                taken.append((el.start(), el_end))
                end = el_end
            # "… from 70% to 76% and … from 32% to 52% in 2020-21 and 2021-22": periods for all of them.
            trailer = _TRAILER.match(sentence, end)
            if trailer:
                for c in clauses:
                    if len(c.values) == 2 and not c.values[0][2] and not c.values[1][2]:
                        c.values = [(c.values[0][0], "a", trailer.group("p1"), "from"),
                                    (c.values[1][0], "b", trailer.group("p2"), "to")]
    if not clauses:
        return []
    lead = _LEADING_PERIOD.match(sentence)
    interval = _INTERVAL.search(sentence)
    h_label, h_p1, h_p2 = _heading_label(p.section)
    out: list[FigureValue] = []
    for k, clause in enumerate(clauses):
        label = clause.label
        if not label or _PRONOUN.match(label) or not re.search(r"[A-Za-z]{3}", label):
            label = h_label
        if not label:
            continue
        parsed = []
        for m, name, period, role in clause.values:
            number = parse_number(m.group(name))
            if number is None:
                continue
            parsed.append((m, name, period, role, number))
        units = {n[1] for *_, n in parsed if n[1] != "count"}
        unit_all = units.pop() if len(units) == 1 else None
        for i, (m, name, period, role, (value, unit)) in enumerate(parsed):
            if period is None and role == "from" and lead and clause.values[0][0] is m:
                period = lead.group("p")
            if period is None and h_p1 and h_p2:
                period = h_p1 if role == "from" else h_p2
            if unit == "count" and unit_all:
                unit = unit_all  # "from 50 to 39%": the unit written once applies to both
            vs, ve = m.start(name), m.end(name)
            out.append(FigureValue(
                measure=label, value=value, value_text=m.group(name), unit=unit,
                period=normalise_period(period) if period else ("start of period" if role == "from" else "end of period"),
                role=role, source=p.source, char_start=p.char_start + s, char_end=p.char_start + e, text=sentence,
                value_start=p.char_start + s + vs, value_end=p.char_start + s + ve,
                organisation=p.organisation, published=p.published, title=p.title, section=p.section,
                direction=clause.direction, interval=(f"{interval.group(1)} {interval.group(2)}".lower() if interval else None),
                group=f"{group_base}:{s}:{k}", passage_id=p.id,
            ))
    return out


# --- tables --------------------------------------------------------------------------------

_VALUE_HEADER = re.compile(rf"\bbaseline\b|\btargets?\b|^\s*(?:{PERIOD_RE})\s*$", re.I)
_GENERIC_LABEL_HEADERS = {"measure", "measures", "indicator", "indicators", "item", "items", "description", "label", ""}


@dataclass
class _TableState:
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
        return _clean_label(last.text)
    label, _, _ = _heading_label(p.section)
    return label


def _table_values(p: Passage, state: _TableState) -> list[FigureValue]:
    pairs = [(clean_inline(str(h or "")), str(v or "")) for h, v in
             (c for c in (p.cells or []) if isinstance(c, (tuple, list)) and len(c) == 2)]
    if not pairs:
        return []
    value_idx = [i for i, (_, v) in enumerate(pairs) if v and is_value(v)]
    if not value_idx:
        return []
    label_idx = next((i for i, (_, v) in enumerate(pairs) if v and i not in value_idx), None)
    headers = [h for h, _ in pairs]
    value_headers = [headers[i] for i in value_idx]
    near = 0 <= p.char_start - state.value_headers_end <= 3000
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
    label = _clean_label(pairs[label_idx][1]) if label_idx is not None else _row_label_from_context(p, state)
    if not label:
        return []
    label_header = headers[label_idx] if label_idx is not None else ""
    unit_hint = None
    m = re.search(r"per\s+1,?000", label, re.I)
    if m:
        unit_hint = "per 1,000"
    out = []
    cursor = 0
    for n, (i, header) in enumerate(zip(value_idx, value_headers)):
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
        if role == "baseline":
            shown = f"baseline {normalise_period(period)}" if period else "baseline"
        elif role == "target":
            shown = f"{normalise_period(period)} target" if period else "target"
        else:
            shown = normalise_period(period) if period else ""
        if words:
            measure = f"{words}: {label}"
        elif label_header and label_header.lower() not in _GENERIC_LABEL_HEADERS and not _VALUE_HEADER.search(label_header):
            measure = f"{label_header}: {label}"
        else:
            measure = label
        # Offsets of the number itself: the first occurrence after the previous value.
        token = re.match(r"\s*([<>≤≥~]?\s*[£$€]?\s*\d[\d,]*(?:\.\d+)?\s*%?)", raw_value)
        vs = ve = -1
        value_text = token.group(1).strip() if token else raw_value
        if token:
            found = re.search(r"(?<![\d.,])" + re.escape(token.group(1).strip()) + r"(?![\d])", p.text[cursor:])
            if found:
                vs, ve = p.char_start + cursor + found.start(), p.char_start + cursor + found.end()
                cursor += found.end()
        out.append(FigureValue(
            measure=measure, value=value, value_text=value_text, unit=unit, period=shown,
            role=role, source=p.source, char_start=p.char_start, char_end=p.char_end,
            text=p.text, value_start=vs, value_end=ve, organisation=p.organisation, published=p.published,
            title=p.title, section=p.section, group=f"{p.source}:{p.char_start}:row", passage_id=p.id,
        ))
    return out


# --- extraction ----------------------------------------------------------------------------


def extract_figures(passages: Iterable[Passage] | Mapping[str, Passage]) -> list[FigureValue]:
    """Every change phrase and table value in the passages, in document order. Never raises on odd input."""
    items = in_document_order(passages)
    out: list[FigureValue] = []
    states: dict[str, _TableState] = {}
    for p in items:
        state = states.setdefault(p.source, _TableState())
        try:
            if p.kind == "row" and not is_action_row(p):
                out.extend(_table_values(p, state))
            if p.kind != "row" and p.text and re.search(r"\d", p.text):
                for s, e in sentence_spans(p.text):
                    out.extend(_phrase_values(p, s, e, f"{p.source}:{p.char_start}"))
        except Exception:  # noqa: BLE001 - one odd passage must not lose the rest
            pass
        finally:
            state.last = p
    return out


# --- measure keys --------------------------------------------------------------------------

_STOP = set("""
a an the of and or in on at to for with by from who whom which that were was is are be been being have has had
as into than their they our its it this these those all number numbers percentage proportion per cent
there did do does not no more less over under up down whose whether same other some any each
""".split())
_LEADING_VERBS = re.compile(r"^(?:(?:further|continue\s+to)\s+)?(?:increase|reduce|improve|maintain|sustain|decrease|raise|lower)"
                            r"(?:\s+(?:in|the))*\s+", re.I)
_STEMMER: Any = None


def _stem(words: list[str]) -> list[str]:
    global _STEMMER
    if _STEMMER is None:
        try:
            import Stemmer  # PyStemmer, installed with the BM25 retriever

            _STEMMER = Stemmer.Stemmer("english")
        except ImportError:  # pragma: no cover - a crude fallback
            _STEMMER = False
    if _STEMMER:
        return list(_STEMMER.stemWords(words))
    return [re.sub(r"(?:ing|ed|es|s|ly)$", "", w) if len(w) > 4 else w for w in words]


def measure_tokens(label: str) -> tuple[frozenset[str], frozenset[str]]:
    """(stemmed content words, numbers) of a measure label.

    Imperative target phrasing ("Increase the …"), tags like "(CP, LGBF)" and rate bases
    ("per 1,000 pupils") are left out; the numbers are kept apart so that labels that
    differ only by a number ("Level 4" / "Level 5") do not match.
    """
    t = clean_inline(label).lower()
    t = re.sub(r"\((?:[a-z]{2,6})(?:\s*,\s*[a-z]{2,6})*\)", " ", t)
    t = re.sub(r"per\s+\d[\d,]*(?:\s+\w+)?", " ", t)
    t = _LEADING_VERBS.sub("", t)
    words = re.findall(r"[a-z]+|\d+(?:\.\d+)?", t)
    numbers = frozenset(w for w in words if w[0].isdigit())
    content = [w for w in words if not w[0].isdigit() and w not in _STOP and len(w) > 1]
    return frozenset(_stem(content)), numbers


def place_key(organisation: str, source: str) -> str:
    """The place a report speaks for: the first word of its organisation ("dundee", "dorset").

    Reports without a named organisation stay on their own ("source:<file>")."""
    org = (organisation or "").strip()
    if not org or re.match(r"^(?:not\b|unknown|n/?a\b|none\b)", org, re.I):
        return f"source:{source}"
    first = re.findall(r"[A-Za-z]+", org)
    return first[0].lower() if first else f"source:{source}"


# --- series --------------------------------------------------------------------------------


@dataclass
class _Local:
    group: str
    values: list[FigureValue]
    source: str
    place: str
    unit: str
    label: str
    tokens: frozenset[str]
    numbers: frozenset[str]
    published_key: float


def _locals(values: Iterable[FigureValue]) -> list[_Local]:
    groups: dict[str, list[FigureValue]] = {}
    for v in values:
        # One row can hold several measures only through its column headers ("Budget: Nursery").
        groups.setdefault(f"{v.group}|{v.measure}", []).append(v)
    out = []
    for key, vals in groups.items():
        first = vals[0]
        tokens, numbers = measure_tokens(first.measure)
        out.append(_Local(key, vals, first.source, place_key(first.organisation, first.source), first.unit,
                          first.measure, tokens, numbers, date_key(first.published) or 0.0))
    return out


def _same_value(a: FigureValue, b: FigureValue) -> bool:
    return a.unit == b.unit and math.isclose(a.value, b.value, rel_tol=1e-9, abs_tol=1e-9)


def _explicit(v: FigureValue) -> str | None:
    """The value's own period for comparison ("2019-20"), without baseline/target words."""
    if v.relative:
        return None
    m = re.search(PERIOD_RE, v.period)
    return normalise_period(m.group(0)) if m else None


class _Linker:
    def __init__(self, locals_: list[_Local]) -> None:
        self.locals = locals_
        df: dict[str, int] = {}
        for loc in locals_:
            for t in loc.tokens:
                df[t] = df.get(t, 0) + 1
        n = max(1, len(locals_))
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}

    def similarity(self, a: frozenset[str], b: frozenset[str]) -> tuple[float, float]:
        """(weighted Jaccard, overlap coefficient) of two token sets."""
        if not a or not b:
            return 0.0, 0.0
        inter, union = a & b, a | b
        w = lambda ts: sum(self.idf.get(t, 1.0) for t in ts)  # noqa: E731
        return w(inter) / w(union), len(inter) / min(len(a), len(b))

    def same_measure(self, a: _Local, b: _Local) -> bool:
        if a.source == b.source or a.place != b.place or a.unit != b.unit or a.numbers != b.numbers:
            return False
        # Values given for the same period must agree.
        shared_period = False
        for va in a.values:
            pa = _explicit(va)
            for vb in b.values:
                if pa and pa == _explicit(vb):
                    if not _same_value(va, vb):
                        return False
                    shared_period = True
        sim, overlap = self.similarity(a.tokens, b.tokens)
        ends_a = [a.values[0], a.values[-1]]
        ends_b = [b.values[0], b.values[-1]]
        shared_value = any(_same_value(x, y) for x in ends_a for y in ends_b)
        if shared_period and overlap >= 0.5:
            return True  # the same value for the same period, under overlapping names
        if shared_value and (sim >= 0.35 or overlap >= 0.75):
            return True  # one report's figure restated by the other (a start or end point)
        return sim >= 0.8 and min(len(a.tokens), len(b.tokens)) >= 3


def _points(members: list[_Local]) -> list[SeriesPoint]:
    points: list[SeriesPoint] = []
    for loc in sorted(members, key=lambda m: (m.published_key, m.source)):
        for v in loc.values:
            key = v.sort_key
            match = None
            for pt in points:
                if not (pt.unit == v.unit and math.isclose(pt.value, v.value, rel_tol=1e-9, abs_tol=1e-9)):
                    continue
                if pt.role == "target" or v.role == "target":
                    if pt.role == v.role and abs(pt.sort_key - key) < 0.26:
                        match = pt
                    continue
                if v.period == "start of period" or abs(pt.sort_key - key) < 0.26:
                    match = pt  # the same observation, restated (a later report's starting point)
                    break
            if match is not None:
                match.citations.append(v)
                continue
            points.append(SeriesPoint(v.value, v.value_text, v.unit, v.period, v.role, key, [v]))
    points.sort(key=lambda pt: (pt.sort_key, pt.role == "target"))
    return points


def build_series(values: Iterable[FigureValue]) -> list[Series]:
    """Group values into series: per phrase/row first, then linked across reports of the same place."""
    locals_ = _locals(values)
    linker = _Linker(locals_)
    parent = list(range(len(locals_)))
    sources: list[set[str]] = [{loc.source} for loc in locals_]

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(locals_)):
        for j in range(i + 1, len(locals_)):
            ri, rj = find(i), find(j)
            if ri == rj or sources[ri] & sources[rj]:
                continue  # never two rows of one report in one series
            if linker.same_measure(locals_[i], locals_[j]):
                parent[rj] = ri
                sources[ri] |= sources[rj]
    components: dict[int, list[_Local]] = {}
    for i, loc in enumerate(locals_):
        components.setdefault(find(i), []).append(loc)
    out = []
    for members in components.values():
        members.sort(key=lambda m: (m.published_key, m.source, m.values[0].char_start))
        values_ = sorted((v for m in members for v in m.values), key=lambda v: (v.sort_key, v.char_start))
        labels: list[str] = []
        for m in members:
            if m.label not in labels:
                labels.append(m.label)
        orgs: list[str] = []
        srcs: list[str] = []
        for m in members:
            org = m.values[0].organisation
            if org not in orgs:
                orgs.append(org)
            if m.source not in srcs:
                srcs.append(m.source)
        ident = hashlib.sha256("\x00".join(sorted(m.group for m in members)).encode()).hexdigest()[:16]
        out.append(Series(id=ident, measure=members[-1].label, labels=labels, place=members[0].place,
                          unit=members[0].unit, organisations=orgs, sources=srcs, values=values_,
                          points=_points(members)))
    out.sort(key=lambda s: (-len(s.sources), s.place, s.measure.lower()))
    return out


def search_series(series: Iterable[Series], text: str | None) -> list[Series]:
    """Series whose measure names match the words of `text`, best first (all series when text is empty).

    Words are stemmed and weighted by rarity; a series matches when at least half the
    query's weight is found in any of its labels.
    """
    items = list(series)
    if not text or not text.strip():
        return items
    q_tokens, q_numbers = measure_tokens(text)
    if not q_tokens and not q_numbers:
        return []
    df: dict[str, int] = {}
    tokens_of = []
    for s in items:
        toks: set[str] = set()
        nums: set[str] = set()
        for label in s.labels:
            t, n = measure_tokens(label)
            toks |= t
            nums |= n
        tokens_of.append((toks, nums))
        for t in toks:
            df[t] = df.get(t, 0) + 1
    n = max(1, len(items))
    idf = lambda t: math.log(1 + n / df.get(t, 0.5))  # noqa: E731
    scored = []
    total = sum(idf(t) for t in q_tokens) + len(q_numbers)
    for s, (toks, nums) in zip(items, tokens_of):
        got = sum(idf(t) for t in q_tokens & toks) + len(q_numbers & nums)
        score = got / total if total else 0.0
        if score >= 0.5:
            scored.append((score, s))
    scored.sort(key=lambda x: (-x[0], -len(x[1].sources), -len(x[1].points)))
    return [s for _, s in scored]


# --- computed once per loaded index ------------------------------------------------------

_CACHE: dict[int, tuple[Any, list[FigureValue], list[Series]]] = {}
_CACHE_LOCK = threading.Lock()


def _computed(assistant: Any) -> tuple[list[FigureValue], list[Series]]:
    index = assistant if hasattr(assistant, "passages") else assistant.index
    key = id(index)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is index:
            return hit[1], hit[2]
    views = index.views() if hasattr(index, "views") else None
    if views:  # read at ingest time; computing them here would cost a large index minutes
        values, series = views["values"], views["series"]
    elif len(index.passages) > LARGE_INDEX:
        values, series = [], []  # not read at ingest, and too slow to read now: answers go without timelines
    else:
        values = extract_figures(index.passages)
        series = build_series(values)
    with _CACHE_LOCK:
        if len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (index, values, series)
    return values, series


def figures_for(assistant: Any) -> list[FigureValue]:
    """All figure values of the assistant's loaded index (an Assistant or a SearchIndex), computed once per load."""
    return _computed(assistant)[0]


def series_for(assistant: Any) -> list[Series]:
    """All series of the assistant's loaded index (an Assistant or a SearchIndex), computed once per load."""
    return _computed(assistant)[1]
