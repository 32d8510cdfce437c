"""The embedding model on ONNX Runtime: the packaged BERT exported once, int8-quantised, cached.

`assistant.embed.make_embedder` picks this backend when `embed_backend` is "onnx". The first
use exports the transformer of the bundled sentence-transformers model (PyTorch's TorchScript
exporter, opset 17), quantises its weights to int8 (ONNX Runtime dynamic quantisation) and
writes the result to `<index>/onnx/minilm-int8.onnx`. Later processes only load that file:
neither torch nor transformers is imported to embed. Nothing is downloaded.

The embeddings follow sentence-transformers exactly: the model's own tokenizer, truncated to
its `max_seq_length`, mean pooling over the attention mask, L2 normalisation. Only the int8
arithmetic makes them differ slightly (cosine to the PyTorch vectors 0.991 on average, 0.974 at
worst, over a quarter of the corpus's passages), so an index must be searched with the backend that
built it (`index.pipeline_signature` records it; switching backends rebuilds the index at the next
ingest). Activations are quantised per batch, so a text's vector also moves a little with its
batch-mates (cosine to the same text embedded alone 0.991 on average, 0.960 at worst: a two-character
fragment, "1."); `embed_batch_size=1` avoids that at ~10-20% of the bulk speed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

CACHE_FOLDER = "onnx"


MODEL_FILE = "minilm-int8.onnx"


OPSET = 17


# Bump when the export recipe changes: a cached file made by another recipe is exported again.
RECIPE = "bert-last-hidden-state|opset17|dynamic-int8-per-channel|v1"


_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


_META_KEY = "plan_assistant"  # ONNX metadata: source key, max_seq_length, dimension


_LOCK = threading.Lock()


_SESSIONS: dict[tuple[str, str], tuple[Any, Any, dict[str, Any]]] = {}


class OnnxExportError(RuntimeError):
    """The model cannot be exported to (or loaded from) ONNX; callers fall back to PyTorch."""


def source_key(model_path: str) -> str:
    """Identifies the weights and the recipe a cached export was made from (stat of the model files)."""
    import hashlib

    root = Path(model_path)
    if not root.is_dir():
        raise OnnxExportError(f"model folder {model_path} not found")
    parts = [RECIPE, str(root.resolve())]
    for f in sorted(root.iterdir()):
        if f.is_file() and f.suffix in (".json", ".safetensors", ".bin", ".txt"):
            st = f.stat()
            parts.append(f"{f.name}:{st.st_size}:{st.st_mtime_ns}")
    for sub in ("1_Pooling/config.json", "modules.json", "sentence_bert_config.json"):
        f = root / sub
        if f.is_file():
            parts.append(f"{sub}:{f.read_text(encoding='utf-8')}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def cache_path(index: Path) -> Path:
    return Path(index) / CACHE_FOLDER / MODEL_FILE


def read_meta(path: Path) -> dict[str, Any] | None:
    """The export's metadata, read without loading the weights into a session."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # missing, truncated or not ONNX at all
        return None
    for prop in model.metadata_props:
        if prop.key == _META_KEY:
            try:
                return json.loads(prop.value)
            except ValueError:
                return None
    return None


@contextlib.contextmanager
def _quiet_export() -> Iterator[None]:
    """Silence the exporter's tracer warnings and the quantiser's advice, which a user can do nothing about.

    The quantiser logs through `logging.warning`, which on a process with no logging set up
    would also install a stderr handler on the root logger for good (and with it every
    library's debug chatter): a NullHandler stops that, a filter drops its advice.
    """
    root = logging.getLogger()
    handler, advice = logging.NullHandler(), logging.Filter("onnx-export-advice")
    advice.filter = lambda record: not str(record.msg).startswith("Please consider")  # type: ignore[method-assign]
    root.addHandler(handler)
    root.addFilter(advice)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.removeFilter(advice)
        root.removeHandler(handler)


