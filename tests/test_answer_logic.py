"""Answer composition and fusion on small hand-made inputs (no model, no index)."""

from __future__ import annotations

import pytest

from assistant.answer.compose import answer_from_hits, compose, display_date, render_row
from assistant.answer.question import build_question, check_question, is_follow_up
from assistant.answer.rerank import TermCache, coverage, rerank
from assistant.answer.retrieve import Filters, Hit, reciprocal_rank_fusion
from assistant.answer.select import best_sentences, select
from assistant.core.errors import BadQuestion
from assistant.core.settings import Abstention
from assistant.core.terms import content_terms
from assistant.core.types import DocumentRecord, Passage


def passage(text: str, source: str = "a.txt", start: int = 0, published: str = "2023", org: str = "Dundee City Council",
            kind: str = "paragraph", cells=None, context: str = "") -> Passage:
    return Passage(source=source, char_start=start, char_end=start + len(text), text=text, kind=kind, cells=cells or [],
                   context=context, id=f"{source}:{start}", title="T", organisation=org, published=published)


DF = {"kinship": 3, "care": 40, "number": 30, "children": 60, "extern": 4, "residenti": 5, "audit": 4, "decemb": 1}


def q(text: str, previous=None):
    return build_question(text, {k: v for k, v in DF.items()}, 100, previous)


def test_rrf_rewards_agreement() -> None:
    scores = reciprocal_rank_fusion([["a", "b", "c"], ["b", "a", "d"]], k=60)
    assert scores["a"] == scores["b"] > scores["c"] > 0
    assert scores["c"] == scores["d"]


def test_content_terms_normalise_numbers_and_year_ranges() -> None:
    assert content_terms("the five foundations") == ["5", "foundat"]
    assert "2022" in content_terms("budget for 2021-22")


def test_coverage_weights_rare_terms() -> None:
    question = q("How many children are in Kinship Care?")
    assert coverage(question, {"kinship": 1.0, "care": 1.0}) > coverage(question, {"children": 1.0, "care": 1.0})


def test_follow_up_detection() -> None:
    assert is_follow_up("And in external residential care?", content_terms("And in external residential care?"))[0]
    assert is_follow_up("Who leads that?", content_terms("Who leads that?")) == (True, True)
    assert not is_follow_up("How many Kinship Carers received a welfare rights assessment?",
                            content_terms("How many Kinship Carers received a welfare rights assessment?"))[0]


def test_a_follow_up_with_a_new_topic_keeps_the_intent_and_the_place_not_the_topic() -> None:
    scope = frozenset(content_terms("Dundee City Council"))
    first = build_question("How did the number of children in Kinship Care change in Dundee?", DF, 100, None, "", scope)
    second = build_question("And what about external residential care?", DF, 100, first, "", scope)
    assert second.follow_up and not second.refers_back
    assert "kinship" not in second.terms and "kinship" not in second.search_text.lower()
    assert second.terms["extern"] > second.terms["number"] > 0  # "how did the number … change" carries over
    assert "Dundee" in second.search_text and second.terms[content_terms("Dundee")[0]] > 0  # so does the place
    assert "kinship" not in second.focus


def test_a_follow_up_without_a_topic_keeps_the_whole_question() -> None:
    first = q("How many children were in Kinship Care in 2022?")
    second = q("And in 2023?", first)
    assert second.terms["kinship"] > 0 and "Kinship" in second.search_text
    assert second.periods == (frozenset({"2023"}),)
    pronoun = q("Who leads that?", first)
    assert pronoun.refers_back and pronoun.terms["kinship"] > 0


def test_rerank_prefers_passages_with_figures_for_quantity_questions() -> None:
    question = q("How many children are in external residential care?")
    with_figure = Hit(passage("External residential care fell from 43 to 32.", start=0), dense=0.6)
    without = Hit(passage("External residential care is reviewed monthly.", start=100), dense=0.6)
    ranked = rerank(question, [without, with_figure], TermCache())
    assert ranked[0] is with_figure


def test_select_drops_duplicates_and_weak_hits() -> None:
    a = Hit(passage("Kinship care rose from 108 to 125.", start=0), relevance=0.9)
    dup = Hit(passage("Kinship care rose from 108 to 125.", source="b.txt"), relevance=0.89)
    weak = Hit(passage("Something else entirely.", start=200), relevance=0.3)
    assert select([a, dup, weak]) == [a]


