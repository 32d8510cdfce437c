"""Ingest: bring the index in line with the corpus folder, incrementally.

Three steps, each its own function:

1. `plan_changes` (pure): from the folder's file sizes, times and catalog entries and the
   manifest's records, which files are unchanged, which must be read, which were removed;
2. read the files to read: a file whose content hash is unchanged stays as it was, the
   others become `Document`s (unreadable files are reported, their last good version kept);
3. `run_pipeline` embeds the new and changed documents into Chroma, then the keyword index,
   the views (commitments, figures) and, last, the manifest are written.

Layout of the index folder:

    manifest.json   documents with their content hashes, glossary, passage ids (written last)
    chroma/         Chroma PersistentClient: one vector per passage, cosine space
    docstore.json   llama-index docstore: document hashes, for the pipeline's upserts
    bm25-<stamp>/   llama-index BM25 retriever (bm25s), rebuilt from the vector store's nodes,
                    with its row tables and the views; the manifest names the current one
    texts/          extracted text of PDF/Word/HTML sources, which their citations index into
    .lock           held by the one process that may write

Passage ids are content hashes, so re-adding a passage after a crash cannot duplicate it.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import AssistantError, EmptyCorpus, UnreadableDocument
from ..core.settings import Settings, shown_path
from ..core.types import Document, DocumentRecord, Passage, Progress
from ..store.check import CheckReport, compare
from ..store.chroma import chroma_client, chroma_collection
from ..store.keyword import prune_bm25, rebuild_bm25
from ..store.manifest import no_manifest, read_manifest, write_manifest
from ..store.paths import INDEX_VERSION, IndexPaths, acquire_lock
from ..store.texts import cache_text
from ..views.cache import write_views
from .corpus import corpus_files, file_hash, load_document, read_catalog, source_name
from .glossary import find_acronyms
from .pipeline import pipeline_signature, run_pipeline
from .readers import TEXT_SUFFIXES


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[UnreadableDocument] = field(default_factory=list)
    passages_embedded: int = 0
    total_passages: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    rebuilt: bool = False

    @property
    def nothing_changed(self) -> bool:
        return not (self.added or self.changed or self.removed or self.rebuilt)

    def summary(self) -> str:
        if self.nothing_changed:
            head = f"Index is up to date: {len(self.unchanged)} documents unchanged, nothing embedded."
        else:
            head = (f"Indexed {len(self.added)} new, {len(self.changed)} changed, {len(self.removed)} removed, "
                    f"{len(self.unchanged)} unchanged documents; embedded {self.passages_embedded} passages "
                    f"in {self.seconds:.1f} s ({self.total_passages} passages in the index).")
        lines = [head]
        lines += [f"Skipped {p.source}: {p.reason}" for p in self.problems]
        return "\n".join(lines)


# --- 1. what changed (pure) ---------------------------------------------------------------------


@dataclass(frozen=True)
class FileState:
    """What the folder says about one file without reading it."""

    source: str
    size: int
    mtime_ns: int
    catalog_entry: str  # hash of its catalog.toml entry


@dataclass
class ChangePlan:
    unchanged: list[str] = field(default_factory=list)  # same size, time and catalog entry: not even read
    to_read: list[str] = field(default_factory=list)  # new, or possibly changed: read and hashed
    removed: list[str] = field(default_factory=list)  # indexed, no longer in the folder


def plan_changes(files: list[FileState], indexed: dict[str, DocumentRecord]) -> ChangePlan:
    """Which files need reading. A file whose catalog entry changed is read again (its metadata did)."""
    plan = ChangePlan()
    for f in files:
        old = indexed.get(f.source)
        if (old is not None and old.sha256 and old.catalog_entry == f.catalog_entry
                and old.size == f.size and old.mtime_ns == f.mtime_ns):
            plan.unchanged.append(f.source)
        else:
            plan.to_read.append(f.source)
    seen = {f.source for f in files}
    plan.removed = sorted(s for s in indexed if s not in seen)
    return plan


# --- 2. reading ------------------------------------------------------------------------------------


def _entry_signature(catalog: dict[str, dict[str, str]], source: str) -> str:
    return file_hash(json.dumps(catalog.get(source, {}), sort_keys=True).encode())[:16]


def _read_changes(corpus: Path, files: list[Path], indexed: dict[str, DocumentRecord],
                  catalog: dict[str, dict[str, str]], report: IngestReport
                  ) -> tuple[list[Document], dict[str, DocumentRecord]]:
    """The documents to embed, and the record of every document the index will hold."""
    by_source = {source_name(corpus, p): p for p in files}
    states = []
    for source, path in by_source.items():
        stat = path.stat()
        states.append(FileState(source, stat.st_size, stat.st_mtime_ns, _entry_signature(catalog, source)))
    plan = plan_changes(states, indexed)
    records = {s: indexed[s] for s in plan.unchanged}
    report.unchanged += plan.unchanged
    state_of = {f.source: f for f in states}
    to_index: list[Document] = []
    for source in plan.to_read:
        f, old = state_of[source], indexed.get(source)
        path = by_source[source]
        try:
            data = path.read_bytes()
            if old is not None and old.catalog_entry == f.catalog_entry and old.sha256 == file_hash(data):
                records[source] = DocumentRecord.from_dict({**old.to_dict(), "size": f.size, "mtime_ns": f.mtime_ns})
                report.unchanged.append(source)  # touched, not changed
                continue
            doc = load_document(corpus, path, catalog, data)
        except UnreadableDocument as problem:
            report.problems.append(problem)
            if old is not None:
                records[source] = old  # keep the last good version searchable rather than lose it
            continue
        to_index.append(doc)
        (report.changed if old is not None else report.added).append(source)
        records[source] = DocumentRecord(**doc.meta(), sha256=doc.sha256, size=f.size, mtime_ns=f.mtime_ns,
                                         pages=doc.pages, catalog_entry=f.catalog_entry)
    report.removed = plan.removed
    order = {source: i for i, source in enumerate(by_source)}
    return to_index, dict(sorted(records.items(), key=lambda item: order[item[0]]))


# --- 3. writing ------------------------------------------------------------------------------------


def write_keyword_index(settings: Settings, paths: IndexPaths) -> tuple[list[Passage], str]:
    """The keyword index over every stored passage, with the views read from them; returns its folder's name."""
    passages, folder = rebuild_bm25(settings, paths)
    write_views(folder, passages, settings.linking)
    return passages, folder.name


