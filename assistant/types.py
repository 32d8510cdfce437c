"""The data that flows through the pipeline: Document -> Passage -> Citation -> Answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Document:
    """One source report as read from the corpus folder."""

    source: str  # path relative to the corpus folder, with forward slashes
    text: str  # the text that citations index into (the file itself for .txt/.md)
    sha256: str  # content hash of the file's bytes
    title: str
    organisation: str
    published: str  # ISO date, possibly partial: "2016-09-27", "2021-05", "2023"
    kind: str = "document"
    reference: str = ""
    pages: list[int] = field(default_factory=list)  # char offset where each page starts, for paged sources

    @property
    def year(self) -> int | None:
        return int(self.published[:4]) if self.published[:4].isdigit() else None

    def meta(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "organisation": self.organisation,
            "published": self.published,
            "kind": self.kind,
            "reference": self.reference,
        }


@dataclass
class Passage:
    """A citable span of a document: `text == document.text[char_start:char_end]`."""

    source: str
    char_start: int
    char_end: int
    text: str
    section: str = ""  # heading path, e.g. "4.0 MAIN TEXT > 4.2 Developments"
    kind: str = "paragraph"  # paragraph | item | row | fragment
    context: str = ""  # extra words used for search only (lead-in, table title and headers)
    cells: list[tuple[str, str]] = field(default_factory=list)  # (header, value) pairs for table rows
    id: str = ""
    # Filled from the document at index time.
    title: str = ""
    organisation: str = ""
    published: str = ""
    page: int | None = None

    @property
    def year(self) -> int | None:
        return int(self.published[:4]) if self.published[:4].isdigit() else None


@dataclass
class Citation:
    """A passage cited by an answer under marker `[marker]`."""

    marker: int
    source: str
    title: str
    organisation: str
    published: str
    section: str
    char_start: int
    char_end: int
    text: str
    score: float
    # Spans inside `text` (relative offsets) of the sentences the answer used.
    highlights: list[tuple[int, int]] = field(default_factory=list)
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["highlights"] = [list(h) for h in self.highlights]
        if self.page is None:
            d.pop("page")
        return d


@dataclass
class Answer:
    """What `ask` returns: the answer text with markers, its citations, and timings."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)  # closest passages when abstaining; not citations
    timings_ms: dict[str, float] = field(default_factory=dict)
    query: str = ""  # the question as searched (after follow-up resolution and acronym expansion)
    series: dict[str, Any] | None = None  # a figure timeline when the question asks how something changed

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "related": [c.to_dict() for c in self.related],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            **({"series": self.series} if self.series else {}),
        }
