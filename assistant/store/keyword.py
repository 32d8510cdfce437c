"""The keyword side: a BM25 index over every passage, and the row tables and term counts beside it."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..core.settings import Settings
from .paths import DF, ROW_DOCS, ROW_IDS, ROW_ORDER, ROWS, IndexPaths
from .segments import Segment

CORPUS = "corpus.jsonl"  # bm25s's name for its corpus file

def build_bm25(settings: Settings, paths: IndexPaths, segments: Iterable[Segment], name: str | None = None) -> Path:
    """The BM25 index over every passage of `segments` (each document's, in document order; the text plus
    organisation, title, section and headers), with its row tables; returns the folder it was written to.

    bm25s builds the score matrix from the segments' token lists; the corpus file (one JSON entry per
    passage, memory-mapped by readers) is the segments' entries one after another. Written to a new folder
    each time: the manifest names the current one, so a reader that loaded the previous manifest still
    finds the BM25 index that goes with it.
    """
    import bm25s
    from bm25s.tokenization import Tokenized
    from bm25s.utils.corpus import save_mmindex

    name = name or f"bm25-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}"
    target = paths.root / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    vocab: dict[str, int] = {}
    token_ids: list[list[int]] = []
    ids: list[str] = []
    sources: list[str] = []
    df: Counter[str] = Counter()
    offsets: list[int] = []
    position = 0
    with open(target / CORPUS, "wb") as corpus:
        for seg in segments:
            for pid, line, tokens in zip(seg.ids, seg.lines, seg.tokens):
                data = (line + "\n").encode("utf-8")
                corpus.write(data)
                offsets.append(position)
                position += len(data)
                token_ids.append([vocab.setdefault(t, len(vocab)) for t in tokens])
                ids.append(pid)
                sources.append(seg.source)
            df.update(seg.terms)
    if ids:
        engine = bm25s.BM25()
        engine.index(Tokenized(ids=token_ids, vocab=vocab), show_progress=False)
        del token_ids
        engine.save(str(target), show_progress=False)  # the matrix, vocabulary and parameters; the corpus is written
        save_mmindex(offsets, path=target / CORPUS)
        top_k = min(settings.retrieval.bm25_top_k, len(ids))
        (target / "retriever.json").write_text(json.dumps({"similarity_top_k": top_k, "verbose": False}))
    write_row_tables(target, ids, sources, df)
    return target


def write_row_tables(folder: Path, ids: list[str], sources: list[str], df: Mapping[str, int]) -> None:
    """Row tables that let a reader filter and weigh terms without parsing every passage."""
    import numpy as np

    names = sorted(set(sources))
    code = {s: i for i, s in enumerate(names)}
    # Arrays, not JSON lists: a million ids as Python strings would cost hundreds of MB to load.
    array = np.array([i.encode() for i in ids], dtype=f"S{max((len(i) for i in ids), default=1)}")
    np.save(folder / ROW_IDS, array)
    np.save(folder / ROW_ORDER, np.argsort(array, kind="stable").astype(np.int64))
    np.save(folder / ROW_DOCS, np.array([code[s] for s in sources], dtype=np.int32))
    (folder / ROWS).write_text(json.dumps({"sources": names}), encoding="utf-8")
    # Terms in one passage only are left out: the answerer treats them as it treats unseen words
    # (rarest), and in a large archive they are most of the vocabulary (every odd number).
    (folder / DF).write_text(json.dumps({t: n for t, n in df.items() if n > 1}, ensure_ascii=False), encoding="utf-8")


def prune_bm25(paths: IndexPaths, keep: set[str]) -> None:
    for old in paths.root.glob("bm25*"):
        if old.name not in keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
