"""Metadata inferred from a report's text when the catalog does not give it: title, organisation, date."""

from __future__ import annotations

import re

from ..core.text import MONTH_NAMES, month_number

# Month names written out, capitalised or in capitals ("March", "MARCH").
_MONTH_RE = "|".join(MONTH_NAMES) + "|" + "|".join(m.upper() for m in MONTH_NAMES)
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\s*,?\s+(\d{{4}})\b")


_MONTH_YEAR = re.compile(rf"\b({_MONTH_RE})\s+(\d{{4}})\b")


_ORG_RE = re.compile(
    r"\b((?:[A-Z][a-z]+ ){1,3}(?:City|County|Borough|District|Metropolitan Borough|Town|Parish) Council"
    r"|(?:[A-Z][a-z]+ )+(?:Health and Social Care )?Integration Joint Board)\b"
)


def _clean_heading(line: str) -> str:
    line = re.sub(r"^#+\s*", "", line.strip())
    return re.sub(r"[*_]{2,}|<[^>]+>", "", line).strip(" :*")


def infer_title(text: str) -> str:
    m = re.search(r"^\**REPORT ON:?\**\s*:?\s*(.+)$", text, re.MULTILINE | re.IGNORECASE)
    if m:
        return _clean_heading(m.group(1)).title() if m.group(1).isupper() else _clean_heading(m.group(1))
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            title = _clean_heading(line)
            if title:
                return title[:160]
    for line in text.splitlines():
        stripped = _clean_heading(line)
        if 3 <= len(stripped) <= 120 and "\t" not in stripped:
            return stripped
    return ""


def infer_organisation(text: str) -> str:
    counts: dict[str, int] = {}
    for m in _ORG_RE.finditer(text):
        name = m.group(1)
        counts[name] = counts.get(name, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else ""


def _iso(day: str | None, month: str, year: str) -> str:
    mm = month_number(month)
    return f"{year}-{mm:02d}-{int(day):02d}" if day else f"{year}-{mm:02d}"


def infer_date(text: str) -> str:
    """A publication date: a 'DATE:' line, else the first full date near the top, else the last near the end."""
    m = re.search(r"^\W*DATE\W*:?\s*(.+)$", text, re.MULTILINE)
    if m:
        d = _DAY_MONTH_YEAR.search(m.group(1))
        if d:
            return _iso(d.group(1), d.group(2), d.group(3))
    head, tail = text[:1500], text[-600:]
    for chunk, pick in ((head, 0), (tail, -1)):
        found = list(_DAY_MONTH_YEAR.finditer(chunk))
        if found:
            d = found[pick]
            return _iso(d.group(1), d.group(2), d.group(3))
    found = list(_MONTH_YEAR.finditer(head)) or list(_MONTH_YEAR.finditer(tail))
    if found:
        return _iso(None, found[0].group(1), found[0].group(2))
    return ""


def infer_year(stem: str) -> str:
    years = re.findall(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", stem)
    return years[-1] if years else ""


def infer_reference(text: str) -> str:
    m = re.search(r"REPORT NO\W*:?\s*([A-Z0-9][\w/-]+)", text, re.IGNORECASE)
    return m.group(1) if m else ""


def infer_kind(text: str) -> str:
    if re.search(r"REPORT TO\b|Report to .*Committee", text[:3000], re.IGNORECASE):
        return "committee report"
    return "document"


def humanise(stem: str) -> str:
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or stem
