"""Acronyms defined in the corpus, used to expand queries.

Two forms are recognised, both common in council reports:

* glossary lines: ``UASC: Unaccompanied asylum-seeking children``
* inline definitions: ``Multi-Agency Screening Hub (MASH)``, accepted only when the
  acronym's letters are the initials of the words before it (small words may be skipped).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from ..core.text import content_terms

_SMALL = {"and", "of", "for", "the", "in", "on", "to", "a", "an", "at", "with", "&"}


_GLOSSARY_LINE = re.compile(r"^[ \t\-•*]*([A-Z][A-Za-z&]{1,9}s?)[ \t]*[:–-][ \t]*([A-Z][^\n:]{3,90})$", re.MULTILINE)


# Abbreviations every public body uses without defining them. A report's own definition wins;
# these only fill in when no report defines the acronym (they have no source span to cite).
COMMON_ABBREVIATIONS = {
    "FTE": "full-time equivalent", "KPI": "key performance indicator", "YTD": "year to date",
    "RAG": "red amber green", "HR": "human resources", "ICT": "information and communication technology",
    "VAT": "value added tax", "PAYE": "pay as you earn", "AGM": "annual general meeting",
    "AOB": "any other business", "CCTV": "closed circuit television", "TBC": "to be confirmed",
}


_INLINE = re.compile(r"\(([A-Z][A-Za-z&]{1,9})\)")


@dataclass(frozen=True)
class Acronym:
    acronym: str
    expansion: str
    source: str
    char_start: int  # span of the definition in the source text
    char_end: int

    def to_dict(self) -> dict:
        return asdict(self)


def _norm(phrase: str) -> str:
    return re.sub(r"[\s\-]+", " ", phrase.lower()).strip()


def _is_acronym(token: str) -> bool:
    core = token[:-1] if token.endswith("s") and token[:-1].isupper() else token
    return sum(c.isupper() for c in core) >= 2 and len(core) <= 10


def _words(phrase: str) -> list[str]:
    return [w for w in re.split(r"[\s\-/]+", phrase) if w]


def _initials_match(letters: str, words: list[str]) -> bool:
    """Whether `letters` are the initials of `words`, where small words may be skipped."""
    letters = letters.lower()

    def match(i: int, j: int) -> bool:
        if i == len(letters):
            return all(w.lower() in _SMALL for w in words[j:])
        if j == len(words):
            return False
        w = words[j].lower()
        if w[0] == letters[i] and match(i + 1, j + 1):
            return True
        return w in _SMALL and match(i, j + 1)

    return match(0, 0)


def find_acronyms(text: str, source: str) -> list[Acronym]:
    found: list[Acronym] = []
    for m in _GLOSSARY_LINE.finditer(text):
        acr, expansion = m.group(1), m.group(2).strip()
        if _is_acronym(acr) and len(expansion.split()) <= 10:
            found.append(Acronym(acr, expansion, source, m.start(1), m.end(2)))
    for m in _INLINE.finditer(text):
        acr = m.group(1)
        if not _is_acronym(acr):
            continue
        letters = re.sub(r"[^A-Za-z]", "", acr[:-1] if acr.endswith("s") and acr[:-1].isupper() else acr)
        line_start = max(text.rfind("\n", 0, m.start()) + 1, m.start() - 120)
        spans = [w for w in re.finditer(r"[^\s\-/(),.;:]+", text[line_start:m.start()])]
        # The shortest run of trailing words whose initials spell the acronym.
        for n in range(1, min(len(spans), len(letters) + 4) + 1):
            tail = [w.group(0) for w in spans[-n:]]
            if tail[0].lower() not in _SMALL and _initials_match(letters, tail):
                start = line_start + spans[-n].start()
                expansion = text[start:m.start()].strip()
                found.append(Acronym(acr, expansion, source, start, m.end()))
                break
    return found


class Glossary:
    """Acronym -> expansions, with the definitions' spans for citing."""

    def __init__(self, entries: list[Acronym], common: dict[str, str] | None = None) -> None:
        self.entries = entries
        self.by_acronym: dict[str, list[Acronym]] = {}
        defined = {e.acronym.upper() for e in entries}
        extra = [Acronym(a, x, "", 0, 0) for a, x in (COMMON_ABBREVIATIONS if common is None else common).items()
                 if a.upper() not in defined]
        for e in entries + extra:
            key = e.acronym.rstrip("s") if e.acronym[:-1].isupper() and e.acronym.endswith("s") else e.acronym
            bucket = self.by_acronym.setdefault(key.upper(), [])
            if all(_norm(x.expansion) != _norm(e.expansion) for x in bucket):
                bucket.append(e)

    @classmethod
    def from_dicts(cls, rows: list[dict]) -> "Glossary":
        return cls([Acronym(**r) for r in rows])

    def acronyms_in(self, question: str) -> list[Acronym]:
        """Definitions of the acronyms written in `question` (as acronyms: mostly capitals)."""
        out: list[Acronym] = []
        for token in re.findall(r"\b[A-Za-z&]{2,10}\b", question):
            if _is_acronym(token) and token.upper() in self.by_acronym:
                out.extend(self.by_acronym[token.upper()])
        return out

    def expand(self, question: str) -> str:
        """The question with acronyms spelled out and spelled-out names abbreviated, for searching."""
        extra: list[str] = []
        for e in self.acronyms_in(question):
            extra.append(e.expansion)
        # Stemmed, so "Wellbeing Fund" finds "Wellbeing Funding (WFWF)".
        asked = set(content_terms(question))
        for key, entries in self.by_acronym.items():
            if key in question.upper().split():
                continue
            if any((terms := set(content_terms(e.expansion))) and len(terms) >= 2 and terms <= asked for e in entries):
                extra.append(key)
        seen: set[str] = set()
        extra = [x for x in extra if not (_norm(x) in seen or seen.add(_norm(x)))]
        return question + (" " + " ".join(extra) if extra else "")
