"""Stage 5: the extractive answerer. No LLM: it picks the sentences and table rows that
answer the question, says whose they are, and puts a marker [n] after every statement.

The steps, each a small pure function tested on hand-made inputs:

1. `Question`: the question's content terms, weighted by rarity in the corpus; in a chat,
   a follow-up ("And in external residential care?", "Who leads that?") borrows the terms
   of the turn before.
2. `rerank`: each candidate passage gets a relevance in [0, 1] from its dense similarity
   and how much of the question's weighted terms it covers (text, headers, section).
3. `select`: the best passage, plus others that are nearly as relevant and add something
   (another figure, another report), at most `max_citations`.
4. `compose`: a lead statement, then supporting points, each with its organisation and
   date when more than one report speaks, oldest first.
5. Abstention: when even the best passage is not relevant enough, say so plainly and
   offer the closest passages as related reading, not as citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from .passages import clean_inline, sentence_spans
from .retrieve import Hit, content_terms, idf
from .types import Answer, Citation, Passage

_MONTHS = "January February March April May June July August September October November December".split()
_FOLLOW_UP_START = re.compile(r"^\s*(and|also|what about|how about|and what about|same for|what of)\b", re.I)
_PRONOUN = re.compile(r"\b(that|this|it|its|they|them|their|those|these|there|he|she|his|her)\b", re.I)
_ANAPHOR_START = re.compile(r"^(This|That|These|Those|It|They|He|She|Its|Their|Such)\b")
_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[-*•·–➤])\s+")


def display_date(published: str) -> str:
    """ "2025-02-19" -> "19 February 2025", "2021-05" -> "May 2021", "2023" -> "2023"."""
    parts = published.split("-")
    try:
        if len(parts) == 3:
            return f"{int(parts[2])} {_MONTHS[int(parts[1]) - 1]} {parts[0]}"
        if len(parts) == 2:
            return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    except (ValueError, IndexError):
        pass
    return published


def attribution(p: Passage) -> str:
    """Who said it and when, as a councillor would repeat it."""
    who = p.organisation if p.organisation and not p.organisation.lower().startswith("not stated") else f"“{p.title}”"
    when = display_date(p.published)
    return f"{who} ({when})" if when else who


# --- 1. the question ---------------------------------------------------------------------


@dataclass
class Question:
    text: str  # as asked
    terms: dict[str, float]  # stemmed term -> weight (rarer terms weigh more)
    search_text: str  # what is sent to retrieval
    follow_up: bool = False
    refers_back: bool = False  # uses a pronoun for something in the previous answer


def is_follow_up(question: str, own_terms: list[str]) -> tuple[bool, bool]:
    """(is a follow-up, refers back with a pronoun) for a question asked after another one."""
    starts = bool(_FOLLOW_UP_START.match(question))
    pronoun = bool(_PRONOUN.search(question))
    short = len(set(own_terms)) <= 3
    return (starts or (pronoun and short) or len(set(own_terms)) <= 1), pronoun and (short or starts)


def build_question(text: str, df: dict[str, int], n_passages: int, previous: "Question | None" = None,
                   expand: str = "") -> Question:
    """Weighted terms of `text`; a follow-up also carries the previous question's terms at half weight."""
    own = content_terms(text + " " + expand)
    follow, refers = is_follow_up(text, content_terms(text)) if previous else (False, False)
    max_idf = idf(0, n_passages)
    terms: dict[str, float] = {}
    for t in own:
        terms[t] = idf(df.get(t, 0), n_passages) if df.get(t) else max_idf
    search = text + (" " + expand if expand else "")
    if follow and previous:
        for t, w in previous.terms.items():
            if t not in terms:
                terms[t] = w * 0.5
        search = previous.search_text + " " + search
    return Question(text, terms, search, follow, refers)


# --- 2. rerank ---------------------------------------------------------------------------


