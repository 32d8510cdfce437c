"""Structured additions to an answer: a commitment read from its action-plan row, and a figure timeline."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..core.types import Answer, Citation, Passage
from ..views.cache import Views
from ..views.commitments import Commitment
from ..views.figure_values import Series
from ..core.terms import content_terms
from .compose import display_date
from .question import Question
from .rerank import coverage
from .retrieve import Hit


def render_commitment(c: Commitment) -> str:
    """ "Develop a clear edge of care offer — lead: Senior Manager; due: June 2024; measured by: Numbers in care"."""
    details = []
    lead = c.lead_normalised or c.lead
    if lead:
        details.append(f"lead: {lead}")
    if c.partners:
        details.append(f"with: {c.partners}")
    if c.timescale:
        details.append(f"due: {c.timescale}" + (f" ({c.timescale_defined})" if c.timescale_defined else ""))
    if c.measure:
        details.append(f"impact measured by: {c.measure}")
    details += [f"{name}: {value}" for name, value in (("cost", c.cost), ("funding", c.funding)) if value]
    where = ", ".join(x for x in (c.theme, c.plan) if x)
    text = c.action.rstrip(".")
    if details:
        text += " — " + "; ".join(details)
    return text + (f" ({where})" if where else "")


def register_match(q: Question, views: Views, threshold: float, allowed: set[str] | None = None) -> Commitment | None:
    """The register's commitment a "who leads …?" or "when will …?" question is about, or None.

    It must hold at least `threshold` of the question's rarity-weighted key words in its action
    and theme, and give what is asked (a lead or partners for who, a timescale for when), so that
    chat and register agree. Only commitments sharing a key word can reach a threshold above 0,
    so only those are scored, term by term through the register's lookup (a large archive's register
    holds hundreds of thousands, and a common word is in many of them)."""
    key = q.key
    total = sum(key.values())
    if not (q.wants_person or q.wants_date) or not total:
        return None
    if threshold <= 0:
        scores = {i: coverage(key, terms) * total for i, terms in enumerate(views.commitment_terms)}
    else:
        scores = {}
        for term, weight in key.items():  # the weights of its key words each commitment holds (= coverage)
            for i in views.commitments_by_term.get(term, ()):
                scores[i] = scores.get(i, 0.0) + weight
    best: tuple[float, int] | None = None
    for i, score in scores.items():
        if score < threshold * total or (best is not None and (score, -i) <= (best[0], -best[1])):
            continue  # below the threshold, or not better than the best so far (ties: the first in the register)
        c = views.commitments[i]
        if allowed is not None and c.source not in allowed:
            continue
        if (q.wants_person and not (c.lead or c.partners)) or (q.wants_date and not c.timescale):
            continue
        best = (score, i)
    return views.commitments[best[1]] if best else None


def commitment_statements(hits: list[Hit], views: Views) -> dict[str, str]:
    """For action-plan rows among `hits`: the commitment read from each, as the statement to use (by passage id)."""
    rows = {h.passage.id for h in hits if h.passage.kind in ("row", "fields")}
    return {pid: "; ".join(render_commitment(c) for c in views.commitments_by_passage[pid])
            for pid in rows if pid in views.commitments_by_passage}


def add_timeline(answer: Answer, views: Views, passages: Mapping[str, Passage], max_citations: int,
                 allowed: set[str] | None = None) -> None:
    """Append the figure series that the cited passages belong to, as a small table with every
    point cited; points from passages not yet cited (another report's figure) get a citation.
    `allowed` limits those to the documents the user's filters let through."""

    def cited(v: object) -> bool:
        return any(c.source == v.source and c.char_start <= v.char_start and v.char_end <= c.char_end  # type: ignore[attr-defined]
                   for c in answer.citations)

    counts = views.series_in_spans((c.source, c.char_start, c.char_end) for c in answer.citations)
    # The series with the most cited values (the first in the views on a tie), of at least two points.
    best = min(((-n, i) for i, n in counts.items() if len(views.series[i].points) >= 2), default=None)
    if best is None:
        return
    series = views.series[best[1]]
    for point in series.points:
        v = point.citations[0]
        if cited(v) or len(answer.citations) >= max_citations or v.passage_id not in passages:
            continue
        if allowed is not None and v.source not in allowed:
            continue  # the user's filters hold for the timeline too
        answer.citations.append(Citation.from_span(passages[v.passage_id], len(answer.citations) + 1, 0.0,
                                                   used=[(v.char_start, v.char_end)]))
    made = timeline(series, answer.citations)
    if made:
        table, answer.series = made
        answer.answer += "\n\n" + table
    # A citation added for the table but left out of it (no point located) would be unused.
    used = {int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)}
    answer.citations = [c for c in answer.citations if c.marker in used]


def timeline(series: Series, citations: list[Citation]) -> tuple[str, dict] | None:
    """A small table of a figure series whose values sit in cited passages, each row cited."""
    spans = [(c.source, c.char_start, c.char_end, c.marker) for c in citations]
    rows = []
    for point in series.points:
        markers = sorted({m for v in point.citations for (src, s, e, m) in spans
                          if v.source == src and s <= v.char_start and v.char_end <= e})
        if not markers:
            continue
        v = point.citations[0]
        when = point.period if point.period not in ("start of period", "end of period", "") else \
            f"{point.period or 'value'}, {display_date(v.published)} report"
        who = v.organisation or v.title
        rows.append({"period": when, "value": point.value, "value_text": point.value_text, "unit": point.unit,
                     "organisation": who, "published": v.published, "markers": markers})
    # Two values from one cited sentence say nothing the answer has not said already.
    if len(rows) < 2 or (len(rows) == 2 and len({m for r in rows for m in r["markers"]}) == 1):
        return None
    lines = [f"Timeline — {series.measure}:", "", "| When | Value | Reported by |", "|---|---|---|"]
    for r in rows:
        refs = "".join(f"[{m}]" for m in r["markers"])
        lines.append(f"| {r['period']} | {r['value_text']} | {r['organisation']} ({display_date(r['published'])}) {refs} |")
    return "\n".join(lines), {"measure": series.measure, "unit": series.unit, "points": rows}
