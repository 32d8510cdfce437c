"""Adding, removing and describing the reports in the corpus folder (the app and the CLI call these).

    from assistant import documents
    path = documents.save_upload(corpus, "Annual Report 2024.pdf", data)   # -> corpus/Annual-Report-2024.pdf
    documents.update_catalog(corpus, path.name, {"title": "Annual report", "published": "2024-06"})
    documents.remove_document(corpus, path.name)

The functions above the "with the index" section never touch the index: after a change,
run `Assistant.ingest()`, which picks up new, changed and removed files and catalog edits.
The functions in that section (add_documents, remove_and_reindex, edit_details) do both,
and undo the file change when the ingest fails, so folder and index stay in step:

    result = documents.add_documents(bot, [("report.pdf", data)], progress=bar)

Rules every write follows:
  * a stored name is a plain file name (no folders, no hidden names) of safe characters;
  * an existing file is never replaced unless the caller says so (`FileExists` otherwise);
  * files and catalog.toml are written atomically (a hidden temporary file, then os.replace),
    so a crash leaves the old version or the new one, never half a file;
  * catalog.toml keeps every other entry and its leading comment block.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
import tempfile
import tomllib
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import (AssistantError, BadCatalogEntry, CorpusNotFound, CorpusNotWritable, DocumentNotFound, FileExists,
                     FileTooLarge, LastDocument, UnreadableDocument, UnsupportedFile)
from .load import CATALOG, SUPPORTED_SUFFIXES, corpus_files, file_hash, source_name
from .settings import library_path

MAX_UPLOAD_MB = 25  # per file; keep in step with server.maxUploadSize in .streamlit/config.toml
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_NAME_CHARS = 120
MAX_FIELD_CHARS = 300
CATALOG_FIELDS = ("title", "organisation", "published", "kind", "reference")
UPLOAD_TYPES = sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES)  # for st.file_uploader(type=...)
TYPES_TEXT = "PDF, Word (.docx), HTML (.html, .htm), text (.txt) or Markdown (.md)"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
DEFAULT_HEADER = (
    "# What is known about each source report, beyond its text.\n"
    "# Keys are file names in this folder. Every field is optional; a document\n"
    "# without an entry still gets indexed, with metadata inferred from its text.\n"
)


# --- file names -------------------------------------------------------------------------------


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


# --- writing files ----------------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _write_atomic(target: Path, data: bytes, replace: bool = True) -> None:
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
        _write_atomic(target, bytes(data), replace=replace)
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
        _write_atomic(target, data, replace=True)
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


# --- catalog.toml -----------------------------------------------------------------------------


def validate_published(value: str) -> str:
    """'2024', '2024-06' or '2024-06-30' (a real date), stripped; BadCatalogEntry otherwise."""
    v = str(value or "").strip()
    ok = False
    if re.fullmatch(r"\d{4}", v):
        ok = 1000 <= int(v) <= 2999
    elif re.fullmatch(r"\d{4}-\d{2}", v):
        ok = 1 <= int(v[5:]) <= 12
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        try:
            dt.date.fromisoformat(v)
            ok = True
        except ValueError:
            ok = False
    if not ok:
        raise BadCatalogEntry(f"“{value}” is not a date as YYYY, YYYY-MM or YYYY-MM-DD "
                              "(for example 2024, 2024-06 or 2024-06-30).")
    return v


def clean_fields(fields: Mapping[str, Any]) -> dict[str, str]:
    """Catalog fields checked and tidied: whitespace collapsed, control characters dropped, date validated.

    An empty value means "remove this field" (the ingest then infers it from the text again).
    """
    unknown = sorted(set(fields) - set(CATALOG_FIELDS))
    if unknown:
        raise BadCatalogEntry(f"Unknown catalog field {', '.join(unknown)}; "
                              f"the fields are {', '.join(CATALOG_FIELDS)}.")
    out: dict[str, str] = {}
    for key, value in fields.items():
        if value is None:
            continue
        text = "".join(c for c in str(value) if unicodedata.category(c) not in ("Cc", "Cs", "Co") or c.isspace())
        text = " ".join(text.split())
        if len(text) > MAX_FIELD_CHARS:
            raise BadCatalogEntry(f"The {key} is {len(text)} characters long; the limit is {MAX_FIELD_CHARS}.")
        if key == "published" and text:
            text = validate_published(text)
        out[key] = text
    return out


def _read_raw(corpus: Path) -> tuple[dict[str, Any], str]:
    """catalog.toml parsed as it is (values keep their TOML types) and its leading comment block."""
    path = corpus / CATALOG
    if not path.exists():
        return {}, DEFAULT_HEADER
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UnreadableDocument(CATALOG, f"not valid TOML ({exc}); fix it by hand before editing details") from exc
    except OSError as exc:
        raise CorpusNotWritable(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    header = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        header.append(line)
    while header and not header[-1].strip():
        header.pop()
    return data, ("\n".join(header) + "\n") if header else ""


def catalog_entry(corpus: Path | str, source: str) -> dict[str, str]:
    """The catalog fields stored for `source` (empty when it has no entry)."""
    data, _ = _read_raw(Path(corpus))
    entry = data.get(source)
    return {k: str(v) for k, v in entry.items()} if isinstance(entry, dict) else {}


def update_catalog(corpus: Path | str, source: str, fields: Mapping[str, Any]) -> dict[str, str]:
    """Set catalog fields of `source` (an empty value removes that field); returns its new entry.

    Fields not named keep their value; every other entry is kept as it was. The file is not
    written when nothing changes. Raises BadCatalogEntry, DocumentNotFound, UnreadableDocument
    (catalog.toml is not valid TOML; it is left alone), CorpusNotWritable.
    """
    from filelock import FileLock

    corpus = Path(corpus)
    document_path(corpus, source)  # an entry is only written for a document that exists
    changes = clean_fields(fields)
    with FileLock(_lock_path(corpus), timeout=10):
        data, header = _read_raw(corpus)
        old = data.get(source) if isinstance(data.get(source), dict) else {}
        entry = dict(old)
        for key, value in changes.items():
            if value:
                entry[key] = value
            else:
                entry.pop(key, None)
        if entry != old:
            new = {k: v for k, v in data.items() if k != source} if not entry else dict(data)
            if entry:
                new[source] = entry
            text = (header + "\n" if header else "") + dumps_toml(new)
            if tomllib.loads(text) != new:  # never write a catalog that would read back differently
                raise BadCatalogEntry("The catalog could not be written faithfully; it was left unchanged.")
            try:
                _write_atomic(corpus / CATALOG, text.encode("utf-8"), replace=True)
            except OSError as exc:
                raise CorpusNotWritable(f"{corpus / CATALOG} could not be written: {exc.strerror or exc}.") from exc
    return {k: str(v) for k, v in entry.items()}


def _lock_path(corpus: Path) -> str:
    # Outside the corpus folder, so no stray lock file sits among the reports.
    digest = hashlib.sha1(str(library_path(corpus)).encode()).hexdigest()[:16]
    return str(Path(tempfile.gettempdir()) / f"plan-assistant-catalog-{digest}.lock")


# --- a small TOML writer (no dependency: tomli-w is not installed) -----------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_string(text: str) -> str:
    """`text` as a TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for c in text:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }" if v else "{}"
    raise BadCatalogEntry(f"Cannot write a {type(v).__name__} value to the catalog.")


