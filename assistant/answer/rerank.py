"""Rerank: each candidate's relevance in [0, 1] from its dense similarity and weighted term coverage."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..core.text import content_terms
from ..core.types import DocumentRecord, Passage
from .question import Question
from .retrieve import Hit


class TermCache:
    """Weighted content terms of each passage, computed once per passage.

    The passage's own words count fully; a table row's column names and carried-down cells
    nearly so; a list item's lead-in and the section path half; the document's title and
    organisation a little. An
    acronym in the passage also brings the words it stands for (at half weight).
    """

    def __init__(self, glossary: object | None = None) -> None:
        self._terms: dict[str, dict[str, float]] = {}
        self.glossary = glossary

    def of(self, p: Passage) -> dict[str, float]:
        got = self._terms.get(p.id)
        if got is None:
            got = {}
            # A table row's column names and carried-down cells describe its values almost as its own words do.
            context_weight = 0.8 if p.kind == "row" else 0.5
            parts = [(f"{p.title} {p.organisation}", 0.3), (p.section, 0.5), (p.context, context_weight), (p.text, 1.0)]
            if self.glossary is not None:
                found = self.glossary.acronyms_in(f"{p.text} {p.context}")  # type: ignore[attr-defined]
                parts.insert(2, (" ".join(e.expansion for e in found), 0.5))
            for text, weight in parts:
                for t in content_terms(text):
                    got[t] = max(got.get(t, 0.0), weight)
            self._terms[p.id] = got
        return got


def coverage(q: "Question | dict[str, float]", terms: "dict[str, float] | Iterable[str]") -> float:
    """Share of the question's term weight that `terms` contains (weighted by where it was found)."""
    weights = q.terms if isinstance(q, Question) else q
    total = sum(weights.values())
    if not total:
        return 0.0
    have = terms if isinstance(terms, dict) else {t: 1.0 for t in terms}
    return sum(w * have.get(t, 0.0) for t, w in weights.items()) / total


def named_places(question: str, documents: Mapping[str, DocumentRecord]) -> set[str]:
    """Documents whose place ("Dorset", "West Sussex", "Sutton Coldfield") the question names, when it names
    one that only some documents have. Empty when it names none, or names every document's."""
    asked = " " + " ".join(re.findall(r"[a-z0-9]+", question.lower())) + " "
    hits = set()
    for source, d in documents.items():
        words = re.findall(r"[a-z0-9]+", (d.place or "").lower())
        if words and len("".join(words)) > 2 and f" {' '.join(words)} " in asked:
            hits.add(source)
    return hits if hits and len(hits) < len(documents) else set()


def rerank(q: Question, hits: list[Hit], cache: TermCache, boost_ids: set[str] | None = None,
           places: set[str] | None = None) -> list[Hit]:
    """Relevance in [0, 1]: half dense similarity, half weighted term coverage.

    A question that asks for a quantity marks down passages that hold no figure at all; one that
    names a place ("in Dorset") marks down other places' documents.
    """
    for h in hits:
        cov = coverage(q, cache.of(h.passage))
        h.relevance = 0.5 * max(0.0, h.dense) + 0.5 * cov
        if q.wants_figure and not re.search(r"\d", h.passage.text):
            h.relevance *= 0.85
        if h.passage.kind != "row" and len(content_terms(h.passage.text)) < 4:
            h.relevance *= 0.85  # a name or a title line says too little to answer anything
        if places and h.passage.source not in places:
            h.relevance *= 0.85
        if boost_ids and h.passage.id in boost_ids:
            h.relevance += 0.1
    return sorted(hits, key=lambda h: -h.relevance)
