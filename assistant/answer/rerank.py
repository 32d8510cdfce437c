"""Rerank: each candidate's relevance in [0, 1] from its dense similarity and weighted term coverage."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from ..core.settings import Relevance
from ..core.terms import content_terms
from ..core.types import DocumentRecord, Passage
from .acronyms import Glossary
from ..views.vocabulary import header_roles
from .question import Question
from .retrieve import Hit


class TermCache:
    """Weighted content terms of each passage, computed once per passage.

    The passage's own words count fully; a table row's column names and carried-down cells
    nearly so; a list item's lead-in and the section path half; the document's title and
    organisation a little. An acronym in the passage also brings the words it stands for (at half
    weight). Passages are read on first use, so a question's first answer pays for its candidates.
    """

    def __init__(self, glossary: Glossary | None = None, settings: Relevance | None = None,
                 neighbours: Callable[[Passage], list[Passage]] | None = None) -> None:
        self._terms: dict[str, dict[str, float]] = {}
        self._own: dict[str, dict[str, float]] = {}
        self._wording: dict[str, int] = {}  # passage id -> its words that say something
        self.glossary = glossary
        self.settings = settings or Relevance()
        self.neighbours = neighbours  # the passages around one in its section, when the index is at hand

    def of(self, p: Passage) -> dict[str, float]:
        """The passage's weighted terms, with those of its neighbours in its section at `neighbour_words`."""
        got = self._terms.get(p.id)
        if got is None:
            got = dict(self.own(p))
            for other in self.neighbours(p) if self.neighbours else []:
                for t, w in self.own(other).items():
                    got[t] = max(got.get(t, 0.0), w * self.settings.neighbour_words)
            self._terms[p.id] = got
        return got

    def own(self, p: Passage) -> dict[str, float]:
        """The passage's own weighted terms: its words, headers, section, report title and issuer."""
        got = self._own.get(p.id)
        if got is None:
            got = {}
            w = self.settings
            text = content_terms(p.text)
            self._wording[p.id] = len(telling(text))
            # A table row's column names and carried-down cells describe its values almost as its own words do.
            # The title, issuer and section are shared by many passages: their terms are read once.
            parts = [(shared_terms(f"{p.title} {Path(p.source).stem}"), w.title_words),
                     (shared_terms(f"{p.organisation or ''} {p.place or ''}"), w.issuer_words),
                     (shared_terms(p.section), w.section_words),
                     (content_terms(p.context), w.row_context_words if p.kind == "row" else w.context_words),
                     (text, w.text_words)]
            if self.glossary is not None:
                found = self.glossary.acronyms_in(f"{p.text} {p.context}")
                parts.insert(2, (content_terms(" ".join(e.expansion for e in found)), w.acronym_words))
            for terms, weight in parts:
                for t in terms:
                    got[t] = max(got.get(t, 0.0), weight)
            self._own[p.id] = got
        return got

    def wording(self, p: Passage) -> int:
        """How many of the passage's own words say something (`telling`), from the terms `own` read."""
        if p.id not in self._wording:
            self.own(p)  # counts them as it reads the passage's terms
        return self._wording[p.id]


@lru_cache(maxsize=20_000)  # strings kept (memory, not relevance)
def shared_terms(text: str) -> tuple[str, ...]:
    """`content_terms` of a string many passages share (a title, an issuer, a section), read once."""
    return tuple(content_terms(text))


def coverage(q: "Question | dict[str, float]", terms: "dict[str, float] | Iterable[str]") -> float:
    """Share of the question's term weight that `terms` contains (weighted by where it was found)."""
    weights = q.terms if isinstance(q, Question) else q
    total = sum(weights.values())
    if not total:
        return 0.0
    have = terms if isinstance(terms, dict) else {t: 1.0 for t in terms}
    return sum(w * have.get(t, 0.0) for t, w in weights.items()) / total


