"""The keyword side: a BM25 index over every passage, and the row tables and term counts beside it.

`build_bm25` puts the index together from documents' segments; `update_bm25` makes the next one
from the index built last, copying the rows of the documents that did not change (their corpus
entries, ids and term counts) and adding the segments of those that did, so that re-indexing one
report of an archive does not read every other report's segment again. Both compute the scores
the same way (`_Rows.save`): bm25s's formula over arrays, rather than its loop over passages.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..core.settings import Settings
from .paths import DF, ROW_DOCS, ROW_IDS, ROW_ORDER, ROWS, IndexPaths
from .segments import Segment

CORPUS = "corpus.jsonl"  # bm25s's name for its corpus file
CORPUS_INDEX = "corpus.mmindex.json"  # bm25s's: the byte offset of each corpus entry
# Beside bm25s's files, what the next build copies for unchanged documents: each row's distinct token ids
# (ROW_TOKENS, from ROW_STARTS[row] to ROW_STARTS[row + 1]) with their counts, each row's length in
# tokens, and the content terms held by one passage only (df.json keeps the others).
ROW_STARTS, ROW_TOKENS = "row_starts.npy", "row_tokens.npy"
ROW_COUNTS, ROW_LENGTHS = "row_counts.npy", "row_lengths.npy"
DF_ONCE = "df_once.json"
_PARTS = (CORPUS, CORPUS_INDEX, ROW_IDS, ROW_DOCS, ROWS, DF, DF_ONCE, ROW_STARTS, ROW_TOKENS, ROW_COUNTS,
          ROW_LENGTHS, "vocab.index.json")


def _new_folder(paths: IndexPaths, name: str | None) -> Path:
    # A new folder each time: the manifest names the current one, so a reader that loaded the previous
    # manifest still finds the BM25 index that goes with it. Two builds in one second (an update, then a
    # rebuild) must not share a name: the second would delete the folder the manifest names.
    if name is None:
        stamp = name = f"bm25-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}"
        n = 1
        while (paths.root / name).exists():
            n += 1
            name = f"{stamp}-{n}"
    target = paths.root / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    return target


def build_bm25(settings: Settings, paths: IndexPaths, segments: Iterable[Segment], name: str | None = None) -> Path:
    """The BM25 index over every passage of `segments` (each document's, in document order; the text plus
    organisation, title, section and headers), with its row tables; returns the folder it was written to.
    The corpus file (one JSON entry per passage, memory-mapped by readers) is the segments' entries one
    after another."""
    target = _new_folder(paths, name)
    rows = _Rows(target, {}, Counter())
    for seg in segments:
        rows.add_segment(seg)
    rows.save(settings)
    return target


def update_bm25(settings: Settings, paths: IndexPaths, earlier: Path, kept: set[str], dropped: Iterable[Segment],
                segment: Callable[[str], Segment], sources: Iterable[str]) -> Path | None:
    """The BM25 index of `sources` (in order), made from the one in `earlier`: the rows of the documents in
    `kept` (unchanged since) are copied, the others' read with `segment(source)`; `dropped` are the segments
    `earlier` holds that the new index does not (changed or removed documents: their terms are counted out).
    None when `earlier` lacks what copying needs (built by an earlier version)."""
    if not all((earlier / part).is_file() for part in _PARTS):
        return None
    import numpy as np

    vocab = json.loads((earlier / "vocab.index.json").read_text(encoding="utf-8"))
    vocab.pop("", None)  # bm25s's empty token, added again at the end
    terms = Counter(json.loads((earlier / DF).read_text(encoding="utf-8")))
    terms.update(json.loads((earlier / DF_ONCE).read_text(encoding="utf-8")))
    for seg in dropped:
        terms.subtract(seg.terms)
    names = json.loads((earlier / ROWS).read_text(encoding="utf-8"))["sources"]
    row_docs = np.load(earlier / ROW_DOCS)
    code = {s: i for i, s in enumerate(names)}
    old = _Earlier(earlier)
    target = _new_folder(paths, None)
    rows = _Rows(target, vocab, terms)
    try:
        for source in sources:
            if source in kept and source in code:
                c = code[source]
                start, end = np.searchsorted(row_docs, [c, c + 1])  # a document's rows are contiguous
                rows.add_rows(source, old, int(start), int(end))
            else:
                rows.add_segment(segment(source))
    finally:
        old.close()
    rows.save(settings)
    return target


class _Earlier:
    """The parts of a built keyword index that copying its rows reads."""

    def __init__(self, folder: Path) -> None:
        import numpy as np
        from bm25s.utils.corpus import load_mmindex

        self.corpus = open(folder / CORPUS, "rb")
        self.offsets = np.asarray(load_mmindex(folder / CORPUS), dtype=np.int64)  # what save_mmindex wrote
        self.size = (folder / CORPUS).stat().st_size
        self.ids = np.load(folder / ROW_IDS)
        self.starts, self.tokens = np.load(folder / ROW_STARTS), np.load(folder / ROW_TOKENS)
        self.counts, self.lengths = np.load(folder / ROW_COUNTS), np.load(folder / ROW_LENGTHS)

    def close(self) -> None:
        self.corpus.close()


class _Rows:
    """The rows of a keyword index being made, written to `folder` as they come (the corpus) or on `save`."""

    def __init__(self, folder: Path, vocab: dict[str, int], terms: Counter[str]) -> None:
        self.folder = folder
        self.corpus = open(folder / CORPUS, "wb")
        self.position = 0
        self.vocab = vocab  # token -> id; ids of tokens no row holds any more are dropped on save
        self.terms = terms  # content term -> passages holding it
        self.offsets: list[Any] = []  # arrays of each added run of rows, as the other lists
        self.ids: list[Any] = []
        self.tokens: list[Any] = []
        self.counts: list[Any] = []
        self.sizes: list[Any] = []  # distinct tokens of each row
        self.lengths: list[Any] = []
        self.documents: list[tuple[str, int]] = []  # (source, rows) in order

    def add_segment(self, seg: Segment) -> None:
        import numpy as np

        offsets = []
        for line in seg.lines:
            data = (line + "\n").encode("utf-8")
            self.corpus.write(data)
            offsets.append(self.position)
            self.position += len(data)
        ids = [[self.vocab.setdefault(t, len(self.vocab)) for t in tokens] for tokens in seg.tokens]
        lengths = np.array([len(t) for t in ids], dtype=np.int64)
        # Each row's distinct tokens and counts, at once for the whole segment: (row, token) as one key.
        keys = (np.repeat(np.arange(len(ids), dtype=np.int64), lengths) << 32) | np.fromiter(
            (t for row in ids for t in row), dtype=np.int64, count=int(lengths.sum()))
        distinct, counts = np.unique(keys, return_counts=True)
        self.tokens.append((distinct & 0xFFFFFFFF).astype(np.int32))
        self.counts.append(counts.astype(np.float32))
        self.sizes.append(np.bincount(distinct >> 32, minlength=len(ids)))
        self.lengths.append(lengths.astype(np.int32))
        self.offsets.append(np.array(offsets, dtype=np.int64))
        self.ids.append(np.array([i.encode() for i in seg.ids], dtype=f"S{max((len(i) for i in seg.ids), default=1)}"))
        self.terms.update(seg.terms)
        self.documents.append((seg.source, len(seg.ids)))

    def add_rows(self, source: str, old: _Earlier, start: int, end: int) -> None:
        """Copy rows `start` to `end` of `old` (one document's): corpus bytes, ids and term counts."""
        first, last = int(old.offsets[start]), int(old.offsets[end]) if end < len(old.offsets) else old.size
        old.corpus.seek(first)
        self.corpus.write(old.corpus.read(last - first))
        self.offsets.append(old.offsets[start:end] - first + self.position)
        self.position += last - first
        a, b = int(old.starts[start]), int(old.starts[end])
        self.tokens.append(old.tokens[a:b])  # ids of `old`'s vocabulary, which this one starts from
        self.counts.append(old.counts[a:b])
        self.sizes.append(old.starts[start + 1:end + 1] - old.starts[start:end])
        self.lengths.append(old.lengths[start:end])
        self.ids.append(old.ids[start:end])
        self.documents.append((source, end - start))

    def save(self, settings: Settings) -> None:
        """Score the rows (bm25s's formula and parameters) and write the index, row tables and term counts."""
        import bm25s
        import numpy as np
        from bm25s.scoring import _select_idf_scorer, _select_tfc_scorer
        from bm25s.utils.corpus import save_mmindex

        self.corpus.close()
        cat = lambda parts, dtype: np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)  # noqa: E731
        tokens, counts = cat(self.tokens, np.int64), cat(self.counts, np.float32)
        sizes, lengths = cat(self.sizes, np.int64), cat(self.lengths, np.int32)
        n = len(lengths)
        # Drop the ids of tokens no row holds (a changed or removed document's): the vocabulary stays that
        # of the rows, as a build from the segments would make it; bm25s's empty token goes last.
        held = np.bincount(tokens, minlength=len(self.vocab)) > 0
        renumber = np.cumsum(held) - 1
        tokens = renumber[tokens].astype(np.int32)
        vocab = {t: int(renumber[i]) for t, i in self.vocab.items() if held[i]}
        vocab[""] = len(vocab)
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        engine = bm25s.BM25(method="lucene", idf_method="lucene")  # bm25s's default, named: it needs no more
        if n:
            rows = np.repeat(np.arange(n, dtype=np.int32), sizes)
            df = np.bincount(tokens, minlength=len(vocab))
            idf_of = _select_idf_scorer(engine.idf_method)
            distinct, which = np.unique(df, return_inverse=True)  # bm25s's scalar idf once per passage count
            idf = np.array([idf_of(int(d), N=n) if d else 0.0 for d in distinct], dtype=np.float32)[which]
            tfc = _select_tfc_scorer(engine.method)(tf_array=counts, l_d=lengths[rows], l_avg=lengths.mean(),
                                                     k1=engine.k1, b=engine.b, delta=engine.delta)
            scores = (idf[tokens] * tfc).astype(np.float32)
            order = np.argsort(tokens, kind="stable")  # by token, rows ascending within each: CSC
            engine.scores = {"data": scores[order], "indices": rows[order],
                             "indptr": np.concatenate([[0], np.cumsum(df)]), "num_docs": n}
            engine.vocab_dict = vocab
            engine.nonoccurrence_array = None  # as bm25s's index sets it for lucene
            engine.save(str(self.folder), show_progress=False)  # the matrix, vocabulary and parameters
            save_mmindex(cat(self.offsets, np.int64).tolist(), path=self.folder / CORPUS)
            top_k = min(settings.retrieval.bm25_top_k, n)
            (self.folder / "retriever.json").write_text(json.dumps({"similarity_top_k": top_k, "verbose": False}))
            np.save(self.folder / ROW_STARTS, starts)
            np.save(self.folder / ROW_TOKENS, tokens)
            np.save(self.folder / ROW_COUNTS, counts)
            np.save(self.folder / ROW_LENGTHS, lengths)
        terms = {t: c for t, c in self.terms.items() if c > 0}
        names = [s for s, k in self.documents if k]
        docs = np.repeat(np.arange(len(names), dtype=np.int32), [k for _, k in self.documents if k])
        ids = np.concatenate(self.ids) if self.ids else np.zeros(0, "S1")  # the widest id's width
        write_row_tables(self.folder, ids, docs, names, terms)


