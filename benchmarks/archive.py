"""The size of a council's archive: ingest speed, memory, resumption and re-ingest on thousands of documents.

Run by hand (not in CI); results go into docs/benchmarks.md:

    .venv/bin/python benchmarks/archive.py --documents 2000 --small 200

It makes a library (benchmarks/archive_library.py: the multi-council development documents as
seeds, when built, and documents of our own writing in PDF with tables and slides, Word, HTML,
text and Markdown, plus three unreadable PDFs) in a git-ignored folder, then measures:

* PDF extraction against `pdftotext -layout` on the same PDFs: time, and words kept per file
  (the worst file is named);
* a whole ingest of the library in a fresh process (model loaded first, not counted), per stage:
  read/extract (in the worker, and how long the embedding waited for it), split, embed, write to
  Chroma, keyword index, views, manifest; documents/s, passages/s, peak RSS; then, in the same
  process, the model's bare encode of exactly the strings the ingest embedded (twice; the faster run
  is the reference), and the ratio;
* the same for the small library (memory: peak RSS at `--small` against `--documents`);
* re-ingest after changing one document: in the same process (model loaded) and as a user runs
  it (`assistant ingest`, a fresh process);
* an ingest killed (SIGKILL) halfway, then resumed: the passages embedded on resume, and whether
  the result is the same as the uninterrupted build (manifest, Chroma and BM25 ids; `assistant check`).

The last line is one summary that can be compared between commits.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.archive_library import make_library  # noqa: E402
from benchmarks.pdf_extraction import ours, pdftotext, words  # noqa: E402

DATA = ROOT / "benchmarks" / "archive-data"  # git-ignored
BIN = Path(sys.executable).with_name("assistant")


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


class ReaderPeak:
    """The largest peak RSS (VmHWM) of this process's children (the read workers), sampled while they run.

    Not `getrusage(RUSAGE_CHILDREN)`: a "spawn" child is forked before it execs, and the kernel keeps
    the forked copy's RSS (this process's, model included) as that child's peak."""

    def __init__(self, every: float = 0.5) -> None:
        self.mb, self.every, self.stop = 0.0, every, threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.stop.wait(self.every):
            for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
                for pid in children.read_text().split():
                    try:
                        status = Path(f"/proc/{pid}/status").read_text()
                    except OSError:
                        continue
                    for line in status.splitlines():
                        if line.startswith("VmHWM:"):
                            self.mb = max(self.mb, int(line.split()[1]) / 1024)

    def done(self) -> float:
        self.stop.set()
        self.thread.join()
        return self.mb


class RecordingEmbedder:
    """The ingest's embedder, writing down every string it is asked to embed (for the bare encode after)."""

    def __init__(self, inner: object, out: Path) -> None:
        self.inner, self.out = inner, open(out, "w", encoding="utf-8")
        self.backend = inner.backend  # type: ignore[attr-defined]
        self.model_path = inner.model_path  # type: ignore[attr-defined]

    def encode(self, texts: list[str], progress=None):  # type: ignore[no-untyped-def]
        for t in texts:
            self.out.write(json.dumps(t) + "\n")
        self.out.flush()
        return self.inner.encode(texts, progress=progress)  # type: ignore[attr-defined]

    def encode_query(self, text: str) -> list[float]:
        return self.inner.encode_query(text)  # type: ignore[attr-defined]


def warm_bulk_model(embedder: "object", settings: "object") -> None:
    """Load the model that embeds an archive (PyTorch): more strings than a process embeds in numpy before
    loading it (Settings.embed_without_torch), so that its load is not counted in the ingest."""
    embedder.encode(["warm up"] * (settings.embed_without_torch + 1))  # type: ignore[attr-defined]


def child(corpus: Path, index: Path, texts: Path, change: Path | None) -> None:
    """In a fresh process: warm the model, ingest, bare-encode the same strings, re-ingest after a change."""
    from assistant.core.settings import Settings
    from assistant.embed import make_embedder
    from assistant.ingest.run import ingest

    settings = Settings(corpus=corpus, index=index)
    inner = make_embedder(settings)
    warm_bulk_model(inner, settings)
    rss_before = peak_rss_mb()
    embedder = RecordingEmbedder(inner, texts)
    readers = ReaderPeak()
    t = time.perf_counter()
    report = ingest(settings, embedder=embedder)
    ingest_s = time.perf_counter() - t
    out = {"documents": len(report.added) + len(report.changed), "problems": [[p.source, p.reason] for p in report.problems],
           "passages": report.total_passages, "embedded": report.passages_embedded, "ingest_s": ingest_s,
           "stages": report.stages, "rss_model_mb": rss_before, "peak_rss_mb": peak_rss_mb(),
           "reader_rss_mb": readers.done()}
    embedder.out.close()
    strings = [json.loads(line) for line in texts.read_text(encoding="utf-8").splitlines()]
    runs = []
    for _ in range(2):  # twice: on this machine one run moves ±8%; the faster one is the stricter reference
        t = time.perf_counter()
        for start in range(0, len(strings), 4096):  # in chunks, as the ingest does: no padding to one huge batch
            inner.encode(strings[start:start + 4096])
        runs.append(time.perf_counter() - t)
    out["bare_s"], out["bare_runs"] = min(runs), runs
    out["bare_passages"] = len(strings)
    del strings
    if change is not None:
        with open(change, "a", encoding="utf-8") as f:
            f.write("\n\nAn added paragraph: the committee noted 17 new allotment plots in the north ward.\n")
        t = time.perf_counter()
        again = ingest(settings, embedder=inner)
        out["reingest_s"] = time.perf_counter() - t
        out["reingest_embedded"] = again.passages_embedded
        out["reingest_stages"] = again.stages
    print(json.dumps(out))


