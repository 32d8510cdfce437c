"""Exceptions raised by the library.

Each message says what went wrong and what to do about it; only the CLI and the
app turn them into user-facing messages (one line, no traceback).
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: every error the library raises on purpose."""


class CorpusNotFound(AssistantError):
    """The corpus folder does not exist."""


class EmptyCorpus(AssistantError):
    """The corpus folder holds no readable documents."""


class UnreadableDocument(AssistantError):
    """One document cannot be read (empty, not UTF-8, binary, corrupt, scanned)."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return type(self), (self.source, self.reason)  # so that a reader process can send it back


class IndexMissing(AssistantError):
    """No index has been built in the index folder."""


class IndexCorrupt(AssistantError):
    """The index folder exists but is incomplete or inconsistent."""


class IndexBusy(AssistantError):
    """Another process holds the index write lock."""


class BadSetting(AssistantError):
    """An ASSISTANT_* environment variable holds a value the setting cannot take."""


class BadQuestion(AssistantError):
    """The question cannot be answered as asked (empty, too long, ...)."""


class BadFilter(AssistantError):
    """A filter names a document, organisation or year that is not indexed."""


class BadEvalFile(AssistantError):
    """An evaluation file is missing or malformed."""


class UnsupportedFile(AssistantError):
    """An uploaded or named file is not a type the assistant reads (PDF, Word, HTML, text, Markdown)."""


class FileExists(AssistantError):
    """A file of that name is already in the corpus folder; replacing it must be asked for."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(message)


class FileTooLarge(AssistantError):
    """An upload is larger than the per-file limit."""


class DocumentNotFound(AssistantError):
    """No document of that name is in the corpus folder."""


class BadCatalogEntry(AssistantError):
    """Catalog details that cannot be stored (unknown field, a date that is not YYYY[-MM[-DD]], ...)."""


class CorpusNotWritable(AssistantError):
    """The corpus folder (or catalog.toml in it) cannot be written."""


class LastDocument(AssistantError):
    """Removing this document would leave the corpus empty (an index needs at least one)."""


class NotAllowed(AssistantError):
    """The person asking may not do this (a reader changing the library, reading feedback or the audit log)."""


class ReadOnlyLibrary(AssistantError):
    """ASSISTANT_READ_ONLY is set: no report can be added, replaced, removed or edited."""


class BadVisibility(BadCatalogEntry):
    """A visibility that is not public, signed-in, editors or group:NAME of a group in ASSISTANT_GROUPS."""


class NothingVisible(AssistantError):
    """None of the library's reports is open to this person."""
