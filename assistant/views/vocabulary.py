"""The words public bodies use for the parts of a commitment, in column headers and field labels.

A plan's action table is read by what its headers *say*, not by where its columns stand:

| role      | headers and labels that name it (any case, singular or plural)                          |
|-----------|------------------------------------------------------------------------------------------|
| frequency | frequency (of update, of publication), how often, cadence: a recurring timescale       |
| timescale | timescale, timeline, time frame, by when, when, deadline, due, target date, completion   |
|           | date, date, schedule, term, milestone date, "to be published on"                          |
| lead      | lead, lead officer, lead agency, owner, responsible (party, officer), responsibility,     |
|           | who, accountable, delivered by, implementer                                              |
| partners  | partners, partner agency, supporting, support from, collaborators, with whom, co-lead    |
| funding   | funding, funding source, funded by, finance                                              |
| cost      | cost, estimated cost, budget, resources, spend                                           |
| measure   | measure of success, success measure, KPI, indicator, metric, outcome, impact, evidence,  |
|           | target, monitoring, how we will know, performance, measurement                           |
| action    | action, activity, strategy, initiative, project, milestone, deliverable, task,           |
|           | commitment, recommendation, step, intervention, what we will do                          |
| theme     | theme, foundation, pillar, strand, workstream, priority, objective, goal, aim, area,     |
|           | category, topic                                                                          |

A header that names two roles ("Partners and Timeframe", "Lead / Timescale") is both: its value
is split where the timescale starts. A bare "Measure(s)" is the action of a table that has a lead or
a timescale but no action column ("Adaptation measure | Lead | Timeline"), and how success is
measured otherwise ("Measure | Baseline | Target" is a table of indicators). A "Priority" column
whose values are timescales ("Short term", "1-3 years") is the timescale; otherwise it is a theme.
Nothing here knows any plan: these are the words of the trade.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Checked in this order; the first role whose pattern matches a header is its role.
ROLE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("frequency", re.compile(r"\bfrequen|\bhow often\b|\bcadence\b", re.I)),
    ("timescale", re.compile(r"time\s*-?\s*scales?|time\s*-?\s*lines?|time\s*-?\s*frames?|\bdeadlines?\b|\bdue\b|"
                             r"\bby when\b|^\s*when\b|\bdates?\b|\bcompletion\b|\bschedule\b|\bterm\b|"
                             r"\bpublished on\b|\bto be (?:completed|delivered|published)\b", re.I)),
    ("lead", re.compile(r"\blead(?:s|er|ership)?\b|\bowners?\b|\bresponsib|^\s*who\b|\baccountab|\bdelivered by\b|"
                        r"\bimplement(?:er|ing (?:body|agency|party))\b", re.I)),
    ("partners", re.compile(r"\bpartner|\bsupport(?:ing|ed by| from)\b|\bcollaborat|\bwith whom\b|\bco-?leads?\b", re.I)),
    ("funding", re.compile(r"\bfund(?:ing|ed|s)?\b|\bfinanc", re.I)),
    ("cost", re.compile(r"\bcosts?\b|\bbudget|\bresourc|\bspend\b", re.I)),
    ("measure", re.compile(r"\bmeasures? of success\b|\bsuccess\b|\bkpis?\b|\bindicators?\b|\bmetrics?\b|"
                           r"\boutcomes?\b|\bimpact\b|\bevidence\b|\btargets?\b|\bmonitor|\bhow (?:we|will we) "
                           r"(?:will )?know\b|\bperformance\b|\bmeasurement", re.I)),
    ("action", re.compile(r"\bactions?\b|\bactivit(?:y|ies)\b|\bstrateg(?:y|ies)\b|\binitiatives?\b|\bprojects?\b|"
                          r"\bmilestones?\b|\bdeliverables?\b|\btasks?\b|\bcommitments?\b|\brecommendations?\b|"
                          r"\bsteps?\b|\binterventions?\b|\bwhat (?:we|will we) (?:will )?do\b", re.I)),
    ("theme", re.compile(r"\bthemes?\b|\bfoundations?\b|\bpillars?\b|\bstrands?\b|\bworkstreams?\b|\bpriorit|"
                         r"\bobjectives?\b|\bgoals?\b|\baims?\b|\bareas?\b|\bcategor(?:y|ies)\b|\btopics?\b", re.I)),
    ("measure?", re.compile(r"\bmeasures?\b", re.I)),  # resolved per table: see `table_roles`
]

# A header that names two roles: "Partners and Timeframe", "Lead / Timescale".
_SPLIT = re.compile(r"\s*(?:\band\b|&|/|\+|,)\s*", re.I)

# A value that is itself a timescale: "Short term", "1-3 years", "2 YEARS (on-going)", "Q3 2024", "Ongoing".
TIMESCALE_VALUE = re.compile(
    r"^\s*(?:(?:short|medium|long)[\s-]*(?:term)?|immediate|ongoing|on-going|annual(?:ly)?|quarterly|monthly|"
    r"\d+\s*(?:[-–]\s*\d+\s*)?(?:years?|months?|yrs?)\b.*|(?:by\s+)?(?:19|20)\d\d\b.*|q[1-4]\b.*|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:\d{1,2},?\s+)?(?:19|20)\d\d\b.*)\s*$",
    re.I)


# Headers that say by when something is to be done (not just a date something happened): a table that
# names no action column is read as commitments only under one of these.
DEADLINE_HEADER = re.compile(r"time\s*-?\s*scale|time\s*-?\s*line|time\s*-?\s*frame|\bdeadline|\bdue\b|\bby when\b|"
                             r"\btarget date|\bcompletion date|\bdelivery date|\bend date|"
                             r"\bto be (?:first )?(?:published|completed|delivered|released)", re.I)

# What a row must have besides its action to be a commitment, not a list of projects or grants: one of
# these columns, or an action column that names commitments outright.
COMMITMENT_ROLES = {"lead", "partners", "timescale", "measure", "cost", "funding", "frequency"}
COMMITMENT_HEADER = re.compile(r"\bactions?\b|\bcommitments?\b|\bmilestones?\b|\bdeliverables?\b|\bpledges?\b|"
                               r"\btasks?\b|\bwhat (?:we|will we) (?:will )?do\b", re.I)


def header_role(header: str) -> str | None:
    """The role a header names on its own (the first of `ROLE_PATTERNS` that matches), or None."""
    h = " ".join((header or "").split())
    if not h:
        return None
    for role, pattern in ROLE_PATTERNS:
        if pattern.search(h):
            return role
    return None


def header_roles(header: str) -> list[str]:
    """Every role a header names, in the order written: "Partners and Timeframe" -> [partners, timescale]."""
    h = " ".join((header or "").split())
    parts = [p for p in _SPLIT.split(h) if p.strip()] if _SPLIT.search(h) else [h]
    roles: list[str] = []
    for part in parts:
        role = header_role(part)
        if role and role not in roles:
            roles.append(role)
    whole = header_role(h)
    return roles if len(roles) > 1 else ([whole] if whole else [])


def is_timescale_value(value: str) -> bool:
    """True for a value that is a timescale ("Short term", "1-3 years", "Dec. 31, 2021", "Ongoing")."""
    return bool(TIMESCALE_VALUE.match(" ".join((value or "").split())))


def table_roles(headers: Sequence[str], values: Sequence[str] = (), action_elsewhere: bool = False) -> list[list[str]]:
    """The roles of each column of a table (or each label of a block of fields), decided together.

    A bare "Measure" is the action when no column names one (and the action is not named elsewhere,
    as a block of fields is by its heading), and a measure otherwise; a theme column ("Priority")
    whose value is a timescale is the timescale when none is named.
    """
    roles = [header_roles(h) for h in headers]
    flat = [r for rs in roles for r in rs]
    out: list[list[str]] = []
    for i, rs in enumerate(roles):
        value = values[i] if i < len(values) else ""
        fixed: list[str] = []
        for r in rs:
            if r == "measure?":
                # "Adaptation measure | Lead | Timeline" lists actions; "Measure | Baseline | Target" indicators.
                acts = "action" not in flat and not action_elsewhere and ({"lead", "timescale", "partners"} & set(flat))
                r = "action" if acts else "measure"
            elif r == "theme" and "timescale" not in flat and value and is_timescale_value(value):
                r = "timescale"
            fixed.append(r)
        out.append(fixed)
    return out
