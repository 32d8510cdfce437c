"""Query latency and peak memory at 10k, 100k and 1M passages, and ingest throughput at 200 documents.

Run by hand (not in CI); results go into docs/benchmarks.md.

    .venv/bin/python benchmarks/scale.py query --sizes 10000 100000 1000000
    .venv/bin/python benchmarks/scale.py measure /tmp/scale/synthetic-1000000 --chroma-server
    .venv/bin/python benchmarks/scale.py ingest --documents 200

`query` builds a synthetic index per size from the real corpus's passages: texts with their
numbers altered, vectors = the real passage's vector plus small noise (so neighbourhoods look
like real ones without embedding a million texts). It writes the same files an ingest
writes (Chroma collection, a keyword segment and views per document, the BM25 folder with row
tables and views put together from them, manifest last), then measures, in a fresh process:
the model's load (the same at any size), the index's load with the first answer (what grows with
the archive), the views' load, warm `ask` latency over the benchmark questions and peak RSS.
With `--chroma-server` (an index kept with `query --keep`), the vectors are queried through a
`chroma run` server on loopback that has loaded them once, as a larger deployment runs it; the
server's memory is reported beside the app's.

`ingest` builds a synthetic corpus of N documents from the real reports' passages (numbers
altered), runs the real ingest on it, and compares with the model's bare encode of the same
texts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.settings import Settings
from assistant.core.terms import terms_signature
from assistant.core.types import DocumentRecord
from assistant.core.visibility import PUBLIC
from assistant.ingest.batches import views_folder
from assistant.ingest.pipeline import pipeline_signature
from assistant.ingest.run import write_keyword_index
from assistant.store.chroma import chroma_client, chroma_collection, node_to_passage, vector_metadata
from assistant.store.paths import DF, INDEX_VERSION, ROWS, VIEWS, IndexPaths
from assistant.store.segments import segment_from_nodes, segment_key, write_segment
from assistant.views.cache import document_views, views_signature, write_document_views

QUESTION_FILES = [ROOT / "tests/data/own_questions.jsonl", ROOT.parent / "shared/eval/questions.jsonl"]
QUESTIONS = [json.loads(line)["question"] for f in QUESTION_FILES if f.exists()
             for line in f.read_text().splitlines() if line.strip()]


def alter_numbers(text: str, rng: random.Random) -> str:
    return re.sub(r"\d", lambda m: str(rng.randint(0, 9)), text)


def real_passages(index_dir: Path) -> tuple[list[dict], "object"]:
    """The real index's BM25 rows (node dicts) and their vectors, row-aligned."""
    import bm25s
    import numpy as np

    settings = Settings(index=index_dir)
    paths = IndexPaths(index_dir)
    manifest = json.loads(paths.manifest.read_text())
    rows = list(bm25s.BM25.load(str(paths.root / manifest["bm25"]), load_corpus=True).corpus)
    got = chroma_collection(chroma_client(settings, paths), settings.collection).get(
        ids=[r["node_id"] for r in rows], include=["embeddings"])
    vec = dict(zip(got["ids"], got["embeddings"]))
    return rows, np.asarray([vec[r["node_id"]] for r in rows], dtype="float32")


