"""The embedder as a llama-index embedding model, for the ingestion pipeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import Embedder


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