def test_best_sentences_adds_the_sentence_an_anaphor_needs() -> None:
    text = "Peer audits started in May 2021 at 58%. This rose to 94% in December 2023. Teams get support."
    p = passage(text)
    spans = best_sentences(q("What share of audits were good in December 2023?"), p)
    picked = " ".join(text[s:e] for s, e in spans)
    assert "94% in December 2023" in picked and "Peer audits started" in picked


def test_compose_orders_figures_from_several_reports_by_date_and_attributes_them() -> None:
    question = q("What happened to external residential care numbers?")
    new = Hit(passage("External residential care fell from 43 to 18.", source="ijb.md", published="2025-02-19",
                      org="Dundee IJB"), relevance=0.8)
    old = Hit(passage("External residential care fell from 43 to 32.", source="sum.txt", published="2023"), relevance=0.78)
    text, drafts = compose(question, [new, old])
    assert [d.hit for d in drafts] == [old, new]
    assert text.index("Dundee City Council (2023)") < text.index("Dundee IJB (19 February 2025)")
    assert "[1]" in text and "[2]" in text


def test_every_marker_has_a_citation_and_every_citation_is_used() -> None:
    question = q("How many children are in Kinship Care?")
    hits = [Hit(passage(f"Kinship care figure {i} rose to {100 + i}.", start=i * 100), dense=0.8, relevance=0.8) for i in range(8)]
    answer = answer_from_hits(question, hits, TermCache(), abstention=Abstention(min_relevance=0.4))
    markers = {int(m) for m in __import__("re").findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.marker for c in answer.citations}
    assert 1 <= len(answer.citations) <= 6


def test_abstains_below_the_relevance_floor_and_offers_related_reading() -> None:
    hits = [Hit(passage("Kinship care rose."), dense=0.2, relevance=0.2)]
    answer = answer_from_hits(q("What is the road maintenance budget?"), hits, TermCache())
    assert answer.abstained and not answer.citations and answer.related
    assert answer.answer.startswith("The indexed reports do not say")


@pytest.mark.parametrize("question, passage_text, why", [
    # The year asked for is not the year the passage speaks of (a financial year needs both its years).
    ("What was the kinship care budget for 2021/22?", "The kinship care budget is £2.1m until 2021.", "speaks of 2021/22"),
    # An amount asked, and the passage that matches gives none.
    ("How much does kinship care cost?", "Kinship care is reviewed by the kinship care panel every quarter.",
     "give no figure"),
    # One word in common with a question about three things is chance, not an answer.
    ("What is charged for an allotment plot?", "The quarterly bank service charge was paid with a figure of 18.",
     "about something else"),
    # The passage names the place but not what the question is about.
    ("How many audits were done in December?", "Kinship care in Dundee is growing in Dundee.", "about something else"),
])
def test_declines_say_why(question: str, passage_text: str, why: str) -> None:
    hits = [Hit(passage(passage_text), dense=0.9, relevance=0.9)]
    answer = answer_from_hits(q(question), hits, TermCache())
    assert answer.abstained and why in answer.answer, answer.answer


def test_render_row_and_dates() -> None:
    assert render_row([("Leads", "Senior Manager"), ("Timescales", "June 2024"), ("", "x")]) == \
        "Leads: Senior Manager; Timescales: June 2024; x"
    assert display_date("2025-02-19") == "19 February 2025"
    assert display_date("2021-05") == "May 2021"
    assert display_date("2023") == "2023"


def test_filters_match_passages() -> None:
    p = passage("x", source="a.txt", org="Dorset County Council", published="2016-09-27")
    assert Filters(organisations=["Dorset County Council"], years=[2016]).allows(p)
    assert not Filters(sources=["b.txt"]).allows(p)
    assert Filters(years=[2016]).chroma_where() == {"year": {"$in": [2016]}}


@pytest.mark.parametrize("bad,message", [
    ("", "empty"), ("   \n\t", "empty"), ("x" * 20_000, "20,000 characters"),
    ("Сколько детей находится под опекой?", "another script"), ("???", "no words"),
])
def test_bad_questions(bad: str, message: str) -> None:
    with pytest.raises(BadQuestion, match=message):
        check_question(bad, 2000)


