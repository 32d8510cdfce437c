"""Passages through llama-index: the structure-aware node parser and the ingestion pipeline into Chroma."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..core.settings import Settings
from ..core.types import Document, Passage, Progress
from ..store.chroma import batched_vector_store, chroma_client, chroma_collection
from ..store.paths import INDEX_VERSION, IndexPaths
from .corpus import file_hash
from .passages import split_document

# Node metadata that only the search text uses; the rest is kept out of the embedding.
_EMBED_KEYS = ("section", "context")


# The code that decides what a passage is: every reader, the layout, splitter and glossary, and the text helpers.
_PASSAGE_CODE = ("ingest/readers/*.py", "ingest/layout.py", "ingest/passages.py", "ingest/glossary.py", "core/text.py")


def pipeline_signature(settings: Settings) -> str:
    """Changes whenever passages would come out differently: splitter code, passage size, model."""
    package = Path(__file__).resolve().parent.parent
    code = b"".join(path.read_bytes() for pattern in _PASSAGE_CODE for path in sorted(package.glob(pattern)))
    backend = "" if settings.embed_backend == "torch" else "+onnx-int8"
    model = f"{Path(settings.model_path).name}{backend}"
    return file_hash(code + f"|{INDEX_VERSION}|{settings.max_passage_chars}|{model}".encode())[:16]


def passage_metadata(p: Passage, doc: Document) -> dict[str, Any]:
    return {
        "source": doc.source,
        "title": doc.title,
        "organisation": doc.organisation or "",  # Chroma metadata holds no None: "" is "not stated"
        "place": doc.place or "",
        "published": doc.published,
        "year": doc.year or 0,
        "section": p.section,
        "kind": p.kind,
        "context": p.context,
        "cells": json.dumps(p.cells, ensure_ascii=False),
        "page": p.page or 0,
        "headings": ";".join(f"{a}:{b}" for a, b in p.heading_spans),
    }


def node_parser(max_chars: int) -> Any:
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
                                    organisation=meta["organisation"] or None, published=meta["published"],
                                    place=meta["place"] or None)
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


def run_pipeline(settings: Settings, paths: IndexPaths, docs: list[Document], removed: list[str],
                 progress: Progress | None, embedder: Any) -> tuple[dict[str, list[str]], float]:
    """Embed and store new/changed documents through llama-index; drop removed ones.

    Returns the passage ids of each document embedded, and the seconds the pipeline took.
    """
    from llama_index.core import Document as LlamaDocument
    from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
    from llama_index.core.storage.docstore import SimpleDocumentStore

    from ..embed import make_embedder
    from ..embed.llama import llama_embedding

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
            LlamaDocument(id_=d.source, text=d.text,
                          metadata={"source": d.source, "title": d.title, "organisation": d.organisation or "",
                                    "published": d.published, "place": d.place or "", "pages": json.dumps(d.pages)},
                          excluded_embed_metadata_keys=["pages"])
            for d in docs
        ]
        parser = node_parser(settings.max_passage_chars)
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
