"""The read side: the built index, loaded once for searching."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import IndexCorrupt
from ..core.settings import Settings
from ..core.types import DocumentRecord, Passage
from ..core.visibility import PUBLIC
from .chroma import VISIBILITY, chroma_client, chroma_collection, node_to_passage
from .manifest import manifest_records, no_manifest, read_manifest
from .paths import DF, ROW_DOCS, ROW_IDS, ROW_ORDER, ROWS, IndexPaths
from .segments import segment_key

# What llama-index's BM25Retriever builds the index with (store/keyword.py): its default word
# pattern and the English Snowball stemmer. A question is tokenised the same way.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"


class KeywordEngine:
    """The BM25 index as the answerer searches it: bm25s's engine, with the stemmer and word pattern it
    was built with. Loading it needs bm25s alone, not llama-index (a second off every cold start)."""

    def __init__(self, engine: Any) -> None:
        import Stemmer

        self.bm25 = engine
        self.corpus = engine.corpus
        self.stemmer = Stemmer.Stemmer("english")
        self.token_pattern = TOKEN_PATTERN

    def search(self, query: str, k: int, mask: Any = None) -> list[tuple[int, float]]:
        """The `k` best BM25 rows for `query` with a score above 0, best first; `mask` (1 or 0 per row) limits them."""
        import bm25s

        tokens = bm25s.tokenize(query, stopwords="en", stemmer=self.stemmer, token_pattern=self.token_pattern,
                                show_progress=False, return_ids=False)[0]
        ids = self.bm25.get_tokens_ids(tokens)
        if not ids:
            return []
        return top_rows(self.bm25.get_scores(ids, weight_mask=mask), k)


def top_rows(scores: Any, k: int) -> list[tuple[int, float]]:
    """The `k` rows of `scores` with the highest score above 0, best first (a tie: the earlier row first).
    Only the matching rows are ranked: bm25s partitions the whole array, nearly all zeros, which took
    230 ms of a query at a million passages."""
    import numpy as np

    rows = np.flatnonzero(scores > 0)
    if len(rows) > k:
        got = scores[rows]
        kth = np.partition(got, -k)[-k]
        above, tied = rows[got > kth], rows[got == kth]
        rows = np.concatenate([above, tied[:k - len(above)]])
    rows = rows[np.lexsort((rows, -scores[rows]))]
    return [(int(r), float(scores[r])) for r in rows]


class RowIds(Sequence[str]):
    """BM25 row -> passage id, and passage id -> row, over a compact array of ids (memory-mapped: a
    lookup reads a few pages, and loading reads none)."""

    def __init__(self, ids: Any, perm: Any = None) -> None:
        import numpy as np

        self.ids = ids
        self.perm = perm if perm is not None else np.argsort(ids, kind="stable")  # written at ingest; computed for an older index

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, row: int) -> str:  # type: ignore[override]
        return self.ids[row].decode()

    def row_of(self, pid: str) -> int | None:
        import numpy as np

        key = pid.encode()
        # numpy's binary search through the permutation: no sorted copy of the ids is made, and each step
        # is a C comparison (a step in Python read two memory-mapped scalars: 2.4 of 11.9 s of 70 first
        # questions at 100,000 passages, profiled).
        at = int(np.searchsorted(self.ids, key, sorter=self.perm))
        if at < len(self.ids):
            row = int(self.perm[at])
            if self.ids[row] == key:
                return row
        return None


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
            p = self._parse(pid, row)
        return p

    def at_row(self, row: int) -> Passage:
        """The passage of BM25 row `row` (its neighbours are found by row: no search for its id)."""
        pid = self.rows[row]
        return self._cache.get(pid) or self._parse(pid, row)

    def _parse(self, pid: str, row: int) -> Passage:
        from bm25s.utils.json_functions import loads  # bm25s's (orjson): 4x quicker than json's

        data = self.corpus[row]
        content = loads(data["_node_content"])
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
                 collection: Any, where: dict | None = None) -> None:
        import numpy as np

        self.settings = settings
        self.manifest = manifest
        self.order = RowIds(rows["ids"], rows.get("order"))  # BM25 row -> passage id
        self.row_sources: list[str] = rows["sources"]
        self.row_doc = np.asarray(rows["doc"], dtype=np.int32)  # BM25 row -> index into row_sources
        self.passages = LazyPassages(self.order, bm25.corpus)
        self.df = df  # term -> number of passages holding it (for the answerer's weights)
        self.bm25 = bm25
        self.collection = collection
        self.keyword_dir = Path(settings.index) / manifest.get("bm25", "bm25")  # the ingest's views are here too
        self.glossary_entries: list[dict[str, Any]] = manifest.get("glossary", [])  # acronyms defined in the reports
        # Each document's keyword segment, by which an audience's own keyword index is put together: needed
        # only when some report is hidden from someone (hashing a large archive's ids costs time at load).
        restricted = any(d.get("visibility") not in (None, "", PUBLIC) for d in manifest["documents"].values())
        self.segment_keys: dict[str, str] = {
            source: segment_key(DocumentRecord.from_dict({"source": source, **d}))
            for source, d in manifest["documents"].items() if restricted and "passage_ids" in d}
        # The vector store's filter on who may see a passage (None: the whole library, as an editor sees it).
        self.where = where
        for d in manifest["documents"].values():
            d.pop("passage_ids", None)  # readers need the count, not a million ids in memory
        self.documents: dict[str, DocumentRecord] = manifest_records(manifest)

    def neighbours(self, pid: str, width: int) -> list[str]:
        """Passages next to `pid` in its report and section, nearest first (rows are in document order)."""
        row = self.order.row_of(pid)
        if row is None:
            return []
        here = self.passages.at_row(row)
        out = []
        for step in range(1, width + 1):
            for r in (row - step, row + step):
                if 0 <= r < len(self.order) and self.row_doc[r] == self.row_doc[row]:
                    other = self.passages.at_row(r)
                    if other.section == here.section:
                        out.append(other.id)
        return out

    def row_mask(self, allowed_sources: set[str]) -> Any:
        """1 for BM25 rows of the allowed documents, else 0."""
        import numpy as np

        codes = [i for i, s in enumerate(self.row_sources) if s in allowed_sources]
        return np.isin(self.row_doc, codes).astype(np.int8)

    @classmethod
    def load(cls, settings: Settings, audience: "Audience | None" = None) -> "SearchIndex":
        """The whole library's index; with `audience`, the index of the documents that audience may see (its own
        keyword index, document frequencies, glossary and views, and a filter on the vector store)."""
        paths = IndexPaths(settings.index)
        manifest = read_manifest(paths) if audience is None else audience.restrict(audience.manifest)
        if manifest is None:
            raise no_manifest(settings, paths)
        bm25_dir = paths.root / manifest.get("bm25", "bm25")
        if not (bm25_dir / "retriever.json").exists() or not (bm25_dir / ROWS).exists():
            raise IndexCorrupt(f"The keyword index in {bm25_dir} is missing; run `assistant ingest` to repair it.")
        try:
            import bm25s
            import numpy as np

            bm25 = KeywordEngine(bm25s.BM25.load(str(bm25_dir), load_corpus=True, mmap=True))

            rows = json.loads((bm25_dir / ROWS).read_text(encoding="utf-8"))
            rows["ids"] = np.load(bm25_dir / ROW_IDS, mmap_mode="r")
            rows["doc"] = np.load(bm25_dir / ROW_DOCS, mmap_mode="r")
            order = bm25_dir / ROW_ORDER
            rows["order"] = np.load(order, mmap_mode="r") if order.exists() else None
            df = json.loads((bm25_dir / DF).read_text(encoding="utf-8"))
        except Exception as exc:
            raise IndexCorrupt(f"The keyword index in {bm25_dir} cannot be read ({exc}); run `assistant ingest` to "
                               "repair it.") from exc
        collection = chroma_collection(chroma_client(settings, paths), settings.collection)
        return cls(settings, manifest, rows, df, bm25, collection, audience.where if audience else None)


@dataclass
class Audience:
    """What one audience may see of a loaded library: its documents, its keyword index (a folder under the
    index, put together from those documents' segments) and the vector store filter on their visibility."""

    manifest: dict  # the whole library's, as loaded
    sources: frozenset[str]
    keyword: str
    levels: frozenset[str]

    @property
    def where(self) -> dict:
        return {VISIBILITY: {"$in": sorted(self.levels)}}

    def restrict(self, manifest: dict) -> dict:
        """The manifest of a library holding only this audience's documents (and no list of unread files)."""
        return {**manifest, "bm25": self.keyword,
                "documents": {s: dict(d) for s, d in manifest["documents"].items() if s in self.sources},
                "glossary": [g for g in manifest.get("glossary", []) if g.get("source") in self.sources],
                "problems": []}
