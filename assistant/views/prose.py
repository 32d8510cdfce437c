"""Commitments written as sentences, and the dates and definitions they carry.

* "We will …", "The Council will …", "[a named body] will … by [date]": the body is the lead;
* numbered clauses that commit to an action with a date ("4.2 Publish the register by March 2025");
* a date phrase inside a sentence or cell ("by March 2014", "during 2024/25", "within six months");
* the plan's own definitions of relative terms ("Short term: within two years").

Pure: no I/O; nothing here knows any plan.
"""

from __future__ import annotations

import re

from ..core.text import MONTH_RE, sentence_spans

# Who commits: "We", "The Council", "The Transport Team", "DWP", "MTC/ABAG", "Our partners".
_BODY_WORDS = (r"Council|Board|Authority|Partnership|Department|Directorate|Service|Services|Team|Group|Committee|"
               r"Agency|Office|Executive|Trust|Commission|Government|Ministry|Unit|Panel|Forum|Network|Cabinet|"
               r"Centre|Center|Institute|Bureau|Body|Organisation|Organization|Programme|Program")
# A body may be named with an "of" ("The Department of Health"); PDFs in small capitals print "nHS".
_OF = r"(?:\s+(?:of|for)\s+(?:the\s+)?(?:[A-Z][\w&'’-]*)(?:\s+(?:and\s+)?[A-Z][\w&'’-]*){0,4})?"
SUBJECT = (rf"We|The\s+(?:[A-Za-z][\w&'’-]*\s+){{0,5}}(?:{_BODY_WORDS}){_OF}|[A-Z][A-Za-z&'’-]+\s+(?:{_BODY_WORDS}){_OF}|"
           r"[A-Z]{2,}(?:/[A-Z]{2,})?|Our\s+[a-z]+(?:\s+[a-z]+)?")
# "will" then what is done; not "will be able/required/expected", which describe rather than commit.
# "will be provided", "will be asked": the subject does not act (a passive), so it leads nothing.
_WILL = (r"\s+will(?:\s+(?:also|continue\s+to|aim\s+to|seek\s+to|work\s+to|then|now|further))?\s+"
         r"(?!be\s+(?:able|required|expected|asked|needed|subject|\w+ed|\w+en)\b)(?=[a-z])")
_STATEMENT = re.compile(
    rf"(?:^|(?<=[\n\t])|(?<=[.!?;:]\s)|(?<=[.!?;:][\"'’”)]\s)|(?<=\s\s))[ \t\u00a0]*(?:[-*•·▪➤][ \t]+|\d+(?:\.\d+)*[.)]?\s+)?"
    rf"((?:{SUBJECT}){_WILL})")

# A labelled item: "Milestone 7.1 . By January 31, 2020, launch …", "Action 3: …", "Commitment 2 – …"
# (not "Recommendation 1 of Item 3", which a council decides on rather than commits to).
_LABEL = (r"(?:Milestone|Action|Commitment|Deliverable|Task|Pledge)\s+[0-9]+[a-z]?"
          r"(?:\.[0-9]+)*\s*[.:–-]?\s+\S")
# A numbered clause that starts with what is done: "4.2 Publish …", "(c) Develop …", "Policy H3: Deliver …".
ACTION_VERBS = (
    "Achieve|Adopt|Agree|Appoint|Assess|Build|Carry out|Complete|Conduct|Consult|Create|Deliver|Deploy|Design|Develop|"
    "Embed|Enable|Ensure|Establish|Evaluate|Expand|Explore|Extend|Identify|Implement|Improve|Increase|Install|"
    "Introduce|Launch|Maintain|Monitor|Prepare|Produce|Promote|Provide|Publish|Reduce|Refresh|Release|Replace|Review|"
    "Roll out|Set up|Share|Start|Strengthen|Support|Train|Undertake|Update|Upgrade|Work with|Write")
_CLAUSE = re.compile(rf"^[ \t]*(?:(?:\d+(?:\.\d+)+\.?|\d{{1,2}}[.)]|\(?[a-z]{{1,3}}\)|[a-z][.)]|Policy\s+[A-Z]{{0,3}}\d+[a-z]?:?)"
                     rf"\s+({ACTION_VERBS})\b|({_LABEL}))")

# A date phrase in a sentence: "by March 2014", "by the end of 2025", "during 2024/25", "in Q3 2024",
# "no later than 31 July 2023", "within six months".
_WHEN_WORDS = r"(?:by|before|no\s+later\s+than|during|in|from|until|till|within|over\s+the\s+next|starting|throughout)"
DATE_PHRASE = re.compile(
    rf"\b{_WHEN_WORDS}\s+(?:the\s+)?(?:(?:end|start|beginning|middle|summer|spring|autumn|winter)\s+of\s+)?"
    rf"(?:(?:Q[1-4]|(?:spring|summer|autumn|fall|winter))\s+|(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{MONTH_RE}\.?\s+(?:\d{{1,2}},?\s+)?)?"
    rf"(?:(?:19|20)\d\d(?:\s*[/–-]\s*\d{{2,4}})?)"
    rf"|\bbetween\s+{MONTH_RE}\.?\s+\d{{1,2}}(?:,?\s+(?:19|20)\d\d)?\s+and\s+{MONTH_RE}\.?\s+\d{{1,2}},?\s+(?:19|20)\d\d"
    rf"|\b(?:within|over\s+the\s+next)\s+(?:\d+|one|two|three|four|five|six|twelve|eighteen)\s+(?:months?|years?|weeks?)\b"
    rf"|\b(?:each|every)\s+(?:year|quarter|month|week)\b|\b(?:annually|quarterly|monthly|twice\s+a\s+year)\b",
    re.I)

