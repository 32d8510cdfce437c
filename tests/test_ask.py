"""Answers on the real corpus, real model and real index: our own questions, not the eval file's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant import evaluate
from assistant.answer.retrieve import Filters
from assistant.api import Assistant
from assistant.core.errors import BadFilter

OWN = Path(__file__).parent / "data" / "own_questions.jsonl"


def _verbatim(bot: Assistant, answer) -> None:
    for c in answer.citations:
        assert bot.source_text(c.source)[c.char_start:c.char_end] == c.text


def _markers_match(answer) -> None:
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.marker for c in answer.citations}


@pytest.mark.parametrize("question,expected", [
    ("How many cases do the IROs audit each month?", "40 cases audited each month"),
    ("How much Scottish Attainment Challenge funding does the service get?", "£6.2m"),
    ("What was the balance of family based versus residential care?", "85.7% to 90.5%"),
    ("How many young people aged over 11 were provided with alternative care?", "from 31 to 20"),
    ("What is the 2024 target for school leavers entering a positive destination?", "entering a positive destination"),
])
def test_answers_cite_the_passage_that_holds_the_fact(bot: Assistant, question: str, expected: str) -> None:
    answer = bot.ask(question)
    assert not answer.abstained
    assert expected in answer.citations[0].text
    assert 1 <= len(answer.citations) <= 6
    _markers_match(answer)
    _verbatim(bot, answer)


def test_table_rows_are_answered_with_their_headers(bot: Assistant) -> None:
    answer = bot.ask("Who is responsible for reviewing advocacy, and by when?")
    assert "lead: Service Manager" in answer.answer and "due: March 2024" in answer.answer
    assert answer.citations[0].text.startswith("Review advocacy to improve access and impact")


def test_figures_from_two_reports_say_whose_and_come_in_date_order(bot: Assistant) -> None:
    answer = bot.ask("How has the number of children in external residential care changed?")
    assert {c.organisation for c in answer.citations} >= {"Dundee City Council",
                                                          "Dundee Health and Social Care Integration Joint Board"}
    dates = [c.published for c in answer.citations]
    assert dates == sorted(dates)
    assert "Dundee City Council (2023)" in answer.answer


@pytest.mark.parametrize("question", [
    "How many council houses were built in Dundee last year?",
    "What is the population of Edinburgh?",
    "When is the next local election in Dorset?",
])
def test_abstains_when_the_reports_do_not_say(bot: Assistant, question: str) -> None:
    answer = bot.ask(question)
    assert answer.abstained and not answer.citations
    assert answer.answer.startswith("The indexed reports do not say")
    assert answer.related and "[" not in answer.answer


def test_follow_up_questions_use_the_previous_turn(bot: Assistant) -> None:
    chat = bot.conversation()
    chat.ask("Who leads the Infant Pledge for babies and toddlers in care?")
    answer = chat.ask("And how is its impact measured?")
    assert "Audit of practice in test sites" in answer.answer
    chat = bot.conversation()
    chat.ask("How did the number on the Child Protection Register change under Our Promise 2020-23?")
    answer = chat.ask("And what about domestic abuse concerns?")
    assert "39%" in answer.answer


def test_filters_restrict_citations(bot: Assistant) -> None:
    answer = bot.ask("How much does foster care cost?", Filters(organisations=["Dorset County Council"]))
    assert answer.citations and all(c.organisation == "Dorset County Council" for c in answer.citations)
    answer = bot.ask("How many children are in care?", Filters(years=[2025]))
    assert answer.citations and all(c.published.startswith("2025") for c in answer.citations)
    with pytest.raises(BadFilter, match="known organisations"):
        bot.ask("How many children are in care?", Filters(organisations=["Atlantis Council"]))


def test_acronyms_are_expanded(bot: Assistant) -> None:
    answer = bot.ask("What is the MASH?")
    assert not answer.abstained
    assert any("MASH" in c.text for c in answer.citations)


def test_own_question_set_meets_the_quality_bar(bot: Assistant) -> None:
    """Held-out questions written by us: the mechanisms generalise beyond the eval file."""
    figures = evaluate.run(bot, OWN).figures()
    assert figures["evidence_hit"] >= figures["answerable"] - 2
    assert figures["correct_abstentions"] == figures["unanswerable"]
    assert figures["false_abstentions"] <= 1
    assert figures["grounded"] == 1.0
    assert figures["fact_recall"] >= 0.9


def test_answer_json_round_trips(bot: Assistant) -> None:
    d = bot.ask("How many contacts per day does Dorset's MASH team receive?").to_dict()
    assert set(d) >= {"question", "answer", "abstained", "citations", "timings_ms"}
    assert set(d["citations"][0]) >= {"marker", "source", "title", "organisation", "published", "section",
                                      "char_start", "char_end", "text", "score"}
    assert set(d["timings_ms"]) == {"retrieve", "answer"}
    json.dumps(d)


def test_commitment_rows_are_answered_as_commitments(bot: Assistant) -> None:
    answer = bot.ask("Who leads the review of Aftercare support for care leavers, and when is it due?")
    assert answer.citations[0].text.startswith("Review Aftercare support to care leavers aged up to 26 years")
    assert "lead: Senior Manager" in answer.answer and "due: June 2024" in answer.answer
    assert "2023-25 Action Plan" in answer.answer  # the plan it belongs to


def test_change_questions_get_a_cited_timeline_across_reports(bot: Assistant) -> None:
    answer = bot.ask("How has the total number of care experienced children and young people changed?")
    assert answer.series is not None
    values = [p["value_text"] for p in answer.series["points"]]
    assert values[:1] == ["442"] and "386" in values
    assert len({p["published"] for p in answer.series["points"]}) >= 2  # linked across two reports
    markers = {c.marker for c in answer.citations}
    assert all(set(p["markers"]) <= markers for p in answer.series["points"])
    assert "| When | Value | Reported by |" in answer.answer
    _markers_match(answer)
    _verbatim(bot, answer)
    assert "series" in answer.to_dict()


def test_timelines_respect_filters(bot: Assistant) -> None:
    answer = bot.ask("How has the number of children in external residential care changed?", Filters(years=[2023]))
    assert answer.citations and {c.published[:4] for c in answer.citations} == {"2023"}


def test_a_pronoun_with_nothing_before_it_asks_for_the_full_question(bot: Assistant) -> None:
    answer = bot.ask("Who leads that?")
    assert answer.abstained and not answer.citations and "Ask it in full" in answer.answer


def test_a_large_archive_s_register_loads_in_the_background_and_answers_go_on_meanwhile(settings) -> None:
    """Views larger than `selection.views_wait_mb` (here 0: any) are not waited for: the question is answered from
    the passages while they load in a thread; once loaded, the register's row leads the answer again."""
    import time

    from assistant.views.cache import views_loaded

    s = settings.model_copy(update={"selection": settings.selection.model_copy(update={"views_wait_mb": 0})})
    bot = Assistant(s)
    question = "Who leads the action to develop a clear edge of care offer to all families, and by when?"
    index = bot.index
    assert views_loaded(index) is None
    first = bot.ask(question)
    assert not first.abstained and first.citations
    for _ in range(600):  # the thread reads a small file: at most a few seconds on a busy machine
        if views_loaded(index) is not None:
            break
        time.sleep(0.05)
    assert views_loaded(index) is not None and views_loaded(index).commitments
    later = bot.ask(question)
    assert "lead: Senior Manager" in later.answer and "due: June 2024" in later.answer


