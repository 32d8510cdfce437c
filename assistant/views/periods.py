"""Dates, periods and schedules as council reports write them (pure helpers).

Shared by `commitments` (timescales such as "March2021", "Quarterly audits", "Current") and
`figures` (periods such as "2020-21", "July 2020", "2024 Target"). Nothing here knows
about any particular report.
"""

from __future__ import annotations

import re

from ..core.text import MONTH_RE, month_number

YEAR_RE = r"(?:19|20)\d\d"


# "2020-21", "2020/21", "2021-2022", "2016-17"
YEAR_RANGE_RE = rf"{YEAR_RE}\s*[-/–]\s*(?:(?:19|20)\d\d|\d\d)(?!\d)"


# A period as reports write it: "2021", "2020-21", "July 2020", "Q2 2023-24".
PERIOD_RE = rf"(?:Q[1-4]\s+)?(?:{MONTH_RE}\.?\s*)?(?:{YEAR_RANGE_RE}|{YEAR_RE})(?!\d)"


_MONTH_YEAR = re.compile(
    rf"(?<![A-Za-z])(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+)?({MONTH_RE})\.?\s*,?\s*'?((?:19|20)\d\d|\d\d)(?!\d)",
    re.IGNORECASE,
)


_YEAR_ONLY = re.compile(rf"^\s*({YEAR_RE})(?:\s*[-/–]\s*((?:19|20)\d\d|\d\d))?\s*$")


# Frequencies, in the order a reader would list them.
_FREQUENCIES: list[tuple[str, str]] = [
    (r"daily", "daily"),
    (r"weekly", "weekly"),
    (r"fortnightly", "fortnightly"),
    (r"bi-?monthly", "every two months"),
    (r"(?<!bi-)(?<!bi)monthly", "monthly"),
    (r"quarterly|\bquarter(?:s)?\b", "quarterly"),
    (r"bi-?annual(?:ly)?|twice[- ]a[- ]year|twice[- ]yearly|six[- ]monthly|half[- ]yearly|biannual", "twice a year"),
    (r"(?<!bi-)(?<!bi)\bannual(?:ly)?\b|\byearly\b|once a year|every year", "annually"),
]


_ONGOING = re.compile(r"^\s*(?:current(?:ly)?|ongoing|on-going|continuous|in place|now|existing)\b", re.IGNORECASE)


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if y < 100 else y


def parse_due(text: str) -> str | None:
    """The latest month named in a timescale, as YYYY-MM: "March2021" -> "2021-03", "Nov 2023" -> "2023-11".

    Several dates in one cell ("May2021  May2021") give the latest one. A bare year or
    a frequency gives None.
    """
    best: str | None = None
    for m in _MONTH_YEAR.finditer(text or ""):
        month = month_number(m.group(2))
        if month is None:
            continue
        due = f"{_year(m.group(3)):04d}-{month:02d}"
        best = due if best is None or due > best else best
    return best


def parse_recurrence(text: str) -> str | None:
    """What a timescale that is not a date says: "recurring quarterly", "ongoing", or None.

    "Quarterly audits" -> "recurring quarterly"; "Bi-annual audits" -> "recurring twice a year";
    "Annual" -> "recurring annually"; "Monthlyand quarterly" -> "recurring monthly and quarterly";
    "Current" -> "ongoing".
    """
    t = (text or "").strip()
    if not t:
        return None
    low = t.lower()
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern, name in _FREQUENCIES:
        for m in re.finditer(pattern, low):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue  # "bi-annual" already matched; do not count its "annual" again
            taken.append((m.start(), m.end()))
            found.append((m.start(), name))
    if found:
        names: list[str] = []
        for _, name in sorted(found):
            if name not in names:
                names.append(name)
        return "recurring " + " and ".join(names)
    if _ONGOING.match(t):
        return "ongoing"
    return None


def valid_month(text: str) -> bool:
    """True for "YYYY-MM" with a real month (01-12)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
    return bool(m) and 1 <= int(m.group(2)) <= 12


def period_key(text: str) -> float | None:
    """A sortable position in time for a period string, or None when it names no year.

    "2021" -> 2021.5; "2020-21" and "2020/21" (a financial or school year) -> 2020.75;
    "July 2020" -> 2020.542; "2024 target" -> 2024.5; "Q2 2023-24" -> 2023.625.
    """
    if not text:
        return None
    m = re.search(rf"(?:(Q[1-4])\s+)?(?:({MONTH_RE})\.?\s*)?({YEAR_RE})(?:\s*[-/–]\s*((?:19|20)\d\d|\d\d)(?!\d))?",
                  text, re.IGNORECASE)
    if not m:
        return None
    start = int(m.group(3))
    if m.group(2) and not m.group(4):
        month = month_number(m.group(2)) or 6
        return round(start + (month - 0.5) / 12, 3)
    if m.group(4):
        end = int(m.group(4))
        if len(m.group(4)) == 2:
            end += (start // 100) * 100
            if end < start:
                end += 100
        if m.group(1):  # quarter of a financial year, April start
            q = int(m.group(1)[1])
            return round(start + 0.25 + (q - 0.5) / 4, 3)
        if end == start + 1:
            return float(start) + 0.75  # mid-point of an April-March or August-July year
        return (start + end) / 2 + 0.5
    return start + 0.5


def date_key(published: str) -> float | None:
    """Position in time of an ISO date, possibly partial ("2023", "2021-05", "2025-02-19")."""
    m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", published or "")
    if not m:
        return None
    year = int(m.group(1))
    if not m.group(2):
        return year + 0.5
    month = int(m.group(2))
    day = int(m.group(3) or 15)
    return round(year + (month - 1) / 12 + (day - 0.5) / 365, 3)


def normalise_period(text: str) -> str:
    """One spelling per period: "2020/21" and "2020-21" -> "2020-21"; other text kept, spaces tidied."""
    t = " ".join((text or "").split())
    return re.sub(rf"({YEAR_RE})\s*[/–-]\s*(\d\d(?:\d\d)?)(?!\d)", r"\1-\2", t)
