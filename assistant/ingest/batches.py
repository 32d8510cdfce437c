"""Documents streaming through the ingest: read in worker processes, embedded and committed in batches.

Memory holds one batch (and the few documents read ahead), never the whole archive. Each batch
is split and embedded through the llama-index pipeline into Chroma; then, per document, its
keyword segment (store/segments.py) and its commitments and figures (views/cache.py) are
written, and the batch is recorded in the journal (store/journal.py): an ingest interrupted
after that resumes with the next batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import IndexCorrupt
from ..core.settings import Settings
from ..core.types import Document, DocumentRecord, Progress
from ..store.chroma import node_to_passage
from ..store.journal import Journal
from ..store.paths import IndexPaths
from ..store.segments import Segment, read_segment, segment_from_nodes, segment_key, segment_passages, write_segment
from ..store.texts import cache_text
from ..views.cache import DocumentViews, document_views, read_document_views, write_document_views
from .glossary import find_acronyms
from .pipeline import BatchEmbedder
from .workers import ReadResult

EMBEDDING = "Embedding passages"  # the stage name the progress bar shows while documents stream through
VIEWS_FOLDER = "views"  # each document's commitments and figures, under the index folder


def progress_note(done: int, total: int, passages: int, seconds: float) -> str:
    """ "120 of 2,000 documents, 95 passages/s, about 3 min left" from what is done so far (the rate and
    time left once there is a rate to tell)."""
    head = f"{done:,} of {total:,} documents"
    if done <= 0 or seconds <= 0:
        return head
    left = (total - done) * seconds / done
    if left < 1:
        eta = "finishing"
    elif left < 90:
        eta = f"about {left:.0f} s left"
    elif left < 5400:
        eta = f"about {left / 60:.0f} min left"
    else:
        eta = f"about {left / 3600:.1f} h left"
    return f"{head}, {passages / seconds:.0f} passages/s, {eta}"


@dataclass
class FileState:
    """What the folder says about one file without reading it."""

    source: str
    size: int
    mtime_ns: int
    catalog_entry: str  # hash of its catalog.toml entry
    visibility: str  # who may see it, as its catalog.toml entry says (ingest/visibility.wanted)


@dataclass
class Batches:
    """Collects read documents into batches and commits each: vectors, segments, views, journal."""

    settings: Settings
    paths: IndexPaths
    journal: Journal
    make_embedder: Callable[[], Any]
    progress: Progress | None
    total: int  # files to read in this ingest
    records: dict[str, DocumentRecord]
    glossary: dict[str, list[dict[str, Any]]]  # source -> acronyms it defines
    timings: dict[str, float] = field(default_factory=dict)
    batch: list[tuple[Document, FileState]] = field(default_factory=list)
    chars: int = 0
    done: int = 0  # files read (documents, problems and unchanged files alike)
    embedded: int = 0  # passages embedded
    started: float = field(default_factory=time.perf_counter)
    embedder: BatchEmbedder | None = None
    in_batch: int = 0  # passages of the current batch embedded so far

    def add(self, doc: Document, state: FileState) -> None:
        """A document read: embedded with its batch (committed when the batch is full)."""
        self.done += 1
        self.batch.append((doc, state))
        self.chars += len(doc.text)
        limits = self.settings.ingest
        if self.chars >= limits.batch_chars or len(self.batch) >= limits.batch_documents:
            self.commit()

    def read(self, result: ReadResult) -> None:
        """A file read: its seconds go to the "read" stage; one that gives no document to embed counts as done."""
        self.timings["read"] = self.timings.get("read", 0.0) + result.seconds
        if result.document is None:
            self.done += 1
            self.report()

    def report(self, within: int = 0) -> None:
        if self.progress:
            done = min(self.total, self.done - len(self.batch) + max(0, within))
            note = progress_note(done, self.total, self.embedded + self.in_batch, time.perf_counter() - self.started)
            self.progress(EMBEDDING, done, self.total, note)

    def store(self) -> BatchEmbedder:
        if self.embedder is None:
            self.embedder = BatchEmbedder(self.settings, self.paths, self.make_embedder(), self.on_embedded)
        return self.embedder

    def on_embedded(self, done: int, total: int) -> None:
        # The batch's documents count as they are embedded; its last one only once the batch is committed.
        self.in_batch = done
        self.report(min(len(self.batch) - 1, len(self.batch) * done // total) if total else 0)

    def commit(self) -> None:
        """Embed the batch into Chroma, write each document's segment and views, then journal it."""
        if not self.batch:
            return
        store = self.store()
        nodes_by_doc = store.run([doc for doc, _ in self.batch], {doc.source: f.visibility for doc, f in self.batch})
        entries = []
        for doc, f in self.batch:
            nodes = nodes_by_doc[doc.source]
            record = DocumentRecord(**doc.meta(), sha256=doc.sha256, size=f.size, mtime_ns=f.mtime_ns,
                                    pages=doc.pages, catalog_entry=f.catalog_entry, visibility=f.visibility,
                                    passage_ids=[n.node_id for n in nodes], passages=len(nodes))
            key = segment_key(record)
            t0 = time.perf_counter()
            write_segment(self.paths, key, segment_from_nodes(doc.source, nodes))
            t1 = time.perf_counter()
            passages = [node_to_passage(n.node_id, n.text, n.start_char_idx, n.end_char_idx, n.metadata) for n in nodes]
            write_document_views(self.paths.root / VIEWS_FOLDER, key, document_views(passages, self.settings.linking),
                                 self.settings.linking)
            t2 = time.perf_counter()
            cache_text(self.paths, doc)
            t3 = time.perf_counter()
            glossary = [a.to_dict() for a in find_acronyms(doc.text, doc.source)]
            t4 = time.perf_counter()
            for stage, seconds in (("keyword", t1 - t0), ("views", t2 - t1), ("text", t3 - t2), ("glossary", t4 - t3)):
                self.timings[stage] = self.timings.get(stage, 0.0) + seconds
            self.records[doc.source] = record
            self.glossary[doc.source] = glossary
            self.embedded += len(nodes)
            entries.append({"record": record.to_dict(), "glossary": glossary})
        t0 = time.perf_counter()
        self.journal.commit(entries)
        self.timings["journal"] = self.timings.get("journal", 0.0) + time.perf_counter() - t0
        self.batch, self.chars, self.in_batch = [], 0, 0
        self.report()

    def finish(self) -> None:
        """Commit the last batch."""
        self.commit()

    def remove(self, removed: list[str]) -> None:
        """Drop the vectors of removed documents; gather the pipeline's stage times."""
        if removed:
            self.store().delete(removed)
        if self.embedder is not None:
            for stage, seconds in self.embedder.timings.items():
                self.timings[stage] = self.timings.get(stage, 0.0) + seconds


