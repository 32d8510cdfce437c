"""Read the corpus folder into `Document`s with metadata.

Metadata comes from `catalog.toml` when it has an entry for the file, otherwise it is
inferred from the text (ingest/metadata.py), and the file name is the last resort. A file
that cannot be read is reported by name and skipped; the rest of the corpus is still loaded.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import CorpusNotFound, UnreadableDocument
from ..core.types import Document
from .metadata import humanise, infer, infer_place
from .readers import SUPPORTED_SUFFIXES, extract_text

CATALOG = "catalog.toml"


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    problems: list[UnreadableDocument] = field(default_factory=list)


def corpus_files(corpus: Path) -> list[Path]:
    """Supported files under `corpus`, sorted, skipping hidden files and the catalog."""
    if not corpus.is_dir():
        raise CorpusNotFound(f"Corpus folder {corpus} does not exist; create it and put reports in it, or pass --corpus DIR.")
    files = [
        p for p in corpus.rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(corpus).parts)
    ]
    return sorted(files)


def source_name(corpus: Path, path: Path) -> str:
    return path.relative_to(corpus).as_posix()


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_catalog(corpus: Path) -> dict[str, dict[str, str]]:
    """Entries of `catalog.toml`, keyed by file name; an unreadable catalog is an error naming it."""
    path = corpus / CATALOG
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UnreadableDocument(CATALOG, f"not valid TOML ({exc}); fix or remove it") from exc
    return {k: {kk: str(vv) for kk, vv in v.items()} for k, v in data.items() if isinstance(v, dict)}


# Catalog values that say a report does not name its organisation or place (rather than asking for inference).
_STATED_NONE = re.compile(r"^\s*(?:not stated(?: in the report)?|unknown|none|n/?a|-)\s*$", re.I)


def load_document(corpus: Path, path: Path, catalog: dict[str, dict[str, str]], data: bytes | None = None) -> Document:
    """One file as a Document: its text, and metadata from its catalog entry, else from the text (with provenance)."""
    source = source_name(corpus, path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableDocument(source, f"cannot be read ({exc.strerror})") from exc
    got = extract_text(source, path, data)
    if not got.text.strip():
        raise UnreadableDocument(source, "no text could be extracted")
    entry = catalog.get(source, {})
    found = infer(got.text, got.title, path.stem, got.publisher)
    chosen: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for key in ("title", "organisation", "place", "published", "kind", "reference"):
        if key in entry:
            value: str | None = entry[key].strip()
            if key in ("organisation", "place") and _STATED_NONE.match(value or ""):
                value = None
            chosen[key], sources[key] = value, "catalog"
        else:
            chosen[key] = getattr(found, key)
            if found.sources.get(key):
                sources[key] = found.sources[key]
    if "place" not in entry and "organisation" in entry:
        chosen["place"] = infer_place(chosen["organisation"])  # the catalog's organisation names the place
        sources["place"] = "the organisation's name" if chosen["place"] else ""
    return Document(
        source=source, text=got.text, sha256=file_hash(data), title=chosen["title"] or humanise(path.stem),
        organisation=chosen["organisation"], published=chosen["published"] or "", kind=chosen["kind"] or "document",
        reference=chosen["reference"] or "", pages=got.pages, place=chosen["place"],
        inferred={k: v for k, v in sources.items() if v},
    )


def load_corpus(corpus: Path) -> LoadResult:
    """Every readable document of the corpus; unreadable files go to `problems`."""
    result = LoadResult()
    catalog = read_catalog(corpus)
    for path in corpus_files(corpus):
        try:
            result.documents.append(load_document(corpus, path, catalog))
        except UnreadableDocument as problem:
            result.problems.append(problem)
    return result
