"""Text utilities every stage shares (pure, no I/O): sentences, cells, dates.

The splitter reads these, so this module is part of the pipeline signature (a change rebuilds
every index); the words a question and a passage are matched by are in `core.terms`.

* `sentence_spans`, `trim`, `clean_inline`: sentence offsets, whitespace trimming and the
  display form of a span (never used for offsets);
* `is_value`, `is_year`: a table cell that is a figure or a year;
* `MONTHS`, `MONTH_NAMES`, `MONTH_RE`: the one month table.
"""

from __future__ import annotations

import re

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
