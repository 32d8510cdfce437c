"""Text utilities every stage shares (pure, no I/O): words and their weights, sentences, dates.

* `content_terms`: the stemmed content words and figures of a text (one tokeniser, one
  stemmer, one stopword list), and `idf`, the one rarity weight;
* `sentence_spans`, `trim`, `clean_inline`: sentence offsets, whitespace trimming and the
  display form of a span (never used for offsets);
* `is_value`, `is_year`: a table cell that is a figure or a year;
* `MONTHS`, `MONTH_NAMES`, `MONTH_RE`: the one month table.
"""

from __future__ import annotations

import math
import re
from typing import Any

_TAG_RE = re.compile(r"<[^>]+>")
_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)\s]*\)")  # [text](address) -> text


# A figure, possibly with a footnote mark after it ("38¹", "£2.4m*").
_VALUE_RE = re.compile(
    r"^[<>≤≥~+-]?\s*[£$€]?\s*\d[\d,]*(?:\.\d+)?\s*(?:%|[kKmM]|bn|per\s+1,000)?(?:\s*\([^)]*\))?[¹²³⁴⁵⁶⁷⁸⁹⁰*†‡]*$"
)


_ABBREVIATIONS = {
    "e.g", "i.e", "etc", "inc", "incl", "no", "nos", "vs", "approx", "st", "dr", "mr", "mrs", "ms",
    "cllr", "fig", "para", "ref", "p.a", "c", "ca", "cf", "al",
}


_SENTENCE_END_RE = re.compile(r"[.!?][\"'’”)\]]*(?=\s+[\"'‘“(]?[A-Z0-9£])")


def clean_inline(text: str) -> str:
    """Text as a reader should see it: markup removed, whitespace collapsed (for display, never for offsets)."""
    text = _MD_LINK_RE.sub(r"\1", _TAG_RE.sub(" ", text))
    text = text.replace("**", "").replace("~~", "").replace("➤", "").replace("\\", "")
    return re.sub(r"\s+", " ", text).strip()


def is_year(cell: str) -> bool:
    """True for a column label that is a year or a year range: "2024", "2022/23", "2020-21"."""
    return bool(re.match(r"^(?:19|20)\d\d(?:\s*[/-]\s*\d\d(?:\d\d)?)?$", clean_inline(cell)))


def is_value(cell: str) -> bool:
    """True for a cell that is a figure ("£10,910,000", "21% (2020/21)", "0.44") rather than a label."""
    return bool(_VALUE_RE.match(clean_inline(cell)))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of `text[start:end]` as absolute (start, end) offsets, whitespace trimmed.

    A sentence ends at . ! or ? followed by space and a capital or digit, except after common
    abbreviations ("inc.", "e.g.") and single-letter initials.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for m in _SENTENCE_END_RE.finditer(text, start, end):
        word = re.search(r"([\w.]+)\.$", text[max(start, m.start() - 12): m.start() + 1])
        if word and (word.group(1).lower() in _ABBREVIATIONS or (len(word.group(1)) == 1 and word.group(1).isalpha())):
            continue
        spans.append((cursor, m.end()))
        cursor = m.end()
    spans.append((cursor, end))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e <= s:
            continue
        close = _aside_end(text, s, e) if out else -1
        if close > 0:
            # "… be installed. (Cllr A proposed, six in favour, two abstained)": an aside that
            # follows a sentence belongs to it; what comes after the bracket starts afresh.
            out[-1] = (out[-1][0], close)
            s = close
            while s < e and text[s].isspace():
                s += 1
            if e <= s:
                continue
        out.append((s, e))
    return out


def _aside_end(text: str, start: int, end: int) -> int:
    """The end of a bracketed aside of two words or more that opens `text[start:end]`, or -1."""
    if text[start] != "(":
        return -1
    depth = 0
    for k in range(start, end):
        depth += {"(": 1, ")": -1}.get(text[k], 0)
        if depth == 0:
            # "(b)", "(ii)" number the next sentence; an aside has words.
            return k + 1 if len(text[start + 1:k].split()) >= 2 else -1
    return -1


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) moved inwards past spaces, tabs, line ends and no-break spaces."""
    while start < end and text[start] in " \t\r\n\u00a0":
        start += 1
    while end > start and text[end - 1] in " \t\r\n\u00a0":
        end -= 1
    return start, end


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


def content_terms(text: str) -> list[str]:
    """Stemmed content words and figures of `text`, in order, stopwords removed; number words as digits."""
    text = _YEAR_RANGE_RE.sub(lambda m: f"{m.group(1)} {m.group(1)[:2]}{m.group(3)}", text.lower().replace("’", "'"))
    out = []
    for tok in _TOKEN_RE.findall(text):
        tok = tok.strip(".,")
        tok = _SAME_WORD.get(tok, _NUMBER_WORDS.get(tok, tok))
        if not tok or tok in STOPWORDS or (len(tok) == 1 and not tok.isdigit()):
            continue
        out.append(tok if tok[0].isdigit() or tok[0] in "£$€" else stem(tok))
    return out


def idf(df: int, n: int) -> float:
    """How rare a term is among `n` items when `df` of them hold it (BM25's formula): 0 for every item, high for few."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


MONTH_NAMES = ("January February March April May June July August September October November December").split()
MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}


# Full names and the usual abbreviations ("Sept", "Nov"), glued to the year or not ("March2021").
MONTH_RE = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
            r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")


def month_number(name: str) -> int | None:
    """1-12 for a month name or its abbreviation ("Sept", "march"), else None."""
    return MONTHS.get(name[:3].lower())
