"""What a read document becomes before the model sees it, made in the process that read it.

    prepared = prepare_document(doc, settings.max_passage_chars, settings.linking)

Its llama-index nodes (the structure-aware splitter, ingest/pipeline.py), its keyword segment
(store/segments.py), its commitments and figures (views/cache.py) and the acronyms it defines
(ingest/glossary.py) depend on that document alone, so the reading processes make them
(ingest/workers.py, at low priority: on the CPU the model leaves idle) and the ingesting process
only embeds the nodes and writes. Made in the ingesting process, this work was a seventh of an
archive's ingest, with one core idle meanwhile.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..core.settings import Linking
from ..core.types import Document
from ..store.chroma import node_to_passage
from ..store.segments import Segment, segment_from_nodes
from ..views.cache import DocumentViews, document_views
from .glossary import find_acronyms
from .pipeline import llama_document, node_parser


@dataclass
class Prepared:
    """One document, ready to embed and commit."""

    nodes: list[Any]  # llama-index TextNodes in the splitter's order, without vectors
    segment: Segment
    views: DocumentViews
    glossary: list[dict[str, Any]]  # the acronyms it defines (Acronym.to_dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage: split, keyword, views, glossary


@lru_cache(maxsize=4)
def _parser(max_chars: int) -> Any:
    return node_parser(max_chars)


def prepare_document(doc: Document, max_chars: int, linking: Linking) -> Prepared:
    """`doc`'s nodes, keyword segment, views and acronyms (passages of at most `max_chars`)."""
    t0 = time.perf_counter()
    nodes = _parser(max_chars)([llama_document(doc)])
    t1 = time.perf_counter()
    segment = segment_from_nodes(doc.source, nodes)
    t2 = time.perf_counter()
    passages = [node_to_passage(n.node_id, n.text, n.start_char_idx, n.end_char_idx, n.metadata) for n in nodes]
    views = document_views(passages, linking)
    t3 = time.perf_counter()
    glossary = [a.to_dict() for a in find_acronyms(doc.text, doc.source)]
    t4 = time.perf_counter()
    return Prepared(nodes, segment, views, glossary,
                    {"split": t1 - t0, "keyword": t2 - t1, "views": t3 - t2, "glossary": t4 - t3})