def resume_child(corpus: Path, index: Path) -> None:
    """Resume an interrupted ingest (model loaded first); report what it embedded."""
    from assistant.core.settings import Settings
    from assistant.embed import make_embedder
    from assistant.ingest.run import ingest

    settings = Settings(corpus=corpus, index=index)
    embedder = make_embedder(settings)
    warm_bulk_model(embedder, settings)
    t = time.perf_counter()
    report = ingest(settings, embedder=embedder)
    print(json.dumps({"resumed_documents": report.resumed, "embedded": report.passages_embedded,
                      "passages": report.total_passages, "seconds": time.perf_counter() - t}))


def run_child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          env=dict(os.environ, TQDM_DISABLE="1"))
    if done.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def pdf_comparison(files: list[Path]) -> dict:
    pdfs = [p for p in files if p.suffix.lower() == ".pdf"]
    ours(pdfs[0], pdfs[0].read_bytes())  # imports and PDFium start-up, once
    t_ours = t_ptt = 0.0
    w_ours = w_ptt = 0
    worst = (2.0, "")
    problems = 0
    for p in pdfs:
        text, s, _, problem = ours(p, p.read_bytes())
        ref, s2 = pdftotext(p)
        t_ours += s
        t_ptt += s2
        if problem:
            problems += 1
            continue
        a, b = words(text), words(ref)
        w_ours += a
        w_ptt += b
        if b and a / b < worst[0]:
            worst = (a / b, p.name)
    return {"pdfs": len(pdfs), "unreadable": problems, "ours_s": t_ours, "pdftotext_s": t_ptt,
            "time_ratio": t_ours / t_ptt, "words_ratio": w_ours / max(1, w_ptt), "worst_words": worst[0],
            "worst_file": worst[1]}


