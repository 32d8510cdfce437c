"""The question: its content terms weighted by rarity, and how a follow-up borrows the turn before."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..core.errors import BadQuestion
from ..core.settings import Relevance
from ..core.terms import content_terms, idf

_FOLLOW_UP_START = re.compile(r"^\s*(and|also|what about|how about|and what about|same for|what of)\b", re.I)


_PRONOUN = re.compile(r"\b(that|this|it|its|they|them|their|those|these|there|he|she|his|her)\b", re.I)


# A question that asks for an amount: its answer must hold a figure.
_QUANTITY_RE = re.compile(
    r"\b(how (?:many|much|big|large|high|low)|what (?:share|proportion|percentage|number|amount|rate|level)|"
    r"costs?|budget\w*|spen[dt]\w*|fund\w*|figures?|totals?|averages?|targets?|rates?|numbers?|per cent|percent|"
    r"charges?|charged|pa(?:y|id|ys)|prices?|fees?|worth|value|balances?|raised?|set aside|"
    r"allocat\w*|precepts?|income|receipts?|payments?|salar\w*|savings?|overspend|underspend|deficit|surplus)\b", re.I)


@dataclass
class Question:
    text: str  # as asked
    terms: dict[str, float]  # stemmed term -> weight (rarer terms weigh more)
    search_text: str  # what is sent to retrieval
    follow_up: bool = False
    refers_back: bool = False  # uses a pronoun for something in the previous answer
    focus: dict[str, float] = field(default_factory=dict)  # this turn's own terms (a follow-up's new topic)
    wants_figure: bool = False  # "how many", "what share", "cost": an answer without a figure is a weak one
    periods: tuple[frozenset[str], ...] = ()  # the periods asked about: ("2019/20" -> {2019, 2020}), ("2021" -> {2021})
    intent: str = ""  # the words that say what is asked ("how many … numbers", "what happened to"), not of what
    scope: frozenset[str] = frozenset()  # its terms that name a place or body of the library ("dorset", "council")
    wants_person: bool = False  # "who chaired …", "who leads …": the answer names someone
    wants_date: bool = False  # "when did …": the answer gives a date
    wants_reason: bool = False  # "why did …": the answer gives a cause ("due to", "explained by")

    @property
    def key(self) -> dict[str, float]:
        """What the question is about: its own terms without the place it names and without years."""
        return {t: w for t, w in self.focus.items() if t not in self.scope and not _YEAR.match(t)}


# Words that say what kind of answer is wanted rather than what it is about: in a follow-up that
# names a new topic ("And kinship care?"), these carry over from the turn before; the topic does not.
_INTENT_RE = re.compile(
    r"\b(?:how (?:many|much|has|have|did|do|does|is|are|was|were)|what (?:happened to|is|was|are|were)|who|when|"
    r"numbers?|figures?|totals?|costs?|spend(?:ing)?|budgets?|rates?|proportions?|percentages?|shares?|amounts?|"
    r"levels?|trends?|chang\w*|increas\w*|decreas\w*|ris(?:e|en|ing)|rose|f[ae]ll\w*|compar\w*|leads?|"
    r"timescales?|deadlines?|measured|impact)\b", re.I)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_WHO_RE = re.compile(r"^\W*who\b|\bwho (?:is|was|are|were|chair\w*|lead\w*|won|provides?|proposed|seconded|"
                     r"signed|attended)\b", re.I)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|‘[^’]{3,}’")
_WHY_RE = re.compile(r"^\W*why\b|\bwhat (?:caused|explains|was the reason|were the reasons)\b", re.I)
_WHEN_RE = re.compile(r"^\W*(?:when|by when|on what date|what date)\b|\bwhen (?:did|will|was|is|does)\b", re.I)


_PERIOD_RE = re.compile(r"\b((?:19|20)\d\d)(?:\s*[/–-]\s*((?:19|20)?\d\d))?\b(?![/–-]\d)")


def asked_periods(text: str) -> tuple[frozenset[str], ...]:
    """The periods a question names, each as its years: "in 2019/20" -> ({2019, 2020},), "2017 and 2018" -> two."""
    out = []
    for m in _PERIOD_RE.finditer(text):
        first = m.group(1)
        years = {first}
        if m.group(2):
            second = m.group(2) if len(m.group(2)) == 4 else first[:2] + m.group(2)
            if 0 < int(second) - int(first) <= 5:
                years.add(second)
        out.append(frozenset(years))
    return tuple(dict.fromkeys(out))


def period_words(text: str) -> list[str]:
    """The periods a question names, as it writes them ("2021/22", "2019")."""
    return [m.group(0) for m in _PERIOD_RE.finditer(text)]


def intent_of(text: str) -> str:
    return " ".join(m.group(0).lower() for m in _INTENT_RE.finditer(text))


def is_follow_up(question: str, own_terms: list[str]) -> tuple[bool, bool]:
    """(is a follow-up, refers back with a pronoun) for a question asked after another one."""
    starts = bool(_FOLLOW_UP_START.match(question))
    pronoun = bool(_PRONOUN.search(question))
    short = len(set(own_terms)) <= 3
    return (starts or (pronoun and short) or len(set(own_terms)) <= 1), pronoun and (short or starts)


def build_question(text: str, df: dict[str, int], n_passages: int, previous: "Question | None" = None,
                   expand: str = "", scope: frozenset[str] = frozenset(), settings: Relevance | None = None) -> Question:
    """Weighted terms of `text`; a follow-up also carries terms of the question before, at half weight.

    `expand` holds acronym expansions: synonyms of words already asked, so they weigh little.
    `scope` holds the words that name the library's places and bodies ("dundee", "sussex"): a
    follow-up keeps the place the conversation is about. A follow-up that names a new topic
    ("And kinship care?") keeps the earlier turn's intent ("how many … numbers") and place, not
    its topic; one that names none ("And in 2021?", "Who leads that?") keeps the whole question.
    """
    settings = settings or Relevance()
    own = content_terms(text)
    follow, refers = is_follow_up(text, own) if previous else (False, False)
    max_idf = idf(0, n_passages)

    def weight(t: str) -> float:
        return idf(df.get(t, 0), n_passages) if df.get(t) else max_idf

    asked_for = set(content_terms(intent_of(text)))  # "share", "number", "change": what kind of answer, not of what
    terms: dict[str, float] = {t: weight(t) * (settings.intent_words if t in asked_for else
                                               settings.scope_words if t in scope else 1.0) for t in own}
    focus = dict(terms)
    for t in content_terms(expand):
        terms.setdefault(t, settings.expansion_words * weight(t))
    search = text + (" " + expand if expand else "")
    # What kind of answer is wanted is read outside quotes: “Target school attendance support” names an action.
    asking = _QUOTED.sub(" ", text)
    wants_figure = bool(_QUANTITY_RE.search(asking))
    periods = asked_periods(text)
    intent = intent_of(text)
    if follow and previous:
        intent_terms = set(content_terms(previous.intent))
        topic = [t for t in own if t not in intent_terms and t not in scope and not _YEAR.match(t)
                 and t not in set(content_terms(intent))]
        new_topic = bool(topic) and not refers and not set(topic) <= set(previous.focus)
        for t, w in previous.terms.items():
            if t not in terms and (not new_topic or t in intent_terms or t in scope or _YEAR.match(t)):
                terms[t] = w * settings.follow_up_words
        if new_topic:
            carried = [w for w in previous.search_text.split() if set(content_terms(w)) & scope]
            search = " ".join([search, previous.intent, *carried]).strip()
        else:
            search = previous.search_text + " " + search
        wants_figure = wants_figure or previous.wants_figure
        periods = periods or previous.periods
        intent = intent or previous.intent
        if refers:
            focus = dict(terms)  # "who leads that?": the topic is still the previous one
    wants_person = bool(_WHO_RE.search(asking)) or (follow and previous is not None and previous.wants_person
                                                   and not wants_figure)
    wants_date = bool(_WHEN_RE.search(asking))
    return Question(text, terms, search, follow, refers, focus, wants_figure, periods, intent,
                    frozenset(t for t in terms if t in scope), wants_person, wants_date, bool(_WHY_RE.search(asking)))


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
