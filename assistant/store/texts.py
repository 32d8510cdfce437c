"""Extracted text of PDF, Word and HTML sources, which their citations index into."""

from __future__ import annotations

import os

from ..core.types import Document
from .paths import IndexPaths


def cache_text(paths: IndexPaths, doc: Document) -> None:
    """Keep the extracted text of a non-text source: citations index into it (`assistant text`)."""
    if doc.source.lower().endswith((".txt", ".md")):
        return
    folder = paths.root / "texts"
    folder.mkdir(exist_ok=True)
    target = folder / f"{doc.sha256}.txt"
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        tmp.write_text(doc.text, encoding="utf-8")
        os.replace(tmp, target)


def cached_text(paths: IndexPaths, sha256: str) -> str | None:
    path = paths.root / "texts" / f"{sha256}.txt"
    return path.read_text(encoding="utf-8") if path.exists() else None
