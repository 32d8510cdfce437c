"""Stage 5: the extractive answerer. No LLM: it picks the sentences and table rows that
answer the question, says whose they are, and puts a marker [n] after every statement.

The steps, each a small pure function tested on hand-made inputs:

1. `Question`: the question's content terms, weighted by rarity in the corpus; in a chat,
   a follow-up ("And in external residential care?", "Who leads that?") borrows the terms
   of the turn before.
2. `rerank`: each candidate passage gets a relevance in [0, 1] from its dense similarity
   and how much of the question's weighted terms it covers (text, headers, section).
3. `select`: the best passage, plus others that are nearly as relevant and add something
   (another figure, another report), at most `max_citations`.
4. `compose`: a lead statement, then supporting points, each with its organisation and
   date when more than one report speaks, oldest first.
5. Abstention: when even the best passage is not relevant enough, say so plainly and
   offer the closest passages as related reading, not as citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from .passages import clean_inline, sentence_spans
from .retrieve import Hit, content_terms, idf
from .types import Answer, Citation, Passage

_MONTHS = "January February March April May June July August September October November December".split()
_FOLLOW_UP_START = re.compile(r"^\s*(and|also|what about|how about|and what about|same for|what of)\b", re.I)
_PRONOUN = re.compile(r"\b(that|this|it|its|they|them|their|those|these|there|he|she|his|her)\b", re.I)
_ANAPHOR_START = re.compile(r"^(This|That|These|Those|It|They|He|She|Its|Their|Such)\b")
_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[-*•·–➤])\s+")


def display_date(published: str) -> str:
    """ "2025-02-19" -> "19 February 2025", "2021-05" -> "May 2021", "2023" -> "2023"."""
    parts = published.split("-")
    try:
        if len(parts) == 3:
            return f"{int(parts[2])} {_MONTHS[int(parts[1]) - 1]} {parts[0]}"
        if len(parts) == 2:
            return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    except (ValueError, IndexError):
        pass
    return published


def attribution(p: Passage) -> str:
    """Who said it and when, as a councillor would repeat it."""
    who = p.organisation if p.organisation and not p.organisation.lower().startswith("not stated") else f"“{p.title}”"
    when = display_date(p.published)
    return f"{who} ({when})" if when else who


# --- 1. the question ---------------------------------------------------------------------


_QUANTITY_RE = re.compile(
    r"\b(how (?:many|much|big|large|high|low)|what (?:share|proportion|percentage|number|amount|rate|level)|"
    r"costs?|budgets?|spend|funding|figures?|totals?|averages?|targets?|rates?|numbers?|per cent|percent)\b", re.I)


@dataclass
class Question:
    text: str  # as asked
    terms: dict[str, float]  # stemmed term -> weight (rarer terms weigh more)
    search_text: str  # what is sent to retrieval
    follow_up: bool = False
    refers_back: bool = False  # uses a pronoun for something in the previous answer
    focus: dict[str, float] = field(default_factory=dict)  # this turn's own terms (a follow-up's new topic)
    wants_figure: bool = False  # "how many", "what share", "cost": an answer without a figure is a weak one


def is_follow_up(question: str, own_terms: list[str]) -> tuple[bool, bool]:
    """(is a follow-up, refers back with a pronoun) for a question asked after another one."""
    starts = bool(_FOLLOW_UP_START.match(question))
    pronoun = bool(_PRONOUN.search(question))
    short = len(set(own_terms)) <= 3
    return (starts or (pronoun and short) or len(set(own_terms)) <= 1), pronoun and (short or starts)


def build_question(text: str, df: dict[str, int], n_passages: int, previous: "Question | None" = None,
                   expand: str = "") -> Question:
    """Weighted terms of `text`; a follow-up also carries the previous question's terms at half weight.

    `expand` holds acronym expansions: synonyms of words already asked, so they weigh little.
    """
    own = content_terms(text)
    follow, refers = is_follow_up(text, own) if previous else (False, False)
    max_idf = idf(0, n_passages)
    terms: dict[str, float] = {}
    for t in own:
        terms[t] = idf(df.get(t, 0), n_passages) if df.get(t) else max_idf
    focus = dict(terms)
    for t in content_terms(expand):
        terms.setdefault(t, 0.25 * (idf(df.get(t, 0), n_passages) if df.get(t) else max_idf))
    search = text + (" " + expand if expand else "")
    wants_figure = bool(_QUANTITY_RE.search(text))
    if follow and previous:
        for t, w in previous.terms.items():
            if t not in terms:
                terms[t] = w * 0.5
        search = previous.search_text + " " + search
        wants_figure = wants_figure or previous.wants_figure
        if refers:
            focus = dict(terms)  # "who leads that?": the topic is still the previous one
    return Question(text, terms, search, follow, refers, focus, wants_figure)


# --- 2. rerank ---------------------------------------------------------------------------


class TermCache:
    """Weighted content terms of each passage, computed once per passage.

    The passage's own words count fully; a table row's column names and carried-down cells
    nearly so; a list item's lead-in and the section path half; the document's title and
    organisation a little. An
    acronym in the passage also brings the words it stands for (at half weight).
    """

    def __init__(self, glossary: object | None = None) -> None:
        self._terms: dict[str, dict[str, float]] = {}
        self.glossary = glossary

    def of(self, p: Passage) -> dict[str, float]:
        got = self._terms.get(p.id)
        if got is None:
            got = {}
            # A table row's column names and carried-down cells describe its values almost as its own words do.
            context_weight = 0.8 if p.kind == "row" else 0.5
            parts = [(f"{p.title} {p.organisation}", 0.3), (p.section, 0.5), (p.context, context_weight), (p.text, 1.0)]
            if self.glossary is not None:
                found = self.glossary.acronyms_in(f"{p.text} {p.context}")  # type: ignore[attr-defined]
                parts.insert(2, (" ".join(e.expansion for e in found), 0.5))
            for text, weight in parts:
                for t in content_terms(text):
                    got[t] = max(got.get(t, 0.0), weight)
            self._terms[p.id] = got
        return got


def coverage(q: "Question | dict[str, float]", terms: "dict[str, float] | Iterable[str]") -> float:
    """Share of the question's term weight that `terms` contains (weighted by where it was found)."""
    weights = q.terms if isinstance(q, Question) else q
    total = sum(weights.values())
    if not total:
        return 0.0
    have = terms if isinstance(terms, dict) else {t: 1.0 for t in terms}
    return sum(w * have.get(t, 0.0) for t, w in weights.items()) / total


