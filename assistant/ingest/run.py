"""Ingest: bring the index in line with the corpus folder, incrementally, in committed batches.

1. `plan_changes` (pure): from the folder's file sizes, times and catalog entries and the
   records of the manifest (and of the journal of an interrupted ingest), which files are
   unchanged, which must be read, which were removed;
2. the files to read are read in worker processes (ingest/workers.py), in order, while the
   documents already read are embedded: a file whose content hash is unchanged stays as it
   was; unreadable files are reported (their last good version kept);
3. documents go through the llama-index pipeline into Chroma in batches (ingest/batches.py),
   each batch committed with its keyword segments and views and recorded in the journal;
4. the keyword index and the library's views are made from those the manifest names, with only
   the changed documents' segments and views read (the unchanged ones' rows and views copied;
   from every document's files when there is nothing to copy from), the figure series linked
   across all documents' figures, and, last, the manifest is written and the journal deleted.

Layout of the index folder:

    manifest.json   documents with their content hashes, glossary, passage ids (written last)
    chroma/         Chroma PersistentClient: one vector per passage, cosine space, with only the
                    fields queries filter on (source, organisation, year, visibility)
    segments/       per document: its passages' BM25 tokens and corpus entries (store/segments.py), the
                    index's one copy of their texts and offsets: a lost one is read again from the file
    views/          per document: its commitments and figure values
    bm25-<stamp>/   llama-index BM25 retriever (bm25s) put together from the segments, with its
                    row tables, each row's term counts (for the next build) and the views; the
                    manifest names the current one
    texts/          extracted text of PDF/Word/HTML sources, which their citations index into
    ingest-journal.jsonl   the documents an unfinished ingest has committed (store/journal.py)
    .lock           held by the one process that may write

Passage ids are content hashes, so re-adding a passage after a crash cannot duplicate it.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core.errors import AssistantError, EmptyCorpus, UnreadableDocument
from ..core.memory import collector_paused
from ..core.settings import Settings, shown_path
from ..core.terms import terms_signature
from ..core.types import DocumentRecord, Progress
from ..embed import make_embedder
from ..store.check import CheckReport, compare
from ..store.chroma import chroma_client, chroma_collection
from ..store.journal import JOURNAL, Journal, read_journal
from ..store.keyword import build_bm25, prune_bm25, update_bm25
from ..store.manifest import manifest_records, no_manifest, read_manifest, write_manifest
from ..store.paths import INDEX_VERSION, IndexPaths, acquire_lock
from ..store.segments import (has_segment, prune_keyed, prune_segments, read_segment, read_terms_again, segment_key,
                              segment_keys)
from ..views.cache import DocumentViews, assemble_views, read_views, views_by_document, views_signature, write_views
from .batches import Batches, FileState, stored_segments, stored_views, views_folder
from .corpus import corpus_files, file_hash, read_catalog, source_name
from .pipeline import pipeline_signature
from .readers import TEXT_SUFFIXES
from .visibility import FIELD as VISIBILITY_FIELD
from .visibility import prepare_audiences, sync_visibility, wanted
from .workers import ReadTask, read_files


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
    resumed: int = 0  # documents an interrupted ingest had committed, kept rather than embedded again
    terms_read_again: int = 0  # documents whose passages' terms other code had read (an upgrade), read again
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage (read, split, embed, write, …)

    @property
    def nothing_changed(self) -> bool:
        return not (self.added or self.changed or self.removed or self.rebuilt or self.resumed)

    def summary(self) -> str:
        if self.nothing_changed:
            head = (f"{'No document changed' if self.terms_read_again else 'Index is up to date'}: "
                    f"{len(self.unchanged)} documents unchanged, nothing embedded.")
        else:
            head = (f"Indexed {len(self.added)} new, {len(self.changed)} changed, {len(self.removed)} removed, "
                    f"{len(self.unchanged)} unchanged documents; embedded {self.passages_embedded} passages "
                    f"in {self.seconds:.1f} s ({self.total_passages} passages in the index).")
        lines = [head]
        if self.resumed:
            lines.append(f"Resumed an interrupted ingest: {self.resumed} documents it had committed were kept.")
        if self.terms_read_again:
            n = self.terms_read_again
            lines.append(f"Read again the words of the passages of {n} document{'' if n == 1 else 's'} (this version "
                         "matches words differently) and rebuilt the keyword index; no passage was embedded again.")
        lines += [f"Skipped {p.source}: {p.reason}" for p in self.problems]
        return "\n".join(lines)


# --- 1. what changed (pure) ---------------------------------------------------------------------


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


# --- 2. reading and embedding, in batches ------------------------------------------------------------


def _entry_signature(catalog: dict[str, dict[str, str]], source: str) -> str:
    # Visibility is not part of it: changing who may see a report rewrites metadata, never re-embeds.
    entry = {k: v for k, v in catalog.get(source, {}).items() if k != VISIBILITY_FIELD}
    return file_hash(json.dumps(entry, sort_keys=True).encode())[:16]


def _file_states(corpus: Path, files: list[Path], catalog: dict[str, dict[str, str]]) -> dict[str, tuple[Path, FileState]]:
    out = {}
    for path in files:
        source, stat = source_name(corpus, path), path.stat()
        out[source] = (path, FileState(source, stat.st_size, stat.st_mtime_ns, _entry_signature(catalog, source),
                                       wanted(catalog, source)))
    return out


def _stream(settings: Settings, corpus: Path, paths: IndexPaths, states: dict[str, tuple[Path, FileState]],
            plan: ChangePlan, indexed: dict[str, DocumentRecord], catalog: dict[str, dict[str, str]],
            batches: Batches, report: IngestReport) -> None:
    """Read the files to read (in workers) and embed the documents among them, batch by batch."""
    tasks = []
    for source in plan.to_read:
        old, state = indexed.get(source), states[source][1]
        known = old.sha256 if old is not None and old.catalog_entry == state.catalog_entry else ""
        tasks.append(ReadTask(source, states[source][0], catalog.get(source, {}), known))
    waited = time.perf_counter()
    for result in read_files(corpus, tasks, settings.ingest):
        batches.timings["wait"] = batches.timings.get("wait", 0.0) + time.perf_counter() - waited
        source, old, state = result.source, indexed.get(result.source), states[result.source][1]
        batches.read(result)
        if result.document is not None:
            (report.changed if old is not None else report.added).append(source)
            batches.add(result.document, state)
        elif result.problem is not None:
            report.problems.append(result.problem)
            if old is not None:
                batches.records[source] = old  # keep the last good version searchable rather than lose it
        else:  # touched, not changed
            batches.records[source] = DocumentRecord.from_dict({**old.to_dict(), "size": state.size,  # type: ignore[union-attr]
                                                                "mtime_ns": state.mtime_ns})
            report.unchanged.append(source)
        waited = time.perf_counter()
    batches.finish()


# --- 3. the keyword index and views of the whole library -------------------------------------------


def _with_segments(paths: IndexPaths, records: dict[str, DocumentRecord]) -> dict[str, DocumentRecord]:
    """`records`, each whose keyword segment is missing (deleted by hand, a damaged disk) marked for reading
    again: its passages' texts are kept nowhere else, so the document is read and embedded again."""
    return {s: r if has_segment(paths, r) else replace(r, sha256="") for s, r in records.items()}


