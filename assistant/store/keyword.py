"""The keyword side: a BM25 index over every passage, and the row tables and term counts beside it."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from ..core.settings import Settings
from ..core.text import content_terms
from ..core.types import Passage
from .chroma import all_nodes, chroma_client, chroma_collection, node_to_passage
from .paths import DF, ROW_DOCS, ROW_IDS, ROWS, IndexPaths

_BM25_KEYS = ("organisation", "title", "section", "context")


def rebuild_bm25(settings: Settings, paths: IndexPaths) -> tuple[list[Passage], Path]:
    """The BM25 index over every passage (text plus organisation, title, section, headers), and the
    passages it holds, in document order, with the folder it was written to.

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
                                                similarity_top_k=min(settings.retrieval.bm25_top_k, len(nodes)))
        retriever.persist(str(target), show_progress=False)
    else:
        target.mkdir(parents=True)
    write_row_tables(target, [n.node_id for n in nodes], [n.metadata.get("source", "") for n in nodes],
                     [" ".join((n.text, n.metadata.get("context", ""), n.metadata.get("section", ""))) for n in nodes])
    return [node_to_passage(n.node_id, n.text, n.start_char_idx, n.end_char_idx, n.metadata) for n in nodes], target


def write_row_tables(folder: Path, ids: list[str], sources: list[str], search_texts: list[str]) -> None:
    """Row tables that let a reader filter and weigh terms without parsing every passage."""
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


def prune_bm25(paths: IndexPaths, keep: set[str]) -> None:
    for old in paths.root.glob("bm25*"):
        if old.name not in keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