def test_warm_says_when_a_question_is_answered_at_once_then_loads_the_views(settings) -> None:
    """The app draws its chat box when `warm` calls `ready` (index, model and vectors loaded), not after a large
    archive's views: a question asked then is answered; `warm` itself returns with the views loaded."""
    from assistant.views.cache import views_loaded

    s = settings.model_copy(update={"selection": settings.selection.model_copy(update={"views_wait_mb": 0})})
    bot = Assistant(s)
    answered: list[bool] = []
    bot.warm(lambda: answered.append(not bot.ask("How did the number of children in Kinship Care change?").abstained))
    assert answered == [True]
    assert views_loaded(bot.index) is not None and views_loaded(bot.index).commitments


def test_example_questions_do_not_wait_for_a_large_archive_s_views(settings) -> None:
    """The app's sidebar asks with wait=False: before a large archive's views are loaded the questions ask what the
    newest reports cover; once loaded, they are made from the register and the figures as well."""
    import time

    from assistant.views.cache import views_loaded

    s = settings.model_copy(update={"selection": settings.selection.model_copy(update={"views_wait_mb": 0})})
    bot = Assistant(s)
    index = bot.index
    assert views_loaded(index) is None
    before = bot.example_questions(wait=False)
    assert len(before) == 4 and all(q.startswith("What does “") and q.endswith("” cover?") for q in before)
    for _ in range(600):  # loaded by a thread meanwhile: at most a few seconds on a busy machine
        if views_loaded(index) is not None:
            break
        time.sleep(0.05)
    after = bot.example_questions(wait=False)
    assert after == bot.example_questions() and any(q.startswith(("Who leads", "How has")) for q in after)