def export(model_path: str, target: Path, quantize: bool = True) -> Path:
    """Export the sentence-transformers model at `model_path` to `target` (int8 unless `quantize` is False).

    Written atomically: readers see no file or a whole one. Raises OnnxExportError when the
    model is not a plain transformer + mean pooling (+ normalise) stack this module reproduces.
    """
    import onnx
    import torch

    from .sbert import load_model

    model = load_model(model_path)
    modules = list(model)
    names = [type(m).__name__ for m in modules]
    if not names or names[0] != "Transformer" or names[1:2] != ["Pooling"] or any(n != "Normalize" for n in names[2:]):
        raise OnnxExportError(f"unsupported module stack {names}: expected Transformer, Pooling[, Normalize]")
    pooling = modules[1]
    mode = getattr(pooling, "pooling_mode", None) or (
        "mean" if getattr(pooling, "pooling_mode_mean_tokens", False) else "other")
    if mode not in ("mean", ["mean"], ("mean",)):
        raise OnnxExportError(f"pooling mode {mode!r} is not mean pooling")
    bert = modules[0].auto_model.eval()
    tokenizer = modules[0].tokenizer
    dim = int((getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)())

    class LastHiddenState(torch.nn.Module):
        """Keyword call (BertModel's positional order is not stable across versions); one output."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    # Traced on a padded batch, so the attention-mask path is the one recorded.
    sample = tokenizer(["Plan Assistant exports the embedding model once.", "Padding"], padding=True,
                       return_tensors="pt")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        fp32 = work / "model-fp32.onnx"
        with _quiet_export(), torch.no_grad():
            torch.onnx.export(
                LastHiddenState(bert), tuple(sample[n] for n in _INPUTS), str(fp32),
                input_names=list(_INPUTS), output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "sequence"} for n in (*_INPUTS, "last_hidden_state")},
                opset_version=OPSET, do_constant_folding=True, dynamo=False,
            )
        out = fp32
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            out = work / "model-int8.onnx"
            # Per-channel weight scales: per-tensor ones cost this model a lot (cosine to the
            # PyTorch vectors ~0.956 mean, ~0.91 worst, on the corpus; per-channel ~0.992, ~0.977).
            with _quiet_export():
                quantize_dynamic(fp32, out, weight_type=QuantType.QInt8, per_channel=True)
        proto = onnx.load(str(out))
        meta = {"source": source_key(model_path), "max_seq_length": int(model.max_seq_length), "dimension": dim,
                "quantized": quantize}
        entry = proto.metadata_props.add()
        entry.key, entry.value = _META_KEY, json.dumps(meta)
        final = work / "model.onnx"
        onnx.save(proto, str(final))
        os.replace(final, target)  # same folder, so one atomic rename
    except Exception as exc:
        raise OnnxExportError(f"ONNX export of {model_path} failed: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def ensure_export(model_path: str, target: Path) -> Path:
    """`target`, exported now unless a cached export of these same weights is there already."""
    with _LOCK:
        meta = read_meta(target) if Path(target).exists() else None
        if not meta or meta.get("source") != source_key(model_path):
            export(model_path, target)
        return Path(target)


def _load_tokenizer(model_path: str, max_length: int) -> Any:
    from tokenizers import Tokenizer

    file = Path(model_path) / "tokenizer.json"
    if file.is_file():
        tok = Tokenizer.from_file(str(file))
    else:  # a model folder with only the slow tokenizer's files: transformers builds the fast one
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(model_path, local_files_only=True).backend_tokenizer
    # tokenizer.json may carry its own truncation and padding (128 for this model): use the
    # sentence-transformers max_seq_length, and pad per batch ourselves.
    tok.enable_truncation(max_length=max_length)
    tok.no_padding()
    return tok


def _load(model_path: str, path: Path, threads: int) -> tuple[Any, Any, dict[str, Any]]:
    """(session, tokenizer, metadata) for the export at `path`, once per process."""
    key = (str(Path(path).resolve()), source_key(model_path))
    with _LOCK:
        if key not in _SESSIONS:
            import onnxruntime as ort

            meta = read_meta(path)
            if not meta:
                raise OnnxExportError(f"{path} is not an export made by Plan Assistant")
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # No busy-waiting between runs: on two shared cores it only takes CPU from the search
            # that follows and from other processes (measured: faster bulk and query without it).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            try:
                session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
            except Exception as exc:
                raise OnnxExportError(f"ONNX Runtime cannot load {path}: {exc}") from exc
            _SESSIONS[key] = (session, _load_tokenizer(model_path, int(meta["max_seq_length"])), meta)
        return _SESSIONS[key]


class OnnxEmbedder:
    """Unit-length sentence embeddings from the int8 ONNX export; same interface as `embed.Embedder`."""

    backend = "onnx"

    def __init__(self, model_path: str, batch_size: int = 64, cache_dir: Path | str = Path("index") / CACHE_FOLDER,
                 threads: int = 2, onnx_path: Path | str | None = None) -> None:
        """Exports (once per weights, into `cache_dir`) and loads the model; raises OnnxExportError.

        `onnx_path`: use that export as it is (for instance a non-quantised one) instead of the cache.
        """
        self.model_path = model_path
        self.batch_size = batch_size
        self.threads = threads
        if onnx_path is not None:
            self.onnx_path = Path(onnx_path)
        else:
            self.onnx_path = ensure_export(model_path, Path(cache_dir) / MODEL_FILE)
        self._session, self._tokenizer, meta = _load(model_path, self.onnx_path, threads)
        self.max_seq_length = int(meta["max_seq_length"])
        self.dimension = int(meta["dimension"])
        self._feeds = {i.name for i in self._session.get_inputs()}

    @property
    def model(self) -> Any:
        """The ONNX Runtime session."""
        return self._session

    def _embed_batch(self, ids: list[list[int]], types: list[list[int]]) -> np.ndarray:
        width = max(len(x) for x in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        token_types = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, (x, t) in enumerate(zip(ids, types)):
            input_ids[row, :len(x)], token_types[row, :len(t)], mask[row, :len(x)] = x, t, 1
        feeds = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": token_types}
        hidden = self._session.run(["last_hidden_state"], {k: v for k, v in feeds.items() if k in self._feeds})[0]
        # sentence-transformers: mean over real tokens (count clamped at 1e-9), then x / max(|x|, 1e-12).
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(self, texts: list[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        # Longest first, so each batch pads to about its own length and the slow batches come
        # first (as sentence-transformers orders them).
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        step = self.batch_size * 4
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            out[chunk] = self._embed_batch([encodings[i].ids for i in chunk], [encodings[i].type_ids for i in chunk])
            done = min(start + self.batch_size, len(texts))
            if progress and (done % step == 0 or done == len(texts)):
                progress(done, len(texts))
        return out

    def encode_query(self, text: str) -> list[float]:
        enc = self._tokenizer.encode(text)
        return self._embed_batch([enc.ids], [enc.type_ids])[0].tolist()
