"""The embedding model: sentence-transformers all-MiniLM-L6-v2, loaded once, from local files only.

`make_embedder` picks the runtime from the settings: PyTorch (`sbert.Embedder`, the default)
or ONNX Runtime with int8 weights (`onnx.OnnxEmbedder`), which falls back to PyTorch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..core.settings import Settings

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """What ingest and search need of an embedding model, whichever runtime runs it."""

    backend: str

    def encode(self, texts: list[str], progress: Callable[[int, int], None] | None = None) -> "np.ndarray":
        """Unit-length vectors of `texts`, batched; `progress(done, total)` as batches finish."""
        ...

    def encode_query(self, text: str) -> list[float]:
        """The unit-length vector of one question (on one thread: a query is small)."""
        ...


def make_embedder(settings: Settings) -> Embedder:
    """The embedder `settings.embed_backend` asks for; PyTorch when the ONNX model cannot be exported or loaded."""
    if settings.embed_backend == "onnx":
        try:
            from .onnx import CACHE_FOLDER, OnnxEmbedder

            return OnnxEmbedder(settings.model_path, settings.embed_batch_size,
                                cache_dir=Path(settings.index) / CACHE_FOLDER)
        except Exception as exc:  # export or load failed (missing package, read-only index folder, odd model)
            log.warning("ONNX embedding backend unavailable, using PyTorch instead: %s", exc)
    from .sbert import SentenceEmbedder

    return SentenceEmbedder(settings.model_path, settings.embed_batch_size, settings.embed_without_torch)