class TermCache:
    """Content terms of passages (text + headers + section), computed once per passage."""

    def __init__(self) -> None:
        self._terms: dict[str, frozenset[str]] = {}

    def of(self, p: Passage) -> frozenset[str]:
        got = self._terms.get(p.id)
        if got is None:
            got = frozenset(content_terms(" ".join((p.text, p.context, p.section))))
            self._terms[p.id] = got
        return got


def coverage(q: Question, terms: Iterable[str]) -> float:
    """Share of the question's term weight that `terms` contains."""
    total = sum(q.terms.values())
    if not total:
        return 0.0
    have = set(terms)
    return sum(w for t, w in q.terms.items() if t in have) / total


def rerank(q: Question, hits: list[Hit], cache: TermCache, boost_ids: set[str] | None = None) -> list[Hit]:
    """Relevance in [0, 1]: half dense similarity, half weighted term coverage."""
    for h in hits:
        cov = coverage(q, cache.of(h.passage))
        h.relevance = 0.5 * max(0.0, h.dense) + 0.5 * cov
        if boost_ids and h.passage.id in boost_ids:
            h.relevance += 0.1
    return sorted(hits, key=lambda h: -h.relevance)


# --- 3. select ---------------------------------------------------------------------------


def _overlap(a: Passage, b: Passage) -> bool:
    return a.source == b.source and a.char_start < b.char_end and b.char_start < a.char_end


def select(hits: list[Hit], max_citations: int = 6, ratio: float = 0.8, floor: float = 0.0) -> list[Hit]:
    """The best hit, then hits at least `ratio` as relevant that do not repeat a chosen one."""
    if not hits:
        return []
    best = hits[0].relevance
    chosen = [hits[0]]
    seen_text = {clean_inline(hits[0].passage.text).lower()}
    for h in hits[1:]:
        if len(chosen) >= max_citations or h.relevance < max(best * ratio, floor):
            break
        key = clean_inline(h.passage.text).lower()
        if key in seen_text or any(_overlap(h.passage, c.passage) for c in chosen):
            continue
        seen_text.add(key)
        chosen.append(h)
    return chosen


# --- 4. compose --------------------------------------------------------------------------


def render_row(cells: list[tuple[str, str]]) -> str:
    """A table row as a sentence-like line: "Leads: Senior Manager; Timescales: June 2024"."""
    parts = [f"{h}: {v}" if h else v for h, v in cells if v]
    return "; ".join(parts)


def best_sentences(q: Question, p: Passage) -> list[tuple[int, int]]:
    """Spans (absolute offsets) of the sentence(s) of `p` that best answer `q`."""
    spans = sentence_spans(p.text)
    if len(spans) <= 1:
        return [(p.char_start + s, p.char_start + e) for s, e in spans] or [(p.char_start, p.char_end)]
    scored = []
    for i, (s, e) in enumerate(spans):
        cov = coverage(q, content_terms(p.text[s:e]))
        has_figure = bool(re.search(r"\d", p.text[s:e]))
        scored.append((cov + (0.05 if has_figure else 0.0) - i * 0.01, i))
    scored.sort(reverse=True)
    top = scored[0][1]
    picked = {top}
    # A sentence that starts "This rose to ..." needs the one before it to make sense.
    if top > 0 and _ANAPHOR_START.match(p.text[spans[top][0]:spans[top][1]]):
        picked.add(top - 1)
    # A second sentence when it is nearly as good and adjacent (a figure split over two).
    if len(scored) > 1 and scored[1][0] >= 0.8 * scored[0][0] > 0 and abs(scored[1][1] - top) == 1:
        picked.add(scored[1][1])
    return [(p.char_start + spans[i][0], p.char_start + spans[i][1]) for i in sorted(picked)]


