"""Stage 3: a question into a cited answer (extractive, no LLM).

* `question`: the question's weighted terms, and follow-ups;
* `retrieve`: hybrid dense + BM25 retrieval with filters, fused by reciprocal rank;
* `rerank`, `select`: relevance in [0, 1], then the passages and sentences to cite;
* `compose`: the answer text with its [n] markers, or an abstention;
* `timeline`: commitments read from action-plan rows, and figure timelines.
"""