def wipe(settings: Settings, paths: IndexPaths) -> None:
    """Remove every built artefact (the Chroma collection too, also on a server)."""
    try:
        chroma_client(settings, paths).delete_collection(settings.collection)
    except Exception:  # missing collection, or a store too damaged to open
        if not settings.chroma_url:
            shutil.rmtree(paths.chroma, ignore_errors=True)
    prune_bm25(paths, set())
    paths.docstore.unlink(missing_ok=True)


def ingest(settings: Settings, progress: Progress | None = None, embedder: Any = None) -> IngestReport:
    """Bring the index in line with the corpus folder. See the module docstring."""
    started = time.perf_counter()
    corpus, paths = Path(settings.corpus), IndexPaths(settings.index)
    files = corpus_files(corpus)  # raises CorpusNotFound
    lock = acquire_lock(paths)
    try:
        report = _ingest_locked(settings, corpus, paths, files, progress, embedder)
    finally:
        lock.release()
    report.seconds = time.perf_counter() - started
    return report


def _ingest_locked(settings: Settings, corpus: Path, paths: IndexPaths, files: list[Path],
                   progress: Progress | None, embedder: Any) -> IngestReport:
    report = IngestReport()
    manifest = read_manifest(paths)
    if manifest is not None and manifest.get("pipeline") != pipeline_signature(settings):
        manifest = None  # the splitter or model changed since this index was built: every passage may differ
    if manifest is None and (settings.chroma_url or paths.chroma.exists() or paths.docstore.exists()
                             or any(paths.root.glob("bm25*"))):
        # Half-written, outdated or foreign index: start again from the corpus, which holds everything it had.
        report.rebuilt = True
        wipe(settings, paths)
    indexed = {s: DocumentRecord.from_dict({"source": s, **d}) for s, d in (manifest or {}).get("documents", {}).items()}
    catalog = read_catalog(corpus)
    to_index, records = _read_changes(corpus, files, indexed, catalog, report)
    if not records:
        skipped = "; skipped: " + ", ".join(f"{p.source} ({p.reason})" for p in report.problems) if report.problems else ""
        raise EmptyCorpus(f"No readable documents in {corpus} (.txt, .md, .pdf, .docx, .html){skipped}. "
                          "Add reports and run `assistant ingest` again.")
    if report.nothing_changed and manifest is not None:
        report.total_passages = sum(r.passages for r in records.values())
        if any(records[s] is not indexed.get(s) for s in records):
            manifest["documents"] = {s: r.to_dict() for s, r in records.items()}  # refreshed times only
            write_manifest(paths, manifest)
        return report

    passage_ids, report.embed_seconds = run_pipeline(settings, paths, to_index, report.removed, progress, embedder)
    report.passages_embedded = sum(len(v) for v in passage_ids.values())
    for source, ids in passage_ids.items():
        records[source].passage_ids, records[source].passages = ids, len(ids)

    if progress:
        progress("Building keyword index", 0, 1)
    passages, keyword_name = write_keyword_index(settings, paths)
    if progress:
        progress("Building keyword index", 1, 1)
    glossary = [g for g in (manifest or {}).get("glossary", []) if g["source"] in records and g["source"] not in passage_ids]
    for doc in to_index:
        glossary += [a.to_dict() for a in find_acronyms(doc.text, doc.source)]
    report.total_passages = len(passages)
    write_manifest(paths, {
        "version": INDEX_VERSION,
        "model": Path(settings.model_path).name,
        "catalog": file_hash(json.dumps(catalog, sort_keys=True).encode()),
        "pipeline": pipeline_signature(settings),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "documents": {s: r.to_dict() for s, r in records.items()},
        "glossary": glossary,
        "problems": [{"source": p.source, "reason": p.reason} for p in report.problems],
        "bm25": keyword_name,
    })
    prune_bm25(paths, {keyword_name, (manifest or {}).get("bm25", "")})
    for doc in to_index:
        cache_text(paths, doc)
    return report