def named_places(question: str, documents: dict[str, dict]) -> set[str]:
    """Documents whose organisation's place ("Dorset", "Dundee") the question names, when it names
    one that only some documents have. Empty when it names none, or names every document's."""
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", question)}
    hits = set()
    for source, d in documents.items():
        org = d.get("organisation", "")
        place = org.split()[0].lower() if org and not org.lower().startswith("not stated") else ""
        if place and len(place) > 2 and place in words:
            hits.add(source)
    return hits if hits and len(hits) < len(documents) else set()


def rerank(q: Question, hits: list[Hit], cache: TermCache, boost_ids: set[str] | None = None,
           places: set[str] | None = None) -> list[Hit]:
    """Relevance in [0, 1]: half dense similarity, half weighted term coverage.

    A question that asks for a quantity marks down passages that hold no figure at all; one that
    names a place ("in Dorset") marks down other places' documents.
    """
    for h in hits:
        cov = coverage(q, cache.of(h.passage))
        h.relevance = 0.5 * max(0.0, h.dense) + 0.5 * cov
        if q.wants_figure and not re.search(r"\d", h.passage.text):
            h.relevance *= 0.85
        if h.passage.kind != "row" and len(content_terms(h.passage.text)) < 4:
            h.relevance *= 0.85  # a name or a title line says too little to answer anything
        if places and h.passage.source not in places:
            h.relevance *= 0.85
        if boost_ids and h.passage.id in boost_ids:
            h.relevance += 0.1
    return sorted(hits, key=lambda h: -h.relevance)


# --- 3. select ---------------------------------------------------------------------------