# A plan defining its relative terms: "Short term: within 2 years", "Medium-term (2025-2027)", "Long term = 5+ years".
RELATIVE_TERM = re.compile(r"\b(immediate|short|medium|long)[\s-]*(?:term)?\b", re.I)
_DEFINITION = re.compile(
    r"\b(immediate|short|medium|long)[\s-]*term\b\s*(?:[:=–-]|\(|\bmeans\b|\bis\b|\brefers\s+to\b)\s*"
    r"((?:within|up\s+to|less\s+than|over|more\s+than|by|between)?\s*[^.;)\n]{0,40}?"
    r"(?:\d+\+?\s*(?:[-–]\s*\d+\s*)?(?:years?|months?)|(?:19|20)\d\d(?:\s*(?:[-–/]|to)\s*(?:19|20)?\d\d)?)\)?)", re.I)


def statement_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, subject) of each commitment sentence in a piece of prose, relative to `text`.

    A statement starts with its subject and "will" at the start of a line or cell, after a sentence
    end, a number or a bullet; it ends at its sentence's end, at the next statement, or at a line
    break before a line that starts afresh, since plans often list one statement per line without
    full stops. A numbered clause that starts with an action verb is a statement with no subject.
    """
    starts = [(m.start(1), m.end(1), re.sub(r"\s+", " ", m.group(1)).rsplit(" will", 1)[0].strip())
              for m in _STATEMENT.finditer(text)]
    taken = {s for s, _, _ in starts}
    for m in _CLAUSE.finditer(text):
        g = 1 if m.group(1) else 2
        if m.start(g) not in taken:
            starts.append((m.start(g), m.end(g), ""))
    starts = sorted(set(starts))
    if not starts:
        return []
    ends = sorted({e for _, e in sentence_spans(text)}
                  | {m.start() for m in re.finditer(r"[ \t\u00a0]*\n(?=[ \t\u00a0]*(?:[A-Z0-9(]|[-*•·▪➤]\s))", text)})
    out = []
    for i, (s, first_words, subject) in enumerate(starts):
        limit = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        end = next((e for e in ends if first_words < e <= limit), limit)  # never inside "The\nCouncil will"
        while end > s and text[end - 1] in " \t\r\n\u00a0":
            end -= 1
        if end > s:
            out.append((s, end, subject))
    return out


_NOT_A_BODY = re.compile(r"^(?:This|That|These|Those|It|They|He|She|There|Which|Who|What|Each|Every|All|Any|Some|"
                        r"Such|Its|Their|Our|We|You|I|If|When|Where|As|In|On|By|For|From|Data|Information)\b")
_OPENING_SUBJECT = re.compile(rf"^\s*({SUBJECT}|[A-Z][\w&'’/-]*(?:\s+[a-z][\w'’-]*){{0,3}}?){_WILL}")


def subject_of(text: str) -> str | None:
    """Who acts in a row's action that opens with "[someone] will …" ("DWP dataset owners will engage …"),
    or None (no such opening, "We", a pronoun, a passive)."""
    m = _OPENING_SUBJECT.match(text or "")
    if not m:
        return None
    who = re.sub(r"\s+", " ", m.group(1)).strip()
    return None if who == "We" or _NOT_A_BODY.match(who) else who


def is_clause(text: str) -> bool:
    """True for a numbered clause that starts with an action verb ("4.2 Publish the register …")."""
    return bool(_CLAUSE.match(text))


def date_phrase(text: str) -> tuple[int, int] | None:
    """Span (relative to `text`) of the last date phrase ("by March 2014") in `text`, with any phrase
    right before it ("every year from April 2026"), or None."""
    found = list(DATE_PHRASE.finditer(text or ""))
    if not found:
        return None
    start, end = found[-1].start(), found[-1].end()
    for m in reversed(found[:-1]):
        if start - m.end() > 2:
            break
        start = m.start()
    return start, end


# A date printed on its own: "30.9.13", "31/12/2014", "2014-12-31", "30 September 2013", "September 2013".
_BARE_DATE = re.compile(rf"(?<![\d./])\d{{1,2}}[./]\d{{1,2}}[./](?:19|20)?\d\d(?![\d/])|\b(?:19|20)\d\d-\d\d-\d\d\b|"
                        rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{MONTH_RE}\.?\s+(?:\d{{1,2}},?\s+)?(?:19|20)\d\d\b")


def bare_date(text: str) -> tuple[int, int] | None:
    """Span (relative to `text`) of the first date printed in `text`, or None."""
    m = _BARE_DATE.search(text or "")
    return (m.start(), m.end()) if m else None


def definitions(text: str) -> list[tuple[str, int, int]]:
    """(term, start, end) of each definition of a relative term in `text` ("short", span of "Short term: 0-2 years")."""
    return [(m.group(1).lower(), m.start(), m.end()) for m in _DEFINITION.finditer(text or "")]


def relative_term(timescale: str) -> str | None:
    """The relative term a timescale is ("Short term" -> "short"), or None when it says more than that."""
    t = " ".join((timescale or "").split())
    m = RELATIVE_TERM.match(t)
    return m.group(1).lower() if m and len(t) <= m.end() + 12 else None
