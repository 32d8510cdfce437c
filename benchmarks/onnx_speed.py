"""PyTorch against the int8 ONNX Runtime backend: encode speed, query latency, eval figures.

Run by hand:  .venv/bin/python benchmarks/onnx_speed.py [--corpus corpus]
              [--eval ../shared/eval/questions.jsonl] [--repeat 2] [--no-eval]

1. Bare encode of every passage of the corpus (the exact strings ingest embeds), best of
   `--repeat` runs per backend, runs interleaved so that load from other processes on the
   machine hits both alike; models loaded and warmed up first.
2. Query-encode latency p50 over the eval questions (three rounds), each backend in a fresh
   process of its own (in one process the two runtimes' thread pools slow each other), and
   the time that process takes to import, load the model and encode its first query.
3. Cosine between the two backends' passage vectors.
4. `assistant eval` figures with each backend, each on its own index built in a temp folder.

The machine is shared: run it twice and keep the better run's timings.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import evaluate  # noqa: E402
from assistant.api import Assistant
from assistant.core.settings import Settings
from assistant.embed.onnx import OnnxEmbedder
from assistant.embed.sbert import SentenceEmbedder
from benchmarks.ingest_speed import embed_texts  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ("evidence_hit", "first_citation_hit", "mrr", "facts_hit", "fact_recall", "correct_abstentions",
           "false_abstentions", "grounded", "latency_p50_ms")


def _questions(path: Path) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [t for r in rows for t in (r.get("turns") or [r["question"]])]


def _fresh_process(backend: str, base: Settings, cache: Path, questions: Path) -> tuple[float, float]:
    """In a new process with only this backend: seconds to import, load and encode a first query;
    then the median query-encode milliseconds over the questions (three rounds)."""
    code = (
        "import json, statistics, sys, time; t = time.perf_counter(); from assistant.embed.sbert import SentenceEmbedder; "
        "from assistant.embed.onnx import OnnxEmbedder; "
        "e = SentenceEmbedder(sys.argv[2]) if sys.argv[1] == 'torch' else OnnxEmbedder(sys.argv[2], cache_dir=sys.argv[3]); "
        "e.encode_query('How many children are in care?'); cold = time.perf_counter() - t; "
        "qs = json.load(open(sys.argv[4])); lat = []\n"
        "for q in qs * 3:\n"
        "    t = time.perf_counter(); e.encode_query(q); lat.append((time.perf_counter() - t) * 1000)\n"
        "print(cold, statistics.median(lat))"
    )
    out = subprocess.run([sys.executable, "-c", code, backend, base.model_path, str(cache), str(questions)],
                         cwd=ROOT, check=True, capture_output=True, text=True)
    cold, p50 = out.stdout.strip().splitlines()[-1].split()
    return float(cold), float(p50)


def speed(base: Settings, questions: list[str], repeat: int, tmp: Path) -> dict[str, dict[str, float]]:
    import numpy as np

    texts = embed_texts(base)
    t = time.perf_counter()
    torch_e = SentenceEmbedder(base.model_path, base.embed_batch_size)
    torch_e.encode(["warm up"] * 4)
    load_torch = time.perf_counter() - t
    t = time.perf_counter()
    onnx_e = OnnxEmbedder(base.model_path, base.embed_batch_size, cache_dir=tmp / "onnx-cache")
    export_s = time.perf_counter() - t  # torch model already loaded: export + quantise + session
    onnx_e.encode(["warm up"] * 4)
    (tmp / "questions.json").write_text(json.dumps(questions), encoding="utf-8")
    fresh = {name: _fresh_process(name, base, tmp / "onnx-cache", tmp / "questions.json") for name in ("torch", "onnx")}
    bulk: dict[str, list[float]] = {"torch": [], "onnx": []}
    cpu: dict[str, list[float]] = {"torch": [], "onnx": []}  # process CPU seconds: less swayed by other load
    for _ in range(repeat):
        for name, e in (("torch", torch_e), ("onnx", onnx_e)):
            t, c = time.perf_counter(), time.process_time()
            vecs = e.encode(texts)
            bulk[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
            if name == "torch":
                ref = vecs
            else:
                cos = (ref * vecs).sum(axis=1)
    print(f"passages: {len(texts)}; cosine onnx-int8 vs torch: mean {cos.mean():.4f}, "
          f"min {cos.min():.4f}, 5th percentile {np.percentile(cos, 5):.4f}")
    print(f"torch load + warm-up {load_torch:.1f} s; onnx export + quantise (torch model loaded) {export_s:.1f} s, "
          f"{onnx_e.onnx_path.stat().st_size / 1e6:.0f} MB")
    print(f"fresh process, import + load + first query: torch {fresh['torch'][0]:.2f} s, "
          f"onnx from cache {fresh['onnx'][0]:.2f} s")
    for name in bulk:
        print(f"{name:5s} bulk runs: {', '.join(f'{x:.2f}' for x in bulk[name])} s wall, "
              f"{', '.join(f'{x:.2f}' for x in cpu[name])} s CPU")
    return {name: {"bulk_s": min(bulk[name]), "bulk_cpu_s": min(cpu[name]), "passages_per_s": len(texts) / min(bulk[name]),
                   "query_p50_ms": fresh[name][1]} for name in bulk}


def quality(base: Settings, eval_path: Path, tmp: Path) -> dict[str, dict]:
    out = {}
    for backend in ("torch", "onnx"):
        settings = Settings(corpus=base.corpus, index=tmp / f"index-{backend}", embed_backend=backend)
        bot = Assistant(settings)
        t = time.perf_counter()
        report = bot.ingest()
        ingest_s = time.perf_counter() - t
        assert bot.embedder.backend == backend, f"{backend} requested, {bot.embedder.backend} used"
        figures = evaluate.run(Assistant(settings), eval_path).figures()
        figures["ingest_s"] = round(ingest_s, 1)
        figures["passages"] = report.total_passages
        out[backend] = figures
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT / "corpus"))
    ap.add_argument("--eval", default=str(ROOT.parent / "shared" / "eval" / "questions.jsonl"))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--no-eval", action="store_true", help="timings only")
    args = ap.parse_args()
    base = Settings(corpus=Path(args.corpus))
    eval_path = Path(args.eval)
    tmp = Path(tempfile.mkdtemp(prefix="onnx-bench-"))
    try:
        s = speed(base, _questions(eval_path), args.repeat, tmp)
        q = {} if args.no_eval else quality(base, eval_path, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(f"{'':28s}{'torch':>12s}{'onnx-int8':>12s}{'onnx/torch':>12s}")
    print(f"{'bulk encode (s)':28s}{s['torch']['bulk_s']:12.2f}{s['onnx']['bulk_s']:12.2f}"
          f"{s['onnx']['bulk_s'] / s['torch']['bulk_s']:12.2f}")
    print(f"{'bulk encode CPU (s)':28s}{s['torch']['bulk_cpu_s']:12.2f}{s['onnx']['bulk_cpu_s']:12.2f}"
          f"{s['onnx']['bulk_cpu_s'] / s['torch']['bulk_cpu_s']:12.2f}")
    print(f"{'passages / s':28s}{s['torch']['passages_per_s']:12.0f}{s['onnx']['passages_per_s']:12.0f}")
    print(f"{'query encode p50 (ms)':28s}{s['torch']['query_p50_ms']:12.2f}{s['onnx']['query_p50_ms']:12.2f}"
          f"{s['onnx']['query_p50_ms'] / s['torch']['query_p50_ms']:12.2f}")
    if q:
        n = q["torch"]["answerable"]
        for key in (*FIGURES, "ingest_s"):
            a, b = q["torch"][key], q["onnx"][key]
            print(f"{key:28s}{a!s:>12s}{b!s:>12s}")
        print(f"answerable {n}, unanswerable {q['torch']['unanswerable']}, passages {q['torch']['passages']}")
        within = all(abs(q["torch"][k] - q["onnx"][k]) <= 1 for k in
                     ("evidence_hit", "first_citation_hit", "facts_hit", "correct_abstentions", "false_abstentions"))
        print(f"onnx within one question of torch on every count: {'yes' if within else 'NO'}")


if __name__ == "__main__":
    main()