def _write_views(settings: Settings, paths: IndexPaths, keys: dict[str, str], folder: Path,
                 earlier: dict[str, Any] | None = None, unchanged: set[str] | None = None) -> None:
    """The library's views (its documents' views put together, figures linked into series) into `folder`;
    `keys`: source -> segment key; `earlier`: the manifest of the library's views written last, whose
    `unchanged` documents' views are taken from that one file rather than from a file per document."""
    known = _unchanged_views(settings, paths, earlier, unchanged or set()) if earlier else {}
    documents = stored_views(settings, paths, keys, keep=True, known=known)
    write_views(folder, assemble_views(documents, settings.linking), settings.linking)


def _unchanged_views(settings: Settings, paths: IndexPaths, earlier: dict[str, Any],
                     unchanged: set[str]) -> dict[str, DocumentViews]:
    """The views of the `unchanged` documents, from the views file `earlier` names (2,000 files read one by
    one took 0.7 s of a re-ingest; the library's one file, 0.2 s)."""
    views = read_views(paths.root / earlier.get("bm25", "bm25"), settings.linking)  # None: other code wrote it
    if views is None:
        return {}
    split = views_by_document(views)
    return {s: split.get(s, DocumentViews()) for s in unchanged}


def _keyword_index(settings: Settings, paths: IndexPaths, keys: dict[str, str], earlier: dict[str, Any] | None,
                   unchanged: set[str], dropped: list[str]) -> Path:
    """The keyword index of these documents (source -> segment key): from the one `earlier` names, the
    `unchanged` documents' rows copied (reading 2,000 segments took a second of a re-ingest of one) and the
    terms of the `dropped` segments (keys of changed and removed documents) counted out; or from every
    document's segment."""
    if earlier:
        segments = [seg for seg in (read_segment(paths, key) for key in dropped) if seg is not None]
        if len(segments) == len(dropped):  # else the terms the missing ones held cannot be counted out
            folder = update_bm25(settings, paths, paths.root / earlier.get("bm25", "bm25"), unchanged,
                                 segments, lambda s: next(stored_segments(paths, {s: keys[s]})), sorted(keys))
            if folder is not None:
                return folder
    return build_bm25(settings, paths, stored_segments(paths, keys))


