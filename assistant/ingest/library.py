"""Changing the library: add, replace or remove reports and edit their catalog details, then
update the index (the app and the CLI call these).

    result = library.add_documents(bot, [("report.pdf", data)], progress=bar)
    library.remove_and_reindex(bot, "old-draft.pdf")
    library.edit_details(bot, "report.pdf", {"title": "Annual report", "published": "2024-06"})

Each function changes the corpus folder (through ingest/files.py and ingest/catalog.py), runs
the same incremental ingest as `assistant ingest`, and undoes the file change when the ingest
fails, so folder and index stay in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..core.errors import (
    AssistantError,
    FileExists,
    LastDocument,
    UnreadableDocument,
)
from ..core.settings import Settings, library_path
from ..core.types import DocumentRecord, Progress
from .catalog import catalog_entry, update_catalog
from .corpus import CATALOG, corpus_files, file_hash, source_name
from .files import document_path, remove_document, sanitise_filename, save_upload, write_atomic, write_document
from .run import IngestReport


class Library(Protocol):
    """What changing the library needs of the Assistant: its folders, what is indexed, and an ingest."""

    settings: Settings

    def documents(self) -> list[DocumentRecord]: ...

    def ingest(self, progress: Progress | None = None) -> IngestReport: ...


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
    reasons: dict[str, str] = field(default_factory=dict)  # the same messages by file name (stored name when known)
    summary: str = ""  # the ingest's summary, when it ran
    error: str | None = None  # the ingest failed: nothing was added (every file was put back as it was)

    def reject(self, name: str, message: str) -> None:
        self.rejected.append(message)
        self.reasons.setdefault(name, message)


def content_owners(bot: Library) -> dict[str, str]:
    """Content hash -> report name, for every report in the library (indexed or only in the folder)."""
    corpus = library_path(bot.settings.corpus)
    owners: dict[str, str] = {}
    try:
        indexed = {d.source: d for d in bot.documents()}
    except AssistantError:
        indexed = {}
    for source, d in indexed.items():
        if d.sha256:
            owners.setdefault(d.sha256, source)
    for path in corpus_files(corpus):
        source = source_name(corpus, path)
        if source not in indexed:  # put there by hand and not indexed yet: hash it now
            try:
                owners.setdefault(file_hash(path.read_bytes()), source)
            except OSError:
                continue
    return owners


def _save_all(bot: Library, corpus: Path, files: Iterable[tuple[str, bytes]], replace: bool, force: bool,
              result: AddResult) -> dict[str, bytes | None]:
    """Save each file that may be added; returns stored name -> the bytes it replaced (None: a new file).
    Files that may not (a taken name, a copy of a report, an unreadable or unsupported file) go to `result`."""
    saved: dict[str, bytes | None] = {}
    owners: dict[str, str] | None = None
    for name, data in files:
        safe = name
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
            result.reject(safe, f"{exc.source} was not added: {_reason(exc.reason)}.")
            continue
        except AssistantError as exc:
            result.reject(safe, str(exc))
            continue
        except OSError as exc:
            result.reject(safe, f"{name} was not added: {exc.strerror or exc}.")
            continue
        saved[safe] = previous
    return saved


def add_documents(bot: Library, files: Iterable[tuple[str, bytes]], replace: bool = False,
                  progress: Progress | None = None, force: bool = False) -> AddResult:
    """Save each (name, bytes) with save_upload, then ingest once.

    A file whose content is already in the library under another name is not saved (it is
    listed in `duplicates` with the report it repeats) unless `force`. A file the ingest cannot
    read (scanned or encrypted PDF, corrupt file, text that is not UTF-8) is taken out of the
    corpus folder again, and named in `rejected` with the reason from IngestReport.problems;
    when it was replacing a file, the earlier version is put back.
    """
    corpus = library_path(bot.settings.corpus)
    result = AddResult()
    saved = _save_all(bot, corpus, files, replace, force, result)
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
            result.reject(source, f"{source} was not added because it could not be read: "
                                  f"{_reason(problems[source])}{kept}.")
        else:
            (result.replaced if previous is not None else result.added).append(source)
    return result


def _reason(reason: str) -> str:
    # The readers phrase reasons to follow a file name ("x.pdf: is encrypted; ..."); make them a clause.
    reason = reason.strip().rstrip(".")
    return "it " + reason if reason.startswith("is ") else reason


def remove_and_reindex(bot: Library, source: str, progress: Progress | None = None) -> IngestReport:
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


def edit_details(bot: Library, source: str, fields: Mapping[str, Any],
                 progress: Progress | None = None) -> tuple[dict[str, str], IngestReport | None]:
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
            write_atomic(catalog, before_bytes, replace=True)
        raise

