"""Linking figure values into series: the same measure across reports of one place."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from ..core.settings import Linking
from ..core.text import clean_inline
from ..core.terms import STOPWORDS, idf, stem_words
from .figure_values import FigureValue, Series, SeriesPoint
from .periods import PERIOD_RE, date_key, normalise_period

# A measure's name without the words that only say it is a figure ("number of", "percentage of").
_LABEL_STOPWORDS = STOPWORDS | {"number", "numbers", "percentage", "proportion", "cent"}


_LEADING_VERBS = re.compile(r"^(?:(?:further|continue\s+to)\s+)?(?:increase|reduce|improve|maintain|sustain|decrease|raise|lower)"
                            r"(?:\s+(?:in|the))*\s+", re.I)


@lru_cache(maxsize=1 << 16)  # linking an archive's figures asks again for the labels an ingest read before
def measure_tokens(label: str) -> tuple[frozenset[str], frozenset[str]]:
    """(stemmed content words, numbers) of a measure label.

    Imperative target phrasing ("Increase the …"), tags like "(CP, LGBF)" and rate bases
    ("per 1,000 pupils") are left out; the numbers are kept apart so that labels that
    differ only by a number ("Level 4" / "Level 5") do not match.
    """
    t = clean_inline(label).lower()
    t = re.sub(r"\((?:[a-z]{2,6})(?:\s*,\s*[a-z]{2,6})*\)", " ", t)
    t = re.sub(r"per\s+\d[\d,]*(?:\s+\w+)?", " ", t)
    t = _LEADING_VERBS.sub("", t)
    words = re.findall(r"[a-z]+|\d+(?:\.\d+)?", t)
    numbers = frozenset(w for w in words if w[0].isdigit())
    content = [w for w in words if not w[0].isdigit() and w not in _LABEL_STOPWORDS and len(w) > 1]
    return frozenset(stem_words(content)), numbers


def place_key(place: str | None, source: str) -> str:
    """The place a report speaks for ("dundee", "west sussex"): figures link across reports of one place only.

    Reports without a known place stay on their own ("source:<file>")."""
    return " ".join((place or "").lower().split()) or f"source:{source}"


@dataclass
class _Local:
    group: str
    values: list[FigureValue]
    source: str
    place: str
    unit: str
    label: str
    tokens: frozenset[str]
    numbers: frozenset[str]
    published_key: float


def _locals(values: Iterable[FigureValue]) -> list[_Local]:
    groups: dict[str, list[FigureValue]] = {}
    for v in values:
        # One row can hold several measures only through its column headers ("Budget: Nursery").
        groups.setdefault(f"{v.group}|{v.measure}", []).append(v)
    out = []
    for key, vals in groups.items():
        first = vals[0]
        tokens, numbers = measure_tokens(first.measure)
        out.append(_Local(key, vals, first.source, place_key(first.place, first.source), first.unit,
                          first.measure, tokens, numbers, date_key(first.published) or 0.0))
    return out


def _same_value(a: FigureValue, b: FigureValue) -> bool:
    return a.unit == b.unit and math.isclose(a.value, b.value, rel_tol=1e-9, abs_tol=1e-9)


def _explicit(v: FigureValue) -> str | None:
    """The value's own period for comparison ("2019-20"), without baseline/target words."""
    return None if v.relative else _period_of(v.period)


@lru_cache(maxsize=1 << 16)  # asked for each value of each pair of measures compared: few distinct strings
def _period_of(period: str) -> str | None:
    m = re.search(PERIOD_RE, period)
    return normalise_period(m.group(0)) if m else None


