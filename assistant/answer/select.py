"""Select: the passages an answer cites, and the sentences of each that answer the question."""

from __future__ import annotations

import re

from ..core.settings import Selection
from ..core.text import clean_inline, sentence_spans
from ..core.terms import content_terms
from ..core.types import Passage
from .question import Question
from .rerank import TermCache, coverage, gives_date, gives_reason, has_figure, names_someone
from .retrieve import Hit

_ANAPHOR_START = re.compile(r"^(This|That|These|Those|It|They|He|She|Its|Their|Such)\b")


def _overlap(a: Passage, b: Passage) -> bool:
    return a.source == b.source and a.char_start < b.char_end and b.char_start < a.char_end


def select(hits: list[Hit], q: Question | None = None, cache: TermCache | None = None,
           settings: Selection | None = None, floor: float = 0.0) -> list[Hit]:
    """The best hit, then hits nearly as relevant that cover the question's focus and repeat nothing.

    At most `typical` citations unless more are exactly as relevant; never more than `max_citations`.
    """
    if not hits:
        return []
    settings = settings or Selection()
    max_citations, ratio, typical = settings.max_citations, settings.near_best, settings.typical_citations
    best = hits[0].relevance
    chosen = [hits[0]]
    seen_text = {clean_inline(hits[0].passage.text).lower()}
    lead_focus = coverage(q.focus, cache.of(hits[0].passage)) if (q and cache and q.focus) else 0.0
    for h in hits[1:]:
        if len(chosen) >= max_citations or h.relevance < max(best * ratio, floor):
            break
        if len(chosen) >= typical and h.relevance < best * settings.tie:
            break
        key = clean_inline(h.passage.text).lower()
        if key in seen_text or any(_overlap(h.passage, c.passage) for c in chosen):
            continue
        if q and cache and q.focus and coverage(q.focus, cache.of(h.passage)) < settings.focus_share * lead_focus:
            continue  # relevant to the conversation, but not to what this question asks
        seen_text.add(key)
        chosen.append(h)
    return chosen


def holds_kind(q: Question, sentence: str) -> int:
    """How many of the kinds of thing the question asks for (a figure, a name, a date, a cause) the sentence holds."""
    return ((q.wants_figure and has_figure(sentence)) + (q.wants_person and names_someone(sentence))
            + (q.wants_date and gives_date(sentence)) + (q.wants_reason and gives_reason(sentence)))


def best_sentences(q: Question, p: Passage, settings: Selection | None = None) -> list[tuple[int, int]]:
    """Spans (absolute offsets) of the sentence(s) of `p` that best answer `q`.

    The best sentence first; then any sentence that adds a good share of the question's
    terms the chosen ones lack (the date in one sentence, the measure in the next).
    """
    spans = sentence_spans(p.text)
    if len(spans) <= 1:
        return [(p.char_start + s, p.char_start + e) for s, e in spans] or [(p.char_start, p.char_end)]
    terms = [set(content_terms(p.text[s:e])) for s, e in spans]

    def gain(i: int, have: set[str]) -> float:
        new = terms[i] - have
        return coverage(q, new) + settings.kind_bonus * holds_kind(q, p.text[spans[i][0]:spans[i][1]]) - i * 0.001

    settings = settings or Selection()
    max_sentences = settings.max_sentences
    picked: list[int] = []
    have: set[str] = set()
    while len(picked) < max_sentences:
        options = [(gain(i, have), i) for i in range(len(spans)) if i not in picked]
        if not options:
            break
        score, i = max(options)
        if picked and score < settings.min_sentence_gain:
            break
        picked.append(i)
        have |= terms[i]
    # A sentence that starts "This rose to ..." needs the one before it to make sense.
    for i in list(picked):
        if i > 0 and i - 1 not in picked and _ANAPHOR_START.match(p.text[spans[i][0]:spans[i][1]]):
            picked.append(i - 1)
    return [(p.char_start + spans[i][0], p.char_start + spans[i][1]) for i in sorted(picked)]


def misses_rare_terms(q: Question, p: Passage, cache: TermCache, df: dict[str, int], unseen: bool = True) -> bool:
    """True when the question's rarest words (at most one passage, or none, has them) are all
    absent from `p`: "the salary of the Chief Social Work Officer" found only the officer.
    With `unseen` False, words that no report uses at all (perhaps the reader's own word for the
    report's) do not count."""
    rare = [t for t in q.key if df.get(t, 0) <= 1 and not t[0].isdigit() and (unseen or df.get(t, 0) == 1)]
    if not rare:
        return False
    have = cache.of(p)
    return not any(t in have for t in rare)
