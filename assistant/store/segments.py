"""The keyword side of each document, kept apart: what the BM25 index needs of its passages.

An ingest tokenises only the documents it embeds, and writes one segment per document into
`index/segments/`; the BM25 index over the whole library is then put together from the
segments (bm25s builds its score matrix from their token lists) without reading the vector
store or tokenising unchanged documents again. A segment is named after what decides its
contents (the document's name, metadata and passage ids), so an unchanged document keeps its
segment and a changed one gets a new one. A missing segment (an index built by an earlier
version, or a file lost) is rebuilt from the document's passages in the vector store.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.terms import content_terms, terms_signature
from ..core.types import DocumentRecord, Passage
from .chroma import node_to_passage
from .paths import IndexPaths

SEGMENTS = "segments"
# Node metadata that BM25 reads besides the text (the rest is excluded from its search text).
BM25_KEYS = ("organisation", "title", "section", "context")
TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # llama-index's BM25Retriever default


@dataclass
class Segment:
    """One document's passages as the keyword index holds them, in document order."""

    source: str
    ids: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the BM25 corpus entry (JSON) of each passage
    tokens: list[list[str]] = field(default_factory=list)  # its stemmed search tokens
    terms: dict[str, int] = field(default_factory=dict)  # content term -> passages of this document holding it
    terms_read_by: str = ""  # the `terms_signature` of the code that read `terms` ("" in older segments)


def segment_key(record: DocumentRecord) -> str:
    """Changes with anything that changes the document's passages as stored: name, metadata, passage ids."""
    data = json.dumps([record.source, record.title, record.organisation, record.place, record.published,
                       record.passage_ids], ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:32]


def segment_keys(records: Mapping[str, DocumentRecord]) -> dict[str, str]:
    """Source -> segment key of each of these documents."""
    return {source: segment_key(record) for source, record in records.items()}


def segment_from_nodes(source: str, nodes: list[Any]) -> Segment:
    """The segment of one document from its llama-index nodes (as the pipeline made them, or read back)."""
    import bm25s
    import Stemmer
    from bm25s.utils.json_functions import dumps
    from llama_index.core.schema import MetadataMode
    from llama_index.core.vector_stores.utils import node_to_metadata_dict

    nodes = sorted(nodes, key=lambda n: n.start_char_idx or 0)
    seg = Segment(source)
    texts = []
    terms: Counter[str] = Counter()
    for n in nodes:
        n.excluded_embed_metadata_keys = [k for k in n.metadata if k not in BM25_KEYS]
        n.embedding = None
        seg.ids.append(n.node_id)
        seg.lines.append(dumps(node_to_metadata_dict(n) | {"node_id": n.node_id}, ensure_ascii=False))
        texts.append(n.get_content(metadata_mode=MetadataMode.EMBED))
        terms.update(passage_terms(n.text, n.metadata.get("context", ""), n.metadata.get("section", "")))
    if texts:
        seg.tokens = bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), return_ids=False,
                                    token_pattern=TOKEN_PATTERN, show_progress=False)
    seg.terms, seg.terms_read_by = dict(terms), terms_signature()
    return seg


def passage_terms(text: str, context: str, section: str) -> set[str]:
    """The content terms a passage holds, as the document frequencies count them."""
    return set(content_terms(" ".join((text, context, section))))


def read_terms_again(paths: IndexPaths, keys: Iterable[str]) -> int:
    """Read the terms of these segments again where other code read them (`core.terms` changed since): from
    their stored passages, no embedding. Returns how many segments were rewritten."""
    current, rewritten = terms_signature(), 0
    for key in keys:
        seg = read_segment(paths, key)
        if seg is None or seg.terms_read_by == current:
            continue
        terms: Counter[str] = Counter()
        for p in segment_passages(seg):
            terms.update(passage_terms(p.text, p.context, p.section))
        seg.terms, seg.terms_read_by = dict(terms), current
        write_segment(paths, key, seg)
        rewritten += 1
    return rewritten


def segment_path(paths: IndexPaths, key: str) -> Path:
    return paths.root / SEGMENTS / f"{key}.pkl"


def write_segment(paths: IndexPaths, key: str, segment: Segment) -> None:
    folder = paths.root / SEGMENTS
    folder.mkdir(parents=True, exist_ok=True)
    target = segment_path(paths, key)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        pickle.dump(segment, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, target)


def has_segment(paths: IndexPaths, record: DocumentRecord) -> bool:
    """Whether the document's keyword segment file is there (the index's one copy of its passages' texts)."""
    return segment_path(paths, segment_key(record)).is_file()


def read_segment(paths: IndexPaths, key: str) -> Segment | None:
    try:
        with open(segment_path(paths, key), "rb") as f:
            seg = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    return seg if isinstance(seg, Segment) else None


def segment_passages(segment: Segment) -> list[Passage]:
    """The passages of a segment, as the index gives them to readers."""
    from bm25s.utils.json_functions import loads

    out = []
    for line in segment.lines:
        data = loads(line)
        content = json.loads(data["_node_content"])
        out.append(node_to_passage(data["node_id"], content["text"], content["start_char_idx"],
                                   content["end_char_idx"], content["metadata"]))
    return out


def prune_segments(paths: IndexPaths, keep: Iterable[str]) -> None:
    """Delete the segments of documents no longer indexed (and any left half-written)."""
    prune_keyed(paths.root / SEGMENTS, keep)


def prune_keyed(folder: Path, keep: Iterable[str]) -> None:
    """Delete the files of a per-document folder (segments, views) that are not `<key>.pkl` for a key in `keep`."""
    if not folder.is_dir():
        return
    wanted = {f"{k}.pkl" for k in keep}
    for path in folder.iterdir():
        if path.name not in wanted:
            path.unlink(missing_ok=True)