def _overlap(a: Passage, b: Passage) -> bool:
    return a.source == b.source and a.char_start < b.char_end and b.char_start < a.char_end


def select(hits: list[Hit], q: Question | None = None, cache: TermCache | None = None, max_citations: int = 6,
           ratio: float = 0.85, floor: float = 0.0, typical: int = 4) -> list[Hit]:
    """The best hit, then hits nearly as relevant that cover the question's focus and repeat nothing.

    At most `typical` citations unless more are exactly as relevant; never more than `max_citations`.
    """
    if not hits:
        return []
    best = hits[0].relevance
    chosen = [hits[0]]
    seen_text = {clean_inline(hits[0].passage.text).lower()}
    lead_focus = coverage(q.focus, cache.of(hits[0].passage)) if (q and cache and q.focus) else 0.0
    for h in hits[1:]:
        if len(chosen) >= max_citations or h.relevance < max(best * ratio, floor):
            break
        if len(chosen) >= typical and h.relevance < best * 0.97:
            break
        key = clean_inline(h.passage.text).lower()
        if key in seen_text or any(_overlap(h.passage, c.passage) for c in chosen):
            continue
        if q and cache and q.focus and coverage(q.focus, cache.of(h.passage)) < 0.6 * lead_focus:
            continue  # relevant to the conversation, but not to what this question asks
        seen_text.add(key)
        chosen.append(h)
    return chosen


# --- 4. compose --------------------------------------------------------------------------


def render_row(cells: list[tuple[str, str]]) -> str:
    """A table row as a sentence-like line: "Leads: Senior Manager; Timescales: June 2024"."""
    parts = [f"{h}: {v}" if h else v for h, v in cells if v]
    return "; ".join(parts)


def best_sentences(q: Question, p: Passage, max_sentences: int = 3) -> list[tuple[int, int]]:
    """Spans (absolute offsets) of the sentence(s) of `p` that best answer `q`.

    The best sentence first; then any sentence that adds a good share of the question's
    terms the chosen ones lack (the date in one sentence, the measure in the next).
    """
    spans = sentence_spans(p.text)
    if len(spans) <= 1:
        return [(p.char_start + s, p.char_start + e) for s, e in spans] or [(p.char_start, p.char_end)]
    terms = [set(content_terms(p.text[s:e])) for s, e in spans]

    def gain(i: int, have: set[str]) -> float:
        new = terms[i] - have
        figure = 0.02 if (q.wants_figure and re.search(r"\d", p.text[spans[i][0]:spans[i][1]])) else 0.0
        return coverage(q, new) + figure - i * 0.001

    picked: list[int] = []
    have: set[str] = set()
    while len(picked) < max_sentences:
        options = [(gain(i, have), i) for i in range(len(spans)) if i not in picked]
        if not options:
            break
        score, i = max(options)
        if picked and score < 0.15:
            break
        picked.append(i)
        have |= terms[i]
    # A sentence that starts "This rose to ..." needs the one before it to make sense.
    for i in list(picked):
        if i > 0 and i - 1 not in picked and _ANAPHOR_START.match(p.text[spans[i][0]:spans[i][1]]):
            picked.append(i - 1)
    return [(p.char_start + spans[i][0], p.char_start + spans[i][1]) for i in sorted(picked)]


def statement(p: Passage, spans: list[tuple[int, int]]) -> str:
    """What the answer says for passage `p`: its chosen sentences, or its row with headers."""
    if p.kind == "row" and p.cells:
        return render_row(p.cells)
    if p.kind == "list":
        lines = [_NUMBERING.sub("", clean_inline(line)) for line in p.text.splitlines() if line.strip()]
        return f"{lines[0]} {'; '.join(lines[1:])}" if len(lines) > 1 else lines[0]
    text = " ".join(clean_inline(p.text[s - p.char_start:e - p.char_start]) for s, e in spans)
    text = _NUMBERING.sub("", text).strip()
    if p.kind == "item" and p.context and len(text) < 60 and len(p.context) <= 120 and not re.search(r"\d", text):
        text = f"{p.context.rstrip(':')}: {text}"  # a bare bullet means little without its lead-in
    return text


