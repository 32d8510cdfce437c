"""Acronyms defined in the reports, read at ingest (the lookup that expands questions is
`answer.acronyms`). The splitter's run reads them, so this module is signed into the pipeline.

Two forms are recognised, both common in council reports:

* glossary lines: ``UASC: Unaccompanied asylum-seeking children``
* inline definitions: ``Multi-Agency Screening Hub (MASH)``, accepted only when the
  acronym's letters are the initials of the words before it (small words may be skipped).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass


_SMALL = {"and", "of", "for", "the", "in", "on", "to", "a", "an", "at", "with", "&"}


_GLOSSARY_LINE = re.compile(r"^[ \t\-•*]*([A-Z][A-Za-z&]{1,9}s?)[ \t]*[:–-][ \t]*([A-Z][^\n:]{3,90})$", re.MULTILINE)


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


def is_acronym(token: str) -> bool:
    """Written as an acronym: two or more capitals in at most ten letters ("NHS", "CAMHS", "LACs")."""
    core = token[:-1] if token.endswith("s") and token[:-1].isupper() else token
    return sum(c.isupper() for c in core) >= 2 and len(core) <= 10


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
        if is_acronym(acr) and len(expansion.split()) <= 10:
            found.append(Acronym(acr, expansion, source, m.start(1), m.end(2)))
    for m in _INLINE.finditer(text):
        acr = m.group(1)
        if not is_acronym(acr):
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