def corpus_passages(corpus: Path, seed: int = 0) -> tuple[list[dict], "object"]:
    """Rows like `real_passages`'s from a corpus folder, without the model: its passages as the splitter
    makes them, with random unit vectors (for a quick check that a synthetic index is written right)."""
    import numpy as np
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores.utils import node_to_metadata_dict

    from assistant.ingest.corpus import load_corpus
    from assistant.ingest.passages import split_document
    from assistant.ingest.pipeline import passage_metadata

    rows = []
    for doc in load_corpus(corpus).documents:
        for p in split_document(doc.text, doc.source):
            node = TextNode(id_=p.id, text=p.text, start_char_idx=p.char_start, end_char_idx=p.char_end,
                            metadata=passage_metadata(p, doc))
            rows.append(node_to_metadata_dict(node) | {"node_id": p.id})
    vecs = np.random.default_rng(seed).normal(size=(len(rows), 384)).astype("float32")
    return rows, vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def build_synthetic(size: int, out: Path, base_rows: list[dict], base_vecs, per_doc: int = 5000) -> float:
    """Write a complete synthetic index of `size` passages into `out`; returns build seconds.

    Written as an ingest writes it: vectors into Chroma, one keyword segment and one views file per
    document, the BM25 index and views put together from them, and the manifest last."""
    import numpy as np

    t0 = time.perf_counter()
    rng = random.Random(size)
    nrng = np.random.default_rng(size)
    from llama_index.core.schema import TextNode

    settings = Settings(index=out)
    paths = IndexPaths(out)
    out.mkdir(parents=True, exist_ok=True)
    collection = chroma_collection(chroma_client(settings, paths), settings.collection)
    docs: dict[str, dict] = {}
    segments: dict[str, list] = {}
    batch = 5000
    for start in range(0, size, batch):
        b_ids, b_vecs, b_meta, nodes = [], [], [], []
        for i in range(start, min(size, start + batch)):
            base = base_rows[i % len(base_rows)]
            content = json.loads(base["_node_content"])
            meta = dict(content["metadata"])
            source = f"synthetic-{i // per_doc:05d}.txt"
            meta["source"] = source
            text = alter_numbers(content["text"], rng)
            pid = f"s{i:08d}"
            nodes.append(TextNode(id_=pid, text=text, start_char_idx=content["start_char_idx"] + i,
                                  end_char_idx=content["end_char_idx"] + i, metadata=meta))
            b_ids.append(pid)
            b_meta.append(vector_metadata(meta, PUBLIC))
            vec = base_vecs[i % len(base_vecs)] + nrng.normal(0, 0.015, base_vecs.shape[1]).astype("float32")
            b_vecs.append(vec / np.linalg.norm(vec))
            docs.setdefault(source, {"source": source, "title": meta["title"], "organisation": meta["organisation"],
                                     "place": meta.get("place") or None, "published": meta["published"],
                                     "kind": "synthetic", "reference": "", "sha256": "", "size": 0, "mtime_ns": 0,
                                     "passages": 0, "passage_ids": [], "visibility": PUBLIC})
            docs[source]["passages"] += 1
            docs[source]["passage_ids"].append(pid)
        collection.add(ids=b_ids, embeddings=np.asarray(b_vecs), metadatas=b_meta)
        for n in nodes:
            segments.setdefault(n.metadata["source"], []).append(n)
        last = start + batch >= size
        for source in list(segments):
            if last or source != nodes[-1].metadata["source"]:  # a document complete: its segment and views
                write_document(paths, DocumentRecord.from_dict(docs[source]), segments.pop(source), settings)
        print(f"  {min(size, start + batch):,}/{size:,} passages", end="\r", file=sys.stderr, flush=True)
    print("", file=sys.stderr)
    records = {s: DocumentRecord.from_dict(d) for s, d in docs.items()}
    keyword = write_keyword_index(settings, paths, records)
    manifest = {"version": INDEX_VERSION, "model": "all-MiniLM-L6-v2", "catalog": "", "pipeline": pipeline_signature(settings),
                "terms": terms_signature(),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "documents": docs, "glossary": [], "problems": [],
                "bm25": keyword, "views": views_signature(settings.linking)}
    paths.manifest.write_text(json.dumps(manifest))
    assert (out / keyword / ROWS).exists() and (out / keyword / DF).exists() and (out / keyword / VIEWS).exists()
    return time.perf_counter() - t0


def write_document(paths: IndexPaths, record: DocumentRecord, nodes: list, settings: Settings) -> None:
    """One synthetic document's keyword segment and views, as an ingest writes them."""
    key = segment_key(record)
    write_segment(paths, key, segment_from_nodes(record.source, nodes))
    passages = [node_to_passage(n.node_id, n.text, n.start_char_idx, n.end_char_idx, n.metadata) for n in nodes]
    write_document_views(views_folder(paths), key, document_views(passages, settings.linking), settings.linking)