# --- check and repair ---------------------------------------------------------------------------------


def check(settings: Settings, fix: bool = False, progress: Progress | None = None) -> CheckReport:
    """Compare the manifest, Chroma and BM25; with `fix`, make them agree again."""
    paths = IndexPaths(settings.index)
    manifest = read_manifest(paths)
    if manifest is None:
        raise no_manifest(settings, paths)
    report = compare(settings, paths, manifest)
    if fix and not report.ok:
        _repair(settings, paths, manifest, report, progress)
        report = compare(settings, paths, read_manifest(paths) or manifest)
        report.repaired = True
    return report


def _repair(settings: Settings, paths: IndexPaths, manifest: dict[str, Any], report: CheckReport,
            progress: Progress | None) -> None:
    """Drop stray vectors; re-embed documents whose vectors are missing; rebuild a diverging keyword index."""
    lock = acquire_lock(paths)
    try:
        client = chroma_client(settings, paths)
        collection = chroma_collection(client, settings.collection)
        step = max(1, int(client.get_max_batch_size()))
        for start in range(0, len(report.stray_vectors), step):
            collection.delete(ids=report.stray_vectors[start:start + step])
        missing = set(report.missing_vectors)
        for d in manifest["documents"].values():
            if set(d.get("passage_ids", [])) & missing:
                d["sha256"], d["size"] = "", -1  # forces a re-embed of that document
        write_manifest(paths, manifest)
    finally:
        lock.release()
    if report.missing_vectors:
        ingest(settings, progress=progress)  # re-embeds the broken documents, rebuilds BM25
    elif report.bm25_diverges or report.stray_vectors:
        lock = acquire_lock(paths)
        try:
            _, manifest["bm25"] = write_keyword_index(settings, paths)
            write_manifest(paths, manifest)
        finally:
            lock.release()


# --- how long a first build takes -----------------------------------------------------------------

# The model loads in about 10 s, then two cores embed about 8 KB of text a second
# (docs/benchmarks.md); a PDF or Word file holds roughly a tenth of its size as text.
_LOAD_SECONDS = 10
_TEXT_BYTES_PER_SECOND = 8_000
_BINARY_TEXT_SHARE = 0.1


def build_estimate(settings: Settings) -> str:
    """ " (about 30 s for the 5 reports in corpus/)", or "" when the corpus folder is empty or cannot be read."""
    try:
        files = corpus_files(Path(settings.corpus))
    except AssistantError:
        return ""
    if not files:
        return ""
    size = sum(f.stat().st_size * (1 if f.suffix.lower() in TEXT_SUFFIXES else _BINARY_TEXT_SHARE) for f in files)
    seconds = _LOAD_SECONDS + size / _TEXT_BYTES_PER_SECOND
    about = f"{max(10, round(seconds, -1)):.0f} s" if seconds < 90 else f"{round(seconds / 60):.0f} min"
    reports = f"{len(files)} report{'' if len(files) == 1 else 's'}"
    return f" (about {about} for the {reports} in {shown_path(settings.corpus)})"
