"""Restricted reports and the question log, run by hand (issue 12 targets):

    .venv/bin/python benchmarks/restricted.py                       # corpus/ and index/ of this checkout
    .venv/bin/python benchmarks/restricted.py --index /tmp/idx --runs 10

1. Visibility change: a home-corpus report made editors-only and public again, `runs` times each, on a copy
   of the index (the checkout's is never changed): the wall time of `set_visibility` (catalog.toml, the
   vector store's metadata, the audiences' keyword indexes, the manifest). It also checks that nothing was
   re-embedded: the same vectors, byte for byte, and the same number. Target: <= 1 s.
2. Question log: the same questions asked with the log on (anonymous) and off, interleaved, warm; the
   median extra time per question, and the time of one `record_question` write alone. Target: <= 5 ms.
The load average is printed with each figure: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ["What happened to external residential numbers?", "How many contacts per day does the MASH team receive?",
             "What does UASC stand for?", "What is the council's budget for road maintenance?",
             "How much does an in-house foster parent cost compared with an agency foster parent?"]


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from assistant.answer.retrieve import Filters
    from assistant.api import Assistant
    from assistant.core.identity import Viewer
    from assistant.core.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="bench-restricted-"))
    try:
        corpus, index = work / "corpus", work / "index"
        shutil.copytree(args.corpus, corpus)
        shutil.copytree(args.index, index, ignore=shutil.ignore_patterns(".lock", "audit.sqlite*", "questions*"))
        settings = Settings(corpus=corpus, index=index)
        bot = Assistant(settings)
        bot.ingest()  # brings an index of an earlier version up to date (visibility written once)
        editor = Viewer.local("cli")
        source = max(bot.documents(), key=lambda d: d.passages).source
        ids = bot.index.collection.get(where={"source": source}, include=[])["ids"]
        before = bot.index.collection.get(ids=ids[:50], include=["embeddings"])["embeddings"]
        count = bot.index.collection.count()
        times = []
        for _ in range(args.runs):
            for value in ("editors", "public"):
                t0 = time.perf_counter()
                bot.set_visibility(source, value, editor)
                times.append(time.perf_counter() - t0)
        after = bot.index.collection.get(ids=ids[:50], include=["embeddings"])["embeddings"]
        same = count == bot.index.collection.count() and all((a == b).all() for a, b in zip(before, after))
        print(f"visibility change ({source}, {len(ids)} passages of {count}): median {statistics.median(times):.3f} s, "
              f"max {max(times):.3f} s over {len(times)} changes; vectors unchanged: {same}; {load()}")

        bot.warm()
        ons, offs = [], []
        log_on = bot.conversation(Filters(), Viewer.anonymous(), record=True)
        log_off = bot.conversation(Filters(), Viewer.anonymous(), record=False)
        for _ in range(args.runs):
            for q in QUESTIONS:
                for chat, out in ((log_on, ons), (log_off, offs)):
                    chat.reset()
                    t0 = time.perf_counter()
                    chat.ask(q)
                    out.append(time.perf_counter() - t0)
        answer = bot.ask(QUESTIONS[0])
        writes = []
        for _ in range(args.runs * 10):
            t0 = time.perf_counter()
            bot.record_question(Viewer(id="reader@council.example"), answer, Filters(), "bench", 1, "")
            writes.append(time.perf_counter() - t0)
        extra = (statistics.median(ons) - statistics.median(offs)) * 1000
        print(f"question log: per question median {statistics.median(ons) * 1000:.1f} ms with the log, "
              f"{statistics.median(offs) * 1000:.1f} ms without (difference {extra:+.1f} ms, {len(ons)} questions "
              f"each); one write alone median {statistics.median(writes) * 1000:.2f} ms, "
              f"max {max(writes) * 1000:.2f} ms; {load()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
