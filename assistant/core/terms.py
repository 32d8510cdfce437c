"""The words a question and a passage are matched by (pure, no I/O): one tokeniser, one stemmer,
one stopword list (`content_terms`), and one rarity weight (`idf`).

The keyword segments keep each passage's terms, so a change here re-reads the stored passages'
terms at the next ingest (`terms_signature`), without embedding anything again.
"""

from __future__ import annotations

import hashlib
import math
import re
from functools import cache
from pathlib import Path
from typing import Any


@cache
def terms_signature() -> str:
    """Changes with this module's code: the terms kept in an index were read by other code."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


# Generic English function words and question words. They carry no topic, so they neither
# count towards nor against how well a passage covers a question.
STOPWORDS = frozenset("""
a about above after again all also am an and any are as at be because been before being below between both but
by can could did do does doing done down during each either etc few for from further give given had has have
having he her here hers him his how however i if in into is it its itself just let like many may me might more
most much must my no nor not now of off on once only or other our ours out over own per please same say said
says she should show so some such tell than that the their theirs them then there these they this those through
to too under until up upon us very via was we were what whats when where which while who whom whose why will
with would you your yours happen happened happening stand mean means meaning
go goes going went gone get gets got getting come comes came coming big previous previously
among amongst across along around behind beside besides beyond despite except inside near onto outside since
though toward towards unless whether without yet within upon whilst also already still even ever often rather
""".split())


_TOKEN_RE = re.compile(r"[a-z0-9£$€%]+(?:[.,]\d+)*")


_STEMMER: Any = None


def _stemmer() -> Any:
    global _STEMMER
    if _STEMMER is None:
        import Stemmer  # PyStemmer, the Snowball stemmer the BM25 index uses too

        _STEMMER = Stemmer.Stemmer("english")
    return _STEMMER


def stem(word: str) -> str:
    """The Snowball stem of one lower-case word: "children" -> "children", "increased" -> "increas"."""
    return _stemmer().stemWord(word)


def stem_words(words: list[str]) -> list[str]:
    return list(_stemmer().stemWords(words))


_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}


# One spelling for the roles and titles every council document uses in several forms.
_SAME_WORD = {"cllr": "councillor", "cllrs": "councillor", "councillors": "councillor", "chairman": "chair",
              "chairwoman": "chair", "chairperson": "chair", "chaired": "chair", "chairs": "chair",
              "yeas": "favour", "yea": "favour", "ayes": "favour", "nays": "against",
              "nay": "against", "noes": "against"}

# "2021-22" and "2021/22" name the same period as "2021-2022".
_YEAR_RANGE_RE = re.compile(r"\b((?:19|20)(\d\d))\s*[-/–]\s*(\d\d)\b(?!\d)")


# Each word's term once worked out ("" for a word that is not one): a question's first answer reads
# thousands of passages' words, and most words recur.
_TERM_OF: dict[str, str] = {}
_TERM_CACHE_LIMIT = 500_000  # words kept before the cache starts again (memory, not relevance)


def _term_of(tok: str) -> str:
    tok = tok.strip(".,")
    tok = _SAME_WORD.get(tok, _NUMBER_WORDS.get(tok, tok))
    if not tok or tok in STOPWORDS or (len(tok) == 1 and not tok.isdigit()):
        return ""
    return tok if tok[0].isdigit() or tok[0] in "£$€" else stem(tok)


def content_terms(text: str) -> list[str]:
    """Stemmed content words and figures of `text`, in order, stopwords removed; number words as digits."""
    text = _YEAR_RANGE_RE.sub(lambda m: f"{m.group(1)} {m.group(1)[:2]}{m.group(3)}", text.lower().replace("’", "'"))
    out = []
    known = _TERM_OF
    for tok in _TOKEN_RE.findall(text):
        term = known.get(tok)
        if term is None:
            if len(known) > _TERM_CACHE_LIMIT:
                known.clear()
            term = known[tok] = _term_of(tok)
        if term:
            out.append(term)
    return out


def idf(df: int, n: int) -> float:
    """How rare a term is among `n` items when `df` of them hold it (BM25's formula): 0 for every item, high for few."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))
