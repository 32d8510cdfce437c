"""The glossary as questions use it: acronym -> what it stands for, from the definitions the reports
give (`ingest.glossary`, read at ingest) and the abbreviations every public body uses."""

from __future__ import annotations

import re

from ..core.terms import content_terms
from ..ingest.glossary import Acronym, is_acronym

# Abbreviations every public body uses without defining them. A report's own definition wins;
# these only fill in when no report defines the acronym (they have no source span to cite).
COMMON_ABBREVIATIONS = {
    "FTE": "full-time equivalent", "KPI": "key performance indicator", "YTD": "year to date",
    "RAG": "red amber green", "HR": "human resources", "ICT": "information and communication technology",
    "VAT": "value added tax", "PAYE": "pay as you earn", "AGM": "annual general meeting",
    "AOB": "any other business", "CCTV": "closed circuit television", "TBC": "to be confirmed",
}


def _norm(phrase: str) -> str:
    return re.sub(r"[\s\-]+", " ", phrase.lower()).strip()


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
            if token.upper() in self.by_acronym and is_acronym(token):  # the dictionary first: most words are not in it
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