def views_folder(paths: IndexPaths) -> Path:
    """Where each document's commitments and figures are kept."""
    return paths.root / VIEWS_FOLDER


def stored_segments(paths: IndexPaths, keys: Mapping[str, str]) -> Iterator[Segment]:
    """The keyword segments of these documents (source -> segment key), in source order. They are the
    index's one copy of the passages' texts (the vector store keeps vectors and filter fields only)."""
    for source in sorted(keys):
        seg = read_segment(paths, keys[source])
        if seg is None:
            raise IndexCorrupt(f"The keyword segment of {source} in {paths.root} cannot be read; "
                               "run `assistant check --fix` to read that report again.")
        yield seg


def stored_views(settings: Settings, paths: IndexPaths, keys: Mapping[str, str], keep: bool = False,
                 known: Mapping[str, DocumentViews] | None = None) -> Iterator[DocumentViews]:
    """The commitments and figures of these documents (source -> segment key), in source order: from `known`
    (unchanged since the library's views were written), else each document's file; read again from the
    segment where missing (or written by another version), and then kept when `keep` (a writer)."""
    folder = views_folder(paths)
    known = known or {}
    for source in sorted(keys):
        got = known[source] if source in known else read_document_views(folder, keys[source], settings.linking)
        if got is None:
            seg = read_segment(paths, keys[source])
            got = document_views(segment_passages(seg) if seg else [], settings.linking)
            if keep:
                write_document_views(folder, keys[source], got, settings.linking)
        yield got