def measure(index_dir: str) -> None:
    """In a fresh process: load the model, then the index and answer a first question (timed: what start-up
    costs that grows with the archive), then the views, then warm `ask` latency; print them and peak RSS as JSON."""
    from assistant.api import Assistant

    t0 = time.perf_counter()
    bot = Assistant(Settings(index=Path(index_dir), corpus=ROOT / "corpus"))
    bot.embedder.encode_query("warm up")  # the model: the same at any archive size
    t1 = time.perf_counter()
    first = bot.ask(QUESTIONS[0])
    t2 = time.perf_counter()
    bot.views()
    t3 = time.perf_counter()
    bot.warm()
    lat = []
    for _ in range(2):
        for q in QUESTIONS:
            a = bot.ask(q)
            lat.append(a.timings_ms["retrieve"] + a.timings_ms["answer"])
    lat.sort()
    print(json.dumps({
        "passages": bot.index.collection.count(), "model_s": round(t1 - t0, 1), "first_answer_s": round(t2 - t1, 2),
        "first_answer_abstained": first.abstained, "views_s": round(t3 - t2, 2), "queries": len(lat),
        "p50_ms": round(statistics.median(lat), 1), "p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


def free_port() -> int:
    """A TCP port free on loopback now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def local_chroma_server(path: Path, timeout: float = 120) -> Iterator[tuple[str, int]]:
    """`chroma run` on loopback over the folder `path`, once it answers: yields its URL and process id (the
    server of `--chroma-server`, and of tests/test_chroma_server.py)."""
    import urllib.request

    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("chroma")), "run", "--path", str(path),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(url + "/api/v2/heartbeat", timeout=2)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("the chroma server did not start")
                time.sleep(0.3)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@contextlib.contextmanager
def chroma_server(index_dir: Path) -> Iterator[tuple[str, int]]:
    """A Chroma server over the index's Chroma folder, its HNSW graph loaded by a first query (a long-running
    server pays that once, not each start of the app): yields its URL and process id."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    with local_chroma_server(index_dir / "chroma") as (url, pid):
        port = int(url.rsplit(":", 1)[1])
        client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False))
        t = time.perf_counter()
        client.get_collection(Settings().collection).query(query_embeddings=[[0.05] * 384], n_results=1)
        print(f"chroma server: HNSW loaded by its first query in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        yield url, pid


def rss_mb(pid: int) -> int:
    """Resident memory of a process now, in MB."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20


def measure_in_child(folder: Path, server: bool) -> dict:
    """`measure` in a fresh process; with `server`, against a Chroma server (its memory reported beside ours)."""
    if not server:
        proc = subprocess.run([sys.executable, __file__, "measure", str(folder)], capture_output=True, text=True)
        return json.loads(proc.stdout.strip().splitlines()[-1])
    with chroma_server(folder) as (url, pid):
        proc = subprocess.run([sys.executable, __file__, "measure", str(folder)], capture_output=True, text=True,
                              env=dict(os.environ, ASSISTANT_CHROMA_URL=url))
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["chroma_server_rss_mb"] = rss_mb(pid)
    return result


def query_bench(sizes: list[int], real_index: Path, keep: Path | None, server: bool = False) -> None:
    base_rows, base_vecs = real_passages(real_index)
    for size in sizes:
        folder = (keep or Path(tempfile.mkdtemp())) / f"synthetic-{size}"
        shutil.rmtree(folder, ignore_errors=True)
        build = build_synthetic(size, folder, base_rows, base_vecs)
        result = measure_in_child(folder, server)
        result["build_s"] = round(build, 1)
        print(json.dumps(result), flush=True)
        if keep is None:
            shutil.rmtree(folder.parent, ignore_errors=True)


def ingest_bench(documents: int) -> None:
    from assistant.embed.sbert import SentenceEmbedder
    from assistant.ingest.corpus import load_corpus
    from assistant.ingest.run import ingest

    rng = random.Random(0)
    real = load_corpus(ROOT / "corpus").documents
    blocks = [b for d in real for b in re.split(r"\n\s*\n", d.text) if b.strip()]
    tmp = Path(tempfile.mkdtemp())
    corpus = tmp / "corpus"
    corpus.mkdir()
    words = 0
    for n in range(documents):
        start = rng.randrange(len(blocks))
        body = "\n\n".join(alter_numbers(b, rng) for b in blocks[start:start + rng.randint(15, 45)])
        words += len(body.split())
        (corpus / f"report-{n:04d}.txt").write_text(f"Synthetic report {n}\n\n{body}\n", encoding="utf-8")
    settings = Settings(corpus=corpus, index=tmp / "index")
    embedder = SentenceEmbedder(settings.model_path, settings.embed_batch_size)
    embedder.encode(["warm up"] * 4)
    from benchmarks.ingest_speed import embed_texts  # the exact strings the pipeline embeds

    texts = embed_texts(settings)
    t = time.perf_counter()
    embedder.encode(texts)
    bare = time.perf_counter() - t
    t = time.perf_counter()
    report = ingest(settings, embedder=embedder)
    full = time.perf_counter() - t
    print(json.dumps({"documents": documents, "passages": report.total_passages, "words": words,
                      "bare_encode_s": round(bare, 1), "ingest_s": round(full, 1), "ratio": round(full / bare, 2),
                      "passages_per_s": round(report.total_passages / full, 1), "words_per_s": round(words / full),
                      "bare_passages_per_s": round(len(texts) / bare, 1)}))
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("query")
    q.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    q.add_argument("--real-index", type=Path, default=ROOT / "index", help="a built index of the real corpus")
    q.add_argument("--keep", type=Path, default=None, help="keep the synthetic indexes under this folder")
    i = sub.add_parser("ingest")
    i.add_argument("--documents", type=int, default=200)
    q.add_argument("--chroma-server", action="store_true", help="query the vectors through a Chroma server")
    m = sub.add_parser("measure", help="measure an index built before (by `query --keep`)")
    m.add_argument("index")
    m.add_argument("--chroma-server", action="store_true", help="query the vectors through a Chroma server")
    args = ap.parse_args()
    if args.cmd == "query":
        query_bench(args.sizes, args.real_index, args.keep, args.chroma_server)
    elif args.cmd == "ingest":
        ingest_bench(args.documents)
    elif args.chroma_server:
        print(json.dumps(measure_in_child(Path(args.index), server=True)))
    else:
        measure(args.index)


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    main()