def write_row_tables(folder: Path, ids: Any, docs: Any, names: list[str], df: Mapping[str, int]) -> None:
    """Row tables that let a reader filter and weigh terms without parsing every passage: `ids` (bytes) and
    `docs` (index into `names`) of each row, and the number of passages holding each content term."""
    import numpy as np

    # Arrays, not JSON lists: a million ids as Python strings would cost hundreds of MB to load.
    np.save(folder / ROW_IDS, ids)
    np.save(folder / ROW_ORDER, np.argsort(ids, kind="stable").astype(np.int64))
    np.save(folder / ROW_DOCS, docs)
    (folder / ROWS).write_text(json.dumps({"sources": names}), encoding="utf-8")
    # Terms in one passage only are left out: the answerer treats them as it treats unseen words
    # (rarest), and in a large archive they are most of the vocabulary (every odd number). They are
    # kept apart, for the next build's counts.
    (folder / DF).write_text(json.dumps({t: n for t, n in df.items() if n > 1}, ensure_ascii=False), encoding="utf-8")
    once = [t for t, n in df.items() if n == 1]
    (folder / DF_ONCE).write_text(json.dumps(once, ensure_ascii=False), encoding="utf-8")


def prune_bm25(paths: IndexPaths, keep: set[str]) -> None:
    for old in paths.root.glob("bm25*"):
        if old.name not in keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
