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
from dataclasses import dataclass

from ..core.settings import Abstention, Selection
from ..core.text import clean_inline
from ..core.types import Answer, Citation, Passage
from .question import Question, period_words
from .rerank import TermCache, answers_kind, covers_periods, has_figure, key_coverage
from .retrieve import Hit
from .select import best_sentences, misses_rare_terms, select

_MONTHS = "January February March April May June July August September October November December".split()


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
    who = p.organisation or f"“{p.title}”"  # a report that names no issuing body is named by its title
    when = display_date(p.published)
    return f"{who} ({when})" if when else who


def render_row(cells: list[tuple[str, str]]) -> str:
    """A table row as a sentence-like line: "Leads: Senior Manager; Timescales: June 2024"."""
    parts = [f"{h}: {v}" if h else v for h, v in cells if v]
    return "; ".join(parts)


def statement(p: Passage, spans: list[tuple[int, int]]) -> str:
    """What the answer says for passage `p`: its chosen sentences, or its row with headers."""
    if p.kind == "row" and p.cells:
        return render_row(p.cells)
    if p.kind == "list":
        lines = [_NUMBERING.sub("", clean_inline(line)) for line in p.text.splitlines() if line.strip()]
        return f"{lines[0]} {'; '.join(lines[1:])}" if len(lines) > 1 else lines[0]
    text = " ".join(clean_inline(p.text[s - p.char_start:e - p.char_start]) for s, e in spans)
    text = _NUMBERING.sub("", text).strip()
    if p.kind == "item" and p.context and len(text) < 60 and len(p.context) <= 120 and not re.search(r"\d", text):
        text = f"{p.context.rstrip(':')}: {text}"  # a bare bullet means little without its lead-in
    return text


@dataclass
class Draft:
    hit: Hit
    spans: list[tuple[int, int]]
    text: str
    marker: int = 0


def compose(q: Question, chosen: list[Hit], overrides: dict[str, str] | None = None,
            settings: Selection | None = None) -> tuple[str, list[Draft]]:
    """Answer text with markers, and the drafts (in marker order) it cites.

    `overrides` gives a better statement for some passages (a commitment's action, lead and
    due date read from its action-plan row), keyed by passage id.
    """
    drafts = []
    for h in chosen:
        whole = h.passage.kind in ("row", "list")
        spans = [(h.passage.char_start, h.passage.char_end)] if whole else best_sentences(q, h.passage, settings)
        text = (overrides or {}).get(h.passage.id) or statement(h.passage, spans)
        drafts.append(Draft(h, spans, text))
    # Group statements by document; when several reports speak, oldest first so a change reads in order.
    groups: dict[str, list[Draft]] = {}
    for d in drafts:
        groups.setdefault(d.hit.passage.source, []).append(d)
    order = list(groups)
    # Figures from several reports read as a timeline, oldest first; anything else stays best first.
    if len(order) > 1 and all(re.search(r"\d", groups[s][0].text) for s in order):
        order.sort(key=lambda s: groups[s][0].hit.passage.published or "9999")
    elif len(order) > 2:
        order = order[:1] + sorted(order[1:], key=lambda s: groups[s][0].hit.passage.published or "9999")
    ordered = [d for source in order for d in groups[source]]
    for i, d in enumerate(ordered, start=1):
        d.marker = i
    if len(order) == 1:
        who = attribution(ordered[0].hit.passage)
        lines = [f"According to {who}: {_sentence(ordered[0].text)} [1]"]
        lines += [f"- {_sentence(d.text)} [{d.marker}]" for d in ordered[1:]]
        return "\n".join(lines), ordered
    sources = [f"{attribution(groups[s][0].hit.passage)} {''.join(f'[{d.marker}]' for d in groups[s])}" for s in order]
    chronological = order == sorted(order, key=lambda s: groups[s][0].hit.passage.published or "9999")
    lines = [f"From {', '.join(sources[:-1])} and {sources[-1]}" + (", oldest first:" if chronological else ":")]
    for source in order:
        for di, d in enumerate(groups[source]):
            who = f"{attribution(d.hit.passage)}: " if di == 0 else ""
            lines.append(f"- {who}{_sentence(d.text)} [{d.marker}]")
    return "\n".join(lines), ordered


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!", ":")) else text + "."


