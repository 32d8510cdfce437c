"""The ONNX Runtime backend on the real model: export, closeness to PyTorch, use in ingest and ask."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.api import Assistant
from assistant.core.settings import Settings
from assistant.embed import make_embedder
from assistant.embed.onnx import MODEL_FILE, OnnxEmbedder, cache_path, export, source_key
from assistant.embed.sbert import SentenceEmbedder
from assistant.ingest.corpus import load_corpus
from assistant.ingest.passages import split_document
from assistant.ingest.pipeline import pipeline_signature

ROOT = Path(__file__).resolve().parent.parent
MODEL = Settings().model_path


@pytest.fixture(scope="module")
def passages() -> list[str]:
    """Real passages of every report (every 4th, to keep the test quick), plus edge cases."""
    texts = [p.text for d in load_corpus(ROOT / "corpus").documents for p in split_document(d.text, d.source, 420)]
    long = " ".join(texts[:40])  # far past 256 tokens: truncated alike by both backends
    return texts[::4] + ["", "a", "  Café naïve — “quotes” £6.2m 85.7%  ", long]


@pytest.fixture(scope="module")
def torch_vectors(passages: list[str]) -> np.ndarray:
    return SentenceEmbedder(MODEL).encode(passages)


@pytest.fixture(scope="module")
def int8_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The int8 export, made by a fresh process that cannot reach any hub."""
    cache = tmp_path_factory.mktemp("cache") / "onnx"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
    code = ("import sys; from assistant.embed.onnx import ensure_export; "
            f"ensure_export({MODEL!r}, __import__('pathlib').Path(sys.argv[1]))")
    subprocess.run([sys.executable, "-c", code, str(cache / MODEL_FILE)], check=True, env=env, cwd=ROOT, timeout=600)
    return cache


def test_export_is_int8_cached_and_written_whole(int8_cache: Path) -> None:
    import onnx

    target = int8_cache / MODEL_FILE
    assert [p.name for p in int8_cache.iterdir()] == [MODEL_FILE]  # no temporary files left behind
    assert 15e6 < target.stat().st_size < 30e6  # int8 weights: about a quarter of the 90 MB fp32 model
    model = onnx.load(str(target))
    assert any(n.op_type in ("MatMulInteger", "DynamicQuantizeMatMul") for n in model.graph.node)
    assert {i.name for i in model.graph.input} == {"input_ids", "attention_mask", "token_type_ids"}
    # A second embedder reuses the export of the same weights instead of making it again.
    stamp = target.stat().st_mtime_ns
    embedder = OnnxEmbedder(MODEL, cache_dir=int8_cache)
    assert embedder.onnx_path == target and target.stat().st_mtime_ns == stamp
    assert embedder.max_seq_length == 256 and embedder.dimension == 384


def test_fp32_export_matches_torch(tmp_path: Path, passages: list[str], torch_vectors: np.ndarray) -> None:
    path = export(MODEL, tmp_path / "fp32.onnx", quantize=False)
    vectors = OnnxEmbedder(MODEL, onnx_path=path).encode(passages)
    cosine = (vectors * torch_vectors).sum(axis=1)
    assert cosine.min() > 0.999, cosine.min()


def test_int8_stays_close_to_torch(int8_cache: Path, passages: list[str], torch_vectors: np.ndarray) -> None:
    vectors = OnnxEmbedder(MODEL, cache_dir=int8_cache).encode(passages)
    cosine = (vectors * torch_vectors).sum(axis=1)
    assert cosine.mean() > 0.98 and cosine.min() > 0.95, (cosine.mean(), cosine.min())


