"""Passages through llama-index: the structure-aware node parser and the ingestion pipeline into Chroma."""

from __future__ import annotations

import bisect
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.settings import Settings
from ..core.types import Document, Passage
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


def node_parser(max_chars: int, timings: dict[str, float] | None = None) -> Any:
    """The structure-aware splitter as a llama-index node parser (a pipeline transformation); its seconds
    add up in timings["split"] when given."""
    from llama_index.core.node_parser import NodeParser
    from llama_index.core.schema import NodeRelationship, TextNode

    class StructureNodeParser(NodeParser):
        max_chars: int = 420

        def _parse_nodes(self, nodes, show_progress=False, **kwargs):  # type: ignore[override]
            t0 = time.perf_counter()
            out = []
            for doc in nodes:
                meta = doc.metadata
                document = Document(source=meta["source"], text=doc.text, sha256="", title=meta["title"],
                                    organisation=meta["organisation"] or None, published=meta["published"],
                                    place=meta["place"] or None)
                pages = json.loads(meta.get("pages") or "[]")
                # Once per document: it hashes the whole text (two thirds of the splitting time when per passage).
                source_info = doc.as_related_node_info()
                for p in split_document(doc.text, document.source, self.max_chars):
                    if pages:
                        p.page = bisect.bisect_right(pages, p.char_start)
                    node = TextNode(
                        id_=p.id, text=p.text, start_char_idx=p.char_start, end_char_idx=p.char_end,
                        metadata=passage_metadata(p, document),
                        metadata_template="{value}", metadata_separator=" | ", text_template="{metadata_str}\n{content}",
                    )
                    node.excluded_embed_metadata_keys = [k for k in node.metadata if k not in _EMBED_KEYS]
                    node.excluded_llm_metadata_keys = list(node.metadata)
                    node.relationships[NodeRelationship.SOURCE] = source_info
                    out.append(node)
            if timings is not None:
                timings["split"] = timings.get("split", 0.0) + time.perf_counter() - t0
            return out

        def _postprocess_parsed_nodes(self, nodes, parent_doc_map):  # type: ignore[override]
            return nodes  # offsets are exact already; the default would re-find them by text search

    return StructureNodeParser(max_chars=max_chars, include_prev_next_rel=False)


class BatchEmbedder:
    """The llama-index ingestion pipeline (splitter, then model, into Chroma), run one batch of documents at a time.

    `timings` adds up the seconds spent splitting, embedding and writing to Chroma over all batches.
    """

    def __init__(self, settings: Settings, paths: IndexPaths, embedder: Any,
                 progress: Callable[[int, int], None] | None = None) -> None:
        from ..embed.llama import llama_embedding

        client = chroma_client(settings, paths)
        self.collection = chroma_collection(client, settings.collection)
        self.timings = {"split": 0.0, "embed": 0.0, "write": 0.0}
        self.visibility: dict[str, str] = {}  # the batch's documents' visibility, written with their vectors
        self.vector_store = batched_vector_store(self.collection, int(client.get_max_batch_size()), self.timings,
                                                 self.visibility)
        self.parser = node_parser(settings.max_passage_chars, self.timings)
        self.embedding = llama_embedding(embedder, progress)

    def delete(self, sources: list[str]) -> None:
        """Drop every vector of these documents. After a crash the store may hold part of a document that
        no record knows of; starting each document from nothing makes a repeated ingest exact. One
        delete for the batch: one per document scanned the store's metadata each time (8 s in 2,000).
        On the collection itself: llama-index's `delete_nodes` sends an empty id list, which Chroma refuses."""
        if sources:
            self.collection.delete(where={"source": {"$in": list(sources)}})

    def run(self, docs: list[Document], visibility: dict[str, str]) -> dict[str, list[Any]]:
        """Embed and store `docs` (replacing any earlier vectors of theirs), each source's passages marked
        with its `visibility`; their nodes, per document, in the order the splitter made them (without
        their vectors)."""
        from llama_index.core import Document as LlamaDocument
        from llama_index.core.ingestion import IngestionPipeline

        self.delete([d.source for d in docs])
        self.visibility.clear()
        self.visibility.update(visibility)
        llama_docs = [
            LlamaDocument(id_=d.source, text=d.text,
                          metadata={"source": d.source, "title": d.title, "organisation": d.organisation or "",
                                    "published": d.published, "place": d.place or "", "pages": json.dumps(d.pages)},
                          excluded_embed_metadata_keys=["pages"])
            for d in docs
        ]
        pipeline = IngestionPipeline(transformations=[self.parser, self.embedding], vector_store=self.vector_store,
                                     disable_cache=True)
        t0 = time.perf_counter()
        split, write = self.timings["split"], self.timings["write"]
        nodes = pipeline.run(documents=llama_docs)
        spent = time.perf_counter() - t0
        self.timings["embed"] += spent - (self.timings["split"] - split) - (self.timings["write"] - write)
        out: dict[str, list[Any]] = {d.source: [] for d in docs}
        for n in nodes:
            n.embedding = None  # the vectors are in Chroma now; the batch need not keep them
            out[n.metadata["source"]].append(n)
        return out
