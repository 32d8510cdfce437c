"""A cold `assistant` command loads only what it needs: no PyTorch, transformers or llama-index to answer a
question, list the reports or the commitments, or print help. (benchmarks/cold_ask.py times a cold ask.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from assistant.core.settings import Settings

HEAVY = ["torch", "sentence_transformers", "transformers", "llama_index.core", "onnxruntime"]
PROBE = (
    "import atexit, json, sys\n"
    "atexit.register(lambda: print('LOADED ' + json.dumps([m for m in sys.argv[1].split(',') if m in sys.modules]),"
    " file=sys.stderr))\n"
    "sys.argv = ['assistant'] + sys.argv[2:]\n"
    "from assistant.cli import main\n"
    "main()\n"
)


def loaded(settings: Settings, *args: str) -> tuple[list[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_CORPUS=str(settings.corpus), ASSISTANT_INDEX=str(settings.index))
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PROBE, ",".join(HEAVY), *args], capture_output=True, text=True,
                          env=env, timeout=300)
    seconds = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED "))
    return json.loads(line[len("LOADED "):]), seconds


@pytest.mark.parametrize("args", [("ask", "What happened to external residential numbers?"), ("docs",),
                                  ("commitments", "--lead", "Senior Manager"), ("--help",), ("ask", "--help")])
def test_no_heavy_library_is_loaded(settings: Settings, args: tuple[str, ...]) -> None:
    heavy, seconds = loaded(settings, *args)
    print(f"\n[cold] assistant {' '.join(args)}: {seconds:.2f} s")
    assert heavy == [], f"`assistant {' '.join(args)}` loaded {heavy}"
