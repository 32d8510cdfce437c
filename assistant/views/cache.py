"""Commitments and figure series of an index: read once at ingest, kept beside the keyword index,
and loaded once per loaded index.

The ingest reads each new or changed document's commitments and figures once
(`document_views`, kept per document with `write_document_views`), then links the figures
of all documents into series (`assemble_views`, sub-quadratic) and writes the whole with
`write_views`; a reader calls `views_for(index)`, which takes the file the ingest wrote (when
the code that reads commitments and figures has not changed since) or computes the views from
the index's passages, once per loaded index.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import pickle
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Protocol

from ..core.memory import collector_paused, keep_out_of_collector
from ..core.settings import Linking
from ..core.terms import content_terms
from ..core.types import Passage
from .commitments import Commitment, extract_commitments
from .figure_values import FigureValue, Series
from .figures import extract_figures
from .series import build_series

VIEWS_FILE = "views.pkl"
# Passages; above this, views come only from the ingest's file: reading a large index's every
# passage at load would delay the first answer by minutes.
LARGE_INDEX = 200_000


@dataclass
class Views:
    """What the plans commit to, and the figures they give with the series those form."""

    commitments: list[Commitment] = field(default_factory=list)
    values: list[FigureValue] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)

    # Lookups made on first use, so that a question reads the few commitments it can be about rather
    # than the whole register of a large archive. The terms are read at ingest and kept in the file
    # (seconds at a million passages); the rest is quick to make and is not (`__getstate__`).
    @cached_property
    def commitment_terms(self) -> list[frozenset[str]]:
        """Each commitment's content terms (of its action and theme), in register order."""
        return [commitment_terms(c) for c in self.commitments]

    @cached_property
    def commitments_by_term(self) -> dict[str, list[int]]:
        """Term -> positions in `commitments` of those whose action or theme holds it."""
        postings: dict[str, list[int]] = {}
        for i, terms in enumerate(self.commitment_terms):
            for t in terms:
                postings.setdefault(t, []).append(i)
        return postings

    @cached_property
    def commitments_by_passage(self) -> dict[str, list[Commitment]]:
        """Passage id -> the commitments read from it, in register order."""
        found: dict[str, list[Commitment]] = {}
        for c in self.commitments:
            found.setdefault(c.passage_id, []).append(c)
        return found

    @cached_property
    def series_values(self) -> dict[str, tuple[list[int], list[tuple[int, int, int]]]]:
        """Report -> the values its series points cite, by start: (starts, [(start, end, position in `series`)])."""
        found: dict[str, list[tuple[int, int, int]]] = {}
        for i, s in enumerate(self.series):
            for point in s.points:
                for v in point.citations:
                    found.setdefault(v.source, []).append((v.char_start, v.char_end, i))
        return {source: ([e[0] for e in got], got) for source, got in ((k, sorted(v)) for k, v in found.items())}

    def series_in_spans(self, spans: Iterable[tuple[str, int, int]]) -> dict[int, int]:
        """Position in `series` -> how many of its points' values lie within one of these (source, start, end)
        spans: what a timeline is chosen by, read from the cited spans rather than from every series."""
        # (source, entry) -> its series: a value within two overlapping spans counts once
        within: dict[tuple[str, int], int] = {}
        for source, start, end in spans:
            starts, entries = self.series_values.get(source, ([], []))
            for j in range(bisect.bisect_left(starts, start), len(entries)):
                if entries[j][0] > end:
                    break
                if entries[j][1] <= end:
                    within[source, j] = entries[j][2]
        return dict(Counter(within.values()))

    def prepare(self) -> None:
        """Make the lookups now (a warm-up), so that no question pays for them."""
        _ = self.commitments_by_term, self.commitments_by_passage, self.series_values

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k in ("commitments", "values", "series", "commitment_terms")}


def commitment_terms(c: Commitment) -> frozenset[str]:
    """What a commitment is about, as content terms of its action and theme (what a question is matched on)."""
    return frozenset(content_terms(f"{c.action} {c.theme or ''}"))


class IndexedPassages(Protocol):
    """What views need of a loaded index: its passages and the folder its ingest wrote the views to."""

    passages: Mapping[str, Passage]
    keyword_dir: Path


@lru_cache(maxsize=1)
def views_code() -> bytes:
    """The code that reads commitments and figures (read once per process)."""
    here = Path(__file__).parent
    views = b"".join((here / name).read_bytes() for name in sorted(os.listdir(here)) if name.endswith(".py"))
    core = here.parent / "core"
    return views + (core / "text.py").read_bytes() + (core / "terms.py").read_bytes()  # terms kept with the commitments


def views_signature(settings: Linking) -> str:
    """Changes with the code that reads commitments and figures and with the linking settings:
    views written by other code or settings are recomputed."""
    return hashlib.sha256(views_code() + settings.model_dump_json().encode()).hexdigest()[:16]


def compute_views(passages: Iterable[Passage] | Mapping[str, Passage], settings: Linking) -> Views:
    values = extract_figures(passages, settings)
    return Views(commitments=extract_commitments(passages), values=values, series=build_series(values, settings))


@dataclass
class DocumentViews:
    """The commitments and figure values of one document (series link them across documents)."""

    commitments: list[Commitment] = field(default_factory=list)
    values: list[FigureValue] = field(default_factory=list)
    terms: list[frozenset[str]] = field(default_factory=list)  # commitment_terms of each commitment