class _Linker:
    def __init__(self, locals_: list[_Local], settings: Linking) -> None:
        self.locals = locals_
        self.settings = settings
        df: dict[str, int] = {}
        for loc in locals_:
            for t in loc.tokens:
                df[t] = df.get(t, 0) + 1
        n = max(1, len(locals_))
        self.idf = {t: idf(c, n) for t, c in df.items()}

    def similarity(self, a: frozenset[str], b: frozenset[str]) -> tuple[float, float]:
        """(weighted Jaccard, overlap coefficient) of two token sets."""
        if not a or not b:
            return 0.0, 0.0
        inter, union = a & b, a | b
        w = lambda ts: sum(self.idf.get(t, 1.0) for t in ts)  # noqa: E731
        return w(inter) / w(union), len(inter) / min(len(a), len(b))

    def same_measure(self, a: _Local, b: _Local) -> bool:
        if a.source == b.source or a.place != b.place or a.unit != b.unit or a.numbers != b.numbers:
            return False
        # Values given for the same period must agree.
        shared_period = False
        for va in a.values:
            pa = _explicit(va)
            for vb in b.values:
                if pa and pa == _explicit(vb):
                    if not _same_value(va, vb):
                        return False
                    shared_period = True
        sim, overlap = self.similarity(a.tokens, b.tokens)
        ends_a = [a.values[0], a.values[-1]]
        ends_b = [b.values[0], b.values[-1]]
        shared_value = any(_same_value(x, y) for x in ends_a for y in ends_b)
        w = self.settings
        if shared_period and overlap >= w.same_period_overlap:
            return True  # the same value for the same period, under overlapping names
        if shared_value and (sim >= w.shared_value_similarity or overlap >= w.shared_value_overlap):
            return True  # one report's figure restated by the other (a start or end point)
        return sim >= w.label_similarity and min(len(a.tokens), len(b.tokens)) >= w.min_label_words


def _points(members: list[_Local], same_point_years: float) -> list[SeriesPoint]:
    points: list[SeriesPoint] = []
    for loc in sorted(members, key=lambda m: (m.published_key, m.source)):
        for v in loc.values:
            key = v.sort_key
            match = None
            for pt in points:
                if not (pt.unit == v.unit and math.isclose(pt.value, v.value, rel_tol=1e-9, abs_tol=1e-9)):
                    continue
                if pt.role == "target" or v.role == "target":
                    if pt.role == v.role and abs(pt.sort_key - key) < same_point_years:
                        match = pt
                    continue
                if v.period == "start of period" or abs(pt.sort_key - key) < same_point_years:
                    match = pt  # the same observation, restated (a later report's starting point)
                    break
            if match is not None:
                match.citations.append(v)
                continue
            points.append(SeriesPoint(v.value, v.value_text, v.unit, v.period, v.role, key, [v]))
    points.sort(key=lambda pt: (pt.sort_key, pt.role == "target"))
    return points


