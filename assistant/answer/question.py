"""The question: its content terms weighted by rarity, and how a follow-up borrows the turn before."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..core.errors import BadQuestion
from ..core.text import content_terms, idf

_FOLLOW_UP_START = re.compile(r"^\s*(and|also|what about|how about|and what about|same for|what of)\b", re.I)


_PRONOUN = re.compile(r"\b(that|this|it|its|they|them|their|those|these|there|he|she|his|her)\b", re.I)


_QUANTITY_RE = re.compile(
    r"\b(how (?:many|much|big|large|high|low)|what (?:share|proportion|percentage|number|amount|rate|level)|"
    r"costs?|budgets?|spend|funding|figures?|totals?|averages?|targets?|rates?|numbers?|per cent|percent)\b", re.I)


@dataclass
class Question:
    text: str  # as asked
    terms: dict[str, float]  # stemmed term -> weight (rarer terms weigh more)
    search_text: str  # what is sent to retrieval
    follow_up: bool = False
    refers_back: bool = False  # uses a pronoun for something in the previous answer
    focus: dict[str, float] = field(default_factory=dict)  # this turn's own terms (a follow-up's new topic)
    wants_figure: bool = False  # "how many", "what share", "cost": an answer without a figure is a weak one


def is_follow_up(question: str, own_terms: list[str]) -> tuple[bool, bool]:
    """(is a follow-up, refers back with a pronoun) for a question asked after another one."""
    starts = bool(_FOLLOW_UP_START.match(question))
    pronoun = bool(_PRONOUN.search(question))
    short = len(set(own_terms)) <= 3
    return (starts or (pronoun and short) or len(set(own_terms)) <= 1), pronoun and (short or starts)


def build_question(text: str, df: dict[str, int], n_passages: int, previous: "Question | None" = None,
                   expand: str = "") -> Question:
    """Weighted terms of `text`; a follow-up also carries the previous question's terms at half weight.

    `expand` holds acronym expansions: synonyms of words already asked, so they weigh little.
    """
    own = content_terms(text)
    follow, refers = is_follow_up(text, own) if previous else (False, False)
    max_idf = idf(0, n_passages)
    terms: dict[str, float] = {}
    for t in own:
        terms[t] = idf(df.get(t, 0), n_passages) if df.get(t) else max_idf
    focus = dict(terms)
    for t in content_terms(expand):
        terms.setdefault(t, 0.25 * (idf(df.get(t, 0), n_passages) if df.get(t) else max_idf))
    search = text + (" " + expand if expand else "")
    wants_figure = bool(_QUANTITY_RE.search(text))
    if follow and previous:
        for t, w in previous.terms.items():
            if t not in terms:
                terms[t] = w * 0.5
        search = previous.search_text + " " + search
        wants_figure = wants_figure or previous.wants_figure
        if refers:
            focus = dict(terms)  # "who leads that?": the topic is still the previous one
    return Question(text, terms, search, follow, refers, focus, wants_figure)


def unresolved_reference(q: Question, previous: "Question | None") -> bool:
    """ "Who leads that?" asked with no earlier question: there is nothing for "that" to mean."""
    own = content_terms(q.text)
    return previous is None and bool(_PRONOUN.search(q.text)) and len(set(own)) <= 1


# "How has X changed?", "What happened to X?", "the trend in X": questions about a figure over time.
CHANGE_RE = re.compile(
    r"\bhow (?:has|have|had|did|do|does|is|are|was|were)\b.*\b(?:chang|ris|rose|fall|fell|increas|decreas|reduc|grow|"
    r"grew|went|moved|compar|develop)\w*|\bwhat happened to\b|\btrends?\b|\bover (?:time|the years)\b|\btimeline\b",
    re.IGNORECASE)


def check_question(question: str, max_chars: int) -> str:
    """The question, stripped, or BadQuestion saying what is wrong with it."""
    if question is None or not str(question).strip():
        raise BadQuestion("The question is empty; type a question about the reports.")
    q = " ".join(str(question).split())
    if len(q) > max_chars:
        raise BadQuestion(f"The question is {len(q):,} characters long; the limit is {max_chars:,}. Ask something shorter.")
    letters = [c for c in q if c.isalpha()]
    if not letters:
        raise BadQuestion("The question has no words in it; ask about the reports in English.")
    latin = sum(1 for c in letters if "LATIN" in unicodedata.name(c, ""))
    if latin < len(letters) / 2:
        raise BadQuestion("The reports are in English and this question is in another script; please ask in English.")
    return q
