"""The PyTorch runtime: the SentenceTransformer model, loaded once per process, batched encoding.

A question is encoded by the same fp32 network in numpy (`numpy_bert`), which gives the same vector
without importing torch (seconds); so are the first few passages a process embeds (a changed report),
up to Settings.embed_without_torch. PyTorch encodes the rest, and everything of a model numpy cannot run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

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
            from sentence_transformers import (
                SentenceTransformer,  # heavy: torch + transformers
            )

            _MODELS[model_path] = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        return _MODELS[model_path]


class SentenceEmbedder:
    """Unit-length sentence embeddings, batched."""

    backend = "torch"

    def __init__(self, model_path: str, batch_size: int = 64, without_torch: int = 0) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        # Passages this embedder may still encode in numpy while PyTorch is not loaded (Settings.embed_without_torch).
        self.without_torch = without_torch

    @property
    def model(self) -> Any:
        return load_model(self.model_path)

    def encode(self, texts: list[str], progress: Callable[[int, int], None] | None = None) -> "np.ndarray":
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype="float32")
        few = self._in_numpy(texts, progress)
        if few is not None:
            return few
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

    def _in_numpy(self, texts: list[str], progress: Callable[[int, int], None] | None) -> "np.ndarray | None":
        """`texts` encoded by the numpy network when PyTorch is not loaded and they fit in what is left of
        `without_torch` (a changed report: seconds, where importing PyTorch alone takes six); else None."""
        with _LOCK:
            if self.model_path in _MODELS or len(texts) > self.without_torch:
                return None
            self.without_torch -= len(texts)
        from .numpy_bert import load_query_model

        fast = load_query_model(self.model_path)
        if fast is None:
            return None
        import numpy as np

        out = []
        for i, text in enumerate(texts, 1):
            out.append(fast.encode(text))
            if progress is not None and (i % self.batch_size == 0 or i == len(texts)):
                progress(i, len(texts))
        return np.stack(out)

    def encode_query(self, text: str) -> list[float]:
        from .numpy_bert import load_query_model

        fast = load_query_model(self.model_path)
        if fast is not None:
            return fast.encode(text).tolist()
        return _encode(self.model, [text], 1, 1)[0].tolist()
