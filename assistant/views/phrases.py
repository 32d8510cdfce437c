"""Figures in prose: change phrases ("reduced from 43 to 32", "went up from 35% in 2020-21 to 56%")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.text import clean_inline, is_value
from ..core.types import Passage
from .figure_values import NUM_RE, FigureValue, parse_number
from .periods import PERIOD_RE, normalise_period

_UP = r"increased|increase|rose|risen|grew|grown|went\s+up|gone\s+up|improved|climbed"


_DOWN = r"reduced|decreased|fell|fallen|dropped|went\s+down|gone\s+down|declined"


_ADV = r"(?:(?:markedly|slightly|significantly|considerably|steadily|further|substantially|sharply)\s+)?"


_VERB = rf"(?:(?:has|have|had)\s+(?:been\s+)?)?{_ADV}(?P<verb>\b(?:{_UP}|{_DOWN})\b)\s+{_ADV}"


_P = PERIOD_RE


_AT = r"(?:in|at|on|during|by|as\s+at)"


def _num(name: str) -> str:
    return rf"(?P<{name}>{NUM_RE})"


_CHANGE = re.compile(
    rf"{_VERB}from\s+{_num('a')}(?:\s+{_AT}\s+(?P<pa>{_P}))?\s+to\s+{_num('b')}(?:\s+{_AT}\s+(?P<pb>{_P}))?",
    re.I)


_NOUN = re.compile(
    rf"\b(?P<noun>reduction|decrease|fall|drop|decline|increase|rise|improvement)\s+in\s+(?P<label>[^.;:]{{3,160}}?)\s+"
    rf"from\s+{_num('a')}(?:\s+{_AT}\s+(?P<pa>{_P}))?\s+to\s+{_num('b')}(?:\s+{_AT}\s+(?P<pb>{_P}))?",
    re.I)


_WAS = re.compile(
    rf"(?P<label>[^,;:.]{{3,160}}?)\s+(?:was|stood\s+at)\s+{_num('a')}\s*(?:[–—-]|,|;)\s*(?:and\s+|but\s+)?"
    rf"(?:it\s+|this\s+)?(?:has\s+|have\s+|had\s+)?{_ADV}(?P<verb>\b(?:{_UP}|{_DOWN})\b)\s+to\s+{_num('b')}",
    re.I)


# Every change clause above has "to <number>": a sentence without one has none, and is passed over
# before the patterns, whose open label prefixes are slow to fail (two fifths of reading figures at ingest).
_TO_NUMBER = re.compile(r"\sto\s+[£$€]?\d", re.I)


_MORE = re.compile(rf"\s*,?\s*and\s+{_num('c')}\s+{_AT}\s+(?P<pc>{_P})", re.I)


_ELIDED = re.compile(
    rf"\s*,?\s*and\s+(?P<label>[^,;.]{{3,120}}?)\s+(?:{_VERB})?from\s+{_num('a')}(?:\s+{_AT}\s+(?P<pa>{_P}))?"
    rf"\s+to\s+{_num('b')}(?:\s+{_AT}\s+(?P<pb>{_P}))?",
    re.I)


_TRAILER = re.compile(rf"\s+(?:in|during)\s+(?P<p1>{_P})\s+and\s+(?P<p2>{_P})(?![\w-])", re.I)


_LEADING_PERIOD = re.compile(rf"^\s*(?:in|by|at|during|as\s+at)\s+(?P<p>{_P})\s*,", re.I)


_INTERVAL = re.compile(
    r"\b(?:(?:in|over|during|within)\s+the\s+(?:last|past|first|previous)|in|within)\s+(\d+|\w+)\s+(months?|years?|weeks?)\b",
    re.I)


_RANGE_IN_LABEL = re.compile(rf"\s*(?P<p1>{_P})\s*(?:to|-|–)\s*(?P<p2>{_P})\s*$", re.I)


_PRONOUN = re.compile(r"^(?:this|it|they|these|those|which|that|there|numbers?|figures?)$", re.I)


def _direction(word: str) -> str:
    return "decrease" if re.match(_DOWN, word.lower()) or word.lower() in (
        "reduction", "decrease", "fall", "drop", "decline") else "increase"


def clean_label(text: str) -> str:
    t = clean_inline(text)
    t = re.sub(r"^[\s\-•·*➤]+", "", t)
    t = re.sub(r"\s*\((?:[A-Z]{2,6})(?:\s*,\s*[A-Z]{2,6})*\)\s*-?\s*$", "", t)  # "(CP, TP, LGBF)" tags
    t = re.sub(r"^(?:the|a|an)\s+", "", t, flags=re.I)
    return t.strip(" ,;:-–.")


def _clause_label(sentence: str, upto: int) -> str:
    """The measure named before a change verb: the clause from the last comma/colon/dash to the verb."""
    head = sentence[:upto]
    cut = max(head.rfind(", "), head.rfind(": "), head.rfind("; "), head.rfind(" – "), head.rfind(" - "))
    head = head[cut + 2:] if cut >= 0 else head
    head = re.sub(r"\s+(?:has|have|had)(?:\s+been)?\s*$", "", head, flags=re.I)
    return clean_label(head)


def _elided_label(label: str, previous: str) -> str:
    """An elided clause shares the head of the clause before it, up to its own first word:
    "… pupils achieving SCQF Level 5 or above … and SCQF Level 6 or above from …"
    -> "pupils achieving SCQF Level 6 or above"."""
    own = clean_label(label)
    first = own.split()[0] if own.split() else ""
    if first and previous:
        m = re.search(rf"(?<!\w){re.escape(first)}(?!\w)", previous)
        if m and m.start() > 0:
            return previous[:m.start()] + own
    return own


def heading_label(section: str) -> tuple[str, str | None, str | None]:
    """(label, first period, last period) from the last heading: "School exclusions 2016-17 to 2018-19"."""
    parts = [s for s in (section or "").split(" > ") if s.strip()]
    if not parts:
        return "", None, None
    last = parts[-1].strip()
    if is_value(last):
        return "", None, None
    m = _RANGE_IN_LABEL.search(last)
    if m:
        return clean_label(last[:m.start()]), m.group("p1"), m.group("p2")
    return clean_label(last), None, None


@dataclass
class _Clause:
    label: str
    values: list[tuple[re.Match[str], str, str | None, str]]  # (match, group name, period, role)
    direction: str | None


def _opening_match(sentence: str, m: re.Match[str], kind: str) -> tuple[_Clause, int]:
    """The clause a change phrase opens, and where it ends (after "… and 83% in 2021-22")."""
    if kind == "verb":
        label = _clause_label(sentence, m.start())
        direction = _direction(m.group("verb"))
    else:
        label = clean_label(m.group("label"))
        direction = _direction(m.group("noun") if kind == "noun" else m.group("verb"))
        if kind == "was":
            label = _clause_label(m.group("label"), len(m.group("label")))
    vals = [(m, "a", m.group("pa") if kind != "was" else None, "from"),
            (m, "b", m.group("pb") if kind != "was" else None, "to")]
    end = m.end()
    if _TRAILER.match(sentence, m.end("b")):
        vals = [(m, "a", None, "from"), (m, "b", None, "to")]  # "… to 76% in 2020-21 and 2021-22"
        end = m.end("b")
    # "… to 100% in 2020-21 and 83% in 2021-22": more values of the same measure.
    while True:
        more = _MORE.match(sentence, end)
        if not more:
            break
        vals.append((more, "c", more.group("pc"), "to"))
        end = more.end()
    return _Clause(label, vals, direction), end


def _elided_clause(sentence: str, el: re.Match[str], previous: _Clause, direction: str | None) -> tuple[_Clause, int]:
    """ "… from 76 to 49 and the proportion with … from 50% to 39%": a clause whose verb is left out."""
    verb = el.group("verb") if el.groupdict().get("verb") else None
    vals = [(el, "a", el.group("pa"), "from"), (el, "b", el.group("pb"), "to")]
    end = el.end()
    if _TRAILER.match(sentence, el.end("b")):
        vals = [(el, "a", None, "from"), (el, "b", None, "to")]
        end = el.end("b")
    label = _elided_label(el.group("label"), previous.label)
    return _Clause(label, vals, _direction(verb) if verb else direction), end


def clauses_of(sentence: str) -> list[_Clause]:
    """The change clauses of one sentence: each measure with its values, their periods and roles."""
    clauses: list[_Clause] = []
    if not _TO_NUMBER.search(sentence):
        return clauses
    taken: list[tuple[int, int]] = []
    for pattern, kind in ((_NOUN, "noun"), (_WAS, "was"), (_CHANGE, "verb")):
        for m in pattern.finditer(sentence):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            opener, end = _opening_match(sentence, m, kind)
            taken.append((m.start(), end))
            clauses.append(opener)
            while (el := _ELIDED.match(sentence, end)) is not None:
                clause, el_end = _elided_clause(sentence, el, clauses[-1], opener.direction)
                clauses.append(clause)
                taken.append((el.start(), el_end))
                end = el_end
            # "… from 70% to 76% and … from 32% to 52% in 2020-21 and 2021-22": periods for all of them.
            trailer = _TRAILER.match(sentence, end)
            if trailer:
                for c in clauses:
                    if len(c.values) == 2 and not c.values[0][2] and not c.values[1][2]:
                        c.values = [(c.values[0][0], "a", trailer.group("p1"), "from"),
                                    (c.values[1][0], "b", trailer.group("p2"), "to")]
    return clauses


def phrase_values(p: Passage, s: int, e: int, group_base: str) -> list[FigureValue]:
    """FigureValues of the change phrases in one sentence `p.text[s:e]`."""
    sentence = p.text[s:e]
    clauses = clauses_of(sentence)
    if not clauses:
        return []
    lead = _LEADING_PERIOD.match(sentence)
    interval = _INTERVAL.search(sentence)
    h_label, h_p1, h_p2 = heading_label(p.section)
    out: list[FigureValue] = []
    for k, clause in enumerate(clauses):
        label = clause.label
        if not label or _PRONOUN.match(label) or not re.search(r"[A-Za-z]{3}", label):
            label = h_label
        if not label:
            continue
        parsed = []
        for m, name, period, role in clause.values:
            number = parse_number(m.group(name))
            if number is None:
                continue
            parsed.append((m, name, period, role, number))
        units = {n[1] for *_, n in parsed if n[1] != "count"}
        unit_all = units.pop() if len(units) == 1 else None
        for m, name, period, role, (value, unit) in parsed:
            if period is None and role == "from" and lead and clause.values[0][0] is m:
                period = lead.group("p")
            if period is None and h_p1 and h_p2:
                period = h_p1 if role == "from" else h_p2
            if unit == "count" and unit_all:
                unit = unit_all  # "from 50 to 39%": the unit written once applies to both
            vs, ve = m.start(name), m.end(name)
            out.append(FigureValue(
                measure=label, value=value, value_text=m.group(name), unit=unit,
                period=normalise_period(period) if period else ("start of period" if role == "from" else "end of period"),
                role=role, source=p.source, char_start=p.char_start + s, char_end=p.char_start + e, text=sentence,
                value_start=p.char_start + s + vs, value_end=p.char_start + s + ve,
                organisation=p.organisation, place=p.place, published=p.published, title=p.title, section=p.section,
                direction=clause.direction, interval=(f"{interval.group(1)} {interval.group(2)}".lower() if interval else None),
                group=f"{group_base}:{s}:{k}", passage_id=p.id,
            ))
    return out
