"""One question's vector without PyTorch: the packaged BERT's forward pass in numpy, same fp32 weights.

Importing torch and sentence-transformers takes 5-6 s, most of a cold `assistant ask` and of the
app's first answer, to encode a sentence of a dozen words. Questions are therefore encoded here:
the weights read from `model.safetensors`, the model's own tokenizer (`tokenizer.json`, the Rust
tokenizer sentence-transformers uses), truncated to its `max_seq_length`, then the BERT encoder,
mean pooling and L2 normalisation, as sentence-transformers computes them. The vectors match
PyTorch's to within float32 rounding (max difference ~3e-7, cosine > 0.9999998 over the
evaluation questions: tests/test_numpy_bert.py), so they search an index built by PyTorch as
PyTorch's own would. Loading takes ~0.3 s; a question ~15 ms.

Only what this model family needs is implemented (BERT, absolute positions, exact GELU, mean
pooling); `load_query_model` returns None for any other model, and the caller uses PyTorch.
A process's first few passages are encoded here too (sbert.SentenceEmbedder: a changed report
re-indexed without importing PyTorch); bulk ingest uses PyTorch, faster on two cores.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


_LOCK = threading.Lock()


_MODELS: dict[str, "NumpyBert | None"] = {}


def _erf(x: np.ndarray) -> np.ndarray:
    """erf in float64 (Numerical Recipes' erfc, fractional error < 1.2e-7: below float32's rounding here)."""
    x = x.astype(np.float64)
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (
        0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    r = t * np.exp(-z * z + poly)
    return np.where(x >= 0, 1.0 - r, r - 1.0)


def _gelu(x: np.ndarray) -> np.ndarray:
    return (0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))).astype(np.float32)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def supported(model_path: str) -> str:
    """'' when the model folder is one this module can run; otherwise why not."""
    root = Path(model_path)
    for name in ("config.json", "model.safetensors", "tokenizer.json", "modules.json"):
        if not (root / name).is_file():
            return f"no {name}"
    config = _read_json(root / "config.json")
    if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
        return "not a BERT with exact GELU"
    if config.get("position_embedding_type", "absolute") != "absolute":
        return "relative positions"
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in _read_json(root / "modules.json")]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k not in ("Transformer", "Pooling", "Normalize") for k in kinds):
        return f"modules {kinds}"
    pooling = next((m for m in _read_json(root / "modules.json") if m.get("type", "").endswith("Pooling")), {})
    pool_conf = root / pooling.get("path", "1_Pooling") / "config.json"
    if pool_conf.is_file():
        modes = {k for k, v in _read_json(pool_conf).items() if k.startswith("pooling_mode") and v}
        if modes != {"pooling_mode_mean_tokens"}:
            return f"pooling {sorted(modes)}"
    return ""


class NumpyBert:
    """The sentence-transformers BERT, mean-pooled and normalised, for one text at a time."""

    def __init__(self, model_path: str) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        root = Path(model_path)
        self.config = _read_json(root / "config.json")
        st_config = root / "sentence_bert_config.json"
        self.max_seq_length = int(_read_json(st_config).get("max_seq_length") or 512) if st_config.is_file() else 512
        self.max_seq_length = min(self.max_seq_length, int(self.config.get("max_position_embeddings", 512)))
        weights = load_file(str(root / "model.safetensors"))
        # Some exports prefix every name with "bert."; the forward pass reads the bare names.
        self.w = {k[5:] if k.startswith("bert.") else k: v.astype(np.float32) for k, v in weights.items()}
        # Linear layers as (in, out), transposed once here rather than at every question.
        for k in [k for k in self.w if k.endswith(".weight") and self.w[k].ndim == 2 and k.startswith("encoder.")]:
            self.w[k] = np.ascontiguousarray(self.w[k].T)
        self.tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        self.tokenizer.no_padding()
        try:  # one BLAS thread: a question is small, and spinning threads only wait on each other
            from threadpoolctl import ThreadpoolController

            self._threads: Any = ThreadpoolController()
        except ImportError:  # pragma: no cover - threadpoolctl is a dependency
            self._threads = None

    def _linear(self, name: str, x: np.ndarray) -> np.ndarray:
        return x @ self.w[name + ".weight"] + self.w[name + ".bias"]

    def _forward(self, ids: np.ndarray, types: np.ndarray) -> np.ndarray:
        w, c = self.w, self.config
        n, heads = len(ids), int(c["num_attention_heads"])
        size = int(c["hidden_size"]) // heads
        eps = float(c.get("layer_norm_eps", 1e-12))
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][types])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        for i in range(int(c["num_hidden_layers"])):
            layer = f"encoder.layer.{i}."

            def split(name: str) -> np.ndarray:
                return self._linear(layer + name, x).reshape(n, heads, size).transpose(1, 0, 2)

            q, k, v = split("attention.self.query"), split("attention.self.key"), split("attention.self.value")
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, heads * size)
            x = _layer_norm(self._linear(layer + "attention.output.dense", context) + x,
                            w[layer + "attention.output.LayerNorm.weight"],
                            w[layer + "attention.output.LayerNorm.bias"], eps)
            hidden = _gelu(self._linear(layer + "intermediate.dense", x))
            x = _layer_norm(self._linear(layer + "output.dense", hidden) + x, w[layer + "output.LayerNorm.weight"],
                            w[layer + "output.LayerNorm.bias"], eps)
        return x

    def encode(self, text: str) -> np.ndarray:
        """The unit-length vector of `text` (float32)."""
        enc = self.tokenizer.encode(text)
        ids, types = np.asarray(enc.ids, dtype=np.int64), np.asarray(enc.type_ids, dtype=np.int64)
        if self._threads is not None:
            with self._threads.limit(limits=1, user_api="blas"):
                hidden = self._forward(ids, types)
        else:  # pragma: no cover
            hidden = self._forward(ids, types)
        vector = hidden.mean(0)
        return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


def load_query_model(model_path: str) -> NumpyBert | None:
    """The numpy model for `model_path`, loaded once per process; None when this model needs PyTorch."""
    with _LOCK:
        if model_path not in _MODELS:
            why = supported(model_path)
            model = None
            if not why:
                try:
                    model = NumpyBert(model_path)
                except Exception as exc:  # noqa: BLE001 - odd weights: PyTorch encodes the questions instead
                    why = f"{type(exc).__name__}: {exc}"
            if why:
                log.info("Questions are encoded by PyTorch (%s cannot run in numpy: %s)", model_path, why)
            _MODELS[model_path] = model
        return _MODELS[model_path]