def statement(p: Passage, spans: list[tuple[int, int]]) -> str:
    """What the answer says for passage `p`: its chosen sentences, or its row with headers."""
    if p.kind == "row" and p.cells:
        return render_row(p.cells)
    text = " ".join(clean_inline(p.text[s - p.char_start:e - p.char_start]) for s, e in spans)
    text = _NUMBERING.sub("", text).strip()
    if p.kind == "item" and p.context and len(text) < 60 and not re.search(r"\d", text):
        text = f"{p.context.rstrip(':')}: {text}"  # a bare bullet means little without its lead-in
    return text


@dataclass
class Draft:
    hit: Hit
    spans: list[tuple[int, int]]
    text: str
    marker: int = 0
    highlights: list[tuple[int, int]] = field(default_factory=list)


def compose(q: Question, chosen: list[Hit]) -> tuple[str, list[Draft]]:
    """Answer text with markers, and the drafts (in marker order) it cites."""
    drafts = []
    for h in chosen:
        spans = best_sentences(q, h.passage) if h.passage.kind != "row" else [(h.passage.char_start, h.passage.char_end)]
        drafts.append(Draft(h, spans, statement(h.passage, spans)))
    # Group statements by document; when several reports speak, oldest first so a change reads in order.
    groups: dict[str, list[Draft]] = {}
    for d in drafts:
        groups.setdefault(d.hit.passage.source, []).append(d)
    order = list(groups)
    if len(order) > 1:
        order.sort(key=lambda s: groups[s][0].hit.passage.published or "9999")
    ordered = [d for source in order for d in groups[source]]
    for i, d in enumerate(ordered, start=1):
        d.marker = i
    if len(order) == 1:
        who = attribution(ordered[0].hit.passage)
        lines = [f"According to {who}: {_sentence(ordered[0].text)} [1]"]
        lines += [f"- {_sentence(d.text)} [{d.marker}]" for d in ordered[1:]]
        return "\n".join(lines), ordered
    sources = [f"{attribution(groups[s][0].hit.passage)} {''.join(f'[{d.marker}]' for d in groups[s])}" for s in order]
    lines = [f"From {', '.join(sources[:-1])} and {sources[-1]}, oldest first:"]
    for source in order:
        for di, d in enumerate(groups[source]):
            who = f"{attribution(d.hit.passage)}: " if di == 0 else ""
            lines.append(f"- {who}{_sentence(d.text)} [{d.marker}]")
    return "\n".join(lines), ordered


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!", ":")) else text + "."


def to_citation(d: Draft) -> Citation:
    p = d.hit.passage
    highlights = [(s - p.char_start, e - p.char_start) for s, e in d.spans] if p.kind != "row" else [(0, len(p.text))]
    return Citation(
        marker=d.marker, source=p.source, title=p.title, organisation=p.organisation, published=p.published,
        section=p.section, char_start=p.char_start, char_end=p.char_end, text=p.text,
        score=round(d.hit.relevance, 4), highlights=highlights, page=p.page,
    )


def related(hits: list[Hit], n: int = 3) -> list[Citation]:
    out = []
    for i, h in enumerate(hits[:n], start=1):
        d = Draft(h, [(h.passage.char_start, h.passage.char_end)], "")
        d.marker = i
        out.append(to_citation(d))
    return out


def abstain_text(question: str) -> str:
    q = question.strip().rstrip("?").strip()
    return (f"The indexed reports do not say: “{q}”. None of the passages found answers it closely enough to cite; "
            "the closest are listed below as related reading, not as an answer.")


def answer_from_hits(q: Question, hits: list[Hit], min_relevance: float, max_citations: int) -> Answer:
    """Select, compose, or abstain. `hits` are reranked, best first."""
    if not hits or hits[0].relevance < min_relevance:
        return Answer(question=q.text, answer=abstain_text(q.text), abstained=True, related=related(hits), query=q.search_text)
    chosen = select(hits, max_citations=max_citations, floor=min_relevance)
    text, drafts = compose(q, chosen)
    return Answer(question=q.text, answer=text, abstained=False, citations=[to_citation(d) for d in drafts],
                  query=q.search_text)
