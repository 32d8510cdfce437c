"""The manifest: the indexed documents, their content hashes and passage ids, written last."""

from __future__ import annotations

import json
from typing import Any

from ..core.errors import AssistantError, IndexCorrupt, IndexMissing
from ..core.settings import Settings, shown_path
from ..core.types import DocumentRecord
from .paths import INDEX_VERSION, IndexPaths, write_json_atomic


def read_manifest(paths: IndexPaths) -> dict[str, Any] | None:
    try:
        data = json.loads(paths.manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION or "documents" not in data:
        return None
    return data


def manifest_records(manifest: dict[str, Any]) -> dict[str, DocumentRecord]:
    """The manifest's documents as records, by source."""
    return {s: DocumentRecord.from_dict({"source": s, **d}) for s, d in manifest.get("documents", {}).items()}


def write_manifest(paths: IndexPaths, manifest: dict[str, Any]) -> None:
    """Write the manifest atomically: it is the last thing an ingest writes, and readers trust it."""
    write_json_atomic(paths.manifest, manifest)


def no_manifest(settings: Settings, paths: IndexPaths) -> AssistantError:
    """The error for an index folder without a valid manifest: none built yet, or a build cut short."""
    if not paths.root.exists() or not (paths.chroma.exists() or any(paths.root.glob("bm25*"))):
        return IndexMissing(f"No index yet in {shown_path(paths.root)}: build it with `assistant ingest`.")
    return IndexCorrupt(f"The index in {shown_path(paths.root)} is incomplete (no valid manifest); "
                        "run `assistant ingest` to repair it.")