def other_places(question: str, documents: Mapping[str, DocumentRecord]) -> set[str]:
    """Documents of another place than the one the question names ("in Dorset", "Sutton Coldfield's"):
    those whose place is known and not named, when the question names a place that some documents have.
    A document whose place is not known is never among them. Empty when the question names no place."""
    asked = " " + " ".join(re.findall(r"[a-z0-9]+", question.lower())) + " "
    named, known = set(), set()
    for source, d in documents.items():
        words = re.findall(r"[a-z0-9]+", (d.place or "").lower())
        if words and len("".join(words)) > 2:
            known.add(source)
            if f" {' '.join(words)} " in asked:
                named.add(source)
    return known - named if named else set()


# A figure: "43", "£1.2m", "68%", "3,098.50"; dates and years are taken out first.
_FIGURE_RE = re.compile(r"(?<![\w.])[£$€]?\d[\d,]*(?:\.\d+)?(?![\d])(?:\s*%|\s*(?:k|m|bn)\b)?")
_DATE_RE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b(?:19|20)\d\d(?:\s*[/–-]\s*\d{2,4})?\b"
                      r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*", re.I)


def has_figure(text: str) -> bool:
    """True when `text` gives a number other than a year or a date ("in 2019", "2013/14 to 2020/21" give none)."""
    return bool(_FIGURE_RE.search(_DATE_RE.sub(" ", text)))


# Someone named: "Cllr Hodivala", "Mrs Sally Sahin", or a name with its role ("Peter King, Parish Clerk",
# "Sue Lintern (Chair)").
_ROLE = r"(?:[A-Z][a-z]+\s+){0,2}(?:Clerk|Chair\w*|Mayor|Officer|Manager|Director|Head|Leader|Treasurer|Secretary)"
_PERSON_RE = re.compile(r"\b(?:Cllrs?|Councillors?|Mr|Mrs|Ms|Miss|Dr|Sir|Dame|Mayor)\.?\s+[A-Z][\w'’-]+|"
                        rf"\b[A-Z][a-z]+\s+[A-Z][\w'’-]+(?:,\s*(?:the\s+)?{_ROLE}|\s*\(\s*{_ROLE}\s*\))")
_DATED_RE = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*|"
                       r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|"
                       r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b", re.I)


_CALENDAR = re.compile(r"^(?:\d\w*|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)[a-z]*)$")


def telling(terms: Iterable[str]) -> list[str]:
    """Those of `terms` (`content_terms`) that say something: not figures, dates, months or weekdays.

    "Notes to the Accounts, Saturday, March 31, 2018" has three: a heading and a date say little."""
    return [t for t in terms if not _CALENDAR.match(t)]


# A cause given: "due to PAYE arrears", "the variance is explained by", "because of", "as a result of".
_REASON_RE = re.compile(r"\b(?:because|due to|owing to|as a result|result(?:s|ed|ing)? (?:of|from)|explained by|explanation"
                        r"|caused by|driven by|attributable to|reasons?\b|in order to|so that)", re.I)


def gives_reason(text: str) -> bool:
    return bool(_REASON_RE.search(text))


# The roles a "who …" question may ask for, as content_terms spells them ("chaired" -> "chair").
_ROLE_WORDS = {"chair": r"Chair\w*", "clerk": r"Clerk", "mayor": r"Mayor", "leader": r"Leader", "treasur": r"Treasurer",
               "secretari": r"Secretary", "director": r"Director", "manag": r"Manager", "offic": r"Officer"}


def names_role(text: str, stem: str) -> bool:
    """True when `text` names who holds the role: "Cllr Sue Lintern (Chair)", "Peter King, Parish Clerk",
    "CLERK TO THE COUNCIL: AMANDA GLEW", "Chairman: Cllr Hodivala"; the role word alone is not enough."""
    role = _ROLE_WORDS.get(stem)
    if role is None:
        return names_someone(text)
    name = r"[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3}"
    return bool(re.search(rf"{name}\s*\(\s*(?:[A-Z][a-z]+\s+)?{role}\s*\)|{name},\s*(?:the\s+)?(?:[A-Z][a-z]+\s+)?{role}\b|"
                          rf"\b{role}(?:\s+to\s+the\s+\w+)?\s*[:–-]\s*(?:Cllr\.?\s+|Mr\.?\s+|Mrs\.?\s+|Ms\.?\s+)?[A-Z]",
                          text) or
                re.search(rf"{name}\s*\(\s*(?:[A-Z][a-z]+\s+)?{role.upper()}\s*\)|\b{role.upper()}(?:\s+TO\s+THE\s+\w+)?\s*:\s*[A-Z]",
                          text))


