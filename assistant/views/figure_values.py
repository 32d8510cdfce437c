"""Figure records: one value of a measure (`FigureValue`), and series of them over time."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .periods import date_key, period_key

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
    organisation: str | None = None
    published: str = ""
    title: str = ""
    section: str = ""
    direction: str | None = None  # increase | decrease, for change phrases
    interval: str | None = None  # "last 8 months" when the sentence gives a duration, not a date
    group: str = ""  # values read together (one phrase or one row) share a group
    passage_id: str = ""
    place: str | None = None  # the place its report speaks for: values link across reports of one place

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

    @property
    def used(self) -> list[tuple[int, int]]:
        """The number's own span, to highlight when citing this value (none when it was not located)."""
        return [(self.value_start, self.value_end)] if self.value_start >= 0 else []


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
