"""Who may see each report: its visibility written to its passages in the vector store (metadata, no
re-embedding) and kept in the manifest; and each audience's own keyword index and views.

    set_visibility(settings, "budget-draft.pdf", "editors")   # catalog.toml, Chroma metadata, manifest
    sync_visibility(settings, paths, records, catalog)          # at the end of every ingest
    ensure_audience(settings, {source: segment key, …})         # "audiences/<key>", built once

The answerer filters the vector query on the `visibility` metadata field and searches an audience's
own BM25 index, document frequencies, glossary and views, put together from the per-document
keyword segments and views of the documents that audience may see, exactly as an ingest puts
together those of the whole library: so a reader's answers are those of a library from which the
reports they may not see were removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..core.errors import BadVisibility, DocumentNotFound
from ..core.settings import Settings, library_path
from ..core.types import DocumentRecord
from ..core.visibility import EDITORS, GROUP, KINDS, PUBLIC, check_visibility, level_of
from ..store.chroma import VISIBILITY, chroma_client, chroma_collection
from ..store.keyword import build_bm25
from ..store.manifest import manifest_records, no_manifest, read_manifest, write_manifest
from ..store.paths import IndexPaths, acquire_lock
from ..views.cache import assemble_views, views_signature, write_views
from .batches import stored_segments, stored_views
from .catalog import catalog_entry, update_catalog
from .corpus import read_catalog

AUDIENCES = "audiences"  # under the index folder: one keyword index and views per audience
FIELD = VISIBILITY  # the catalog field is named as the vector store's metadata key


def wanted(catalog: Mapping[str, Mapping[str, str]], source: str) -> str:
    """The visibility catalog.toml gives `source` (public when none). A value that is not one (a typo made by
    hand) restricts the report to editors: a mistake must hide a report, never publish it."""
    value = " ".join(str(catalog.get(source, {}).get(FIELD, "")).split())
    if not value:
        return PUBLIC
    if value.lower() in KINDS:
        return value.lower()
    if value.lower().startswith(GROUP) and value[len(GROUP):].strip():
        return GROUP + value[len(GROUP):].strip()  # a group the settings do not name: only editors see it
    return EDITORS


def write_visibility(collection: Any, ids: list[str], visibility: str, step: int = 5000) -> None:
    """Set the metadata field on these passages (Chroma merges it into their metadata: nothing re-embedded)."""
    for start in range(0, len(ids), step):
        part = ids[start:start + step]
        collection.update(ids=part, metadatas=[{FIELD: visibility} for _ in part])


def sync_visibility(settings: Settings, paths: IndexPaths, records: dict[str, DocumentRecord],
                    catalog: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Write each document's visibility to its passages where the record says the store holds another (or
    none yet); `records` are updated in place. Returns the sources changed."""
    changed, collection = [], None
    for source, record in list(records.items()):
        value = wanted(catalog, source)
        if record.visibility == value:
            continue
        if collection is None:
            collection = chroma_collection(chroma_client(settings, paths), settings.collection)
        write_visibility(collection, record.passage_ids, value)
        records[source] = replace(record, visibility=value)
        changed.append(source)
    return changed


def set_visibility(settings: Settings, source: str, value: str) -> tuple[str, str]:
    """Mark `source` as seen by `value` (public, signed-in, editors, group:NAME): catalog.toml, the vector
    store's metadata and the manifest, at once and without re-embedding. Returns (before, after).

    BadVisibility (a group ASSISTANT_GROUPS does not name, …) and DocumentNotFound change nothing."""
    value = check_visibility(value, settings.groups)
    corpus, paths = library_path(settings.corpus), IndexPaths(settings.index)
    lock = acquire_lock(paths)
    try:
        manifest = read_manifest(paths)
        if manifest is None:
            raise no_manifest(settings, paths)
        if source not in manifest["documents"]:
            raise DocumentNotFound(f"No indexed document is called “{source}”; see `assistant docs` for the list.")
        before = level_of(catalog_entry(corpus, source).get(FIELD, "").strip() or PUBLIC)
        update_catalog(corpus, source, {FIELD: "" if value == PUBLIC else value})
        records = manifest_records(manifest)
        if sync_visibility(settings, paths, records, read_catalog(corpus)):
            prepare_audiences(settings, records)  # before the manifest: readers then find them built
            manifest["documents"] = {s: r.to_dict() for s, r in records.items()}
            write_manifest(paths, manifest)
    finally:
        lock.release()
    return before, value


def check_catalog_visibility(settings: Settings, value: str) -> str:
    """A visibility given by a person (the CLI, the app), checked against the settings' groups."""
    try:
        return check_visibility(value, settings.groups)
    except BadVisibility as exc:
        raise BadVisibility(f"{exc} The report's visibility was not changed.") from None


# --- each audience's keyword index and views ------------------------------------------------------------


def audience_name(settings: Settings, keys: Mapping[str, str]) -> str:
    """The folder of the keyword index of exactly these documents (source -> segment key): named after them,
    so any process may build it and a changed library gets a new one."""
    data = json.dumps([sorted(keys.items()), views_signature(settings.linking)])
    return f"{AUDIENCES}/{hashlib.sha256(data.encode()).hexdigest()[:24]}"


def ensure_audience(settings: Settings, keys: Mapping[str, str]) -> str:
    """The name (under the index folder) of the keyword index and views of the documents `keys`, put together
    from their segments the first time it is asked for, as an ingest puts together the whole library's."""
    paths = IndexPaths(settings.index)
    name = audience_name(settings, keys)
    final = paths.root / name
    if final.is_dir():
        return name
    folder = build_bm25(settings, paths, stored_segments(paths, keys), f"{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    write_views(folder, assemble_views(stored_views(settings, paths, keys), settings.linking), settings.linking)
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(folder, final)  # complete or absent, never half-built
    except OSError:  # another process built it first
        shutil.rmtree(folder, ignore_errors=True)
    return name


def prune_audiences(root: Path, keep: set[str]) -> None:
    """Delete audience folders not named in `keep` (names as ensure_audience returns them)."""
    folder = Path(root) / AUDIENCES
    if folder.is_dir():
        for path in folder.iterdir():
            if f"{AUDIENCES}/{path.name}" not in keep:
                shutil.rmtree(path, ignore_errors=True)


def prepare_audiences(settings: Settings, records: Mapping[str, DocumentRecord]) -> list[str]:
    """Build the keyword index of every reader audience the settings know of that does not see the whole
    library (so that their first question is not slowed), and delete the rest; returns their names."""
    from ..core.visibility import known_audiences, visible
    from ..store.segments import segment_keys

    names = set()
    for levels in known_audiences(settings.groups):
        keys = segment_keys({s: r for s, r in records.items() if visible(levels, r.visibility)})
        if keys and len(keys) < len(records):
            names.add(ensure_audience(settings, keys))
    prune_audiences(IndexPaths(settings.index).root, names)
    return sorted(names)
