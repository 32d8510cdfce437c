"""Changing the library on someone's behalf: check they may, record the attempt, make the change.

The app and the CLI both call these through the Assistant (`bot.add_documents(files, viewer)`,
`bot.remove_document`, `bot.edit_details`, `bot.reindex`), so a change is checked and recorded
the same way whichever shell asked for it, and a request that skips the app's hidden controls
is refused here all the same.

For each change:
  1. `check_can_change`: ReadOnlyLibrary when ASSISTANT_READ_ONLY is set (nothing is written, not
     even to the log: a read-only library may sit on a read-only disk), NotAllowed for a reader
     (recorded as "refused", then raised);
  2. an audit entry per file, committed with the outcome "started" before anything changes (the
     change does not go ahead when the log cannot be written);
  3. the change itself (`ingest.library`), which puts the folder back when the ingest fails;
  4. the outcome: done, unchanged, rejected (with the reason), or failed.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .core.errors import (
    AssistantError,
    BadCatalogEntry,
    CorpusNotWritable,
    DocumentNotFound,
    IndexMissing,
    LastDocument,
    NotAllowed,
    UnsupportedFile,
)
from .core.identity import Viewer, check_can_change
from .core.settings import library_path
from .core.types import Progress
from .ingest import library, visibility
from .ingest.catalog import catalog_entry, clean_fields
from .ingest.corpus import file_hash
from .ingest.files import document_path, sanitise_filename
from .ingest.run import IngestReport
from .records import audit
from .records.audit import AuditLog

log = logging.getLogger(__name__)


# Errors that mean the request itself could not be carried out (nothing was changed): "rejected".
_REJECTIONS = (DocumentNotFound, UnsupportedFile, LastDocument, BadCatalogEntry, IndexMissing)


ALL_REPORTS = "(all reports)"


def audit_log(bot: library.Library) -> AuditLog:
    return AuditLog.beside_index(bot.settings.index)


def shown_source(name: str) -> str:
    """A file name as the log keeps it: the stored name when it is a valid one, else the name given,
    without folders or control characters, at most 200 characters."""
    try:
        return sanitise_filename(name)
    except AssistantError:
        base = re.split(r"[\\/]", str(name or ""))[-1]
        return "".join(c for c in base if c.isprintable())[:200] or "(no name)"


def _hash_of(path: Path) -> str:
    try:
        return file_hash(path.read_bytes()) if path.is_file() else ""
    except OSError:
        return ""


def _current(corpus: Path, source: str) -> tuple[str, str]:
    """(the content hash of `source` in the corpus, the name the log shows); ("", a safe name) for a name
    that is not a report of the corpus, which the change itself then refuses."""
    try:
        return _hash_of(document_path(corpus, source)), source
    except AssistantError:
        return "", shown_source(source)


def _check(bot: library.Library, viewer: Viewer, what: str, action: str,
           attempts: Iterable[tuple[str, str, str]]) -> None:
    """check_can_change; a reader's attempt is recorded as refused (best effort) before NotAllowed is raised."""
    try:
        check_can_change(viewer, bot.settings.read_only, what)
    except NotAllowed as exc:
        try:
            for source, before, after in attempts:
                audit_log(bot).record(actor=viewer.id, via=viewer.via, action=action, source=source,
                                      hash_before=before, hash_after=after, outcome=audit.REFUSED, message=str(exc))
        except (sqlite3.Error, OSError):
            log.exception("Could not record a refused change in the audit log")
        raise


def _begin(bot: library.Library, viewer: Viewer, action: str, source: str, before: str = "", after: str = "",
           detail: str = "") -> int:
    try:
        return audit_log(bot).begin(actor=viewer.id, via=viewer.via, action=action, source=source,
                                    hash_before=before, hash_after=after, detail=detail)
    except (sqlite3.Error, OSError) as exc:
        raise CorpusNotWritable(f"The audit log {audit_log(bot).path} cannot be written ({exc}), so no change is "
                                "made: every change must be recorded.") from exc


def _finish_error(bot: library.Library, entries: Iterable[int], exc: BaseException) -> None:
    outcome = audit.REJECTED if isinstance(exc, _REJECTIONS) else audit.FAILED
    message = str(exc) or type(exc).__name__
    for entry in entries:
        audit_log(bot).finish(entry, outcome, message)


