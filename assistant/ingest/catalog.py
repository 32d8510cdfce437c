"""catalog.toml: reading and editing one report's entry, and a small TOML writer."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import tempfile
import tomllib
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.errors import BadCatalogEntry, CorpusNotWritable, UnreadableDocument
from ..core.settings import library_path
from .corpus import CATALOG
from .files import document_path, write_atomic

CATALOG_FIELDS = ("title", "organisation", "place", "published", "kind", "reference", "visibility")


MAX_FIELD_CHARS = 300


DEFAULT_HEADER = (
    "# What is known about each source report, beyond its text.\n"
    "# Keys are file names in this folder. Every field is optional; a document\n"
    "# without an entry still gets indexed, with metadata inferred from its text.\n"
)


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
                write_atomic(corpus / CATALOG, text.encode("utf-8"), replace=True)
            except OSError as exc:
                raise CorpusNotWritable(f"{corpus / CATALOG} could not be written: {exc.strerror or exc}.") from exc
    return {k: str(v) for k, v in entry.items()}


def _lock_path(corpus: Path) -> str:
    # Outside the corpus folder, so no stray lock file sits among the reports.
    digest = hashlib.sha1(str(library_path(corpus)).encode()).hexdigest()[:16]
    return str(Path(tempfile.gettempdir()) / f"plan-assistant-catalog-{digest}.lock")


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