def test_other_places_are_known_places_the_question_does_not_name() -> None:
    from assistant.answer.rerank import other_places

    docs = {"a.md": DocumentRecord("a.md", organisation="Dorset County Council", place="Dorset"),
            "b.txt": DocumentRecord("b.txt", organisation="Dundee City Council", place="Dundee"),
            "c.txt": DocumentRecord("c.txt", organisation=None),
            "d.pdf": DocumentRecord("d.pdf", organisation="West Sussex County Council", place="West Sussex")}
    # c.txt's place is not known: it may be Dorset's, so it is never marked down as another place's.
    assert other_places("How many children are in care in Dorset?", docs) == {"b.txt", "d.pdf"}
    assert other_places("How many children are in care?", docs) == set()
    # A place of two words is named only by both ("Sussex" alone, or "West" alone, names no place here).
    assert other_places("What did West Sussex spend on transport?", docs) == {"a.md", "b.txt"}
    assert other_places("What did Sussex spend on transport?", docs) == set()


def test_why_questions_prefer_a_passage_that_gives_a_cause() -> None:
    question = q("Why did kinship care costs rise?")
    cause = Hit(passage("Kinship care costs rose due to more placements.", start=0), dense=0.6)
    bare = Hit(passage("Kinship care costs rose in the year.", start=100), dense=0.6)
    assert question.wants_reason and rerank(question, [bare, cause], TermCache())[0] is cause


def test_a_question_about_one_place_is_not_answered_from_another_places_report() -> None:
    question = q("How many children are in kinship care in Dorset?")
    there = Hit(passage("Kinship care: 125 children.", source="dundee.txt"), dense=0.9, relevance=0.9)
    answer = answer_from_hits(question, [there], TermCache(), others={"dundee.txt"})
    assert answer.abstained and "another place" in answer.answer
    assert not answer_from_hits(question, [there], TermCache(), others=set()).abstained


def test_a_word_no_report_uses_weighs_less_when_the_passage_is_close_in_meaning() -> None:
    # "phone" is the reader's word: the clerk's number sits under the clerk's name, which is what matters.
    question = build_question("What is the phone number for the clerk, Ann Lee?", {"clerk": 5, "ann": 2, "lee": 2,
                                                                                    "number": 30}, 100)
    p = passage("01234 567890", context="", start=0)
    p.section = "Ann Lee (Clerk)"
    close = Hit(p, dense=0.7, relevance=0.6)
    df = {"clerk": 5, "ann": 2, "lee": 2, "number": 30}
    assert not answer_from_hits(question, [close], TermCache(), df=df).abstained
    far = Hit(passage("01234 567890", start=50), dense=0.3, relevance=0.6)
    far.passage.section = "Ann Lee (Clerk)"
    assert answer_from_hits(question, [far], TermCache(), df=df).abstained


def test_who_held_a_role_prefers_the_passage_naming_its_holder() -> None:
    from assistant.answer.rerank import names_role

    assert names_role("Present: Cllr Ann Lee (Chair), Cllr Bo Ray", "chair")
    assert names_role("In attendance: Tom Hall, Parish Clerk", "clerk") and names_role("CLERK TO THE COUNCIL: MAY FOX", "clerk")
    assert not names_role("The Chair of the working group reported.", "chair")
    question = q("Who chaired the meeting of the kinship care panel?")
    mentions = Hit(passage("The Chair of the kinship care panel, Cllr Day, thanked members.", start=0), relevance=0.8)
    holder = Hit(passage("Present: Cllr Ann Lee (Chair), Cllr Bo Ray, kinship care panel.", start=100), relevance=0.75)
    answer = answer_from_hits(question, [mentions, holder], TermCache(), abstention=Abstention(min_relevance=0.4))
    assert answer.citations[0].char_start == 100


def test_lists_are_one_statement_with_their_lead_in() -> None:
    from assistant.answer.compose import statement

    text = "Work answers 3 key priorities:\n\n- Fewer children entering care\n- More leaving care"
    p = passage(text, kind="list")
    assert statement(p, [(0, len(text))]) == \
        "Work answers 3 key priorities: Fewer children entering care; More leaving care"


def commitment(action: str, lead: str | None, timescale: str | None, source: str = "plan.txt", pid: str = "p1"):
    from assistant.views.commitments import Commitment

    return Commitment(plan="Plan", theme="Family", action=action, lead=lead, lead_normalised=lead, timescale=timescale,
                      due=None, recurrence=None, measure=None, source=source, char_start=0, char_end=len(action),
                      text=action, passage_id=pid)