class _Components:
    """Union-find over the locals, keeping the reports each group holds (two rows of one report never join)."""

    def __init__(self, locals_: list[_Local]) -> None:
        self.parent = list(range(len(locals_)))
        self.sources: list[set[str]] = [{loc.source} for loc in locals_]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def joinable(self, i: int, j: int) -> bool:
        ri, rj = self.find(i), self.find(j)
        return ri != rj and self.sources[ri].isdisjoint(self.sources[rj])

    def join(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        self.parent[rj] = ri
        self.sources[ri] |= self.sources[rj]


def _value_key(v: FigureValue) -> float:
    # Values that `_same_value` calls equal (isclose, 1e-9) fall on one key.
    return round(v.value, 6)


def _prefix(loc: _Local, idf: dict[str, float], keep: float) -> list[str]:
    """The rarest tokens of a label whose weight exceeds (1 - keep) of the label's: a label with a weighted
    Jaccard similarity of at least `keep` to another must share one of them with it."""
    tokens = sorted(loc.tokens, key=lambda t: (-idf.get(t, 1.0), t))
    total = sum(idf.get(t, 1.0) for t in tokens)
    out, weight = [], 0.0
    for t in tokens:
        out.append(t)
        weight += idf.get(t, 1.0)
        if weight > (1.0 - keep) * total * (1 + 1e-9) + 1e-12:
            break
    return out


def _candidate_pairs(locals_: list[_Local], linker: _Linker) -> Iterator[tuple[int, int]]:
    """Pairs (i < j, in order) that could be the same measure (`_Linker.same_measure` is False for every
    other pair), found through indexes rather than by comparing all figures with each other:

    * a value both give for the same period, or a value at either end of both (restated figures), under
      the same place, unit and label numbers;
    * otherwise labels alike enough on their own: they share one of the rarest words of the label
      (prefix filtering for weighted Jaccard similarity).
    """
    w = linker.settings
    scope = lambda loc: (loc.place, loc.unit, loc.numbers)  # noqa: E731
    by_value: dict[tuple, list[int]] = {}
    by_token: dict[tuple, list[int]] = {}
    for i, loc in enumerate(locals_):
        keys = {("period", p, _value_key(v)) for v in loc.values if (p := _explicit(v))}
        keys |= {("end", _value_key(v)) for v in (loc.values[0], loc.values[-1])}
        for k in keys:
            by_value.setdefault((scope(loc), k), []).append(i)
        if len(loc.tokens) >= w.min_label_words:
            for t in loc.tokens:
                by_token.setdefault((scope(loc), t), []).append(i)
    for i, loc in enumerate(locals_):
        if not loc.tokens:
            continue  # shares no label word with anything: never the same measure
        partners: set[int] = set()
        for v in loc.values:
            p = _explicit(v)
            if p:
                partners.update(by_value.get((scope(loc), ("period", p, _value_key(v))), ()))
        for v in (loc.values[0], loc.values[-1]):
            partners.update(by_value.get((scope(loc), ("end", _value_key(v))), ()))
        if len(loc.tokens) >= w.min_label_words:
            for t in _prefix(loc, linker.idf, w.label_similarity):
                partners.update(by_token.get((scope(loc), t), ()))
        for j in sorted(p for p in partners if p > i and not locals_[p].tokens.isdisjoint(loc.tokens)):
            yield i, j


def _series_of(members: list[_Local], same_point_years: float) -> Series:
    members.sort(key=lambda m: (m.published_key, m.source, m.values[0].char_start))
    values = sorted((v for m in members for v in m.values), key=lambda v: (v.sort_key, v.char_start))
    labels = list(dict.fromkeys(m.label for m in members))
    orgs = list(dict.fromkeys(m.values[0].organisation for m in members))
    sources = list(dict.fromkeys(m.source for m in members))
    ident = hashlib.sha256("\x00".join(sorted(m.group for m in members)).encode()).hexdigest()[:16]
    return Series(id=ident, measure=members[-1].label, labels=labels, place=members[0].place, unit=members[0].unit,
                  organisations=orgs, sources=sources, values=values, points=_points(members, same_point_years))


def build_series(values: Iterable[FigureValue], settings: Linking | None = None) -> list[Series]:
    """Group values into series: per phrase/row first, then linked across reports of the same place."""
    settings = settings or Linking()
    locals_ = _locals(values)
    linker = _Linker(locals_, settings)
    groups = _Components(locals_)
    for i, j in _candidate_pairs(locals_, linker):
        if groups.joinable(i, j) and linker.same_measure(locals_[i], locals_[j]):
            groups.join(i, j)
    components: dict[int, list[_Local]] = {}
    for i, loc in enumerate(locals_):
        components.setdefault(groups.find(i), []).append(loc)
    out = [_series_of(members, settings.same_point_years) for members in components.values()]
    out.sort(key=lambda s: (-len(s.sources), s.place, s.measure.lower()))
    return out


# A series matches a search when its labels hold at least this share of the search words' weight.
_SEARCH_MATCH = 0.5


def search_series(series: Iterable[Series], text: str | None) -> list[Series]:
    """Series whose measure names match the words of `text`, best first (all series when text is empty).

    Words are stemmed and weighted by rarity; a series matches when at least half the
    query's weight is found in any of its labels.
    """
    items = list(series)
    if not text or not text.strip():
        return items
    q_tokens, q_numbers = measure_tokens(text)
    if not q_tokens and not q_numbers:
        return []
    df: dict[str, int] = {}
    tokens_of = []
    for s in items:
        toks: set[str] = set()
        nums: set[str] = set()
        for label in s.labels:
            t, n = measure_tokens(label)
            toks |= t
            nums |= n
        tokens_of.append((toks, nums))
        for t in toks:
            df[t] = df.get(t, 0) + 1
    n = max(1, len(items))
    scored = []
    total = sum(idf(df.get(t, 0), n) for t in q_tokens) + len(q_numbers)
    for s, (toks, nums) in zip(items, tokens_of):
        got = sum(idf(df.get(t, 0), n) for t in q_tokens & toks) + len(q_numbers & nums)
        score = got / total if total else 0.0
        if score >= _SEARCH_MATCH:
            scored.append((score, s))
    scored.sort(key=lambda x: (-x[0], -len(x[1].sources), -len(x[1].points)))
    return [s for _, s in scored]