def asked_roles(q: Question) -> list[str]:
    """The roles a "who …" question asks about ("Who chaired …?" -> ["chair"])."""
    return [t for t in q.key if t in _ROLE_WORDS] if q.wants_person else []


def names_someone(text: str) -> bool:
    return bool(_PERSON_RE.search(text))


def gives_date(text: str) -> bool:
    return bool(_DATED_RE.search(text))


def answers_kind(q: Question, p: Passage, figure: bool = True, strict: bool = False) -> bool:
    """The passage holds the kind of thing the question asks for: a figure (unless `figure` is False),
    someone's name (or a row's lead; with `strict`, the holder of the role asked about), a date (or a
    row's timescale), a cause."""
    roles = {r for h, v in (p.cells or []) if v for r in header_roles(str(h))} if p.kind in ("row", "fields") else set()
    return ((not figure or not q.wants_figure or has_figure(p.text))
            and (not q.wants_person or bool(roles & {"lead", "partners"})
                 or (any(names_role(p.text, r) for r in asked_roles(q)) if (strict and asked_roles(q))
                     else names_someone(p.text)))
            and (not q.wants_date or gives_date(p.text) or "timescale" in roles)
            and (not q.wants_reason or gives_reason(p.text)))


def covers_periods(q: Question, p: Passage, cache: TermCache) -> bool:
    """The passage (its words, headers, section, title or report's year) speaks of a period the question asks about.

    A financial or school year ("2019/20") needs both its years: "until 2021" is not "2021/22"."""
    if not q.periods:
        return True
    have = set(cache.of(p))
    if p.year:
        have.add(str(p.year))
    return any(period <= have for period in q.periods)


def rerank(q: Question, hits: list[Hit], cache: TermCache, boost_ids: set[str] | None = None,
           others: set[str] | None = None) -> list[Hit]:
    """Relevance in [0, 1]: dense similarity and weighted term coverage (`Relevance` settings, from the cache).

    A question that asks for a quantity marks down passages that hold no figure; one that asks about
    a year marks down passages of other years; one that names a place ("in Dorset") marks down other
    places' documents.
    """
    w = cache.settings
    for h in hits:
        cov = coverage(q, cache.of(h.passage))
        dense = w.row_dense_weight if h.passage.kind == "row" else w.dense_weight
        h.relevance = dense * max(0.0, h.dense) + (1 - dense) * cov
        if q.wants_figure and not has_figure(h.passage.text):
            h.relevance *= w.no_figure_factor
        if not answers_kind(q, h.passage, figure=False):
            h.relevance *= w.no_figure_factor  # asked who, when or why, and it names nobody, gives no date or cause
        if not covers_periods(q, h.passage, cache):
            h.relevance *= w.other_period_factor
        if ((h.passage.kind != "row" and cache.wording(h.passage) < w.thin_passage_words)
                or (h.passage.kind == "row" and not re.search(r"[A-Za-z]{2}", h.passage.text))):
            h.relevance *= w.thin_passage_factor  # a title line, or a row of figures with no label, says too little
        if others and h.passage.source in others:
            h.relevance *= w.other_place_factor
        if boost_ids and h.passage.id in boost_ids:
            h.relevance += w.referred_boost
    return sorted(hits, key=lambda h: -h.relevance)


def key_coverage(q: Question, p: Passage, cache: TermCache, known: Mapping[str, int] | None = None,
                 unseen_weight: float = 1.0) -> float:
    """Share of what the question is about (`Question.key`, weighted by rarity) that `p` and its section hold.

    With `known` (document frequencies), words no report uses at all weigh `unseen_weight` of their
    rarity: the reader's own word ("phone" for a number printed under the clerk's name) cannot be
    covered by any passage, but still says what is asked."""
    key = {t: w * (unseen_weight if known is not None and known.get(t, 0) == 0 else 1.0) for t, w in q.key.items()}
    return coverage(key, cache.of(p)) if key else 1.0
