"""Stage 1: read the corpus folder into `Document`s with metadata.

Metadata comes from `catalog.toml` when it has an entry for the file, otherwise it is
inferred from the text (first heading, "REPORT NO", dates), and the file name is the
last resort. A file that cannot be read is reported by name and skipped; the rest of
the corpus is still loaded.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CorpusNotFound, UnreadableDocument
from .types import Document

TEXT_SUFFIXES = {".txt", ".md"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".pdf", ".docx", ".html", ".htm"}
CATALOG = "catalog.toml"

_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_MONTH_RE = "|".join(m.capitalize() for m in _MONTHS) + "|" + "|".join(m.upper() for m in _MONTHS)
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\s*,?\s+(\d{{4}})\b")
_MONTH_YEAR = re.compile(rf"\b({_MONTH_RE})\s+(\d{{4}})\b")
_ORG_RE = re.compile(
    r"\b((?:[A-Z][a-z]+ ){1,3}(?:City|County|Borough|District|Metropolitan Borough|Town|Parish) Council"
    r"|(?:[A-Z][a-z]+ )+(?:Health and Social Care )?Integration Joint Board)\b"
)


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


def decode_text(source: str, data: bytes) -> str:
    """Bytes of a .txt/.md file as text, or UnreadableDocument saying why not."""
    if not data.strip():
        raise UnreadableDocument(source, "the file is empty")
    if b"\x00" in data[:8192]:
        raise UnreadableDocument(source, "the file is binary, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(source, f"not UTF-8 text (bad byte at offset {exc.start}); re-save it as UTF-8") from exc
    if text.startswith("\ufeff"):
        text = text[1:]  # a BOM would shift every offset by one
    return text


def extract_text(source: str, path: Path, data: bytes) -> tuple[str, list[int]]:
    """The citable text of a file and, for paged formats, the offset where each page starts."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return decode_text(source, data), []
    from . import formats  # PDF/DOCX/HTML readers import heavy libraries; only load them when needed

    return formats.extract(source, suffix, data)


def load_document(corpus: Path, path: Path, catalog: dict[str, dict[str, str]], data: bytes | None = None) -> Document:
    source = source_name(corpus, path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableDocument(source, f"cannot be read ({exc.strerror})") from exc
    text, pages = extract_text(source, path, data)
    if not text.strip():
        raise UnreadableDocument(source, "no text could be extracted")
    entry = catalog.get(source, {})
    return Document(
        source=source,
        text=text,
        sha256=file_hash(data),
        title=entry.get("title") or infer_title(text) or humanise(path.stem),
        organisation=entry.get("organisation") or infer_organisation(text) or "not stated in the report",
        published=entry.get("published") or infer_date(text) or infer_year(path.stem),
        kind=entry.get("kind") or infer_kind(text),
        reference=entry.get("reference") or infer_reference(text),
        pages=pages,
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


# --- metadata inference -------------------------------------------------------------------


def _clean_heading(line: str) -> str:
    line = re.sub(r"^#+\s*", "", line.strip())
    return re.sub(r"[*_]{2,}|<[^>]+>", "", line).strip(" :*")


def infer_title(text: str) -> str:
    m = re.search(r"^\**REPORT ON:?\**\s*:?\s*(.+)$", text, re.MULTILINE | re.IGNORECASE)
    if m:
        return _clean_heading(m.group(1)).title() if m.group(1).isupper() else _clean_heading(m.group(1))
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            title = _clean_heading(line)
            if title:
                return title[:160]
    for line in text.splitlines():
        stripped = _clean_heading(line)
        if 3 <= len(stripped) <= 120 and "\t" not in stripped:
            return stripped
    return ""


def infer_organisation(text: str) -> str:
    counts: dict[str, int] = {}
    for m in _ORG_RE.finditer(text):
        name = m.group(1)
        counts[name] = counts.get(name, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else ""


def _iso(day: str | None, month: str, year: str) -> str:
    mm = _MONTHS[month.lower()]
    return f"{year}-{mm:02d}-{int(day):02d}" if day else f"{year}-{mm:02d}"


def infer_date(text: str) -> str:
    """A publication date: a 'DATE:' line, else the first full date near the top, else the last near the end."""
    m = re.search(r"^\W*DATE\W*:?\s*(.+)$", text, re.MULTILINE)
    if m:
        d = _DAY_MONTH_YEAR.search(m.group(1))
        if d:
            return _iso(d.group(1), d.group(2), d.group(3))
    head, tail = text[:1500], text[-600:]
    for chunk, pick in ((head, 0), (tail, -1)):
        found = list(_DAY_MONTH_YEAR.finditer(chunk))
        if found:
            d = found[pick]
            return _iso(d.group(1), d.group(2), d.group(3))
    found = list(_MONTH_YEAR.finditer(head)) or list(_MONTH_YEAR.finditer(tail))
    if found:
        return _iso(None, found[0].group(1), found[0].group(2))
    return ""


def infer_year(stem: str) -> str:
    years = re.findall(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", stem)
    return years[-1] if years else ""


def infer_reference(text: str) -> str:
    m = re.search(r"REPORT NO\W*:?\s*([A-Z0-9][\w/-]+)", text, re.IGNORECASE)
    return m.group(1) if m else ""


def infer_kind(text: str) -> str:
    if re.search(r"REPORT TO\b|Report to .*Committee", text[:3000], re.IGNORECASE):
        return "committee report"
    return "document"


def humanise(stem: str) -> str:
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or stem