def add_documents(bot: library.Library, files: Iterable[tuple[str, bytes]], viewer: Viewer, replace: bool = False,
                  force: bool = False, progress: Progress | None = None) -> library.AddResult:
    """library.add_documents for `viewer`: one audit entry per file (action add, or replace when a file of
    that name is replaced), with the hash of the file before (when one was there) and of the upload."""
    files = [(name, bytes(data)) for name, data in files]
    corpus = library_path(bot.settings.corpus)
    plans = []
    for name, data in files:
        source = shown_source(name)
        before = _hash_of(corpus / source)
        plans.append((source, "replace" if replace and before else "add", before, file_hash(data)))
    _check(bot, viewer, "add reports", "add", [(s, b, a) for s, _, b, a in plans])
    entries = [_begin(bot, viewer, action, source, before, after) for source, action, before, after in plans]
    try:
        result = library.add_documents(bot, files, replace=replace, progress=progress, force=force)
    except BaseException as exc:
        _finish_error(bot, entries, exc)
        raise
    done = list(result.added) + list(result.replaced)
    for entry, (source, _, _, _) in zip(entries, plans):
        if result.error:
            audit_log(bot).finish(entry, audit.FAILED, result.error)
        elif source in done:
            done.remove(source)
            audit_log(bot).finish(entry, audit.DONE)
        elif source in result.duplicates:
            same = result.duplicates[source][0]
            audit_log(bot).finish(entry, audit.REJECTED, f"its content is already in the library as {same}")
        elif source in result.conflicts:
            audit_log(bot).finish(entry, audit.REJECTED, "a report of that name is already in the library; it was "
                                                         "kept (replacing it must be asked for)")
        else:
            audit_log(bot).finish(entry, audit.REJECTED, result.reasons.get(source, "not added"))
    return result


def remove_document(bot: library.Library, source: str, viewer: Viewer,
                    progress: Progress | None = None) -> IngestReport:
    """library.remove_and_reindex for `viewer`, recorded with the hash of the file removed."""
    corpus = library_path(bot.settings.corpus)
    try:
        before = _hash_of(document_path(corpus, source))
    except AssistantError:
        before = ""
    shown = source if before else shown_source(source)
    _check(bot, viewer, "remove reports", "remove", [(shown, before, "")])
    entry = _begin(bot, viewer, "remove", shown, before)
    try:
        report = library.remove_and_reindex(bot, source, progress=progress)
    except BaseException as exc:
        _finish_error(bot, [entry], exc)
        raise
    audit_log(bot).finish(entry, audit.DONE)
    return report


def describe_changes(before: Mapping[str, str], changes: Mapping[str, str]) -> str:
    """'title: "Old" -> "New"; published: "" -> "2024-06"' for the fields whose value changes."""
    parts = [f'{k}: "{before.get(k, "")}" -> "{v}"' for k, v in changes.items() if before.get(k, "") != v]
    return "; ".join(parts)


def edit_details(bot: library.Library, source: str, fields: Mapping[str, Any], viewer: Viewer,
                 progress: Progress | None = None) -> tuple[dict[str, str], IngestReport | None]:
    """library.edit_details for `viewer`, recorded with each field's old and new value (a visibility goes
    through set_visibility: metadata only, no re-indexing)."""
    fields = dict(fields)
    if "visibility" in fields:
        set_visibility(bot, source, str(fields.pop("visibility") or "public"), viewer)
    corpus = library_path(bot.settings.corpus)
    before_hash, shown = _current(corpus, source)
    _check(bot, viewer, "edit catalog details", "catalog", [(shown, before_hash, before_hash)])
    try:
        detail = describe_changes(catalog_entry(corpus, source), clean_fields(fields)) if before_hash else ""
    except AssistantError:
        detail = ""  # the edit itself reports the bad field or catalog
    entry = _begin(bot, viewer, "catalog", shown, before_hash, before_hash, detail)
    try:
        new, report = library.edit_details(bot, source, fields, progress=progress)
    except BaseException as exc:
        _finish_error(bot, [entry], exc)
        raise
    audit_log(bot).finish(entry, audit.DONE if report is not None else audit.UNCHANGED)
    return new, report


def reindex(bot: library.Library, viewer: Viewer, progress: Progress | None = None) -> IngestReport:
    """An ingest of the whole corpus folder asked for by `viewer` (the app's "Re-index now")."""
    _check(bot, viewer, "re-index the library", "reindex", [(ALL_REPORTS, "", "")])
    entry = _begin(bot, viewer, "reindex", ALL_REPORTS)
    try:
        report = bot.ingest(progress=progress)
    except BaseException as exc:
        _finish_error(bot, [entry], exc)
        raise
    audit_log(bot).finish(entry, audit.DONE, report.summary().splitlines()[0] if report.summary() else "")
    return report


def set_visibility(bot: library.Library, source: str, value: str, viewer: Viewer) -> tuple[str, str]:
    """Who may see `source` (public, signed-in, editors, group:NAME), for `viewer`: catalog.toml and the index's
    metadata at once, without re-embedding; recorded with the visibility before and after."""
    corpus = library_path(bot.settings.corpus)
    before_hash, shown = _current(corpus, source)
    _check(bot, viewer, "change who may see a report", "visibility", [(shown, before_hash, before_hash)])
    entry = _begin(bot, viewer, "visibility", shown, before_hash, before_hash, f"visibility -> {value}")
    try:
        value = visibility.check_catalog_visibility(bot.settings, value)
        before, after = visibility.set_visibility(bot.settings, source, value)
    except BaseException as exc:
        _finish_error(bot, [entry], exc)
        raise
    if before == after:
        audit_log(bot).finish(entry, audit.UNCHANGED, f'visibility: "{before}"')
    else:
        audit_log(bot).finish(entry, audit.DONE, f'visibility: "{before}" -> "{after}"')
    return before, after