def test_the_register_answers_who_leads_from_the_commitment_sharing_its_words() -> None:
    import pickle

    from assistant.answer.timeline import commitment_statements, register_match
    from assistant.views.cache import Views

    views = Views(commitments=[
        commitment("Recruit more foster carers", "Service Manager", "2024", pid="p1"),
        commitment("Audit kinship care assessments", None, "June 2024", pid="p2"),  # no lead: not for "who"
        commitment("Audit kinship care assessments every quarter", "Principal Officer", "2025", pid="p3"),
        commitment("Audit kinship care assessments", "Team Leader", "2025", source="other.txt", pid="p4"),
    ])
    who = q("Who leads the audit of kinship care assessments?")
    assert register_match(who, views, 0.75).lead == "Principal Officer"
    assert register_match(who, views, 0.75, allowed={"other.txt"}).lead == "Team Leader"
    assert register_match(q("Who leads the review of school transport?"), views, 0.75) is None
    assert views.commitments_by_term["kinship"] == [1, 2, 3]
    # The terms are kept with the views (slow to read again at archive size); the lookups are made after loading.
    again = pickle.loads(pickle.dumps(views))
    assert set(again.__dict__) == {"commitments", "values", "series", "commitment_terms"}
    assert again.commitments_by_term["kinship"] == [1, 2, 3]
    hits = [Hit(passage=passage("Audit kinship care", kind="row")), Hit(passage=passage("Other", start=50))]
    hits[0].passage.id = "p3"
    assert commitment_statements(hits, views) == {
        "p3": "Audit kinship care assessments every quarter — lead: Principal Officer; due: 2025 (Family, Plan)"}


def test_keyword_top_rows_ranks_only_matching_rows_best_first_with_ties_in_row_order() -> None:
    import numpy as np

    from assistant.store.search_index import top_rows

    scores = np.array([0.0, 2.0, 0.0, 3.0, 2.0, 0.0, 2.0, 1.0], dtype=np.float32)
    assert top_rows(scores, 10) == [(3, 3.0), (1, 2.0), (4, 2.0), (6, 2.0), (7, 1.0)]  # zeros never come back
    assert top_rows(scores, 3) == [(3, 3.0), (1, 2.0), (4, 2.0)]  # the tie at the cut: the earlier rows
    assert top_rows(np.zeros(5, dtype=np.float32), 3) == []


def test_a_timeline_is_chosen_by_the_series_values_within_the_cited_spans() -> None:
    from assistant.views.cache import Views
    from assistant.views.figure_values import FigureValue, Series, SeriesPoint

    def value(source: str, start: int, end: int) -> FigureValue:
        return FigureValue(measure="m", value=1.0, value_text="1", unit="count", period="2020", role="value",
                           source=source, char_start=start, char_end=end, text="x" * (end - start))

    def series(*values: FigureValue) -> Series:
        points = [SeriesPoint(value=1.0, value_text="1", unit="count", period="2020", role="value", sort_key=0.0,
                              citations=[v]) for v in values]
        return Series(id="s", measure="m", labels=["m"], place="", unit="count", organisations=[],
                      sources=sorted({v.source for v in values}), values=list(values), points=points)

    views = Views(series=[series(value("a.txt", 10, 20), value("a.txt", 30, 40), value("b.txt", 5, 9)),
                          series(value("a.txt", 100, 120), value("c.txt", 0, 4))])
    # Two overlapping spans of a.txt hold the first series' values at 10-20 and 30-40, each counted once.
    assert views.series_in_spans([("a.txt", 0, 45), ("a.txt", 15, 50)]) == {0: 2}
    # A value must lie wholly within a span; other reports' spans say nothing of a.txt's values.
    assert views.series_in_spans([("a.txt", 0, 15), ("c.txt", 0, 4), ("b.txt", 100, 200)]) == {1: 1}
    assert views.series_in_spans([("a.txt", 95, 125), ("b.txt", 0, 10)]) == {1: 1, 0: 1}


def test_the_term_cache_weighs_the_words_of_the_acronyms_the_glossary_finds() -> None:
    from assistant.answer.acronyms import Glossary
    from assistant.ingest.glossary import find_acronyms

    defined = "The Looked After Children (LAC) team works with Child and Adolescent Mental Health Services (CAMHS)."
    glossary = Glossary(find_acronyms(defined, "a.txt"), common={})
    text = "LAC numbers rose;CAMHS waits fell (CAMHS/LAC review), and the SEN plan is new. LACs: 40. lac or Lac."
    cache = TermCache(glossary)
    assert {e.acronym for e in glossary.acronyms_in(text)} == {"LAC", "CAMHS"}
    terms = cache.own(passage(text))
    assert terms["adolesc"] == 0.5 and terms["lac"] == 1.0  # an expansion's words at `acronym_words`
    assert "adolesc" not in TermCache(None).own(passage(text))