def write_keyword_index(settings: Settings, paths: IndexPaths, records: dict[str, DocumentRecord],
                        timings: dict[str, float] | None = None, earlier: dict[str, Any] | None = None) -> str:
    """The keyword index and views of every indexed document, in a new folder; returns its name. `earlier`:
    the manifest this ingest started from (what it names was built for documents that may be unchanged)."""
    t0 = time.perf_counter()
    keys = segment_keys(records)
    before = segment_keys(manifest_records(earlier)) if earlier else {}
    unchanged = {s for s, key in keys.items() if before.get(s) == key}
    dropped = [key for s, key in before.items() if keys.get(s) != key]
    # Nothing made here is garbage until the manifest names it, and a large archive's objects made the
    # collector walk them again and again (a third of the time of a re-ingest of one of 2,000 documents).
    with collector_paused():
        folder = _keyword_index(settings, paths, keys, earlier, unchanged, dropped)
        t1 = time.perf_counter()
        _write_views(settings, paths, keys, folder, earlier, unchanged)
    if timings is not None:
        timings["keyword"] = timings.get("keyword", 0.0) + t1 - t0
        timings["views"] = timings.get("views", 0.0) + time.perf_counter() - t1
    return folder.name


def _refresh_views(settings: Settings, paths: IndexPaths, manifest: dict[str, Any],
                   records: dict[str, DocumentRecord]) -> None:
    """Write the views again when another version of the code that reads commitments and figures wrote
    them (an upgrade): an unchanged ingest does it once, else every start of the app would read them again
    from the passages (40 s at 100,000 passages) or, at archive size, go without them."""
    current = views_signature(settings.linking)
    if manifest.get("views") == current or not records:
        return
    _write_views(settings, paths, segment_keys(records), paths.root / manifest.get("bm25", "bm25"))
    manifest["views"] = current
    write_manifest(paths, manifest)
    prepare_audiences(settings, records)


