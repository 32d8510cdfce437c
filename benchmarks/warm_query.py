"""Warm query latency of whichever `assistant` package is first on the path, for side-by-side runs.

    .venv/bin/python benchmarks/warm_query.py index/ --passes 5

Two checkouts compared on a busy machine (issue 8: the refactor must not slow a warm query by more
than 10%): alternate runs of each, every run in a fresh process, each with its own index built by
its own code, e.g.

    git worktree add --detach /tmp/before <commit>
    (cd /tmp/before && PYTHONPATH=/tmp/before ../main/.venv/bin/python /work/main/benchmarks/warm_query.py /tmp/before-index)

Asks every question of ../shared/eval/questions.jsonl `--passes` times after five warm-up questions
and prints p50 and p95 of wall time and of the process's CPU time; CPU time is the steadier figure
when other processes share the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_class() -> type:
    """Settings of the checkout on the path: `assistant.settings` before the stage packages, `assistant.core` after."""
    import assistant

    if (Path(assistant.__file__).parent / "settings.py").exists():
        from assistant.settings import Settings  # type: ignore[import-not-found]
    else:
        from assistant.core.settings import Settings
    return Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "questions.jsonl")
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.api import Assistant

    bot = Assistant(settings_class()(corpus=args.corpus, index=args.index))
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    for q in questions[:5]:
        bot.ask(q)  # the model, the index and the caches warm
    wall, cpu = [], []
    for _ in range(args.passes):
        for q in questions:
            t, c = time.perf_counter(), time.process_time()
            bot.ask(q)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)

    def p95(xs: list[float]) -> float:
        return sorted(xs)[max(0, int(0.95 * len(xs)) - 1)]

    print(f"n={len(wall)} wall p50={statistics.median(wall):.1f} ms p95={p95(wall):.1f} ms | "
          f"cpu p50={statistics.median(cpu):.1f} ms p95={p95(cpu):.1f} ms")


if __name__ == "__main__":
    main()
