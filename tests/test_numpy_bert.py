"""Questions encoded in numpy give PyTorch's vectors (so they search an index PyTorch built), without torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.core.settings import Settings
from assistant.embed.numpy_bert import NumpyBert, load_query_model, supported
from assistant.embed.sbert import SentenceEmbedder, load_model

ROOT = Path(__file__).resolve().parent.parent
MODEL = Settings().model_path


def questions() -> list[str]:
    files = [ROOT.parent / "shared" / "eval" / "questions.jsonl", ROOT / "tests" / "data" / "own_questions.jsonl"]
    qs = [json.loads(line)["question"] for f in files if f.exists() for line in f.read_text().splitlines()
          if line.strip() and "question" in json.loads(line)]
    return qs + ["", "a", "  Café naïve — “quotes” £6.2m 85.7%  ", "UASC? MASH; FTE/KPI (YTD)",
                 " ".join(["kinship"] * 400)]  # past 256 tokens: truncated alike


def test_numpy_question_vectors_match_pytorch() -> None:
    fast = load_query_model(MODEL)
    assert isinstance(fast, NumpyBert)
    qs = questions()
    assert len(qs) > 60
    ours = np.stack([fast.encode(q) for q in qs])
    torch_model = load_model(MODEL)
    theirs = torch_model.encode(qs, batch_size=1, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() < 2e-6
    assert (ours * theirs).sum(1).min() > 0.999999
    # The torch backend's query path is this one.
    assert SentenceEmbedder(MODEL).encode_query(qs[0]) == pytest.approx(fast.encode(qs[0]).tolist(), abs=0)


def test_a_model_numpy_cannot_run_is_left_to_pytorch(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(MODEL, copy)
    pooling = copy / "1_Pooling" / "config.json"
    conf = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**conf, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    assert "pooling" in supported(str(copy))
    assert load_query_model(str(copy)) is None
    (copy / "model.safetensors").unlink()
    assert supported(str(copy)) == "no model.safetensors"
    assert supported(MODEL) == ""


@pytest.mark.slow
def test_a_changed_report_is_embedded_without_importing_pytorch_then_pytorch_takes_over() -> None:
    """A process's first `without_torch` passages (a re-indexed report) are encoded in numpy, as PyTorch would
    encode them; past that budget the embedder loads PyTorch. Run in a fresh process: this one has torch."""
    script = (
        "import json, sys; from assistant.embed.sbert import SentenceEmbedder; "
        "texts = json.loads(sys.stdin.read()); e = SentenceEmbedder(sys.argv[1], 8, without_torch=len(texts) + 1); "
        "few = e.encode(texts); no_torch = 'torch' in sys.modules; more = e.encode(texts[:2]); "
        "print(json.dumps([few.tolist(), no_torch, 'torch' in sys.modules, more.tolist()]))")
    texts = [q for q in questions() if q.strip()][:20]
    out = subprocess.run([sys.executable, "-c", script, MODEL], input=json.dumps(texts), capture_output=True,
                         text=True, check=True, cwd=ROOT)
    few, torch_then, torch_after, more = json.loads(out.stdout.strip().splitlines()[-1])
    assert not torch_then and torch_after  # numpy first; the second call's 2 pass what is left of 21 (1)
    theirs = SentenceEmbedder(MODEL).encode(texts)
    assert np.abs(np.asarray(few) - theirs).max() < 2e-6
    assert np.abs(np.asarray(more) - theirs[:2]).max() < 2e-6
