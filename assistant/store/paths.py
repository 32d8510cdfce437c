"""Where the index keeps things, and the two ways it writes them safely (atomic files, one writer)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..core.errors import IndexBusy

INDEX_VERSION = 5


MANIFEST = "manifest.json"


ROWS = "rows.json"  # beside the BM25 index: the documents that row_docs.npy numbers


ROW_IDS = "row_ids.npy"  # passage id of each BM25 row


ROW_ORDER = "row_order.npy"  # the rows in the order of their ids (to find a passage's row without sorting at load)


ROW_DOCS = "row_docs.npy"  # document (index into rows.json "sources") of each BM25 row


DF = "df.json"  # beside the BM25 index: passage frequency of each content term


VIEWS = "views.pkl"  # beside the BM25 index: commitments and figure series (our own pickle, written at ingest)


class IndexPaths:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.manifest = self.root / MANIFEST
        self.chroma = self.root / "chroma"
        self.docstore = self.root / "docstore.json"
        self.lock = self.root / ".lock"


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)  # readers see the old file or the new one, never half of one


def acquire_lock(paths: IndexPaths) -> Any:
    from filelock import FileLock, Timeout

    paths.root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(paths.lock))
    try:
        lock.acquire(timeout=0.5)
    except Timeout as exc:
        raise IndexBusy(f"Another ingest is writing to {paths.root}; wait for it to finish and try again.") from exc
    return lock
