"""Report files in the corpus folder: safe names, atomic writes, no overwrite unless asked.

    path = files.save_upload(corpus, "Annual Report 2024.pdf", data)   # -> corpus/Annual-Report-2024.pdf
    files.remove_document(corpus, path.name)

Rules every write follows:
  * a stored name is a plain file name (no folders, no hidden names) of safe characters;
  * an existing file is never replaced unless the caller says so (`FileExists` otherwise);
  * files are written atomically (a hidden temporary file, then os.replace), so a crash
    leaves the old version or the new one, never half a file.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from pathlib import Path

from ..core.errors import (
    CorpusNotFound,
    CorpusNotWritable,
    DocumentNotFound,
    FileExists,
    FileTooLarge,
    UnreadableDocument,
    UnsupportedFile,
)
from ..core.settings import library_path
from .readers import SUPPORTED_SUFFIXES

MAX_UPLOAD_MB = 25  # per file; keep in step with server.maxUploadSize in .streamlit/config.toml


MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024


MAX_NAME_CHARS = 120


UPLOAD_TYPES = sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES)  # for st.file_uploader(type=...)


TYPES_TEXT = "PDF, Word (.docx), HTML (.html, .htm), text (.txt) or Markdown (.md)"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def sanitise_filename(name: str) -> str:
    """A safe plain file name for an upload: 'Annual Report (v2).PDF' -> 'Annual-Report-v2.pdf'.

    Only the last path component is kept ('../../x.txt' -> 'x.txt', 'C:\\a\\b.md' -> 'b.md');
    accents are dropped ('Café' -> 'Cafe'); any character outside A-Z a-z 0-9 . _ - becomes '-';
    leading dots and dashes go (no hidden names); a name left empty becomes 'document'. The
    suffix is lower-cased and must be one the assistant reads, else UnsupportedFile.
    """
    base = re.split(r"[\\/]", str(name or ""))[-1].strip()
    base = "".join(c for c in unicodedata.normalize("NFKD", base) if unicodedata.category(c) != "Mn")
    dot = base.rfind(".")
    stem, suffix = (base[:dot], base[dot:].lower()) if dot >= 0 else (base, "")
    suffix = suffix.strip()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"“{suffix}” files" if suffix not in ("", ".") else "files without a type (.pdf, .txt, …)"
        raise UnsupportedFile(f"{base or 'The file'} was not added: {shown} are not supported; "
                              f"use {TYPES_TEXT}.")
    stem = _UNSAFE.sub("-", stem)
    stem = re.sub(r"\.{2,}", ".", re.sub(r"-{2,}", "-", stem)).strip(".-")
    stem = (stem or "document")[: MAX_NAME_CHARS - len(suffix)].rstrip(".-") or "document"
    return stem + suffix


def document_path(corpus: Path | str, source: str) -> Path:
    """The file of `source` (a name relative to the corpus folder), checked to lie inside it.

    DocumentNotFound when there is no such file, or the name points outside the folder or at a
    hidden file; UnsupportedFile when it is not a type the assistant reads.
    """
    corpus = library_path(corpus)
    parts = [p for p in str(source or "").replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or any(p == ".." or p.startswith(".") for p in parts) or Path(str(source)).is_absolute():
        raise DocumentNotFound(f"“{source}” is not a document name in the corpus folder {corpus}; "
                               "use the file name as `assistant docs` lists it.")
    path = corpus.joinpath(*parts)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UnsupportedFile(f"“{source}” is not a report file ({TYPES_TEXT}).")
    resolved = path.resolve()
    if corpus not in resolved.parents or not resolved.is_file():
        raise DocumentNotFound(f"There is no document “{source}” in the corpus folder {corpus}.")
    return path


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def write_atomic(target: Path, data: bytes, replace: bool = True) -> None:
    """Write `data` to `target` through a hidden temporary file beside it (ingest skips hidden files).

    With replace=False an existing target is never touched (os.link refuses to overwrite).
    """
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links: check, then move (a tiny race, no data loss)
                if target.exists():
                    raise FileExistsError(str(target)) from None
                os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def save_upload(corpus: Path | str, name: str, data: bytes, replace: bool = False,
                max_bytes: int | None = MAX_UPLOAD_BYTES) -> Path:
    """Store uploaded bytes in the corpus folder under sanitise_filename(name); returns the path.

    Raises UnsupportedFile (type), FileTooLarge (over `max_bytes`), UnreadableDocument (empty),
    FileExists (the name is taken and replace is False; nothing is written), CorpusNotFound,
    CorpusNotWritable.
    """
    corpus = Path(corpus)
    if not corpus.is_dir():
        raise CorpusNotFound(f"Corpus folder {corpus} does not exist; create it first.")
    safe = sanitise_filename(name)
    if max_bytes is not None and len(data) > max_bytes:
        raise FileTooLarge(f"{safe} was not added: it is {_mb(len(data))}; the limit is {_mb(max_bytes)} per file.")
    if not bytes(data).strip():
        raise UnreadableDocument(safe, "the file is empty")
    target = corpus / safe
    if target.exists() and not target.is_file():
        raise CorpusNotWritable(f"{safe} was not added: a folder of that name is in the corpus folder.")
    taken = FileExists(safe, f"A report called {safe} is already in the corpus folder; it was kept. "
                             "Replace it explicitly (--replace, or “Replace existing file” in the app).")
    if target.exists() and not replace:
        raise taken
    try:
        write_atomic(target, bytes(data), replace=replace)
    except FileExistsError:
        raise taken from None
    except OSError as exc:
        raise CorpusNotWritable(f"{safe} could not be saved in {corpus}: {exc.strerror or exc}.") from exc
    return target


def write_document(corpus: Path | str, source: str, data: bytes) -> Path:
    """Put `data` back as the file of an existing or just-removed `source` (used to undo a change)."""
    corpus = Path(corpus)
    parts = [p for p in str(source).replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or any(p == ".." or p.startswith(".") for p in parts):
        raise DocumentNotFound(f"“{source}” is not a document name in the corpus folder {corpus}.")
    target = corpus.joinpath(*parts)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data, replace=True)
    except OSError as exc:
        raise CorpusNotWritable(f"{source} could not be written in {corpus}: {exc.strerror or exc}.") from exc
    return target


def remove_document(corpus: Path | str, source: str) -> Path:
    """Delete the file of `source` from the corpus folder; returns the path it had.

    Its catalog entry is kept (it applies again if the same name is added later). Run
    ingest afterwards to drop its passages from the index.
    """
    path = document_path(corpus, source)
    try:
        path.unlink()
    except FileNotFoundError as exc:
        raise DocumentNotFound(f"There is no document “{source}” in the corpus folder {corpus}.") from exc
    except OSError as exc:
        raise CorpusNotWritable(f"{source} could not be removed: {exc.strerror or exc}.") from exc
    return path

