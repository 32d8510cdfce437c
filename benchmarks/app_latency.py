"""Browser latency of the Streamlit app, run by hand (not part of the test suite).

    .venv/bin/python benchmarks/app_latency.py                 # corpus/ and index/ of this checkout
    .venv/bin/python benchmarks/app_latency.py --runs 2        # two cold starts, two rounds of questions
    .venv/bin/python benchmarks/app_latency.py --index /tmp/scale/synthetic-1000000 --chroma-server

Starts `streamlit run app.py` on a free port, opens it in Debian's headless Chromium, and prints
  * cold start: server process spawned -> chat box and report list visible (an existing index; the
    chat box is drawn once a question is answered at once: index, model and vectors loaded, a large
    archive's views still loading; as `make run` serves it after its unchanged ingest);
  * answer-visible latency: Enter pressed -> answer, citation cards and timing line drawn,
    for ~10 questions asked in one conversation, as p50 / p95 / max; the first question of each
    start is listed apart (issue 10's target: <= 2 s after the page is usable), with the part the
    ask itself took on the server.
It reuses the server and browser helpers of tests/test_e2e.py, so both measure the same thing.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchmarks.scale import chroma_server  # noqa: E402
from test_e2e import ask, launch_browser, start_server, wait_usable  # noqa: E402

from assistant.core.settings import Settings

QUESTIONS = [
    "What happened to external residential numbers?",
    "Who leads the edge of care offer and by when?",
    "How much does an in-house foster parent cost?",
    "How did the number of children in Kinship Care change?",
    "How many children are in care in Dorset?",
    "What is the Promise?",
    "What are the timescales for the Whole Family Wellbeing Funding?",
    "What did young people say about their MCR mentor?",
    "How many foster carers were approved?",
    "What is the weather forecast for Dundee this weekend?",
    "What savings were made in residential care?",
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a small sample."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def server_seconds(answer: object) -> float:
    """The ask's own wall time on the server, as the answer's "Answered in X s" line shows it."""
    found = re.search(r"Answered in ([0-9.]+) s", answer.inner_text())  # type: ignore[attr-defined]
    return float(found.group(1)) if found else float("nan")


def one_run(settings: Settings, questions: list[str], log: Path,
            chroma_url: str | None = None) -> tuple[float, list[float], float]:
    from playwright.sync_api import sync_playwright

    server = start_server(settings, log, extra_env={"ASSISTANT_CHROMA_URL": chroma_url} if chroma_url else None)
    try:
        with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
            context = launch_browser(p, Path(profile))
            try:
                page = context.new_page()
                wait_usable(page, server.url)
                cold = time.perf_counter() - server.started
                latencies = []
                first_server = float("nan")
                for q in questions:
                    answer, seconds = ask(page, q)
                    if not latencies:
                        first_server = server_seconds(answer)
                    latencies.append(seconds)
                    print(f"  {seconds:6.2f} s  {q}", flush=True)
                return cold, latencies, first_server
            finally:
                context.close()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=None,
                        help="corpus folder (default: ASSISTANT_CORPUS or corpus/)")
    parser.add_argument("--index", type=Path, default=None, help="index folder (default: ASSISTANT_INDEX or index/)")
    parser.add_argument("--runs", type=int, default=1, help="server cold starts to measure")
    parser.add_argument("--questions", type=int, default=len(QUESTIONS), help="questions per run (max %(default)s)")
    parser.add_argument("--chroma-server", action="store_true",
                        help="serve the index's vectors from a Chroma server on loopback that has loaded them once "
                        "(ASSISTANT_CHROMA_URL, as a large deployment runs it), started before the first run")
    args = parser.parse_args()

    base = Settings()
    settings = Settings(corpus=(args.corpus or ROOT / base.corpus).resolve(),
                        index=(args.index or ROOT / base.index).resolve())
    if not (settings.index / "manifest.json").is_file():
        print(f"No index in {settings.index}: the first cold start includes building it.", file=sys.stderr)
    questions = QUESTIONS[: max(2, args.questions)]

    colds: list[float] = []
    firsts: list[float] = []
    first_servers: list[float] = []
    warm: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        chroma_url = stack.enter_context(chroma_server(settings.index))[0] if args.chroma_server else None
        for run in range(args.runs):
            print(f"run {run + 1}: corpus {settings.corpus}, index {settings.index}"
                  + (f", Chroma server {chroma_url}" if chroma_url else ""), flush=True)
            cold, latencies, first_server = one_run(settings, questions, Path(tmp) / f"server-{run}.log", chroma_url)
            print(f"  cold start to usable page: {cold:.1f} s", flush=True)
            colds.append(cold)
            firsts.append(latencies[0])
            first_servers.append(first_server)
            warm += latencies[1:]

    print("\nsummary")
    print(f"  cold start to usable page: median {statistics.median(colds):.1f} s over {len(colds)} start(s)")
    print(f"  first answer after start:  median {statistics.median(firsts):.2f} s, max {max(firsts):.2f} s "
          f"(the ask itself on the server: median {statistics.median(first_servers):.1f} s; the rest is "
          "Streamlit's rerun and the browser drawing)")
    print(f"  warm answer visible:       p50 {percentile(warm, 50):.2f} s, p95 {percentile(warm, 95):.2f} s, "
          f"max {max(warm):.2f} s over {len(warm)} questions")


if __name__ == "__main__":
    main()