def kill_halfway(corpus: Path, index: Path) -> int:
    """Start `assistant ingest` and SIGKILL it once half the documents are done; returns how many were."""
    env = dict(os.environ, ASSISTANT_CORPUS=str(corpus), ASSISTANT_INDEX=str(index))
    proc = subprocess.Popen([str(BIN), "ingest"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    done = 0
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            if "Embedding passages" in line and " of " in line:
                head = line.split("]")[-1].strip().split(" documents")[0]
                n, total = (int(x.replace(",", "")) for x in head.split(" of "))
                if n >= total / 2:
                    done = n
                    break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=120)
    return done


def same_index(a: Path, b: Path) -> dict:
    """Manifest passage ids, Chroma ids and BM25 ids of two indexes, compared."""
    import bm25s

    from assistant.core.settings import Settings
    from assistant.store.chroma import chroma_client, chroma_collection
    from assistant.store.paths import IndexPaths

    def state(folder: Path) -> tuple:
        manifest = json.loads((folder / "manifest.json").read_text())
        settings = Settings(index=folder)
        chroma = set(chroma_collection(chroma_client(settings, IndexPaths(folder)), settings.collection)
                     .get(include=[])["ids"])
        bm25 = [r["node_id"] for r in bm25s.BM25.load(str(folder / manifest["bm25"]), load_corpus=True).corpus]
        docs = {s: d["passage_ids"] for s, d in manifest["documents"].items()}
        return docs, chroma, bm25, manifest["glossary"]

    x, y = state(a), state(b)
    return {"manifest": x[0] == y[0], "chroma": x[1] == y[1], "bm25": x[2] == y[2], "glossary": x[3] == y[3]}


def ingest_run(library: Path, name: str, change: Path | None) -> dict:
    index = DATA / f"index-{name}"
    shutil.rmtree(index, ignore_errors=True)
    return run_child("child", str(library), str(index), str(DATA / f"texts-{name}.jsonl"), str(change or ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--documents", type=int, default=2000)
    ap.add_argument("--small", type=int, default=200, help="a smaller library, for peak memory against size")
    ap.add_argument("--interrupt", choices=["small", "big", "none"], default="big",
                    help="which library's ingest is killed halfway and resumed (default: the big one)")
    args = ap.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")
    load = os.getloadavg()
    big_folder, small_folder = DATA / f"library-{args.documents}", DATA / f"library-{args.small}"
    big = make_library(big_folder, args.documents)
    small = make_library(small_folder, args.small)
    print(f"library: {len(big)} files ({args.documents} asked), small: {len(small)}; load average {load[0]:.2f}",
          flush=True)
    pdf = pdf_comparison(big)
    print(f"PDF extraction: {pdf['pdfs']} PDFs ({pdf['unreadable']} unreadable): ours {pdf['ours_s']:.1f} s, "
          f"pdftotext -layout {pdf['pdftotext_s']:.1f} s, ratio {pdf['time_ratio']:.2f}; words kept "
          f"{pdf['words_ratio']:.3f} overall, worst file {pdf['worst_words']:.3f} ({pdf['worst_file']})", flush=True)
    results = {}
    for name, library, folder in (("small", small, small_folder), ("big", big, big_folder)):
        change = next(p for p in sorted(library) if p.suffix == ".txt") if name == "big" else None
        results[name] = r = ingest_run(folder, name, change)
        rate = r["passages"] / r["ingest_s"]
        st = {k: round(v, 1) for k, v in r["stages"].items()}
        print(f"{name}: {len(library)} files, {r['documents']} indexed, {len(r['problems'])} skipped, "
              f"{r['passages']:,} passages: ingest {r['ingest_s']:.1f} s ({r['documents'] / r['ingest_s']:.1f} docs/s, "
              f"{rate:.0f} passages/s), bare encode {r['bare_s']:.1f} s (the faster of "
              f"{' and '.join(f'{x:.1f}' for x in r['bare_runs'])}; {r['bare_passages']:,} strings), ratio "
              f"{r['ingest_s'] / r['bare_s']:.2f}; peak RSS {r['peak_rss_mb']:.0f} MB (model loaded: "
              f"{r['rss_model_mb']:.0f} MB before the ingest; a reader process: {r['reader_rss_mb']:.0f} MB); stages {st}",
              flush=True)
        for source, reason in r["problems"]:
            print(f"  skipped {source}: {reason}")
    b = results["big"]
    print(f"re-ingest after changing one document (same process, model loaded): {b['reingest_s']:.2f} s, "
          f"{b['reingest_embedded']} passages embedded; stages "
          f"{ {k: round(v, 2) for k, v in b['reingest_stages'].items()} }", flush=True)
    change = next(p for p in sorted(big) if p.suffix == ".md")
    with open(change, "a", encoding="utf-8") as f:
        f.write("\n\nA second added paragraph: 4 new benches were installed in the park.\n")
    env = dict(os.environ, ASSISTANT_CORPUS=str(big_folder),
               ASSISTANT_INDEX=str(DATA / "index-big"))
    t = time.perf_counter()
    subprocess.run([str(BIN), "ingest"], check=True, capture_output=True, env=env)
    cli_s = time.perf_counter() - t
    print(f"re-ingest after changing one document (`assistant ingest`, fresh process): {cli_s:.2f} s", flush=True)
    summary_resume = ""
    if args.interrupt != "none":
        # The reference is that library's index as it is now (the big one with both changes in): the resumed
        # build must equal it.
        library = big_folder if args.interrupt == "big" else small_folder
        index = DATA / "index-resumed"
        shutil.rmtree(index, ignore_errors=True)
        killed_at = kill_halfway(library, index)
        resumed = run_child("resume", str(library), str(index))
        same = same_index(index, DATA / f"index-{args.interrupt}")
        check = subprocess.run([str(BIN), "check", "--corpus", str(library), "--index", str(index)],
                               capture_output=True, text=True)
        print(f"killed at {killed_at} documents; resumed: kept {resumed['resumed_documents']} documents, embedded "
              f"{resumed['embedded']:,} of {resumed['passages']:,} passages in {resumed['seconds']:.1f} s; same as the "
              f"uninterrupted build: {same}; `assistant check`: {check.stdout.strip()}", flush=True)
        summary_resume = f" | {args.interrupt} killed halfway, resume embeds {resumed['embedded']:,}/{resumed['passages']:,}, same={all(same.values())}"
    s = results["small"]
    st = b["stages"]
    print(f"ARCHIVE {args.documents} docs {b['passages']:,} passages | ingest {b['ingest_s']:.0f} s "
          f"= {b['ingest_s'] / b['bare_s']:.2f}x bare encode ({b['bare_s']:.0f} s) | {b['documents'] / b['ingest_s']:.1f} "
          f"docs/s {b['passages'] / b['ingest_s']:.0f} passages/s | read {st.get('read', 0):.0f} s (waited "
          f"{st.get('wait', 0):.0f}) split {st.get('split', 0):.0f} embed {st.get('embed', 0):.0f} write "
          f"{st.get('write', 0):.0f} keyword {st.get('keyword', 0):.0f} views {st.get('views', 0):.0f} | PDF "
          f"{pdf['time_ratio']:.2f}x pdftotext, worst words {pdf['worst_words']:.3f} | peak RSS {b['peak_rss_mb']:.0f} MB"
          f" vs {s['peak_rss_mb']:.0f} MB at {args.small} ({b['peak_rss_mb'] / s['peak_rss_mb']:.2f}x) | re-ingest one "
          f"{b['reingest_s']:.1f} s (CLI {cli_s:.1f} s){summary_resume} | load {load[0]:.1f}->{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]) if sys.argv[5] else None)
    elif len(sys.argv) > 1 and sys.argv[1] == "resume":
        resume_child(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        main()