def document_views(passages: Iterable[Passage], settings: Linking) -> DocumentViews:
    """One document's commitments and figures: both are read document by document, so the views of a
    library are its documents' views one after another (in source order), plus the series."""
    items = list(passages)
    commitments = extract_commitments(items)
    return DocumentViews(commitments, extract_figures(items, settings), [commitment_terms(c) for c in commitments])


def assemble_views(documents: Iterable[DocumentViews], settings: Linking) -> Views:
    """The views of a library from its documents' views, given in source order."""
    views, terms = Views(), []
    for d in documents:
        views.commitments.extend(d.commitments)
        views.values.extend(d.values)
        terms.extend(d.terms)
    views.commitment_terms = terms
    views.series = build_series(views.values, settings)
    return views


def views_by_document(views: Views) -> dict[str, DocumentViews]:
    """A library's views split back into its documents' (commitments with their terms, and figures, each in
    the order the document gave them): what a later ingest keeps of the documents it did not change."""
    out: dict[str, DocumentViews] = {}
    for c, terms in zip(views.commitments, views.commitment_terms):
        d = out.setdefault(c.source, DocumentViews())
        d.commitments.append(c)
        d.terms.append(terms)
    for v in views.values:
        out.setdefault(v.source, DocumentViews()).values.append(v)
    return out


def write_document_views(folder: Path, key: str, views: DocumentViews, settings: Linking) -> None:
    views.terms = share_strings([*views.commitments, *views.values], views.terms)
    _dump(folder, f"{key}.pkl", {"signature": views_signature(settings), "views": views})


def read_document_views(folder: Path, key: str, settings: Linking) -> DocumentViews | None:
    """A document's views as written by `write_document_views`, or None (none, or by other code or settings)."""
    got = _load(folder / f"{key}.pkl", settings)
    return got if isinstance(got, DocumentViews) else None


def _dump(folder: Path, name: str, data: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, folder / name)


def _load(path: Path, settings: Linking) -> object:
    try:
        with open(path, "rb") as f, collector_paused():
            data = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("signature") != views_signature(settings):
        return None
    return data.get("views")


def write_views(folder: Path, views: Views, settings: Linking) -> None:
    """Keep the views beside the keyword index, so that loading an index stays quick."""
    views.commitment_terms = share_strings([*views.commitments, *views.values, *views.series], views.commitment_terms)
    _dump(folder, VIEWS_FILE, {"signature": views_signature(settings), "views": views})


def share_strings(items: Iterable[object], terms: list[frozenset[str]]) -> list[frozenset[str]]:
    """Make equal strings of these commitments, figures and series one object, and of their terms (which
    it returns). A report's title, organisation, date and sections repeat on each of its commitments and
    figures; pickle writes a shared string once, so the file is about half the size, and loads quicker
    into less memory."""
    shared: dict[str, str] = {}
    for item in items:
        for name, value in vars(item).items():
            if isinstance(value, str):
                setattr(item, name, shared.setdefault(value, value))
            elif isinstance(value, list) and value and isinstance(value[0], str):
                value[:] = [shared.setdefault(v, v) for v in value]
    return [frozenset(shared.setdefault(t, t) for t in ts) for ts in terms]


def read_views(folder: Path, settings: Linking) -> Views | None:
    """The views an ingest wrote into `folder`, or None (none written, or by other code or settings)."""
    got = _load(folder / VIEWS_FILE, settings)
    return got if isinstance(got, Views) else None


_CACHE: "weakref.WeakKeyDictionary[object, Views]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_LOADING = threading.Lock()  # one load at a time: two callers of a large archive would hold it twice


def views_for(index: IndexedPassages, settings: Linking | None = None) -> Views:
    """The views of a loaded index, loaded or computed once per index object (a reloaded index is read again)."""
    hit = views_loaded(index)
    if hit is not None:
        return hit
    with _LOADING:
        hit = views_loaded(index)
        if hit is not None:
            return hit
        settings = settings or Linking()
        views = read_views(index.keyword_dir, settings)
        if views is None:
            # Not written at ingest (an index from an older version): compute them, unless that would take minutes.
            views = Views() if len(index.passages) > LARGE_INDEX else compute_views(index.passages, settings)
        with collector_paused():
            views.prepare()  # with the load, so that a question never pays for the lookups
        keep_out_of_collector()  # they live as long as the index
        with _LOCK:
            return _CACHE.setdefault(index, views)


def views_loaded(index: IndexedPassages) -> Views | None:
    """The views of `index` if they are loaded already, else None (never waits)."""
    with _LOCK:
        return _CACHE.get(index)


def views_size(index: IndexedPassages) -> int:
    """Bytes of the views file the ingest wrote for `index` (0 when there is none)."""
    try:
        return (index.keyword_dir / VIEWS_FILE).stat().st_size
    except OSError:
        return 0


def load_in_background(index: IndexedPassages, settings: Linking | None = None) -> None:
    """Start loading the views of `index` in a thread (a no-op once they are loaded or loading)."""
    if views_loaded(index) is None and not _LOADING.locked():
        threading.Thread(target=views_for, args=(index, settings), name="views-loader", daemon=True).start()