def wipe(settings: Settings, paths: IndexPaths) -> None:
    """Remove every built artefact (the Chroma collection too, also on a server)."""
    try:
        chroma_client(settings, paths).delete_collection(settings.collection)
    except Exception:  # missing collection, or a store too damaged to open
        if not settings.chroma_url:
            shutil.rmtree(paths.chroma, ignore_errors=True)
    prune_bm25(paths, set())
    prune_segments(paths, ())
    shutil.rmtree(views_folder(paths), ignore_errors=True)
    (paths.root / JOURNAL).unlink(missing_ok=True)
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
    signature = pipeline_signature(settings)
    manifest = read_manifest(paths)
    if manifest is not None and manifest.get("pipeline") != signature:
        manifest = None  # the splitter or model changed since this index was built: every passage may differ
    journal = read_journal(paths, signature)
    if manifest is None and not journal and (settings.chroma_url or paths.chroma.exists() or paths.docstore.exists()
                                             or any(paths.root.glob("bm25*"))):
        # Half-written, outdated or foreign index: start again from the corpus, which holds everything it had.
        report.rebuilt = True
        wipe(settings, paths)
    indexed = manifest_records(manifest or {})
    glossary: dict[str, list[dict[str, Any]]] = {}
    for g in (manifest or {}).get("glossary", []):
        glossary.setdefault(g["source"], []).append(g)
    for source, entry in journal.items():  # committed by an interrupted ingest: as good as indexed
        indexed[source] = DocumentRecord.from_dict(entry["record"])
        glossary[source] = entry.get("glossary", [])
    indexed = _with_segments(paths, indexed)
    # The words passages are matched by changed (an upgrade): their segments' terms are read again from the
    # stored passages and the keyword index is built anew; nothing is embedded again. An interrupted run's
    # segments may be older than its manifest, so they are looked at too.
    stale_terms = manifest is not None and manifest.get("terms") != terms_signature()
    reread = read_terms_again(paths, segment_keys(indexed if stale_terms else
                                                  {s: indexed[s] for s in journal if s in indexed}).values())
    rebuild_keyword = stale_terms or reread > 0
    report.terms_read_again = reread
    catalog = read_catalog(corpus)
    states = _file_states(corpus, files, catalog)
    plan = plan_changes([s for _, s in states.values()], indexed)
    report.unchanged += plan.unchanged
    report.removed = plan.removed
    report.resumed = sum(1 for s in plan.unchanged if s in journal)
    records = {s: indexed[s] for s in plan.unchanged}
    if not plan.to_read and not plan.removed and manifest is not None and not journal and not rebuild_keyword:
        report.total_passages = sum(r.passages for r in records.values())
        if sync_visibility(settings, paths, records, catalog):  # catalog.toml edited by hand
            manifest["documents"] = {s: r.to_dict() for s, r in records.items()}
            write_manifest(paths, manifest)
            prepare_audiences(settings, records)
        _refresh_views(settings, paths, manifest, records)
        return report
    log = Journal(paths, signature, resume=bool(journal))
    batches = Batches(settings, paths, log, lambda: embedder or make_embedder(settings), progress, len(plan.to_read),
                      records, glossary)
    try:
        _stream(settings, corpus, paths, states, plan, indexed, catalog, batches, report)
    except BaseException:
        log.close(delete=False)
        raise
    if not records:
        log.close(delete=True)
        skipped = "; skipped: " + ", ".join(f"{p.source} ({p.reason})" for p in report.problems) if report.problems else ""
        raise EmptyCorpus(f"No readable documents in {corpus} (.txt, .md, .pdf, .docx, .html){skipped}. "
                          "Add reports and run `assistant ingest` again.")
    batches.remove(plan.removed)
    records = {s: records[s] for s in states if s in records}  # in the folder's order
    visibility_changed = sync_visibility(settings, paths, records, catalog)
    if report.nothing_changed and manifest is not None and not rebuild_keyword:
        log.close(delete=True)
        manifest["documents"] = {s: r.to_dict() for s, r in records.items()}  # refreshed times only
        write_manifest(paths, manifest)
        if visibility_changed:
            prepare_audiences(settings, records)
        _refresh_views(settings, paths, manifest, records)
        report.total_passages = sum(r.passages for r in records.values())
        return report
    report.passages_embedded = batches.embedded
    if progress:
        progress("Building keyword index", 0, 1)
    keyword_name = write_keyword_index(settings, paths, records, batches.timings,
                                       None if rebuild_keyword else manifest)
    if progress:
        progress("Building keyword index", 1, 1)
    report.total_passages = sum(r.passages for r in records.values())
    t0 = time.perf_counter()
    write_manifest(paths, {
        "version": INDEX_VERSION,
        "model": Path(settings.model_path).name,
        "catalog": file_hash(json.dumps(catalog, sort_keys=True).encode()),
        "pipeline": signature,
        "terms": terms_signature(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "documents": {s: r.to_dict() for s, r in records.items()},
        "glossary": [g for s in records for g in glossary.get(s, [])],
        "problems": [{"source": p.source, "reason": p.reason} for p in report.problems],
        "bm25": keyword_name,
        "views": views_signature(settings.linking),
    })
    log.close(delete=True)
    prepare_audiences(settings, records)
    prune_bm25(paths, {keyword_name, (manifest or {}).get("bm25", "")})
    keys = list(segment_keys(records).values())
    prune_segments(paths, keys)
    prune_keyed(views_folder(paths), keys)
    paths.docstore.unlink(missing_ok=True)  # kept by earlier versions; the manifest and journal say the same
    batches.timings["manifest"] = time.perf_counter() - t0
    report.stages = batches.timings
    report.embed_seconds = batches.timings.get("embed", 0.0)
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
    """Drop stray vectors; read and embed again the documents whose vectors or keyword segment are missing
    (the segment is the only copy of their passages' texts besides the source file); put together a
    diverging keyword index again from the segments."""
    lock = acquire_lock(paths)
    try:
        client = chroma_client(settings, paths)
        collection = chroma_collection(client, settings.collection)
        step = max(1, int(client.get_max_batch_size()))
        for start in range(0, len(report.stray_vectors), step):
            collection.delete(ids=report.stray_vectors[start:start + step])
        missing = set(report.missing_vectors)
        broken = False
        for source, record in manifest_records(manifest).items():
            # read, not only looked for: a damaged segment is as lost as a missing one
            if set(record.passage_ids) & missing or read_segment(paths, segment_key(record)) is None:
                manifest["documents"][source].update(sha256="", size=-1)  # forces reading and embedding it again
                broken = True
        write_manifest(paths, manifest)
    finally:
        lock.release()
    if broken:
        ingest(settings, progress=progress)  # re-embeds the broken documents, rebuilds BM25
    elif report.bm25_diverges or report.stray_vectors:
        lock = acquire_lock(paths)
        try:
            records = manifest_records(manifest)
            manifest["bm25"] = write_keyword_index(settings, paths, records)
            manifest["views"] = views_signature(settings.linking)
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
