"""A crash-safe, consistent index: SIGKILL mid-ingest, divergence checks, one writer at a time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.core.errors import IndexBusy
from assistant.core.settings import Settings
from assistant.core.types import DocumentRecord
from assistant.store.chroma import chroma_client, chroma_collection
from assistant.store.manifest import read_manifest
from assistant.store.paths import IndexPaths, acquire_lock
from assistant.store.segments import segment_key, segment_path

BIN = Path(sys.executable).with_name("assistant")


def state(settings: Settings) -> tuple[set[str], set[str], dict[str, list[str]]]:
    """(Chroma ids, BM25 ids, manifest passage ids per document)."""
    import bm25s

    paths = IndexPaths(settings.index)
    manifest = read_manifest(paths)
    assert manifest is not None
    chroma = set(chroma_collection(chroma_client(settings, paths), settings.collection).get(include=[])["ids"])
    bm25 = {r["node_id"] for r in bm25s.BM25.load(str(paths.root / manifest["bm25"]), load_corpus=True).corpus}
    return chroma, bm25, {s: sorted(d["passage_ids"]) for s, d in manifest["documents"].items()}


@pytest.fixture()
def fresh_state(small_corpus: Settings, tmp_path_factory: pytest.TempPathFactory):
    reference = Settings(corpus=small_corpus.corpus, index=tmp_path_factory.mktemp("ref") / "index")
    Assistant(reference).ingest()
    return state(reference)


def _ingest_and_kill(settings: Settings, when: str) -> None:
    env = dict(os.environ, ASSISTANT_CORPUS=str(settings.corpus), ASSISTANT_INDEX=str(settings.index))
    proc = subprocess.Popen([str(BIN), "ingest"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stderr:  # progress lines: one per stage when stderr is not a terminal
            if when in line:
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)


@pytest.mark.parametrize("when", ["Embedding passages", "Building keyword index"])
def test_sigkill_mid_ingest_is_repaired_by_the_next_ingest(small_corpus: Settings, fresh_state, when: str) -> None:
    # An index of an older corpus exists; one file changes and one is added, then the ingest is killed.
    extra = small_corpus.corpus / "children-in-care-programme-scrutiny-2023.txt"
    held = extra.read_text(encoding="utf-8")
    extra.unlink()
    Assistant(small_corpus).ingest()
    extra.write_text(held, encoding="utf-8")
    _ingest_and_kill(small_corpus, when)
    Assistant(small_corpus).ingest()
    chroma, bm25, manifest = state(small_corpus)
    ref_chroma, ref_bm25, ref_manifest = fresh_state
    assert chroma == ref_chroma  # none duplicated, none missing, none stale
    assert bm25 == ref_bm25
    assert manifest == ref_manifest
    assert Assistant(small_corpus).check().ok


def test_check_finds_and_repairs_divergence(small_corpus: Settings) -> None:
    bot = Assistant(small_corpus)
    bot.ingest()
    paths = IndexPaths(small_corpus.index)
    collection = chroma_collection(chroma_client(small_corpus, paths), small_corpus.collection)
    victims = collection.get(include=[], limit=3)["ids"]
    collection.delete(ids=victims)
    collection.add(ids=["stray"], embeddings=[[0.1] * 384], metadatas=[{"source": "gone.txt"}], documents=["stray"])
    report = bot.check()
    assert not report.ok
    assert report.missing_vectors == sorted(victims) and report.stray_vectors == ["stray"] and report.bm25_diverges
    assert "assistant check --fix" in report.summary()
    repaired = bot.check(fix=True)
    assert repaired.ok and repaired.repaired
    assert set(victims) <= state(small_corpus)[0]
    assert not bot.ask("How many children came into care from April to June 2023?").abstained


def test_a_lost_keyword_segment_is_found_and_read_again(small_corpus: Settings) -> None:
    # The vector store keeps vectors and filter fields only: a document's passages' texts are in its
    # segment. One deleted by hand is reported by `check`, and both `check --fix` and a plain ingest
    # read that document again (and only that one).
    bot = Assistant(small_corpus)
    bot.ingest()
    paths = IndexPaths(small_corpus.index)
    manifest = read_manifest(paths)
    assert manifest is not None
    source = sorted(manifest["documents"])[0]
    lost = segment_path(paths, segment_key(DocumentRecord.from_dict({"source": source, **manifest["documents"][source]})))
    lost.unlink()
    report = bot.check()
    assert not report.ok and report.missing_segments == [source]
    assert "without their keyword segment" in report.summary()
    repaired = bot.check(fix=True)
    assert repaired.ok and repaired.repaired and lost.is_file()
    lost.unlink()
    again = bot.ingest()
    assert again.changed == [source] and not again.added and lost.is_file()
    assert Assistant(small_corpus).check().ok
    assert not Assistant(small_corpus).ask("How many children came into care from April to June 2023?").abstained


def test_one_writer_at_a_time(small_corpus: Settings) -> None:
    Assistant(small_corpus).ingest()
    lock = acquire_lock(IndexPaths(small_corpus.index))
    try:
        with pytest.raises(IndexBusy, match="Another ingest"):
            Assistant(small_corpus).ingest()
        # Readers are not blocked by the writer's lock.
        assert not Assistant(small_corpus).ask("How many children came into care from April to June 2023?").abstained
    finally:
        lock.release()


def test_readers_keep_answering_while_an_ingest_runs(small_corpus: Settings) -> None:
    bot = Assistant(small_corpus)
    bot.ingest()
    (small_corpus.corpus / "more.txt").write_text(
        (Path(__file__).resolve().parent.parent / "corpus" / "dorset-children-in-care-scrutiny-report-2016.md")
        .read_text(encoding="utf-8"), encoding="utf-8")
    env = dict(os.environ, ASSISTANT_CORPUS=str(small_corpus.corpus), ASSISTANT_INDEX=str(small_corpus.index))
    proc = subprocess.Popen([str(BIN), "ingest"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    answers = 0
    try:
        deadline = time.time() + 120
        while proc.poll() is None and time.time() < deadline:
            reader = Assistant(small_corpus)
            answer = reader.ask("How many children came into care from April to June 2023?")
            assert not answer.abstained and "96" in answer.answer
            answers += 1
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == 0 and answers >= 1
    manifest = json.loads(IndexPaths(small_corpus.index).manifest.read_text(encoding="utf-8"))
    assert "more.txt" in manifest["documents"]


def test_vector_writes_are_batched_below_chromas_limit(tmp_path: Path) -> None:
    from llama_index.core.schema import TextNode

    from assistant.store.chroma import batched_vector_store

    settings = Settings(corpus=tmp_path, index=tmp_path / "index")
    client = chroma_client(settings, IndexPaths(settings.index))
    collection = chroma_collection(client, "batches")
    nodes = [TextNode(id_=f"n{i}", text=f"passage {i}", embedding=[float(i % 7 + 1)] * 384,
                      metadata={"source": f"doc{i % 2}.txt", "organisation": "A Council", "year": 2023, "title": "T"})
             for i in range(10)]
    ids = batched_vector_store(collection, 3, visibility={"doc0.txt": "public"}).add(nodes)  # four writes of at most three
    assert ids == [f"n{i}" for i in range(10)]
    assert collection.count() == 10
    # Only what queries filter on is kept beside the vector; a source without a visibility is hidden, not published.
    got = collection.get(ids=["n0", "n1"], include=["metadatas", "documents"])
    kept = dict(zip(got["ids"], got["metadatas"]))
    assert kept["n0"] == {"source": "doc0.txt", "organisation": "A Council", "year": 2023, "visibility": "public"}
    assert kept["n1"]["visibility"] == "editors"
    assert got["documents"] == [None, None]
