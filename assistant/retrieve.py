"""Stage 4: hybrid retrieval. Dense (Chroma) and BM25 rankings fused by reciprocal rank.

We fuse by hand rather than with llama-index's QueryFusionRetriever because the
answerer needs each candidate's own dense similarity and keyword score (for abstention),
and filters must apply to both sides before ranking, not after.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import BadFilter
from .index import SearchIndex
from .types import Passage

# Generic English function words and question words. They carry no topic, so they neither
# count towards nor against how well a passage covers a question.
STOPWORDS = frozenset("""
a about above after again all also am an and any are as at be because been before being below between both but
by can could did do does doing done down during each either etc few for from further give given had has have
having he her here hers him his how however i if in into is it its itself just let like many may me might more
most much must my no nor not now of off on once only or other our ours out over own per please same say said
says she should show so some such tell than that the their theirs them then there these they this those through
to too under until up upon us very via was we were what whats when where which while who whom whose why will
with would you your yours happen happened happening change changed changes stand mean means meaning
go goes going went gone get gets got getting come comes came coming big previous previously versus share
""".split())

_TOKEN_RE = re.compile(r"[a-z0-9£$€%]+(?:[.,]\d+)*")
_STEMMER: Any = None


def _stem(word: str) -> str:
    global _STEMMER
    if _STEMMER is None:
        import Stemmer

        _STEMMER = Stemmer.Stemmer("english")
    return _STEMMER.stemWord(word)


_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
# "2021-22" and "2021/22" name the same period as "2021-2022".
_YEAR_RANGE_RE = re.compile(r"\b((?:19|20)(\d\d))\s*[-/–]\s*(\d\d)\b(?!\d)")


def content_terms(text: str) -> list[str]:
    """Stemmed content words and figures of `text`, in order, stopwords removed; number words as digits."""
    text = _YEAR_RANGE_RE.sub(lambda m: f"{m.group(1)} {m.group(1)[:2]}{m.group(3)}", text.lower().replace("’", "'"))
    out = []
    for tok in _TOKEN_RE.findall(text):
        tok = tok.strip(".,")
        tok = _NUMBER_WORDS.get(tok, tok)
        if not tok or tok in STOPWORDS or (len(tok) == 1 and not tok.isdigit()):
            continue
        out.append(tok if tok[0].isdigit() or tok[0] in "£$€" else _stem(tok))
    return out


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

    def allowed_sources(self, documents: dict[str, dict]) -> set[str]:
        """The indexed documents these filters let through (every filter is per document)."""
        out = set()
        for source, d in documents.items():
            year = int(d["published"][:4]) if d.get("published", "")[:4].isdigit() else None
            if ((not self.sources or source in self.sources)
                    and (not self.organisations or d.get("organisation") in self.organisations)
                    and (not self.years or year in self.years)):
                out.add(source)
        return out

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

    def check(self, index: SearchIndex) -> None:
        """Raise BadFilter naming any value that matches nothing in the index."""
        docs = index.documents
        for s in self.sources:
            if s not in docs:
                raise BadFilter(f"No indexed document is called {s!r}; see `assistant docs` for the list.")
        orgs = {d["organisation"] for d in docs.values()}
        for o in self.organisations:
            if o not in orgs:
                raise BadFilter(f"No indexed document is from {o!r}; known organisations: {', '.join(sorted(orgs))}.")
        years = {int(d["published"][:4]) for d in docs.values() if d.get("published", "")[:4].isdigit()}
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
        s = index.settings
        self.dense_k, self.bm25_k, self.rrf_k = s.dense_top_k, s.bm25_top_k, s.rrf_k

    def dense(self, query: str, filters: Filters | None = None, k: int | None = None) -> list[tuple[str, float]]:
        vector = self.embedder.encode_query(query)
        n = self.index.collection.count()
        if n == 0:
            return []
        # Queried directly (ids and distances only): parsing every node back, as the
        # llama-index store does, costs time on the hot path for nothing we use.
        res = self.index.collection.query(query_embeddings=[vector], n_results=min(k or self.dense_k, n),
                                          where=filters.chroma_where() if filters else None, include=["distances"])
        return [(pid, 1.0 - float(d)) for pid, d in zip(res["ids"][0], res["distances"][0])]

    def lexical(self, query: str, filters: Filters | None = None, k: int | None = None) -> list[tuple[str, float]]:
        import bm25s

        bm25 = self.index.bm25
        n = len(self.index.order)
        if n == 0:
            return []
        tokens = bm25s.tokenize(query, stopwords="en", stemmer=bm25.stemmer, token_pattern=bm25.token_pattern,
                                show_progress=False)
        if not tokens.vocab:
            return []
        mask = None
        if filters:
            mask = self.index.row_mask(filters.allowed_sources(self.index.documents))
            if not mask.any():
                return []
        docs, scores = bm25.bm25.retrieve(tokens, k=min(k or self.bm25_k, n), weight_mask=mask, show_progress=False,
                                          return_as="tuple")
        out = []
        for doc, score in zip(docs[0], scores[0]):
            if score <= 0:
                continue
            pid = doc["node_id"] if isinstance(doc, dict) else self.index.order[int(doc)]
            out.append((pid, float(score)))
        return out

    def search(self, query: str, filters: Filters | None = None, extra_queries: list[str] | None = None) -> tuple[list[Hit], dict[str, float]]:
        """Candidates for `query`, best first, with per-stage timings in ms."""
        t0 = time.perf_counter()
        dense = self.dense(query, filters)
        t1 = time.perf_counter()
        lexical = self.lexical(query, filters)
        for extra in extra_queries or []:
            lexical += [(pid, s * 0.5) for pid, s in self.lexical(extra, filters)]
        t2 = time.perf_counter()
        fused = reciprocal_rank_fusion([[p for p, _ in dense], [p for p, _ in lexical]], k=self.rrf_k)
        dense_map, lex_map = dict(dense), {}
        for pid, s in lexical:
            lex_map[pid] = max(lex_map.get(pid, 0.0), s)
        hits = [Hit(self.index.passages[pid], fused=score, dense=dense_map.get(pid, 0.0), lexical=lex_map.get(pid, 0.0))
                for pid, score in fused.items() if pid in self.index.passages]
        hits.sort(key=lambda h: -h.fused)
        return hits, {"dense": (t1 - t0) * 1000, "bm25": (t2 - t1) * 1000}


def idf(df: int, n: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))