def test_encode_shape_order_normalisation_and_progress(int8_cache: Path, passages: list[str]) -> None:
    embedder = OnnxEmbedder(MODEL, batch_size=8, cache_dir=int8_cache)
    calls: list[tuple[int, int]] = []
    vectors = embedder.encode(passages, progress=lambda done, total: calls.append((done, total)))
    assert vectors.shape == (len(passages), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert calls[-1] == (len(passages), len(passages)) and [d for d, _ in calls] == sorted(d for d, _ in calls)
    # Length-sorted batching hands every vector back in its text's place. (Not bit for bit: the
    # int8 activations are scaled per batch, so a text's batch-mates move its vector a little, most
    # for the shortest fragments: "1." moved to 0.974. A vector in another text's place is far lower.)
    backwards = embedder.encode(passages[::-1])[::-1]
    cosine = (backwards * vectors).sum(axis=1)
    assert cosine.min() > 0.95 and cosine.mean() > 0.99, (cosine.min(), cosine.mean())
    others = vectors @ backwards.T - np.diag(cosine)
    assert (cosine > others.max(axis=1) - 1e-6).mean() > 0.95  # each text is nearest to itself
    query = embedder.encode_query(passages[3])
    assert isinstance(query, list) and len(query) == 384
    assert float(np.dot(query, vectors[3])) > 0.98
    assert embedder.encode([]).shape == (0, 384)


def test_ingest_and_ask_with_the_onnx_backend(small_corpus: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBED_BACKEND", "onnx")
    settings = Settings(corpus=small_corpus.corpus, index=small_corpus.index)
    assert settings.embed_backend == "onnx"
    bot = Assistant(settings)
    report = bot.ingest()
    assert len(report.added) == 2 and report.total_passages > 50
    assert cache_path(settings.index).is_file()
    assert bot.embedder.backend == "onnx"
    answer = bot.ask("How many children came into care from April to June 2023?")
    assert not answer.abstained and "96" in answer.answer
    answer = bot.ask("How did the number of children in Kinship Care change?")
    assert not answer.abstained and "108" in answer.answer and "125" in answer.answer
    assert bot.ask("What is the population of Edinburgh?").abstained
    assert Assistant(settings).ingest().nothing_changed


def test_switching_backend_rebuilds_the_index(small_corpus: Settings) -> None:
    torch_settings = small_corpus
    onnx_settings = Settings(corpus=small_corpus.corpus, index=small_corpus.index, embed_backend="onnx")
    assert pipeline_signature(torch_settings) != pipeline_signature(onnx_settings)
    Assistant(torch_settings).ingest()
    switched = Assistant(onnx_settings).ingest()
    assert switched.rebuilt and switched.passages_embedded == switched.total_passages
    back = Assistant(torch_settings).ingest()
    assert back.rebuilt and back.passages_embedded == back.total_passages


def test_factory_defaults_to_torch_and_falls_back_to_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert Settings().embed_backend == "torch"
    assert isinstance(make_embedder(Settings(index=tmp_path / "index")), SentenceEmbedder)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the index folder should be")  # the export has nowhere to go
    with caplog.at_level(logging.WARNING, logger="assistant.embed"):
        embedder = make_embedder(Settings(index=blocked, embed_backend="onnx"))
    assert isinstance(embedder, SentenceEmbedder)
    assert "ONNX embedding backend unavailable" in caplog.text
    assert len(embedder.encode_query("children in care")) == 384


def test_cache_is_keyed_to_the_weights(int8_cache: Path, tmp_path: Path) -> None:
    import onnx

    from assistant.embed.onnx import read_meta

    assert read_meta(int8_cache / MODEL_FILE)["source"] == source_key(MODEL)
    # An export made from other weights (or by another recipe) is made again, not used.
    stale = tmp_path / "onnx"
    stale.mkdir()
    model = onnx.load(str(int8_cache / MODEL_FILE))
    for prop in model.metadata_props:
        prop.value = prop.value.replace(source_key(MODEL), "0" * 24)
    onnx.save(model, str(stale / MODEL_FILE))
    embedder = OnnxEmbedder(MODEL, cache_dir=stale)
    assert read_meta(embedder.onnx_path)["source"] == source_key(MODEL)
