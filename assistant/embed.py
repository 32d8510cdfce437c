"""The embedding model: sentence-transformers all-MiniLM-L6-v2, loaded once, from local files only.

`make_embedder` picks the runtime from the settings: PyTorch (`Embedder`, the default) or
ONNX Runtime with int8 weights (`onnx_embed.OnnxEmbedder`), which falls back to PyTorch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from .settings import Settings

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}
# torch's thread count is process-wide. A single query runs on one thread: with two, the
# threads spin-wait on each other and one busy neighbour process makes a 15 ms query take
# 500 ms. Bulk encoding uses every core. The lock keeps the two from changing it under each other.
_THREADS = threading.Lock()


def _encode(model: Any, texts: list[str], batch_size: int, threads: int) -> Any:
    import torch

    with _THREADS:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        return model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                            show_progress_bar=False)


def _all_cores() -> int:
    import os

    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def load_model(model_path: str) -> Any:
    """The SentenceTransformer at `model_path`, loaded once per process (it takes seconds)."""
    with _LOCK:
        if model_path not in _MODELS:
            from sentence_transformers import SentenceTransformer  # heavy: torch + transformers

            _MODELS[model_path] = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        return _MODELS[model_path]


class Embedder:
    """Unit-length sentence embeddings, batched."""

    backend = "torch"

    def __init__(self, model_path: str, batch_size: int = 64) -> None:
        self.model_path = model_path
        self.batch_size = batch_size

    @property
    def model(self) -> Any:
        return load_model(self.model_path)

    def encode(self, texts: list[str], progress: Callable[[int, int], None] | None = None) -> "np.ndarray":
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype="float32")
        if progress is None:
            return _encode(self.model, texts, self.batch_size, _all_cores())
        # Sorted by length first (as the model does within one call), then fed in chunks of a
        # few batches so a progress bar can move without costing extra padding.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        out = np.zeros((len(texts), dim()), dtype="float32")
        step = self.batch_size * 4
        for i in range(0, len(order), step):
            chunk = order[i:i + step]
            out[chunk] = _encode(self.model, [texts[j] for j in chunk], self.batch_size, _all_cores())
            progress(min(i + step, len(texts)), len(texts))
        return out

    def encode_query(self, text: str) -> list[float]:
        return _encode(self.model, [text], 1, 1)[0].tolist()


def make_embedder(settings: "Settings") -> Any:
    """The embedder `settings.embed_backend` asks for; PyTorch when the ONNX model cannot be exported or loaded."""
    if settings.embed_backend == "onnx":
        try:
            from .onnx_embed import CACHE_FOLDER, OnnxEmbedder

            return OnnxEmbedder(settings.model_path, settings.embed_batch_size,
                                cache_dir=Path(settings.index) / CACHE_FOLDER)
        except Exception as exc:  # export or load failed (missing package, read-only index folder, odd model)
            log.warning("ONNX embedding backend unavailable, using PyTorch instead: %s", exc)
    return Embedder(settings.model_path, settings.embed_batch_size)


def llama_embedding(embedder: Embedder, progress: Callable[[int, int], None] | None = None) -> Any:
    """The embedder as a llama-index `BaseEmbedding`, so the ingestion pipeline can run it."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class MiniLMEmbedding(BaseEmbedding):
        _embedder: Embedder = PrivateAttr()
        _progress: Any = PrivateAttr(default=None)
        _done: int = PrivateAttr(default=0)

        def __init__(self, embedder: Embedder, progress: Any = None) -> None:
            # The pipeline hands over all texts in one call; the model batches them itself.
            super().__init__(model_name=embedder.model_path, embed_batch_size=2048)
            self._embedder = embedder
            self._progress = progress

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embedder.encode_query(query)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embeddings([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embedder.encode(texts, progress=self._progress).tolist()

    return MiniLMEmbedding(embedder, progress)
