"""Stage 3: the index. Builds and updates it incrementally, and loads it for searching.

Layout of the index folder:

    manifest.json   documents with their content hashes, glossary, passage ids (written last)
    chroma/         Chroma PersistentClient: one vector per passage, cosine space
    docstore.json   llama-index docstore: document hashes, for the pipeline's upserts
    bm25-<stamp>/   llama-index BM25 retriever (bm25s), rebuilt from the vector store's nodes;
                    the manifest names the current one
    texts/          extracted text of PDF/Word/HTML sources, which their citations index into
    .lock           held by the one process that may write

Ingest is incremental: a file whose size, mtime and content hash are unchanged is not
re-parsed or re-embedded; a changed file's passages are replaced; a deleted file's
passages are removed. Passage ids are content hashes, so re-adding a passage after a
crash cannot duplicate it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import AssistantError, EmptyCorpus, IndexBusy, IndexCorrupt, IndexMissing, UnreadableDocument
from .glossary import Glossary, find_acronyms
from .load import TEXT_SUFFIXES, corpus_files, file_hash, load_document, read_catalog, source_name
from .passages import split_document
from .settings import Settings, shown_path
from .types import Document, Passage

INDEX_VERSION = 4
MANIFEST = "manifest.json"
ROWS = "rows.json"  # beside the BM25 index: the documents that row_docs.npy numbers
ROW_IDS = "row_ids.npy"  # passage id of each BM25 row
ROW_DOCS = "row_docs.npy"  # document (index into rows.json "sources") of each BM25 row
DF = "df.json"  # beside the BM25 index: passage frequency of each content term
VIEWS = "views.pkl"  # beside the BM25 index: commitments and figure series (our own pickle, written at ingest)
Progress = Callable[[str, int, int], None]  # (stage, done, total)

# Node metadata that only the search text uses; the rest is kept out of the embedding.
_EMBED_KEYS = ("section", "context")
_BM25_KEYS = ("organisation", "title", "section", "context")


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


# --- paths and stores -------------------------------------------------------------------


class IndexPaths:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.manifest = self.root / MANIFEST
        self.chroma = self.root / "chroma"
        self.docstore = self.root / "docstore.json"
        self.lock = self.root / ".lock"


def chroma_client(settings: Settings, paths: IndexPaths) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        try:
            return chromadb.HttpClient(host=url.hostname or "localhost", port=url.port or 8000,
                                       ssl=url.scheme == "https", settings=chroma_settings)
        except Exception as exc:  # the client checks the server at construction
            raise AssistantError(f"Cannot reach the Chroma server at {settings.chroma_url} ({exc}); "
                                 "start it or unset ASSISTANT_CHROMA_URL.") from exc
    paths.chroma.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(paths.chroma), settings=chroma_settings)


def chroma_collection(client: Any, name: str) -> Any:
    # embedding_function=None: we always pass our own vectors. Chroma's default function
    # would download a model, which fails offline.
    return client.get_or_create_collection(name=name, metadata={"hnsw:space": "cosine"}, embedding_function=None)


def pipeline_signature(settings: Settings) -> str:
    """Changes whenever passages would come out differently: splitter code, passage size, model."""
    here = Path(__file__).parent
    code = b"".join((here / name).read_bytes() for name in ("passages.py", "glossary.py", "formats.py") if (here / name).exists())
    return file_hash(code + f"|{INDEX_VERSION}|{settings.max_passage_chars}|{Path(settings.model_path).name}{'' if settings.embed_backend == 'torch' else '+onnx-int8'}".encode())[:16]


def read_manifest(paths: IndexPaths) -> dict[str, Any] | None:
    try:
        data = json.loads(paths.manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION or "documents" not in data:
        return None
    return data


def no_manifest(settings: Settings, paths: IndexPaths) -> AssistantError:
    """The error for an index folder without a valid manifest: none built yet, or a build cut short."""
    if not paths.root.exists() or not (paths.chroma.exists() or any(paths.root.glob("bm25*"))):
        return IndexMissing(f"No index yet in {shown_path(paths.root)}: build it with `assistant ingest`"
                            f"{build_estimate(settings)}.")
    return IndexCorrupt(f"The index in {shown_path(paths.root)} is incomplete (no valid manifest); "
                        "run `assistant ingest` to repair it.")


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)  # readers see the old file or the new one, never half of one


# --- passages as llama-index nodes -------------------------------------------------------


def passage_metadata(p: Passage, doc: Document) -> dict[str, Any]:
    return {
        "source": doc.source,
        "title": doc.title,
        "organisation": doc.organisation,
        "published": doc.published,
        "year": doc.year or 0,
        "section": p.section,
        "kind": p.kind,
        "context": p.context,
        "cells": json.dumps(p.cells, ensure_ascii=False),
        "page": p.page or 0,
    }


def node_to_passage(node_id: str, text: str, start: int, end: int, meta: dict[str, Any]) -> Passage:
    return Passage(
        id=node_id, source=meta["source"], char_start=int(start), char_end=int(end), text=text,
        section=meta.get("section", ""), kind=meta.get("kind", "paragraph"), context=meta.get("context", ""),
        cells=[tuple(c) for c in json.loads(meta.get("cells") or "[]")],
        title=meta.get("title", ""), organisation=meta.get("organisation", ""),
        published=meta.get("published", ""), page=int(meta.get("page") or 0) or None,
    )


def _node_parser(max_chars: int) -> Any:
    """The structure-aware splitter as a llama-index node parser (a pipeline transformation)."""
    from llama_index.core.node_parser import NodeParser
    from llama_index.core.schema import NodeRelationship, TextNode

    class StructureNodeParser(NodeParser):
        max_chars: int = 420

        def _parse_nodes(self, nodes, show_progress=False, **kwargs):  # type: ignore[override]
            out = []
            for doc in nodes:
                meta = doc.metadata
                document = Document(source=meta["source"], text=doc.text, sha256="", title=meta["title"],
                                    organisation=meta["organisation"], published=meta["published"])
                pages = json.loads(meta.get("pages") or "[]")
                for p in split_document(doc.text, document.source, self.max_chars):
                    if pages:
                        import bisect

                        p.page = bisect.bisect_right(pages, p.char_start)
                    node = TextNode(
                        id_=p.id, text=p.text, start_char_idx=p.char_start, end_char_idx=p.char_end,
                        metadata=passage_metadata(p, document),
                        metadata_template="{value}", metadata_separator=" | ", text_template="{metadata_str}\n{content}",
                    )
                    node.excluded_embed_metadata_keys = [k for k in node.metadata if k not in _EMBED_KEYS]
                    node.excluded_llm_metadata_keys = list(node.metadata)
                    node.relationships[NodeRelationship.SOURCE] = doc.as_related_node_info()
                    out.append(node)
            return out

        def _postprocess_parsed_nodes(self, nodes, parent_doc_map):  # type: ignore[override]
            return nodes  # offsets are exact already; the default would re-find them by text search

    return StructureNodeParser(max_chars=max_chars, include_prev_next_rel=False)


# --- ingest -------------------------------------------------------------------------------

# For the time a first build will take: the model loads in about 10 s, then two cores embed
# about 8 KB of text a second (docs/benchmarks.md); a PDF or Word file holds roughly a tenth
# of its size as text.
_LOAD_SECONDS = 10
_TEXT_BYTES_PER_SECOND = 8_000
_BINARY_TEXT_SHARE = 0.1


def build_estimate(settings: Settings) -> str:
    """ " (about 30 s for the 5 reports in corpus/)", or "" when the corpus folder cannot be read."""
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


def _lock(paths: IndexPaths) -> Any:
    from filelock import FileLock, Timeout

    paths.root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(paths.lock))
    try:
        lock.acquire(timeout=0.5)
    except Timeout as exc:
        raise IndexBusy(f"Another ingest is writing to {paths.root}; wait for it to finish and try again.") from exc
    return lock


def ingest(settings: Settings, progress: Progress | None = None, embedder: Any = None) -> IngestReport:
    """Bring the index in line with the corpus folder. See the module docstring."""
    started = time.perf_counter()
    corpus, paths = Path(settings.corpus), IndexPaths(settings.index)
    files = corpus_files(corpus)  # raises CorpusNotFound
    lock = _lock(paths)
    try:
        return _ingest_locked(settings, corpus, paths, files, progress, embedder, started)
    finally:
        lock.release()


def _ingest_locked(settings, corpus, paths, files, progress, embedder, started) -> IngestReport:
    report = IngestReport()
    manifest = read_manifest(paths)
    if manifest is not None and manifest.get("pipeline") != pipeline_signature(settings):
        manifest = None  # the splitter or model changed since this index was built: every passage may differ
    if manifest is None and (settings.chroma_url or paths.chroma.exists() or paths.docstore.exists()
                             or any(paths.root.glob("bm25*"))):
        # Half-written, outdated or foreign index: start again from the corpus, which holds everything it had.
        report.rebuilt = True
        _wipe(settings, paths)
    old_docs: dict[str, dict] = (manifest or {}).get("documents", {})
    catalog = read_catalog(corpus)
    catalog_sig = file_hash(json.dumps(catalog, sort_keys=True).encode())

    def entry_sig(source: str) -> str:
        # Only a document whose own catalog entry changed is re-indexed.
        return file_hash(json.dumps(catalog.get(source, {}), sort_keys=True).encode())[:16]

    to_index: list[Document] = []
    new_docs: dict[str, dict] = {}
    for path in files:
        source = source_name(corpus, path)
        stat = path.stat()
        old = old_docs.get(source)
        if old and old.get("catalog_entry") != entry_sig(source):
            old = {**old, "sha256": ""}  # its catalog entry changed: re-read it with the new metadata
        if old and old["sha256"] and old["size"] == stat.st_size and old["mtime_ns"] == stat.st_mtime_ns:
            new_docs[source] = old  # unchanged by size and mtime: not even re-read
            report.unchanged.append(source)
            continue
        try:
            data = path.read_bytes()
            if old and old["sha256"] == file_hash(data):
                new_docs[source] = {**old, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
                report.unchanged.append(source)
                continue
            doc = load_document(corpus, path, catalog, data)
        except UnreadableDocument as problem:
            report.problems.append(problem)
            if old:
                new_docs[source] = old  # keep the last good version searchable rather than lose it
            continue
        to_index.append(doc)
        (report.changed if old else report.added).append(source)
        new_docs[source] = {
            **doc.meta(), "sha256": doc.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "pages": doc.pages, "catalog_entry": entry_sig(source),
        }
    report.removed = sorted(set(old_docs) - set(new_docs))

    if not new_docs:
        raise EmptyCorpus(
            f"No readable documents in {corpus} (.txt, .md, .pdf, .docx, .html)"
            + (f"; skipped: {', '.join(p.source + ' (' + p.reason + ')' for p in report.problems)}" if report.problems else "")
            + ". Add reports and run `assistant ingest` again."
        )
    if report.nothing_changed and manifest is not None:
        report.total_passages = sum(d.get("passages", 0) for d in new_docs.values())
        if any(new_docs[s] is not old_docs.get(s) for s in new_docs):
            manifest["documents"] = new_docs  # refreshed mtimes only
            _write_json_atomic(paths.manifest, manifest)
        report.seconds = time.perf_counter() - started
        return report

    nodes_by_doc, embed_seconds = _run_pipeline(settings, paths, to_index, report.removed, progress, embedder)
    report.embed_seconds = embed_seconds
    report.passages_embedded = sum(len(v) for v in nodes_by_doc.values())
    for source, ids in nodes_by_doc.items():
        new_docs[source]["passage_ids"] = ids
        new_docs[source]["passages"] = len(ids)

    if progress:
        progress("Building keyword index", 0, 1)
    passages, bm25_name = _rebuild_bm25(settings, paths)
    if progress:
        progress("Building keyword index", 1, 1)
    glossary = []
    for doc in to_index:
        glossary += [a.to_dict() for a in find_acronyms(doc.text, doc.source)]
    kept = [g for g in (manifest or {}).get("glossary", []) if g["source"] in new_docs and g["source"] not in nodes_by_doc]
    report.total_passages = len(passages)
    _write_json_atomic(paths.manifest, {
        "version": INDEX_VERSION,
        "model": Path(settings.model_path).name,
        "catalog": catalog_sig,
        "pipeline": pipeline_signature(settings),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "documents": new_docs,
        "glossary": kept + glossary,
        "problems": [{"source": p.source, "reason": p.reason} for p in report.problems],
        "bm25": bm25_name,
    })
    _prune_bm25(paths, {bm25_name, (manifest or {}).get("bm25", "")})
    for doc in to_index:
        _cache_text(paths, doc)
    report.seconds = time.perf_counter() - started
    return report


def _cache_text(paths: IndexPaths, doc: Document) -> None:
    """Keep the extracted text of a non-text source: citations index into it (`assistant text`)."""
    if doc.source.lower().endswith((".txt", ".md")):
        return
    folder = paths.root / "texts"
    folder.mkdir(exist_ok=True)
    target = folder / f"{doc.sha256}.txt"
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        tmp.write_text(doc.text, encoding="utf-8")
        os.replace(tmp, target)


def cached_text(paths: IndexPaths, sha256: str) -> str | None:
    path = paths.root / "texts" / f"{sha256}.txt"
    return path.read_text(encoding="utf-8") if path.exists() else None


def _wipe(settings: Settings, paths: IndexPaths) -> None:
    """Remove every built artefact (the Chroma collection too, also on a server)."""
    try:
        chroma_client(settings, paths).delete_collection(settings.collection)
    except Exception:  # missing collection, or a store too damaged to open
        if not settings.chroma_url:
            shutil.rmtree(paths.chroma, ignore_errors=True)
    _prune_bm25(paths, set())
    paths.docstore.unlink(missing_ok=True)


def batched_vector_store(collection: Any, max_batch: int) -> Any:
    """llama-index's Chroma store, writing at most `max_batch` vectors at a time: Chroma refuses
    larger writes (5,461 here), while llama-index assumes 41,665."""
    from llama_index.vector_stores.chroma import ChromaVectorStore

    class BatchedChromaVectorStore(ChromaVectorStore):
        def add(self, nodes, **kwargs):  # type: ignore[no-untyped-def]
            ids: list[str] = []
            for start in range(0, len(nodes), max(1, max_batch)):
                ids += super().add(nodes[start:start + max(1, max_batch)], **kwargs)
            return ids

    return BatchedChromaVectorStore(chroma_collection=collection)


def _run_pipeline(settings, paths, docs, removed, progress, embedder) -> tuple[dict[str, list[str]], float]:
    """Embed and store new/changed documents through llama-index; drop removed ones."""
    from llama_index.core import Document as LlamaDocument
    from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
    from llama_index.core.storage.docstore import SimpleDocumentStore

    from .embed import llama_embedding, make_embedder

    client = chroma_client(settings, paths)
    collection = chroma_collection(client, settings.collection)
    vector_store = batched_vector_store(collection, int(client.get_max_batch_size()))
    docstore = SimpleDocumentStore.from_persist_path(str(paths.docstore)) if paths.docstore.exists() else SimpleDocumentStore()
    # Clear every document about to be (re)indexed as well as the removed ones. After a crash
    # the store may hold part of a document that the manifest does not know about; starting
    # each document from nothing makes a repeated ingest exact (no duplicates, no stale passages).
    for source in [*removed, *(d.source for d in docs)]:
        vector_store.delete(source)
        docstore.delete_ref_doc(source, raise_error=False)
        docstore.delete_document(source, raise_error=False)

    embed_seconds = 0.0
    nodes_by_doc: dict[str, list[str]] = {d.source: [] for d in docs}
    if docs:
        embedder = embedder or make_embedder(settings)

        def embed_progress(done: int, total: int) -> None:
            if progress:
                progress("Embedding passages", done, total)

        llama_docs = [
            LlamaDocument(id_=d.source, text=d.text, metadata={**d.meta(), "pages": json.dumps(d.pages)},
                          excluded_embed_metadata_keys=["pages"])
            for d in docs
        ]
        parser = _node_parser(settings.max_passage_chars)
        embedding = llama_embedding(embedder, embed_progress)
        pipeline = IngestionPipeline(
            transformations=[parser, embedding], docstore=docstore, vector_store=vector_store,
            docstore_strategy=DocstoreStrategy.UPSERTS, disable_cache=True,
        )
        t0 = time.perf_counter()
        nodes = pipeline.run(documents=llama_docs, store_doc_text=False)
        embed_seconds = time.perf_counter() - t0
        for n in nodes:
            nodes_by_doc[n.metadata["source"]].append(n.node_id)
    docstore.persist(str(paths.docstore))
    return nodes_by_doc, embed_seconds


def all_nodes(collection: Any, batch: int = 5000) -> list[Any]:
    """Every node in the Chroma collection, rebuilt from its stored metadata."""
    from llama_index.core.vector_stores.utils import metadata_dict_to_node

    nodes, offset = [], 0
    while True:
        got = collection.get(include=["metadatas", "documents"], limit=batch, offset=offset)
        for meta, text in zip(got["metadatas"], got["documents"]):
            node = metadata_dict_to_node(meta, text=text)
            nodes.append(node)
        if len(got["ids"]) < batch:
            return nodes
        offset += batch


def _rebuild_bm25(settings: Settings, paths: IndexPaths) -> tuple[list[Any], str]:
    """The BM25 index over every passage (text plus organisation, title, section, headers).

    Written to a new folder each time; the manifest names the current one, so a reader that
    loaded the previous manifest still finds the BM25 index that goes with it.
    """
    import Stemmer
    from llama_index.retrievers.bm25 import BM25Retriever

    collection = chroma_collection(chroma_client(settings, paths), settings.collection)
    nodes = all_nodes(collection)
    nodes.sort(key=lambda n: (n.metadata.get("source", ""), n.start_char_idx or 0))
    for n in nodes:
        n.excluded_embed_metadata_keys = [k for k in n.metadata if k not in _BM25_KEYS]
    name = f"bm25-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}"
    target = paths.root / name
    shutil.rmtree(target, ignore_errors=True)
    if nodes:
        retriever = BM25Retriever.from_defaults(nodes=nodes, stemmer=Stemmer.Stemmer("english"), language="en",
                                                similarity_top_k=min(settings.bm25_top_k, len(nodes)))
        retriever.persist(str(target), show_progress=False)
    else:
        target.mkdir(parents=True)
    write_row_tables(target, [n.node_id for n in nodes], [n.metadata.get("source", "") for n in nodes],
                     [" ".join((n.text, n.metadata.get("context", ""), n.metadata.get("section", ""))) for n in nodes])
    write_views(target, [node_to_passage(n.node_id, n.text, n.start_char_idx, n.end_char_idx, n.metadata) for n in nodes])
    return nodes, name


def views_signature() -> str:
    """Changes with the code that reads commitments and figures: stale views are then recomputed."""
    here = Path(__file__).parent
    return file_hash(b"".join((here / n).read_bytes() for n in ("commitments.py", "figures.py", "periods.py")))[:16]


def write_views(folder: Path, passages: list[Passage]) -> None:
    """Commitments and figure series, read once at ingest so that loading an index stays quick."""
    import pickle

    from .commitments import extract_commitments
    from .figures import build_series, extract_figures

    values = extract_figures(passages)
    views = {"signature": views_signature(), "commitments": extract_commitments(passages), "values": values,
             "series": build_series(values)}
    tmp = folder / (VIEWS + ".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(views, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, folder / VIEWS)


def write_row_tables(folder: Path, ids: list[str], sources: list[str], search_texts: list[str]) -> None:
    """Row tables that let a reader filter and weigh terms without parsing every passage."""
    from .retrieve import content_terms

    import numpy as np

    names = sorted(set(sources))
    code = {s: i for i, s in enumerate(names)}
    # Arrays, not JSON lists: a million ids as Python strings would cost hundreds of MB to load.
    np.save(folder / ROW_IDS, np.array([i.encode() for i in ids], dtype=f"S{max((len(i) for i in ids), default=1)}"))
    np.save(folder / ROW_DOCS, np.array([code[s] for s in sources], dtype=np.int32))
    (folder / ROWS).write_text(json.dumps({"sources": names}), encoding="utf-8")
    df: dict[str, int] = {}
    for text in search_texts:
        for t in set(content_terms(text)):
            df[t] = df.get(t, 0) + 1
    # Terms in one passage only are left out: the answerer treats them as it treats unseen words
    # (rarest), and in a large archive they are most of the vocabulary (every odd number).
    (folder / DF).write_text(json.dumps({t: n for t, n in df.items() if n > 1}, ensure_ascii=False), encoding="utf-8")


def _prune_bm25(paths: IndexPaths, keep: set[str]) -> None:
    for old in paths.root.glob("bm25*"):
        if old.name not in keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


# --- consistency check --------------------------------------------------------------------


@dataclass
class CheckReport:
    documents: int = 0
    passages: int = 0
    missing_vectors: list[str] = field(default_factory=list)  # in the manifest, not in Chroma
    stray_vectors: list[str] = field(default_factory=list)  # in Chroma, in no indexed document
    bm25_diverges: bool = False
    repaired: bool = False

    @property
    def ok(self) -> bool:
        return not (self.missing_vectors or self.stray_vectors or self.bm25_diverges)

    def summary(self) -> str:
        if self.ok:
            state = "consistent" + (" after repair" if self.repaired else "")
            return f"Index {state}: {self.documents} documents, {self.passages} passages in Chroma and BM25."
        return (f"Index diverges: {len(self.missing_vectors)} passages missing from Chroma, "
                f"{len(self.stray_vectors)} stray vectors, BM25 {'out of step' if self.bm25_diverges else 'in step'}."
                + ("" if self.repaired else " Run `assistant check --fix` to repair."))


def check(settings: Settings, fix: bool = False, progress: Progress | None = None) -> CheckReport:
    """Compare the manifest, Chroma and BM25; with `fix`, make them agree again."""
    paths = IndexPaths(settings.index)
    manifest = read_manifest(paths)
    if manifest is None:
        raise no_manifest(settings, paths)
    report = _check(settings, paths, manifest)
    if fix and not report.ok:
        lock = _lock(paths)
        try:
            client = chroma_client(settings, paths)
            collection = chroma_collection(client, settings.collection)
            step = max(1, int(client.get_max_batch_size()))
            for start in range(0, len(report.stray_vectors), step):
                collection.delete(ids=report.stray_vectors[start:start + step])
            broken = {s for s, d in manifest["documents"].items() if set(d.get("passage_ids", [])) & set(report.missing_vectors)}
            for source in broken:
                manifest["documents"][source]["sha256"] = ""  # forces a re-embed of that document
                manifest["documents"][source]["size"] = -1
            _write_json_atomic(paths.manifest, manifest)
        finally:
            lock.release()
        if report.missing_vectors:
            ingest(settings, progress=progress)  # re-embeds the broken documents, rebuilds BM25
        elif report.bm25_diverges or report.stray_vectors:
            lock = _lock(paths)
            try:
                _, name = _rebuild_bm25(settings, paths)
                manifest["bm25"] = name
                _write_json_atomic(paths.manifest, manifest)
            finally:
                lock.release()
        report = _check(settings, paths, read_manifest(paths) or manifest)
        report.repaired = True
    return report


def _check(settings: Settings, paths: IndexPaths, manifest: dict) -> CheckReport:
    import bm25s

    expected = {pid for d in manifest["documents"].values() for pid in d.get("passage_ids", [])}
    collection = chroma_collection(chroma_client(settings, paths), settings.collection)
    in_chroma = set(collection.get(include=[])["ids"])
    bm25_ids: set[str] = set()
    bm25_dir = paths.root / manifest.get("bm25", "bm25")
    if (bm25_dir / "retriever.json").exists():
        bm25_ids = {row["node_id"] for row in bm25s.BM25.load(str(bm25_dir), load_corpus=True).corpus}
    return CheckReport(
        documents=len(manifest["documents"]), passages=len(in_chroma),
        missing_vectors=sorted(expected - in_chroma), stray_vectors=sorted(in_chroma - expected),
        bm25_diverges=bm25_ids != in_chroma,
    )


# --- loading for search ------------------------------------------------------------------


class RowIds(Sequence[str]):
    """BM25 row -> passage id, and passage id -> row, over a compact array of ids."""

    def __init__(self, ids: Any) -> None:
        import numpy as np

        self.ids = ids
        self.perm = np.argsort(ids, kind="stable")
        self.sorted = ids[self.perm]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, row: int) -> str:  # type: ignore[override]
        return self.ids[row].decode()

    def row_of(self, pid: str) -> int | None:
        import numpy as np

        key = pid.encode()
        i = int(np.searchsorted(self.sorted, key))
        return int(self.perm[i]) if i < len(self.sorted) and self.sorted[i] == key else None


class LazyPassages(Mapping[str, Passage]):
    """Passage id -> Passage, parsed from the BM25 corpus file on first use.

    The corpus is memory-mapped, so a million passages cost little memory until asked for.
    """

    def __init__(self, rows: RowIds, corpus: Any) -> None:
        self.rows = rows
        self.corpus = corpus
        self._cache: dict[str, Passage] = {}

    def __getitem__(self, pid: str) -> Passage:
        p = self._cache.get(pid)
        if p is None:
            row = self.rows.row_of(pid)
            if row is None:
                raise KeyError(pid)
            data = self.corpus[row]
            content = json.loads(data["_node_content"])
            p = node_to_passage(data["node_id"], content["text"], content["start_char_idx"], content["end_char_idx"],
                                content["metadata"])
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[pid] = p
        return p

    def __contains__(self, pid: object) -> bool:
        return isinstance(pid, str) and self.rows.row_of(pid) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


class SearchIndex:
    """The built index, loaded once: BM25 (memory-mapped), row tables, and the Chroma collection."""

    def __init__(self, settings: Settings, manifest: dict, rows: dict, df: dict[str, int], bm25: Any,
                 collection: Any) -> None:
        import numpy as np

        self.settings = settings
        self.manifest = manifest
        self.order = RowIds(rows["ids"])  # BM25 row -> passage id
        self.row_sources: list[str] = rows["sources"]
        self.row_doc = np.asarray(rows["doc"], dtype=np.int32)  # BM25 row -> index into row_sources
        self.passages = LazyPassages(self.order, bm25.corpus)
        self.df = df  # term -> number of passages holding it (for the answerer's weights)
        self.bm25 = bm25
        self.collection = collection
        self.views_path = Path(settings.index) / manifest.get("bm25", "bm25") / VIEWS
        self.glossary = Glossary.from_dicts(manifest.get("glossary", []))
        self.documents: dict[str, dict] = manifest["documents"]

    def views(self) -> dict[str, Any] | None:
        """Commitments and figure series written at ingest, or None for an index built without them."""
        import pickle

        try:
            with open(self.views_path, "rb") as f:
                views = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        return views if views.get("signature") == views_signature() else None

    def row_mask(self, allowed_sources: set[str]) -> Any:
        """1 for BM25 rows of the allowed documents, else 0."""
        import numpy as np

        codes = [i for i, s in enumerate(self.row_sources) if s in allowed_sources]
        return np.isin(self.row_doc, codes).astype(np.int8)

    @classmethod
    def load(cls, settings: Settings) -> "SearchIndex":
        paths = IndexPaths(settings.index)
        manifest = read_manifest(paths)
        if manifest is None:
            raise no_manifest(settings, paths)
        bm25_dir = paths.root / manifest.get("bm25", "bm25")
        if not (bm25_dir / "retriever.json").exists() or not (bm25_dir / ROWS).exists():
            raise IndexCorrupt(f"The keyword index in {bm25_dir} is missing; run `assistant ingest` to repair it.")
        try:
            import bm25s
            from llama_index.retrievers.bm25 import BM25Retriever

            engine = bm25s.BM25.load(str(bm25_dir), load_corpus=True, mmap=True)
            bm25 = BM25Retriever(existing_bm25=engine, **json.loads((bm25_dir / "retriever.json").read_text()))
            import numpy as np

            rows = json.loads((bm25_dir / ROWS).read_text(encoding="utf-8"))
            rows["ids"] = np.load(bm25_dir / ROW_IDS)
            rows["doc"] = np.load(bm25_dir / ROW_DOCS)
            df = json.loads((bm25_dir / DF).read_text(encoding="utf-8"))
        except Exception as exc:
            raise IndexCorrupt(f"The keyword index in {bm25_dir} cannot be read ({exc}); run `assistant ingest` to repair it.") from exc
        collection = chroma_collection(chroma_client(settings, paths), settings.collection)
        return cls(settings, manifest, rows, df, bm25, collection)