def dumps_toml(data: Mapping[str, Any]) -> str:
    """A TOML document: top-level plain values first, then one [table] per entry, in order."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            if lines:
                lines.append("")
            lines.append(f"[{toml_string(k)}]")
            lines += [f"{_key(kk)} = {_value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


# --- with the index: change the folder, then ingest (undoing the change if the ingest fails) ---

Progress = Callable[[str, int, int], None]


@dataclass
class AddResult:
    """What add_documents did with each file."""

    added: list[str] = field(default_factory=list)  # stored names, now indexed
    replaced: list[str] = field(default_factory=list)  # stored names whose earlier version was replaced
    conflicts: dict[str, bytes] = field(default_factory=dict)  # name taken: waiting for an explicit replace
    # Same content as a report already in the library, so not added (answers would cite it twice):
    # stored name -> (the report it duplicates, the bytes, kept for an explicit "add anyway").
    duplicates: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)  # one message per file not added (name and reason)
    summary: str = ""  # the ingest's summary, when it ran
    error: str | None = None  # the ingest failed: nothing was added (every file was put back as it was)


def content_owners(bot: Any) -> dict[str, str]:
    """Content hash -> report name, for every report in the library (indexed or only in the folder)."""
    corpus = library_path(bot.settings.corpus)
    owners: dict[str, str] = {}
    try:
        indexed = bot.index.documents
    except AssistantError:
        indexed = {}
    for source, d in indexed.items():
        if d.get("sha256"):
            owners.setdefault(d["sha256"], source)
    for path in corpus_files(corpus):
        source = source_name(corpus, path)
        if source not in indexed:  # put there by hand and not indexed yet: hash it now
            try:
                owners.setdefault(file_hash(path.read_bytes()), source)
            except OSError:
                continue
    return owners


def add_documents(bot: Any, files: Iterable[tuple[str, bytes]], replace: bool = False,
                  progress: Progress | None = None, force: bool = False) -> AddResult:
    """Save each (name, bytes) with save_upload, then ingest once.

    A file whose content is already in the library under another name is not saved (it is
    listed in `duplicates` with the report it repeats) unless `force`. A file the ingest cannot
    read (scanned or encrypted PDF, corrupt file, text that is not UTF-8) is taken out of the
    corpus folder again, and named in `rejected` with the reason from IngestReport.problems;
    when it was replacing a file, the earlier version is put back.
    `bot` is an Assistant (anything with .settings.corpus, .index and .ingest(progress=...)).
    """
    corpus = library_path(bot.settings.corpus)
    result = AddResult()
    saved: dict[str, bytes | None] = {}  # stored name -> the bytes it replaced (None: a new file)
    owners: dict[str, str] | None = None
    for name, data in files:
        try:
            safe = sanitise_filename(name)
            if safe in saved:
                raise FileExists(safe, "")  # two uploads with one name: the second one asks
            if not force:
                owners = content_owners(bot) if owners is None else owners
                same = owners.get(file_hash(bytes(data)))
                if same is not None and same != safe:
                    result.duplicates[safe] = (same, bytes(data))
                    continue
            old = corpus / safe
            previous = old.read_bytes() if replace and old.is_file() else None
            save_upload(corpus, name, data, replace=replace)
            if owners is not None:
                owners.setdefault(file_hash(bytes(data)), safe)  # a second copy in the same batch repeats it
        except FileExists as exc:
            result.conflicts[exc.name] = bytes(data)
            continue
        except UnreadableDocument as exc:
            result.rejected.append(f"{exc.source} was not added: {_reason(exc.reason)}.")
            continue
        except AssistantError as exc:
            result.rejected.append(str(exc))
            continue
        except OSError as exc:
            result.rejected.append(f"{name} was not added: {exc.strerror or exc}.")
            continue
        saved[safe] = previous
    if not saved:
        return result

    def undo(source: str) -> None:
        previous = saved[source]
        if previous is None:
            (corpus / source).unlink(missing_ok=True)
        else:
            write_document(corpus, source, previous)

    try:
        report = bot.ingest(progress=progress)
    except Exception as exc:
        for source in saved:
            undo(source)
        result.error = (f"Nothing was added: {exc}" if isinstance(exc, AssistantError)
                        else f"Nothing was added: the index could not be updated ({type(exc).__name__}: {exc}).")
        return result
    result.summary = report.summary()
    problems = {p.source: p.reason for p in report.problems}
    for source, previous in saved.items():
        if source in problems:
            undo(source)
            kept = "; the existing file of that name was kept" if previous is not None else ""
            result.rejected.append(f"{source} was not added because it could not be read: "
                                   f"{_reason(problems[source])}{kept}.")
        else:
            (result.replaced if previous is not None else result.added).append(source)
    return result


def _reason(reason: str) -> str:
    # The readers phrase reasons to follow a file name ("x.pdf: is encrypted; ..."); make them a clause.
    reason = reason.strip().rstrip(".")
    return "it " + reason if reason.startswith("is ") else reason


def remove_and_reindex(bot: Any, source: str, progress: Progress | None = None) -> Any:
    """Remove the file of `source`, then ingest; returns the IngestReport.

    LastDocument when it is the only report (an index cannot be empty). When the ingest
    fails, the file is put back and the error raised.
    """
    corpus = library_path(bot.settings.corpus)
    path = document_path(corpus, source)
    others = [p for p in corpus_files(corpus) if source_name(corpus, p) != source_name(corpus, path)]
    if not others:
        raise LastDocument(f"{source} is the only report in the corpus folder; add another before removing it.")
    data = path.read_bytes()
    remove_document(corpus, source)
    try:
        return bot.ingest(progress=progress)
    except BaseException:
        write_document(corpus, source, data)
        raise


def edit_details(bot: Any, source: str, fields: Mapping[str, Any],
                 progress: Progress | None = None) -> tuple[dict[str, str], Any]:
    """update_catalog, then ingest: returns (the new entry, the IngestReport or None when nothing changed).

    When the ingest fails, catalog.toml is put back as it was and the error raised.
    """
    corpus = Path(bot.settings.corpus)
    catalog = corpus / CATALOG
    before_bytes = catalog.read_bytes() if catalog.is_file() else None
    before = catalog_entry(corpus, source)
    entry = update_catalog(corpus, source, fields)
    if entry == before:
        return entry, None
    try:
        return entry, bot.ingest(progress=progress)
    except BaseException:
        if before_bytes is None:
            catalog.unlink(missing_ok=True)
        else:
            _write_atomic(catalog, before_bytes, replace=True)
        raise
