"""`assistant eval`: quality and speed figures on a question file.

File format (JSON Lines), one question per line:

    {"id": "q1", "question": "...", "answerable": true,
     "evidence": ["text that should appear inside a cited passage", ...],
     "facts": [["43"], ["32", "18"]],         # groups of alternatives the answer should contain
     "turns": ["first question", "follow-up"]}  # optional: a conversation; the last turn is scored
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .core.errors import BadEvalFile
from .core.identity import Viewer
from .core.types import Answer
from .ingest.corpus import load_document, read_catalog

if TYPE_CHECKING:
    from .api import Assistant


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass
class Result:
    id: str
    question: str
    answerable: bool
    answer: Answer
    evidence_rank: int | None  # 1-based marker of the first citation holding the evidence
    facts_hit: int
    facts_total: int
    grounded: int
    citations: int

    @property
    def failures(self) -> list[str]:
        out = []
        if self.answerable:
            if self.answer.abstained:
                out.append("false abstention")
            elif self.evidence_rank is None:
                out.append("evidence not cited")
            elif self.evidence_rank != 1:
                out.append(f"evidence first cited at [{self.evidence_rank}]")
            if self.facts_hit < self.facts_total:
                out.append(f"facts {self.facts_hit}/{self.facts_total}")
        elif not self.answer.abstained:
            out.append("answered an unanswerable question")
        if self.grounded < self.citations:
            out.append(f"{self.citations - self.grounded} citation(s) not verbatim")
        return out


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        ans = [r for r in self.results if r.answerable]
        unans = [r for r in self.results if not r.answerable]
        facts_total = sum(r.facts_total for r in ans)
        cites = sum(r.citations for r in self.results)
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            if not lat:
                return 0.0
            return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]

        return {
            "answerable": len(ans),
            "unanswerable": len(unans),
            "evidence_hit": sum(r.evidence_rank is not None for r in ans),
            "first_citation_hit": sum(r.evidence_rank == 1 for r in ans),
            "mrr": round(sum(1 / r.evidence_rank for r in ans if r.evidence_rank) / len(ans), 3) if ans else 0.0,
            "fact_recall": round(sum(r.facts_hit for r in ans) / facts_total, 4) if facts_total else 1.0,
            "facts_hit": sum(r.facts_hit for r in ans),
            "facts_total": facts_total,
            "correct_abstentions": sum(r.answer.abstained for r in unans),
            "false_abstentions": sum(r.answer.abstained for r in ans),
            "grounded": round(sum(r.grounded for r in self.results) / cites, 4) if cites else 1.0,
            "citations": cites,
            "latency_p50_ms": round(statistics.median(lat), 1) if lat else 0.0,
            "latency_p95_ms": round(pct(95), 1),
        }

    def summary_lines(self) -> list[str]:
        f = self.figures()
        return [
            f"evidence hit {f['evidence_hit']}/{f['answerable']} | first-citation hit {f['first_citation_hit']}/{f['answerable']}"
            f" | MRR {f['mrr']:.3f}",
            f"fact recall {f['fact_recall'] * 100:.1f}% ({f['facts_hit']}/{f['facts_total']} fact groups)",
            f"abstentions: correct {f['correct_abstentions']}/{f['unanswerable']} | false {f['false_abstentions']}/{f['answerable']}",
            f"grounded citations {f['grounded'] * 100:.1f}% ({f['citations']}) | latency p50 {f['latency_p50_ms']:.0f} ms,"
            f" p95 {f['latency_p95_ms']:.0f} ms (retrieve + answer, warm)",
        ]


def read_questions(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise BadEvalFile(f"Evaluation file {path} does not exist.")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise BadEvalFile(f"{path}:{n} is not valid JSON ({exc.msg}).") from exc
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            raise BadEvalFile(f"{path}:{n} has no 'question' string.")
        rows.append(row)
    if not rows:
        raise BadEvalFile(f"{path} holds no questions.")
    return rows


def score(row: dict[str, Any], answer: Answer, source_text: Any) -> Result:
    evidence = [_norm(e) for e in row.get("evidence", [])]
    rank = None
    for c in sorted(answer.citations, key=lambda c: c.marker):
        if any(e in _norm(c.text) for e in evidence):
            rank = c.marker
            break
    text = answer.answer.lower()
    facts = row.get("facts", [])
    hit = sum(any(alt.lower() in text for alt in group) for group in facts)
    grounded = sum(source_text(c.source)[c.char_start:c.char_end] == c.text for c in answer.citations)
    return Result(row.get("id", ""), row["question"], bool(row.get("answerable", True)), answer, rank, hit, len(facts),
                  grounded, len(answer.citations))


def run(assistant: "Assistant", path: Path, progress: Callable[[int, int], None] | None = None) -> Report:
    """Ask every question of `path` (conversations turn by turn) and score the answers."""
    rows = read_questions(path)
    corpus = Path(assistant.settings.corpus)
    catalog = read_catalog(corpus)
    texts: dict[str, str] = {}

    def source_text(source: str) -> str:
        if source not in texts:
            try:
                texts[source] = load_document(corpus, corpus / source, catalog).text
            except Exception:
                texts[source] = ""
        return texts[source]

    assistant.warm()
    report = Report()
    for i, row in enumerate(rows):
        chat = assistant.conversation(viewer=Viewer.local("cli"))  # the CLI runs as the local user
        for turn in row.get("turns") or [row["question"]]:
            answer = chat.ask(turn)
        report.latencies.append(sum(answer.timings_ms.values()))
        report.results.append(score(row, answer, source_text))
        if progress:
            progress(i + 1, len(rows))
    return report
