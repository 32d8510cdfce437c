"""The journal of an ingest under way: the documents it has committed, so that an interrupted ingest
resumes after its last committed batch instead of starting again.

One JSON line per committed document (its manifest record and the acronyms it defines), appended
and flushed to disk once its vectors, keyword segment and views are written. The first line names
the pipeline (splitter and model) that embedded them: a journal of another pipeline is dropped.
The ingest that completes writes the manifest, then deletes the journal. A line cut short by a
crash is ignored (its document is read and embedded again).
"""

from __future__ import annotations

import json
import os
from typing import Any

from .paths import IndexPaths

JOURNAL = "ingest-journal.jsonl"


def read_journal(paths: IndexPaths, pipeline: str) -> dict[str, dict[str, Any]]:
    """source -> {"record": …, "glossary": […]} of each document committed by an unfinished ingest of this
    pipeline ({} when there is none, or it was written by another pipeline)."""
    try:
        lines = (paths.root / JOURNAL).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for n, line in enumerate(lines):
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # cut short by a crash
        if n == 0:
            if not isinstance(entry, dict) or entry.get("pipeline") != pipeline:
                return {}
        elif isinstance(entry, dict) and "record" in entry:
            out[entry["record"]["source"]] = entry
    return out


class Journal:
    """Appends committed documents to the journal (started anew, or continued when resuming)."""

    def __init__(self, paths: IndexPaths, pipeline: str, resume: bool) -> None:
        self.path = paths.root / JOURNAL
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.path, "a" if resume and self.path.exists() else "w", encoding="utf-8")
        if self.file.tell() == 0:
            self.file.write(json.dumps({"pipeline": pipeline}) + "\n")
            self._sync()
        elif not self.path.read_bytes().endswith(b"\n"):
            self.file.write("\n")  # end a line a crash cut short, so the next one stands on its own

    def commit(self, entries: list[dict[str, Any]]) -> None:
        """Record a batch's documents as done: after this, a crash no longer loses them."""
        for e in entries:
            self.file.write(json.dumps(e, ensure_ascii=False) + "\n")
        self._sync()

    def _sync(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self, delete: bool) -> None:
        self.file.close()
        if delete:
            self.path.unlink(missing_ok=True)