@dataclass
class Draft:
    hit: Hit
    spans: list[tuple[int, int]]
    text: str
    marker: int = 0
    highlights: list[tuple[int, int]] = field(default_factory=list)


def compose(q: Question, chosen: list[Hit], overrides: dict[str, str] | None = None) -> tuple[str, list[Draft]]:
    """Answer text with markers, and the drafts (in marker order) it cites.

    `overrides` gives a better statement for some passages (a commitment's action, lead and
    due date read from its action-plan row), keyed by passage id.
    """
    drafts = []
    for h in chosen:
        whole = h.passage.kind in ("row", "list")
        spans = [(h.passage.char_start, h.passage.char_end)] if whole else best_sentences(q, h.passage)
        text = (overrides or {}).get(h.passage.id) or statement(h.passage, spans)
        drafts.append(Draft(h, spans, text))
    # Group statements by document; when several reports speak, oldest first so a change reads in order.
    groups: dict[str, list[Draft]] = {}
    for d in drafts:
        groups.setdefault(d.hit.passage.source, []).append(d)
    order = list(groups)
    # Figures from several reports read as a timeline, oldest first; anything else stays best first.
    if len(order) > 1 and all(re.search(r"\d", groups[s][0].text) for s in order):
        order.sort(key=lambda s: groups[s][0].hit.passage.published or "9999")
    elif len(order) > 2:
        order = order[:1] + sorted(order[1:], key=lambda s: groups[s][0].hit.passage.published or "9999")
    ordered = [d for source in order for d in groups[source]]
    for i, d in enumerate(ordered, start=1):
        d.marker = i
    if len(order) == 1:
        who = attribution(ordered[0].hit.passage)
        lines = [f"According to {who}: {_sentence(ordered[0].text)} [1]"]
        lines += [f"- {_sentence(d.text)} [{d.marker}]" for d in ordered[1:]]
        return "\n".join(lines), ordered
    sources = [f"{attribution(groups[s][0].hit.passage)} {''.join(f'[{d.marker}]' for d in groups[s])}" for s in order]
    chronological = order == sorted(order, key=lambda s: groups[s][0].hit.passage.published or "9999")
    lines = [f"From {', '.join(sources[:-1])} and {sources[-1]}" + (", oldest first:" if chronological else ":")]
    for source in order:
        for di, d in enumerate(groups[source]):
            who = f"{attribution(d.hit.passage)}: " if di == 0 else ""
            lines.append(f"- {who}{_sentence(d.text)} [{d.marker}]")
    return "\n".join(lines), ordered


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!", ":")) else text + "."


def to_citation(d: Draft) -> Citation:
    p = d.hit.passage
    highlights = [(s - p.char_start, e - p.char_start) for s, e in d.spans]
    return Citation(
        marker=d.marker, source=p.source, title=p.title, organisation=p.organisation, published=p.published,
        section=p.section, char_start=p.char_start, char_end=p.char_end, text=p.text,
        score=round(d.hit.relevance, 4), highlights=highlights, page=p.page,
    )


def related(hits: list[Hit], n: int = 3) -> list[Citation]:
    out = []
    for i, h in enumerate(hits[:n], start=1):
        d = Draft(h, [(h.passage.char_start, h.passage.char_end)], "")
        d.marker = i
        out.append(to_citation(d))
    return out


def unresolved_reference(q: Question, previous: "Question | None") -> bool:
    """ "Who leads that?" asked with no earlier question: there is nothing for "that" to mean."""
    own = content_terms(q.text)
    return previous is None and bool(_PRONOUN.search(q.text)) and len(set(own)) <= 1


def abstain_text(question: str) -> str:
    q = question.strip().rstrip("?").strip()
    return (f"The indexed reports do not say: “{q}”. None of the passages found answers it closely enough to cite; "
            "the closest are listed below as related reading, not as an answer.")


def misses_rare_terms(q: Question, p: Passage, cache: TermCache, df: dict[str, int]) -> bool:
    """True when the question's rarest words (at most one passage, or none, has them) are all
    absent from `p`: "the salary of the Chief Social Work Officer" found only the officer."""
    rare = [t for t in q.focus if df.get(t, 0) <= 1 and not t[0].isdigit()]
    if not rare:
        return False
    have = cache.of(p)
    return not any(t in have for t in rare)