def related(hits: list[Hit], n: int = 3) -> list[Citation]:
    """The closest passages when abstaining, as reading offered, not as evidence."""
    return [Citation.from_span(h.passage, i, round(h.relevance, 4), used=[(h.passage.char_start, h.passage.char_end)])
            for i, h in enumerate(hits[:n], start=1)]


def abstain_text(question: str, why: str = "") -> str:
    """The words of a refusal: what was asked, why no passage answers it, and what is offered instead."""
    q = question.strip().rstrip("?").strip()
    because = why or "None of the passages found answers it closely enough to cite"
    return (f"The indexed reports do not say: “{q}”. {because}; "
            "the closest are listed below as related reading, not as an answer.")


def why_not(q: Question, best: Hit, cache: TermCache, df: dict[str, int] | None, settings: Abstention,
            others: set[str] | None = None) -> str | None:
    """Why the best passage does not answer `q` (a clause for the user), or None when it may be cited.
    `others`: the documents of places other than the one the question names (`rerank.other_places`)."""
    p = best.passage
    if best.relevance < settings.min_relevance:
        return "None of the passages found answers it closely enough to cite"
    if others and p.source in others:
        return "The passages found that answer it are about another place"
    if not covers_periods(q, p, cache):
        asked = " or ".join(period_words(q.text)) or "the years asked about"
        return f"None of the passages found speaks of {asked}"
    # A passage close in meaning (dense_trust) is not held to words that no report uses.
    known = df if (df is not None and best.dense >= settings.dense_trust) else None
    held = sum(1 for t in q.key if t in cache.of(p))
    if (len(q.key) >= 3 and held < settings.min_key_words) or key_coverage(
            q, p, cache, known, settings.unseen_word_weight) < settings.min_key_coverage or (
            best.relevance < settings.rare_term_relevance and df is not None
            and misses_rare_terms(q, p, cache, df, unseen=best.dense < settings.dense_trust)):
        return "The passages found are about something else"
    if q.wants_figure and not has_figure(p.text):
        return "The closest passages give no figure for it"
    return None  # (a question for a name or a date may still be answered by the best passage's section)


def answer_from_hits(q: Question, hits: list[Hit], cache: TermCache | None = None, df: dict[str, int] | None = None,
                     overrides: dict[str, str] | None = None, abstention: Abstention | None = None,
                     selection: Selection | None = None, others: set[str] | None = None) -> Answer:
    """Select, compose, or abstain (saying why). `hits` are reranked, best first; `others` as for `why_not`."""
    cache = cache or TermCache()
    abstention, selection = abstention or Abstention(), selection or Selection()
    why = why_not(q, hits[0], cache, df, abstention, others) if hits else "Nothing in them matches it"
    # The answer leads with a passage nearly as relevant as the best that answers and holds what is asked
    # (a figure, a name, a date); failing that, one that answers.
    near = [h for h in hits if h.relevance >= abstention.promote_within * hits[0].relevance] if hits else []
    fine = [h for h in near if why_not(q, h, cache, df, abstention, others) is None]
    lead = next((h for h in fine if answers_kind(q, h.passage, strict=True)),
                next((h for h in fine if answers_kind(q, h.passage)), fine[0] if fine else None))
    if lead is not None:
        hits, why = [lead] + [h for h in hits if h is not lead], None
    if why:
        return Answer(question=q.text, answer=abstain_text(q.text, why), abstained=True, related=related(hits),
                      query=q.search_text)
    if others:  # a question about one place is not answered from another place's reports
        hits = [h for h in hits if h.passage.source not in others]
    chosen = select(hits, q, cache, selection, floor=abstention.min_relevance)
    text, drafts = compose(q, chosen, overrides, selection)
    citations = [Citation.from_span(d.hit.passage, d.marker, round(d.hit.relevance, 4), used=d.spans) for d in drafts]
    return Answer(question=q.text, answer=text, abstained=False, citations=citations, query=q.search_text)
