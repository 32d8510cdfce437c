"""Full ingest time against the model's bare encode time on the same passages.

Run by hand:  .venv/bin/python benchmarks/ingest_speed.py [--corpus corpus] [--repeat 2]

Both timings exclude loading the model (done once first); the ingest timing includes
everything else: reading, splitting, llama-index pipeline, Chroma writes, BM25 build,
manifest. Also times an unchanged re-ingest in a fresh process, as a user runs it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.core.settings import Settings
from assistant.embed.sbert import SentenceEmbedder
from assistant.ingest.corpus import load_corpus
from assistant.ingest.pipeline import node_parser
from assistant.ingest.run import ingest


def embed_texts(settings: Settings) -> list[str]:
    """Exactly the strings the ingestion pipeline hands to the model."""
    from llama_index.core import Document as LlamaDocument
    from llama_index.core.schema import MetadataMode

    docs = load_corpus(Path(settings.corpus)).documents
    llama_docs = [LlamaDocument(id_=d.source, text=d.text, metadata={**d.meta(), "pages": "[]"}) for d in docs]
    nodes = node_parser(settings.max_passage_chars)(llama_docs)
    return [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="corpus")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    base = Settings(corpus=Path(args.corpus))
    embedder = SentenceEmbedder(base.model_path, base.embed_batch_size)
    t = time.perf_counter()
    embedder.encode(["warm up"] * 4)
    print(f"model load + warm-up: {time.perf_counter() - t:.2f} s")
    texts = embed_texts(base)
    bare, full = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        embedder.encode(texts)
        bare.append(time.perf_counter() - t)
        tmp = Path(tempfile.mkdtemp())
        try:
            t = time.perf_counter()
            report = ingest(Settings(corpus=Path(args.corpus), index=tmp / "index"), embedder=embedder)
            full.append(time.perf_counter() - t)
            assert report.total_passages == len(texts), (report.total_passages, len(texts))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    b, f = min(bare), min(full)
    print(f"passages: {len(texts)}, characters embedded: {sum(map(len, texts)):,}")
    print(f"bare encode: {b:.2f} s ({len(texts) / b:.0f} passages/s)   runs: {', '.join(f'{x:.2f}' for x in bare)}")
    print(f"full ingest: {f:.2f} s   runs: {', '.join(f'{x:.2f}' for x in full)}")
    print(f"ratio ingest / bare encode: {f / b:.2f} (target <= 1.30)")

    tmp = Path(tempfile.mkdtemp())
    try:
        settings = Settings(corpus=Path(args.corpus), index=tmp / "index")
        ingest(settings, embedder=embedder)
        cli = Path(sys.executable).with_name("assistant")
        t = time.perf_counter()
        subprocess.run([str(cli), "ingest", "--corpus", str(settings.corpus), "--index", str(settings.index)],
                       check=True, capture_output=True)
        print(f"unchanged re-ingest (fresh process, `assistant ingest`): {time.perf_counter() - t:.2f} s (target <= 2 s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