def answer_from_hits(q: Question, hits: list[Hit], min_relevance: float, max_citations: int,
                     cache: TermCache | None = None, df: dict[str, int] | None = None,
                     rare_term_relevance: float = 0.62, overrides: dict[str, str] | None = None) -> Answer:
    """Select, compose, or abstain. `hits` are reranked, best first."""
    cache = cache or TermCache()
    weak = bool(hits) and hits[0].relevance < rare_term_relevance
    if not hits or hits[0].relevance < min_relevance or (weak and df is not None and misses_rare_terms(q, hits[0].passage, cache, df)):
        return Answer(question=q.text, answer=abstain_text(q.text), abstained=True, related=related(hits), query=q.search_text)
    chosen = select(hits, q, cache, max_citations=max_citations, floor=min_relevance)
    text, drafts = compose(q, chosen, overrides)
    return Answer(question=q.text, answer=text, abstained=False, citations=[to_citation(d) for d in drafts],
                  query=q.search_text)


# --- structured additions: commitments and figure timelines ---------------------------------

# "How has X changed?", "What happened to X?", "the trend in X": questions about a figure over time.
CHANGE_RE = re.compile(
    r"\bhow (?:has|have|had|did|do|does|is|are|was|were)\b.*\b(?:chang|ris|rose|fall|fell|increas|decreas|reduc|grow|"
    r"grew|went|moved|compar|develop)\w*|\bwhat happened to\b|\btrends?\b|\bover (?:time|the years)\b|\btimeline\b",
    re.IGNORECASE)


def render_commitment(c: object) -> str:
    """ "Develop a clear edge of care offer — lead: Senior Manager; due: June 2024; measured by: Numbers in care"."""
    details = []
    lead = getattr(c, "lead_normalised", None) or getattr(c, "lead", None)
    if lead:
        details.append(f"lead: {lead}")
    if getattr(c, "timescale", None):
        details.append(f"due: {c.timescale}")  # type: ignore[attr-defined]
    if getattr(c, "measure", None):
        details.append(f"impact measured by: {c.measure}")  # type: ignore[attr-defined]
    where = ", ".join(x for x in (getattr(c, "foundation", None), getattr(c, "plan", None)) if x)
    text = c.action.rstrip(".")  # type: ignore[attr-defined]
    if details:
        text += " — " + "; ".join(details)
    return text + (f" ({where})" if where else "")


def timeline(series: object, citations: list[Citation]) -> tuple[str, dict] | None:
    """A small table of a figure series whose values sit in cited passages, each row cited."""
    spans = [(c.source, c.char_start, c.char_end, c.marker) for c in citations]
    rows = []
    for point in series.points:  # type: ignore[attr-defined]
        markers = sorted({m for v in point.citations for (src, s, e, m) in spans
                          if v.source == src and s <= v.char_start and v.char_end <= e})
        if not markers:
            continue
        v = point.citations[0]
        when = point.period if point.period not in ("start of period", "end of period", "") else \
            f"{point.period or 'value'}, {display_date(v.published)} report"
        who = v.organisation if v.organisation and not v.organisation.lower().startswith("not stated") else v.title
        rows.append({"period": when, "value": point.value, "value_text": point.value_text, "unit": point.unit,
                     "organisation": who, "published": v.published, "markers": markers})
    # Two values from one cited sentence say nothing the answer has not said already.
    if len(rows) < 2 or (len(rows) == 2 and len({m for r in rows for m in r["markers"]}) == 1):
        return None
    lines = [f"Timeline — {series.measure}:", "", "| When | Value | Reported by |", "|---|---|---|"]  # type: ignore[attr-defined]
    for r in rows:
        refs = "".join(f"[{m}]" for m in r["markers"])
        lines.append(f"| {r['period']} | {r['value_text']} | {r['organisation']} ({display_date(r['published'])}) {refs} |")
    return "\n".join(lines), {"measure": series.measure, "unit": series.unit, "points": rows}  # type: ignore[attr-defined]
