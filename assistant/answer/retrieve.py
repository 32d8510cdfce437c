"""Stage 4: hybrid retrieval. Dense (Chroma) and BM25 rankings fused by reciprocal rank.

We fuse by hand rather than with llama-index's QueryFusionRetriever because the
answerer needs each candidate's own dense similarity and keyword score (for abstention),
and filters must apply to both sides before ranking, not after.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import BadFilter
from ..core.types import DocumentRecord, Passage
from ..store.search_index import SearchIndex


@dataclass
class Filters:
    """Restrict answers to some documents, organisations or publication years."""

    sources: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.sources or self.organisations or self.years)

    def allows(self, p: Passage) -> bool:
        return ((not self.sources or p.source in self.sources)
                and (not self.organisations or p.organisation in self.organisations)
                and (not self.years or p.year in self.years))

    def allowed_sources(self, documents: Mapping[str, DocumentRecord]) -> set[str]:
        """The indexed documents these filters let through (every filter is per document)."""
        return {source for source, d in documents.items()
                if (not self.sources or source in self.sources)
                and (not self.organisations or d.organisation in self.organisations)
                and (not self.years or d.year in self.years)}

    def chroma_where(self) -> dict | None:
        clauses: list[dict] = []
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.organisations:
            clauses.append({"organisation": {"$in": list(self.organisations)}})
        if self.years:
            clauses.append({"year": {"$in": [int(y) for y in self.years]}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def check(self, docs: Mapping[str, DocumentRecord]) -> None:
        """Raise BadFilter naming any value that matches none of the indexed documents `docs`."""
        for s in self.sources:
            if s not in docs:
                raise BadFilter(f"No indexed document is called {s!r}; see `assistant docs` for the list.")
        orgs = {d.organisation for d in docs.values() if d.organisation}
        for o in self.organisations:
            if o not in orgs:
                raise BadFilter(f"No indexed document is from {o!r}; known organisations: {', '.join(sorted(orgs))}.")
        years = {d.year for d in docs.values() if d.year is not None}
        for y in self.years:
            if int(y) not in years:
                raise BadFilter(f"No indexed document is from {y}; known years: {', '.join(map(str, sorted(years)))}.")


@dataclass
class Hit:
    passage: Passage
    fused: float = 0.0  # reciprocal rank fusion score
    dense: float = 0.0  # cosine similarity to the query (0 when not in the dense top-k)
    lexical: float = 0.0  # BM25 score (0 when not in the BM25 top-k)
    relevance: float = 0.0  # set by the answerer's rerank


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = 60, weights: list[float] | None = None) -> dict[str, float]:
    """Σ weight / (k + rank) over the rankings each id appears in (rank starts at 1)."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, pid in enumerate(ranking, start=1):
            scores[pid] = scores.get(pid, 0.0) + w / (k + rank)
    return scores


class Retriever:
    """Hybrid search over a loaded `SearchIndex`."""

    def __init__(self, index: SearchIndex, embedder: Any) -> None:
        self.index = index
        self.embedder = embedder
        s = index.settings.retrieval
        self.dense_k, self.bm25_k, self.rrf_k = s.dense_top_k, s.bm25_top_k, s.rrf_k

    def dense(self, query: str, filters: Filters | None = None, k: int | None = None,
              vector: list[float] | None = None) -> list[tuple[str, float]]:
        vector = vector if vector is not None else self.embedder.encode_query(query)
        # No `collection.count()` first: it counts the stored rows on every call (ms at 100k, more at 1M),
        # and Chroma returns what it has when asked for more. Queried directly (ids and distances only):
        # parsing every node back, as the llama-index store does, costs time on the hot path for nothing we use.
        where = filters.chroma_where() if filters else None
        scope = self.index.where  # who may see what: restricted passages never become candidates
        if scope:
            where = scope if where is None else {"$and": [scope, where]}
        res = self.index.collection.query(query_embeddings=[vector], n_results=k or self.dense_k,
                                          where=where, include=["distances"])
        return [(pid, 1.0 - float(d)) for pid, d in zip(res["ids"][0], res["distances"][0])]

    def similarities(self, vector: list[float], ids: list[str]) -> dict[str, float]:
        """Cosine similarity of `vector` to the stored vectors of `ids` (unit length, so a dot product)."""
        if not ids:
            return {}
        import numpy as np

        try:
            got = self.index.collection.get(ids=ids, include=["embeddings"])
        except Exception:  # an ingest running beside us removed some of these vectors: read them one by one
            got = {"ids": [], "embeddings": []}
            for pid in ids:
                try:
                    one = self.index.collection.get(ids=[pid], include=["embeddings"])
                except Exception:  # noqa: BLE001 - gone: this candidate goes without a dense similarity
                    continue
                got["ids"] += list(one["ids"])
                got["embeddings"] += list(one["embeddings"])
        if got["embeddings"] is None or not len(got["embeddings"]):
            return {}
        sims = np.asarray(got["embeddings"], dtype=np.float32) @ np.asarray(vector, dtype=np.float32)
        return {pid: float(s) for pid, s in zip(got["ids"], sims)}

    def lexical(self, query: str, filters: Filters | None = None, k: int | None = None) -> list[tuple[str, float]]:
        n = len(self.index.order)
        if n == 0:
            return []
        mask = None
        if filters:
            mask = self.index.row_mask(filters.allowed_sources(self.index.documents))
            if not mask.any():
                return []
        return [(self.index.order[row], score) for row, score in self.index.bm25.search(query, min(k or self.bm25_k, n), mask)]

    def search(self, query: str, filters: Filters | None = None, extra_queries: list[str] | None = None) -> tuple[list[Hit], dict[str, float]]:
        """Candidates for `query`, best first, with per-stage timings in ms.

        Every candidate carries its dense similarity to the question, also one found by its keywords
        only: relevance must not depend on which of the two rankings happened to list it.
        """
        t0 = time.perf_counter()
        vector = self.embedder.encode_query(query)
        dense = self.dense(query, filters, vector=vector)
        t1 = time.perf_counter()
        lexical = self.lexical(query, filters)
        for extra in extra_queries or []:
            lexical += [(pid, s * 0.5) for pid, s in self.lexical(extra, filters)]
        t2 = time.perf_counter()
        fused = reciprocal_rank_fusion([[p for p, _ in dense], [p for p, _ in lexical]], k=self.rrf_k)
        dense_map, lex_map = dict(dense), {}
        for pid, s in lexical:
            lex_map[pid] = max(lex_map.get(pid, 0.0), s)
        # The best candidates bring their neighbours in the section: a lead-in found, its items come too.
        settings = self.index.settings.retrieval
        last = min(fused.values(), default=0.0)
        for pid in sorted(fused, key=lambda x: -fused[x])[:settings.expand_top]:
            for other in self.index.neighbours(pid, settings.neighbour_width):
                fused.setdefault(other, last * 0.99)
        dense_map.update(self.similarities(vector, [pid for pid in fused if pid not in dense_map]))
        hits = [Hit(self.index.passages[pid], fused=score, dense=dense_map.get(pid, 0.0), lexical=lex_map.get(pid, 0.0))
                for pid, score in fused.items() if pid in self.index.passages]
        hits.sort(key=lambda h: -h.fused)
        return hits, {"dense": (t1 - t0) * 1000, "bm25": (t2 - t1) * 1000}
