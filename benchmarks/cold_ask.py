"""A cold `assistant ask` in a new process, run by hand: how long it takes, and where the time goes.

    .venv/bin/python benchmarks/cold_ask.py                # corpus/ and index/ of this checkout, 5 runs
    .venv/bin/python benchmarks/cold_ask.py --runs 10 --question "How many foster carers were approved?"

Each run starts two fresh processes (the operating system's file cache stays warm, as it does for
a user asking twice):
  * `assistant ask QUESTION` itself, timed from spawn to exit: what a user waits for;
  * a probe that takes the same steps one at a time and times each: imports (the API and every
    library the ask path loads), index load (manifest, BM25, Chroma), model load (the question
    encoder, with one question), answer. Interpreter start and exit are the rest of its wall time.
The probe also reports which heavy libraries the ask path loaded (none should be torch).
Target (issue 10): a cold ask within 4 s on the development machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What happened to external residential numbers?"
HEAVY = ("torch", "sentence_transformers", "transformers", "llama_index.core", "onnxruntime")

PROBE = """
import json, sys, time
t0 = time.perf_counter()
from assistant.api import Assistant
from assistant.core.settings import load_settings
import bm25s, chromadb, numpy, safetensors, Stemmer, threadpoolctl, tokenizers  # what the ask path loads
t1 = time.perf_counter()
bot = Assistant(load_settings())
bot.index
t2 = time.perf_counter()
bot.embedder.encode_query("warm up")
t3 = time.perf_counter()
answer = bot.ask(sys.argv[1])
t4 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "index load": t2 - t1, "model load": t3 - t2, "answer": t4 - t3,
                  "heavy": [m for m in sys.argv[2].split(",") if m in sys.modules],
                  "abstained": answer.abstained}))
"""


def env_for(corpus: Path | None, index: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if corpus:
        env["ASSISTANT_CORPUS"] = str(corpus.resolve())
    if index:
        env["ASSISTANT_INDEX"] = str(index.resolve())
    return env


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - t0, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--corpus", type=Path, default=None, help="default: ASSISTANT_CORPUS or corpus/")
    parser.add_argument("--index", type=Path, default=None, help="default: ASSISTANT_INDEX or index/")
    args = parser.parse_args()
    env = env_for(args.corpus, args.index)
    cli = [str(ROOT / ".venv" / "bin" / "assistant"), "ask", args.question]
    probe = [sys.executable, "-c", PROBE, args.question, ",".join(HEAVY)]

    first, done = timed(cli, env)  # builds the index when there is none; not counted
    if done.returncode != 0:
        sys.exit(f"`assistant ask` failed:\n{done.stderr}")
    walls: list[float] = []
    phases: dict[str, list[float]] = {}
    print(f"{'run':>3} {'assistant ask':>14} {'probe':>7}  imports  index  model  answer  start+exit  heavy")
    for run in range(1, args.runs + 1):
        wall, done = timed(cli, env)
        if done.returncode != 0:
            sys.exit(f"`assistant ask` failed:\n{done.stderr}")
        probe_wall, out = timed(probe, env)
        if out.returncode != 0:
            sys.exit(f"the probe failed:\n{out.stderr}")
        got = json.loads(out.stdout.strip().splitlines()[-1])
        steps = {k: got[k] for k in ("imports", "index load", "model load", "answer")}
        steps["start+exit"] = probe_wall - sum(steps.values())
        for k, v in steps.items():
            phases.setdefault(k, []).append(v)
        walls.append(wall)
        print(f"{run:>3} {wall:>12.2f} s {probe_wall:>5.2f} s  " + "  ".join(f"{v:5.2f}" for v in steps.values())
              + f"       {','.join(got['heavy']) or '-'}", flush=True)
    print(f"\ncold `assistant ask`: median {statistics.median(walls):.2f} s, max {max(walls):.2f} s over "
          f"{len(walls)} runs (target <= 4 s)")
    print("breakdown (median): " + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in phases.items()))


if __name__ == "__main__":
    main()
