"""The vector store: a Chroma collection (embedded under the index folder, or a Chroma server)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..core.errors import AssistantError
from ..core.settings import Settings
from ..core.types import Passage
from ..core.visibility import EDITORS
from .paths import IndexPaths


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


# The metadata key that says who may see a passage (core/visibility.py): queries filter on it.
VISIBILITY = "visibility"


def vector_metadata(meta: Mapping[str, Any], visibility: str) -> dict[str, Any]:
    """What the vector store keeps of a passage besides its vector: the fields a query filters on (source,
    organisation, year: answer/retrieve.Filters; visibility) and nothing else. Texts, offsets and the rest
    of each node are in its document's keyword segment (store/segments.py), where answers read them;
    writing them to Chroma as well made the write three times slower (5,000 passages: 5.5 s against 1.9 s)."""
    return {"source": str(meta.get("source") or ""), "organisation": str(meta.get("organisation") or ""),
            "year": int(meta.get("year") or 0), VISIBILITY: visibility}


def batched_vector_store(collection: Any, max_batch: int, timings: dict[str, float] | None = None,
                         visibility: Mapping[str, str] | None = None) -> Any:
    """llama-index's Chroma store, writing each node's vector with `vector_metadata` only, at most
    `max_batch` vectors at a time: Chroma refuses larger writes (5,461 here), while llama-index assumes
    41,665. `visibility` gives each source's visibility; the caller may change it between writes. A
    source it does not name is written as seen by editors only: a slip must hide a report, never publish
    it (the ingest then writes the catalog's value, as after any change of visibility). The seconds spent
    writing add up in timings["write"] when given."""
    import time

    from llama_index.vector_stores.chroma import ChromaVectorStore

    seen = visibility if visibility is not None else {}

    class BatchedChromaVectorStore(ChromaVectorStore):
        def add(self, nodes, **kwargs):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            step = max(1, max_batch)
            for start in range(0, len(nodes), step):
                part = nodes[start:start + step]
                metadatas = [vector_metadata(n.metadata, seen.get(n.metadata.get("source", ""), EDITORS)) for n in part]
                collection.add(ids=[n.node_id for n in part], embeddings=[n.get_embedding() for n in part],
                               metadatas=metadatas)
            if timings is not None:
                timings["write"] = timings.get("write", 0.0) + time.perf_counter() - t0
            return [n.node_id for n in nodes]

    return BatchedChromaVectorStore(chroma_collection=collection)


def node_to_passage(node_id: str, text: str, start: int, end: int, meta: dict[str, Any]) -> Passage:
    return Passage(
        id=node_id, source=meta["source"], char_start=int(start), char_end=int(end), text=text,
        section=meta.get("section", ""), kind=meta.get("kind", "paragraph"), context=meta.get("context", ""),
        cells=_cells(meta.get("cells")),
        title=meta.get("title", ""), organisation=meta.get("organisation") or None, place=meta.get("place") or None,
        published=meta.get("published", ""), page=int(meta.get("page") or 0) or None,
        heading_spans=_spans(meta.get("headings") or ""),
    )


def _cells(text: str | None) -> list[tuple]:
    """A table row's (header, value) pairs from their JSON; most passages have none, and skip the parse."""
    return [tuple(c) for c in json.loads(text)] if text and text != "[]" else []


def _spans(text: str) -> list[tuple[int, int]]:
    """ "0:12;120:164" -> [(0, 12), (120, 164)]; "-1:-1" where a heading's place is not known."""
    out = []
    for part in text.split(";") if text else []:
        a, _, b = part.partition(":")
        try:
            out.append((int(a), int(b)))
        except ValueError:
            out.append((-1, -1))
    return out
