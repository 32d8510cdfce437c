"""The splitter: pure logic on hand-made text, then every passage of the real corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.text import clean_inline, is_value, is_year, sentence_spans
from assistant.ingest.passages import split_document

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
REPORTS = sorted(p for p in CORPUS.iterdir() if p.suffix in (".txt", ".md"))


def _verbatim(text: str, passages) -> None:
    for p in passages:
        assert text[p.char_start:p.char_end] == p.text


def test_markdown_headings_give_section_paths() -> None:
    text = "## **4.0 MAIN TEXT**\n\n### **4.1 Background**\n\n4.1.1 The review published 7 reports.\n"
    [p] = split_document(text, "x.md")
    assert p.section == "4.0 MAIN TEXT > 4.1 Background"
    assert p.text == "4.1.1 The review published 7 reports."


def test_bullets_carry_their_lead_in() -> None:
    text = "Practice has markedly improved:\n\n- Assessments rated Good rose from 68% to 96%\n- Plans rose from 42% to 85%\n"
    ps = split_document(text, "x.txt")
    items = [p for p in ps if p.kind == "item"]
    assert [p.text for p in items] == ["Assessments rated Good rose from 68% to 96%", "Plans rose from 42% to 85%"]
    assert all(p.context == "Practice has markedly improved:" for p in items)
    _verbatim(text, ps)


def test_a_lead_in_printed_with_a_dash_after_its_colon_still_leads_its_bullets() -> None:
    text = "Entry to the fair would cost (indicative only): -\n• £4 per adult\n• £2 per child\n"
    items = [p for p in split_document(text, "x.txt") if p.kind == "item"]
    assert [p.text for p in items] == ["£4 per adult", "£2 per child"]
    assert all(p.context == "Entry to the fair would cost (indicative only): -" for p in items)


def test_a_header_printed_over_two_lines_names_each_column_with_both_lines() -> None:
    text = ("\t\tEstimated\tQuote or\n"
            "Service\tSupplier\tAnnual Value 2031/32\ttender?\n"
            "Street lighting\tBright Ways Ltd\t£12,500\tQ\n")
    rows = [p for p in split_document(text, "x.txt") if p.kind == "row"]
    assert len(rows) == 1
    assert rows[0].cells == [("Service", "Street lighting"), ("Supplier", "Bright Ways Ltd"),
                             ("Estimated Annual Value 2031/32", "£12,500"), ("Quote or tender?", "Q")]


def test_a_first_row_of_words_under_a_full_header_stays_a_row() -> None:
    text = "Theme\tAction\tLead\tTimescale\nVoice\tReview advocacy\tService Manager\tOngoing\n"
    rows = [p for p in split_document(text, "x.txt") if p.kind == "row"]
    assert [r.cells[1] for r in rows] == [("Action", "Review advocacy")]


def test_tab_table_rows_keep_headers_and_carry_down_the_first_column() -> None:
    text = (
        "Action Plan\t\t\t\n"
        "Foundation\tActions\tLeads\tTimescales\n"
        "Voice\tReview advocacy\tService Manager\tMarch 2024\n"
        "\tSurvey carers\tSenior Manager\tJune 2025\n"
    )
    rows = [p for p in split_document(text, "x.md") if p.kind == "row"]
    assert len(rows) == 2
    assert rows[1].text == "Survey carers\tSenior Manager\tJune 2025"
    assert rows[1].cells == [("Foundation", "Voice"), ("Actions", "Survey carers"), ("Leads", "Senior Manager"),
                             ("Timescales", "June 2025")]
    assert "Action Plan" in rows[1].context and "Foundation: Voice" in rows[1].context
    _verbatim(text, rows)


def test_year_columns_are_a_header_not_data() -> None:
    text = "Placements\t2022\t2023\t2024\nInternal Foster Care\t109\t84\t89\n"
    [row] = split_document(text, "x.md")
    assert row.cells == [("Placements", "Internal Foster Care"), ("2022", "109"), ("2023", "84"), ("2024", "89")]


def test_one_cell_per_line_tables_align_headers_from_the_right() -> None:
    text = ("\t\n\t\n\tBaseline\n\t2024 Target\n\n"
            "\tImprove attendance rates at school. (CP, LGBF)\n\t91%\n(2018/19)\n\t94%\n")
    [row] = split_document(text, "x.txt")
    assert row.cells == [("", "Improve attendance rates at school. (CP, LGBF)"), ("Baseline", "91% (2018/19)"),
                         ("2024 Target", "94%")]
    _verbatim(text, [row])


def test_space_aligned_rows_with_a_wrapped_label() -> None:
    text = "\tBaseline\n\t2024 Target\n\nNumber of schools completed Nurture and        32        43\nTrauma-informed training\n"
    rows = [p for p in split_document(text, "x.txt") if p.kind == "row"]
    assert len(rows) == 1
    assert rows[0].cells[-2:] == [("Baseline", "32"), ("2024 Target", "43")]
    assert rows[0].text.endswith("Trauma-informed training")


def test_long_paragraphs_are_cut_at_sentence_ends_with_their_opening_as_context() -> None:
    sentence = "The MASH team received seventy contacts per day in the period under review. "
    text = sentence + "Most referrals came from the Police, of which only 35% were accepted. " * 8
    ps = split_document(text, "x.txt", max_chars=200)
    assert len(ps) > 1
    assert all(len(p.text) <= 200 for p in ps)
    assert ps[1].context.startswith("The MASH team")
    _verbatim(text, ps)


def test_slide_fragments_stay_citable() -> None:
    text = "Our Challenges\n\n\n\nCulture: Risk averse system\n\n\n\nCost of care and inflation: +£6m overspend\n\n\n\nHigh level of interdependencies\n"
    texts = [p.text for p in split_document(text, "x.txt")]
    assert "Cost of care and inflation: +£6m overspend" in texts


def test_sentence_spans_respect_abbreviations_and_numbers() -> None:
    text = "96 (inc. 19 UASC) children came into care. 2 have gained awards at Level 6. When asked, some said yes."
    spans = [text[s:e] for s, e in sentence_spans(text)]
    assert spans == ["96 (inc. 19 UASC) children came into care.", "2 have gained awards at Level 6.",
                     "When asked, some said yes."]


def test_an_aside_after_a_full_stop_stays_with_its_sentence() -> None:
    text = ("RESOLVED: That a bench be bought. (Cllr Ray proposed, Cllr Tan seconded, five were in favour) "
            "12/31 To note the accounts. (A) Not an aside. (Seen and agreed by all members.)")
    spans = [text[s:e] for s, e in sentence_spans(text)]
    assert spans == ["RESOLVED: That a bench be bought. (Cllr Ray proposed, Cllr Tan seconded, five were in favour)",
                     "12/31 To note the accounts.", "(A) Not an aside. (Seen and agreed by all members.)"]


def test_helpers() -> None:
    assert clean_inline("<b>£88K</b> – new **support**") == "£88K – new support"
    assert is_value("£10,910,000") and is_value("21%\n(2020/21)") and not is_value("Nursery")
    assert is_year("2024") and is_year("2022/23") and not is_year("2,866")


def test_empty_and_whitespace_text_give_no_passages() -> None:
    assert split_document("", "x.txt") == []
    assert split_document("\n\t\n   \n", "x.txt") == []


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_every_passage_of_every_report_is_verbatim_and_short(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    passages = split_document(text, path.name)
    assert len(passages) > 20
    _verbatim(text, passages)
    assert len({p.id for p in passages}) == len(passages)
    # Citable precisely: a sentence to a paragraph, or one table row.
    assert sum(len(p.text) <= 450 for p in passages) / len(passages) > 0.95


def test_real_action_plan_rows_carry_headers() -> None:
    text = (CORPUS / "dundee-ijb-our-promise-2023-26-annual-update-2025.md").read_text(encoding="utf-8")
    rows = {p.text: p for p in split_document(text, "ijb.md") if p.kind == "row"}
    row = rows["Develop a clear edge of care offer to all families\tSenior Manager\tNumbers in care\tJune 2024"]
    assert dict(row.cells) == {"Foundation": "Family", "Actions": "Develop a clear edge of care offer to all families",
                               "Leads": "Senior Manager", "Measuring Impact": "Numbers in care", "Timescales": "June 2024"}
    budget = (CORPUS / "dundee-children-and-families-service-plan-2021-24.txt").read_text(encoding="utf-8")
    rows = [p for p in split_document(budget, "plan.txt") if p.kind == "row" and "£35,411,000" in p.text]
    assert dict(rows[0].cells) == {"Service Area": "Children’s Services", "Provisional Revenue Budget 2021-2022": "£35,411,000"}


def test_short_lists_are_also_one_passage_with_their_lead_in() -> None:
    text = "Work answers 3 key priorities:\n\n- Fewer children entering care\n- More leaving care\n\nNext paragraph."
    ps = split_document(text, "x.txt")
    [whole] = [p for p in ps if p.kind == "list"]
    assert whole.text == "Work answers 3 key priorities:\n\n- Fewer children entering care\n- More leaving care"
    assert [p.text for p in ps if p.kind == "item"] == ["Fewer children entering care", "More leaving care"]
    _verbatim(text, ps)


def test_short_paragraphs_after_a_lead_in_are_an_unbulleted_list() -> None:
    # A variance explanation: one line per payment under "explained by:", no bullets; a long paragraph ends it.
    long = "The hall roof was repaired in the spring after storm damage, which the insurer covered in full. " * 3
    text = ("Staff costs rose by £1,800.\n\nThe rise is explained by back pay:\n\n£900 paid on 1 July.\n\n"
            f"£900 paid on 1 October.\n\n{long.strip()}\n")
    ps = split_document(text, "x.txt")
    [whole] = [p for p in ps if p.kind == "list"]
    assert whole.text == "The rise is explained by back pay:\n\n£900 paid on 1 July.\n\n£900 paid on 1 October."
    items = [p for p in ps if p.kind == "item"]
    assert [p.text for p in items] == ["£900 paid on 1 July.", "£900 paid on 1 October."]
    assert all(p.context == "The rise is explained by back pay:" for p in items)
    assert any(p.kind == "paragraph" and p.text.startswith("The hall roof") and not p.context for p in ps)
    _verbatim(text, ps)


def test_a_lead_in_with_one_item_is_one_passage_too() -> None:
    text = "The variance is explained by:\n\n- a grant received late\n\n# Next\n\nOther text here."
    ps = split_document(text, "x.txt")
    [whole] = [p for p in ps if p.kind == "list"]
    assert whole.text == "The variance is explained by:\n\n- a grant received late"
