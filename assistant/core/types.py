"""The data that flows through the pipeline: Document -> Passage -> Citation -> Answer.

A `DocumentRecord` is what the index keeps of each document (its manifest entry); a
`Citation` is always made by `Citation.from_span`, from anything that names a verbatim
span of a source (a passage, a commitment, a figure value).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol

class Progress(Protocol):
    """How a long job reports as it goes: (stage, done, total[, note]): "Embedding passages", 640, 1204,
    "95 passages/s, about 3 min left". The note is "" when there is nothing to add."""

    def __call__(self, stage: str, done: int, total: int, note: str = "", /) -> None: ...


def year_of(published: str | None) -> int | None:
    """The year of an ISO date, possibly partial ("2016-09-27", "2021-05", "2023"), or None."""
    head = (published or "")[:4]
    return int(head) if head.isdigit() else None


@dataclass
class Document:
    """One source report as read from the corpus folder."""

    source: str  # path relative to the corpus folder, with forward slashes
    text: str  # the text that citations index into (the file itself for .txt/.md)
    sha256: str  # content hash of the file's bytes
    title: str
    organisation: str | None  # the issuing body; None when the report does not say
    published: str  # ISO date, possibly partial: "2016-09-27", "2021-05", "2023"
    kind: str = "document"
    reference: str = ""
    pages: list[int] = field(default_factory=list)  # char offset where each page starts, for paged sources
    place: str | None = None  # the place the organisation is named after: "Dundee", "West Sussex"
    inferred: dict[str, str] = field(default_factory=dict)  # field -> where it was read ("catalog", "the letterhead", …)

    @property
    def year(self) -> int | None:
        return year_of(self.published)

    def meta(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "organisation": self.organisation,
            "published": self.published,
            "kind": self.kind,
            "reference": self.reference,
            "place": self.place,
            "inferred": dict(self.inferred),
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
    # Offsets of each heading of `section`, outermost first ((-1, -1) where not known).
    heading_spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def heading_span(self) -> tuple[int, int] | None:
        """Offsets of the innermost heading of `section`, or None."""
        if self.heading_spans and self.heading_spans[-1][0] >= 0:
            return self.heading_spans[-1]
        return None
    # Filled from the document at index time.
    title: str = ""
    organisation: str | None = None
    published: str = ""
    page: int | None = None
    place: str | None = None

    @property
    def year(self) -> int | None:
        return year_of(self.published)


@dataclass
class DocumentRecord:
    """What the index keeps of one document: its metadata, content hash and passages (a manifest entry)."""

    source: str
    title: str = ""
    organisation: str | None = None
    published: str = ""
    kind: str = "document"
    reference: str = ""
    place: str | None = None
    inferred: dict[str, str] = field(default_factory=dict)  # field -> where it was read, for `assistant docs`
    sha256: str = ""
    size: int = -1
    mtime_ns: int = 0
    pages: list[int] = field(default_factory=list)
    catalog_entry: str = ""  # hash of the document's catalog.toml entry: an edit re-indexes it
    passage_ids: list[str] = field(default_factory=list)
    passages: int = 0
    # Who may see it (core/visibility.py), as written to its passages in the vector store; "" until written
    # (an index built before visibility existed), which readers take for public.
    visibility: str = ""

    @property
    def year(self) -> int | None:
        return year_of(self.published)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "DocumentRecord":
        """A record from its manifest JSON; unknown keys (from a newer version) are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        # Fields hold strings, numbers and flat lists and dicts of them, so copying each is a deep copy:
        # `asdict`'s recursion took 0.4 s of writing the manifest of 2,000 documents.
        return {k: list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v
                for k, v in vars(self).items()}


class Span(Protocol):
    """Anything that names a verbatim span of a source with its provenance (Passage, Commitment, FigureValue)."""

    source: str
    title: str
    organisation: str | None
    published: str
    section: str
    char_start: int
    char_end: int
    text: str


@dataclass
class Citation:
    """A passage cited by an answer under marker `[marker]`."""

    marker: int
    source: str
    title: str
    organisation: str | None  # None when the report does not say who issued it
    published: str
    section: str
    char_start: int
    char_end: int
    text: str
    score: float
    # Spans inside `text` (relative offsets) of the sentences the answer used.
    highlights: list[tuple[int, int]] = field(default_factory=list)
    page: int | None = None

    @classmethod
    def from_span(cls, span: Span, marker: int, score: float = 1.0,
                  used: Iterable[tuple[int, int]] = ()) -> "Citation":
        """The one way to cite: `span`'s verbatim text and provenance under `[marker]`.

        `used` are the absolute offsets (in the source) of the parts the answer relies on
        (sentences, a figure); they become highlights relative to the span. Where a citation's
        offsets are made, this is it.
        """
        return cls(marker=marker, source=span.source, title=span.title, organisation=span.organisation,
                   published=span.published, section=span.section, char_start=span.char_start,
                   char_end=span.char_end, text=span.text, score=score,
                   highlights=[(s - span.char_start, e - span.char_start) for s, e in used],
                   page=getattr(span, "page", None))

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


def in_document_order(passages: "Iterable[Passage] | Mapping[str, Passage]") -> list[Passage]:
    """Passages (a list or the index's {id: passage} mapping) sorted by source, then position."""
    items = list(passages.values()) if isinstance(passages, Mapping) else list(passages)
    return sorted(items, key=lambda p: (p.source, p.char_start, p.char_end))
