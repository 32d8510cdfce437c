"""Commitments and figure series of an index: read once at ingest, kept beside the keyword index,
and loaded once per loaded index.

The ingest calls `write_views(folder, passages)`; a reader calls `views_for(index)`, which
takes the file the ingest wrote (when the code that reads commitments and figures has not
changed since) or computes the views from the index's passages, once per loaded index.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..core.settings import Linking
from ..core.types import Passage
from .commitments import Commitment, extract_commitments
from .figure_values import FigureValue, Series
from .figures import extract_figures
from .series import build_series

VIEWS_FILE = "views.pkl"
# Passages; above this, views come only from the ingest's file: reading a large index's every
# passage at load would delay the first answer by minutes.
LARGE_INDEX = 200_000


@dataclass
class Views:
    """What the plans commit to, and the figures they give with the series those form."""

    commitments: list[Commitment] = field(default_factory=list)
    values: list[FigureValue] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)


class IndexedPassages(Protocol):
    """What views need of a loaded index: its passages and the folder its ingest wrote the views to."""

    passages: Mapping[str, Passage]
    keyword_dir: Path


def views_signature(settings: Linking) -> str:
    """Changes with the code that reads commitments and figures and with the linking settings:
    views written by other code or settings are recomputed."""
    here = Path(__file__).parent
    code = b"".join((here / name).read_bytes() for name in sorted(os.listdir(here)) if name.endswith(".py"))
    return hashlib.sha256(code + settings.model_dump_json().encode()).hexdigest()[:16]


def compute_views(passages: Iterable[Passage] | Mapping[str, Passage], settings: Linking) -> Views:
    values = extract_figures(passages, settings)
    return Views(commitments=extract_commitments(passages), values=values, series=build_series(values, settings))


def write_views(folder: Path, passages: Iterable[Passage] | Mapping[str, Passage], settings: Linking) -> None:
    """Read commitments and figure series now, at ingest, so that loading an index stays quick."""
    tmp = folder / (VIEWS_FILE + ".tmp")
    with open(tmp, "wb") as f:
        pickle.dump({"signature": views_signature(settings), "views": compute_views(passages, settings)}, f,
                    protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, folder / VIEWS_FILE)


def read_views(folder: Path, settings: Linking) -> Views | None:
    """The views an ingest wrote into `folder`, or None (none written, or by other code or settings)."""
    try:
        with open(folder / VIEWS_FILE, "rb") as f:
            data = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("signature") != views_signature(settings):
        return None
    return data.get("views")


_CACHE: "weakref.WeakKeyDictionary[object, Views]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def views_for(index: IndexedPassages, settings: Linking | None = None) -> Views:
    """The views of a loaded index, loaded or computed once per index object (a reloaded index is read again)."""
    with _LOCK:
        hit = _CACHE.get(index)
    if hit is not None:
        return hit
    settings = settings or Linking()
    views = read_views(index.keyword_dir, settings)
    if views is None:
        # Not written at ingest (an index from an older version): compute them, unless that would take minutes.
        views = Views() if len(index.passages) > LARGE_INDEX else compute_views(index.passages, settings)
    with _LOCK:
        return _CACHE.setdefault(index, views)
