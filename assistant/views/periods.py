"""Dates, periods and schedules as council reports write them (pure helpers).

Shared by `commitments` (timescales such as "March2021", "Quarterly audits", "Current") and
`figures` (periods such as "2020-21", "July 2020", "2024 Target"). Nothing here knows
about any particular report.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..core.text import MONTH_RE, month_number

YEAR_RE = r"(?:19|20)\d\d"


# "2020-21", "2020/21", "2021-2022", "2016-17"
YEAR_RANGE_RE = rf"{YEAR_RE}\s*[-/–]\s*(?:(?:19|20)\d\d|\d\d)(?!\d)"


# A period as reports write it: "2021", "2020-21", "July 2020", "Q2 2023-24".
PERIOD_RE = rf"(?:Q[1-4]\s+)?(?:{MONTH_RE}\.?\s*)?(?:{YEAR_RANGE_RE}|{YEAR_RE})(?!\d)"


_MONTH_YEAR = re.compile(
    rf"(?<![A-Za-z])(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+)?({MONTH_RE})\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?,)?\s*,?\s*'?"
    rf"((?:19|20)\d\d|\d\d)(?!\d)",
    re.IGNORECASE,
)


_YEAR_ONLY = re.compile(rf"^\s*({YEAR_RE})(?:\s*[-/–]\s*((?:19|20)\d\d|\d\d))?\s*$")

# "2012/13", "2012-13": a financial year, which ends in March of its second year.
_FINANCIAL_YEAR = re.compile(rf"(?<![\d/])({YEAR_RE})\s*([/–-])\s*((?:19|20)?\d\d)(?![\d/])")
# "Q3 2024" (calendar quarter) or "Q3 2024/25" (quarter of an April-March financial year).
_QUARTER = re.compile(rf"\bQ([1-4])\s*(?:of\s+)?({YEAR_RE})(\s*[/–-]\s*\d\d(?!\d))?", re.I)
# Seasons end in May, August, November and (the next year's) February.
_SEASON = re.compile(rf"\b(spring|summer|autumn|fall|winter)\s+(?:of\s+)?({YEAR_RE})\b", re.I)
_SEASON_END = {"spring": (0, 5), "summer": (0, 8), "autumn": (0, 11), "fall": (0, 11), "winter": (1, 2)}
# "End 2012", "by the end of 2030", "late 2025": the year's last month.
_YEAR_END = re.compile(rf"\b(?:end|close|late)\s+(?:of\s+)?({YEAR_RE})\b", re.I)
# "30.9.13", "31/12/2014" (day first, as UK reports write them; "12/31/2014" when the day cannot be the month),
# "2014-12-31".
_NUMERIC_DATE = re.compile(r"(?<![\d.,/])(\d{1,2})[./](\d{1,2})[./]((?:19|20)?\d\d)(?![\d/])|(?<!\d)((?:19|20)\d\d)-(\d\d)-\d\d(?!\d)")
_REFERENCE = re.compile(r"\b(?:item|section|paragraph|para|chapter|table|figure|annex|appendix|step|action|"
                        r"activity|dataset|milestone|policy|recommendation|no|ref)\.?\s*$", re.I)
_BARE_YEAR = re.compile(rf"(?<![\d/.,-])({YEAR_RE})(?![\d/])(?!\s*[/–-]\s*\d)")
# A date that opens a period rather than ending it: "From October 2013", "starting 2024".
_OPENS = re.compile(r"\b(?:from|since|starting|beginning|commencing|after)\s+(?:in\s+|on\s+)?$", re.I)


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


def _opens(text: str, start: int) -> bool:
    return bool(_OPENS.search(text[max(0, start - 20):start]))


def parse_due(text: str) -> str | None:
    """When a timescale ends, as "YYYY-MM" (a month is named or implied) or "YYYY" (only a year is).

    "March2021" -> "2021-03"; "Dec. 31, 2021" -> "2021-12"; "2012/13" (a financial year) -> "2013-03";
    "Q3 2024" -> "2024-09"; "Q3 2024/25" -> "2024-12"; "Summer 2012" -> "2012-08"; "End 2012" ->
    "2012-12"; "by 2030" -> "2030"; "30.9.13" -> "2013-09". Several dates give the latest ("May2021  June2021" -> "2021-06").
    A date that opens a period ("From October 2013"), a month without a year, a relative term
    ("1-3 years", "Short term") or a frequency gives None: undated stays undated.
    """
    text = text or ""
    found: list[str] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], due: str) -> None:
        if any(s < m.end() and m.start() < e for s, e in taken):
            return
        taken.append((m.start(), m.end()))
        if not _opens(text, m.start()):
            found.append(due)

    for m in _QUARTER.finditer(text):
        q, year = int(m.group(1)), int(m.group(2))
        if m.group(3):  # a financial year's quarter: Q1 is April to June
            month, year = (q * 3 + 3, year) if q < 4 else (3, year + 1)
        else:
            month = q * 3
        add(m, f"{year:04d}-{month:02d}")
    for m in _SEASON.finditer(text):
        extra, month = _SEASON_END[m.group(1).lower()]
        add(m, f"{int(m.group(2)) + extra:04d}-{month:02d}")
    for m in _YEAR_END.finditer(text):
        add(m, f"{int(m.group(1)):04d}-12")
    for m in _MONTH_YEAR.finditer(text):
        month = month_number(m.group(2))
        if month is not None:
            add(m, f"{_year(m.group(3)):04d}-{month:02d}")
    for m in _NUMERIC_DATE.finditer(text):
        if _REFERENCE.search(text[max(0, m.start() - 16):m.start()]):
            continue  # "see item 4.1.17": a paragraph number, not a date
        if m.group(4):
            year, month = int(m.group(4)), int(m.group(5))
        else:
            day, month, year = int(m.group(1)), int(m.group(2)), _year(m.group(3))
            if month > 12 >= day:
                month = day
        if 1 <= month <= 12:
            add(m, f"{year:04d}-{month:02d}")
    for m in _FINANCIAL_YEAR.finditer(text):
        start, sep, end = int(m.group(1)), m.group(2), m.group(3)
        if len(end) == 2 and int(end) == (start + 1) % 100 or (sep == "/" and int(end) == start + 1):
            add(m, f"{start + 1:04d}-03")
        elif len(end) == 4 and int(end) > start:  # a span of years: "2021-2025" ends in 2025
            add(m, end)
    for m in _BARE_YEAR.finditer(text):
        add(m, m.group(1))
    if not found:
        return None
    return max(found, key=lambda d: (d[:4], d[5:] or "13"))  # a bare year ends after its months


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


# Series sort and link their values by these many times over a few hundred distinct strings.
@lru_cache(maxsize=4096)
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


@lru_cache(maxsize=4096)
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
