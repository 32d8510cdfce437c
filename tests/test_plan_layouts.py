"""The commitments register on the layouts public bodies publish action plans in.

Fixtures of our own writing in tests/data/plans/ reproduce each layout (a header row over rows with a
repeated header, blocks of fields per action, sentences and numbered clauses, a spreadsheet export
whose long cell spills into the next row, columns aligned with spaces); a Word table and a PDF table
continued over pages are made here. Every commitment and every field must be an exact span.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.types import Citation, Passage
from assistant.ingest.passages import split_document
from assistant.views.cells import locate_cells
from assistant.views.commitments import Commitment, extract_commitments
from assistant.views.vocabulary import header_role, header_roles, table_roles

PLANS = Path(__file__).parent / "data" / "plans"


def register(text: str, source: str = "plan.md") -> list[Commitment]:
    found = extract_commitments(split_document(text, source))
    for c in found:
        assert text[c.char_start:c.char_end] == c.text, c
        for name, (start, end, verbatim) in c.spans.items():
            assert text[start:end] == verbatim, (name, c)
    return found


def by_action(found: list[Commitment]) -> dict[str, Commitment]:
    return {c.action: c for c in found}


@pytest.mark.parametrize("header,role", [
    ("Action", "action"), ("Milestone", "action"), ("Key initiatives", "action"), ("Project", "action"),
    ("Lead officer", "lead"), ("Responsible Party", "lead"), ("Owner", "lead"), ("Who", "lead"),
    ("Lead agency", "lead"), ("Partner agencies", "partners"), ("Supporting partners", "partners"),
    ("Timescale", "timescale"), ("Target Date", "timescale"), ("By when", "timescale"), ("Time frame", "timescale"),
    ("Deadline", "timescale"), ("Success measure", "measure"), ("KPI", "measure"), ("Indicator", "measure"),
    ("Estimated cost", "cost"), ("Funding source", "funding"), ("Theme", "theme"), ("Strategic objective", "theme"),
    ("Organisation", None), ("Description", None),
])
def test_header_vocabulary(header: str, role: str | None) -> None:
    assert header_role(header) == role


def test_headers_read_together() -> None:
    assert header_roles("Partners and Timeframe") == ["partners", "timescale"]
    # "Measure" is the action when no column names one, and how success is measured otherwise.
    assert table_roles(["Adaptation measure", "Lead", "Timeline"]) == [["action"], ["lead"], ["timescale"]]
    assert table_roles(["Action", "Measure", "Lead"]) == [["action"], ["measure"], ["lead"]]
    assert table_roles(["Measure", "Baseline", "2024 Target"]) == [["measure"], [], ["measure"]]  # indicators
    # A "Priority" column of timescales is the timescale.
    assert table_roles(["Action", "Priority"], ["Fix roofs", "Short term"]) == [["action"], ["timescale"]]
    assert table_roles(["Action", "Priority"], ["Fix roofs", "Housing"]) == [["action"], ["theme"]]


def test_header_row_over_rows_with_partners_timeframe_cost_and_funding() -> None:
    found = register((PLANS / "header-row.md").read_text(encoding="utf-8"), "header-row.md")
    assert len(found) == 6  # the header repeated after a page break is no commitment
    assert not any(c.action == "Action" for c in found)
    homes = by_action(found)["Insulate 400 council homes with the worst energy ratings"]
    assert (homes.lead, homes.partners, homes.timescale) == (
        "Head of Housing Assets", "Harbourside Homes Trust, local installers", "2 years")
    assert homes.due is None  # a relative term the plan does not define stays as printed
    assert (homes.measure, homes.cost, homes.funding) == ("Homes rated EPC C or better", "£3.2m",
                                                          "Housing capital programme")
    assert homes.theme == "Theme 1: Warmer homes" and homes.kind == "row"
    study = by_action(found)["Publish a heat network feasibility study for the town centre"]
    # "Short term" is defined further down the plan: resolved through that definition, which is cited too.
    assert study.timescale == "Short term" and study.due == "2027-03"
    assert study.timescale_defined and study.timescale_defined.startswith("Short term: within two years")
    assert "timescale_defined" in study.spans
    dues = {c.action: c.due for c in found if c.theme == "Theme 2: Cleaner travel"}
    assert list(dues.values()) == ["2026-12", "2026-12", "2027-05"]  # Dec. 31, 2026; Q3 2026/27; Spring 2027


def test_blocks_of_fields_under_an_action_heading() -> None:
    found = register((PLANS / "fields-blocks.md").read_text(encoding="utf-8"), "fields-blocks.md")
    assert [c.action for c in found] == ["Action 1. Property flood resilience grants for riverside streets",
                                         "Action 2. Natural flood management in the upper catchment",
                                         "Action 3. Cooling centres in libraries during heatwaves"]
    grants, catchment, cooling = found
    assert grants.lead == "Riverford County Council Flood Team" and grants.due == "2028"
    assert grants.partners == "Environment Agency, parish councils" and grants.funding == "Flood Defence Grant in Aid"
    assert grants.theme == "Flood resilience"
    # Fields one blank line apart are one block; "Medium term" is defined at the end of the plan.
    assert catchment.lead == "Riverford Rivers Trust" and catchment.cost == "£1.1m over five years"
    assert catchment.timescale == "Medium term" and catchment.due == "2030"
    assert cooling.measure == "number of visits on amber and red alert days" and cooling.due == "2026-08"
    # The action is the heading: its span is the heading's.
    start, end, text = grants.spans["action"]
    assert text == "Action 1. Property flood resilience grants for riverside streets"


def test_commitments_in_sentences_and_numbered_clauses() -> None:
    found = register((PLANS / "prose-commitments.md").read_text(encoding="utf-8"), "prose-commitments.md")
    got = {c.action.split(" by ")[0][:40]: c for c in found}
    council = next(c for c in found if c.action.startswith("The Council will"))
    assert council.lead == "The Council" and council.due == "2027-09" and council.kind == "statement"
    housing = next(c for c in found if c.action.startswith("The Housing Service will"))
    assert housing.lead == "The Housing Service" and housing.due == "2028-12"
    assert housing.text.endswith("by the end of 2028.")  # one sentence, not the paragraph
    quarterly = next(c for c in found if c.action.startswith("We will publish"))
    assert quarterly.lead is None and quarterly.recurrence == "recurring quarterly"
    local_plan = next(c for c in found if c.action.startswith("4.1") or c.action.startswith("Adopt"))
    assert local_plan.due == "2027-12"
    register_ = next(c for c in found if "brownfield" in c.action)
    assert register_.recurrence == "recurring annually" and register_.due is None
    # A numbered clause with no date is not a commitment; nor is a sentence about what "will be reported".
    assert not any("design guide" in c.action or "consultation" in c.action for c in found)
    assert {c.theme for c in found} == {"Our priorities", "Planning policies"}
    assert len(got) == 5


def test_spreadsheet_export_with_a_spilled_cell_and_a_repeated_header() -> None:
    found = register((PLANS / "spreadsheet-export.txt").read_text(encoding="utf-8"), "spreadsheet-export.txt")
    assert [c.lead for c in found] == ["Grounds Manager", "Clerk", "Finance Committee", "Clerk", "Chair of Council"]
    survey = found[1]
    assert survey.action == "Carry out a survey of all play areas and publish the results on the council website"
    assert survey.due == "2026-10"
    assert found[2].due == "2027-03"  # 2026/27, a financial year
    assert found[4].timescale == "Asap" and found[4].due is None  # undated stays undated


def test_columns_aligned_with_spaces() -> None:
    found = register((PLANS / "flattened-rows.txt").read_text(encoding="utf-8"), "flattened-rows.txt")
    assert [(c.action, c.lead, c.due or c.recurrence) for c in found] == [
        ("Repaint the bus shelters on Main Road", "Clerk", "2026-05"),
        ("Replace the noticeboard at the green", "Councillor Lee", "2026-07"),
        ("Hold a litter pick with the school", "Clerk", "ongoing")]


def test_every_field_can_be_cited() -> None:
    text = (PLANS / "fields-blocks.md").read_text(encoding="utf-8")
    c = register(text, "fields-blocks.md")[0]
    span = c.field_span("lead")
    assert span is not None
    cite = Citation.from_span(span, 1)
    assert text[cite.char_start:cite.char_end] == cite.text == "Riverford County Council Flood Team"
    assert c.field_span("cost") is None  # a field the plan does not give has no span


def test_a_word_table_and_a_pdf_table_over_pages(tmp_path: Path) -> None:
    """The same register from a .docx table and from a PDF whose table repeats its header on page 2."""
    import docx
    from fpdf import FPDF

    from assistant.ingest.readers import extract_text

    rows = [("Action", "Owner", "Deadline"), ("Repair the war memorial", "Clerk", "March 2027"),
            ("Buy a new mower for the playing field", "Grounds Manager", "2026/27"),
            ("Survey the allotments", "Allotments Officer", "Summer 2026")]
    d = docx.Document()
    d.add_heading("Oakfield Parish Council Action Plan 2026", 1)
    table = d.add_table(rows=len(rows), cols=3)
    for r, values in enumerate(rows):
        for k, v in enumerate(values):
            table.cell(r, k).text = v
    d.save(str(tmp_path / "plan.docx"))

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for page_rows in (rows[:3], [rows[0], rows[3]]):
        pdf.add_page()
        for values in page_rows:
            for k, v in enumerate(values):
                pdf.cell(70 if k == 0 else 55, 8, v, border=1)
            pdf.ln()
    pdf.output(str(tmp_path / "plan.pdf"))

    for name in ("plan.docx", "plan.pdf"):
        path = tmp_path / name
        text = extract_text(name, path, path.read_bytes()).text
        found = register(text, name)
        assert [(c.action, c.lead, c.due) for c in found] == [
            ("Repair the war memorial", "Clerk", "2027-03"),
            ("Buy a new mower for the playing field", "Grounds Manager", "2027-03"),
            ("Survey the allotments", "Allotments Officer", "2026-08")], name


def test_tables_that_are_not_commitments() -> None:
    """A grants table (projects, no lead or timescale), an indicator dashboard (a publication date is not a
    deadline) and a motion's recommendation are not a register's rows."""
    text = ("| Organisation | Project summary | Amount requested | Recommendation |\n|---|---|---|---|\n"
            "| Riverside Bowls Club | New mower for the green and a storage shed | £2,400 | Approved |\n\n"
            "| Priority | Indicator | Source | Publication date | Next release |\n|---|---|---|---|---|\n"
            "| Health | Adults who are active | Sport survey office | Apr 2026 | Apr 2027 |\n\n"
            "Recommendation 1 of Item 3 of the report was adopted on May 22, 2026.\n")
    assert register(text) == []


def test_cells_wrapped_over_lines_in_a_table_continued_without_its_header() -> None:
    """A PDF table's cells wrap onto the next printed line (in lower case, or a lone year), and the table
    goes on over a page whose header is not repeated: each row is still one commitment, read with the
    columns of the table above."""
    text = ("No\tTheme\tCommitment\tNotes on timing\n"
            "1\tOpen data\tWe will publish our spending over £500 every month in\tIn place by March 2027\n"
            "\t\ta format anyone can reuse\t\n"
            "\nPage 3\n\n"
            "2\tEngagement\tWe will hold a users' event to hear what data people\tWe will announce it by\n"
            "\t\twant next\tSeptember\n"
            "\t\t\t2027\n"
            "3\tEngagement\tWe will answer every data request within 20 working days.\tOngoing\n")
    found = register(text, "wrapped.txt")
    assert [(c.action, c.timescale, c.due) for c in found] == [
        ("We will publish our spending over £500 every month in a format anyone can reuse", "In place by March 2027",
         "2027-03"),
        ("We will hold a users' event to hear what data people want next", "We will announce it by September 2027",
         "2027-09"),
        ("We will answer every data request within 20 working days.", "Ongoing", None)]


def _row(text: str, cells: list[tuple[str, str]], start: int = 100) -> Passage:
    return Passage(source="plan.html", char_start=start, char_end=start + len(text), text=text, kind="row", cells=cells)


def test_cells_are_found_where_a_cell_can_start_with_markup_between_their_words() -> None:
    text = "Lead: the Parks Officer said\tParks\n<b>Officer</b>\t<li>June 2027</li>"
    found = locate_cells(_row(text, [("Lead", "Parks Officer"), ("Due", "June 2027"), ("Measure", "Fewer visits")]))
    # The first "Parks Officer" is inside a sentence: the cell is the one after the tab, tags and line break between.
    assert [(c.raw, c.start, c.end) for c in found] == [
        ("Parks\n<b>Officer", 100 + text.index("Parks\n"), 100 + text.index("</b>")),
        ("<li>June 2027", 100 + text.index("<li>"), 100 + text.index("</li>")),
        ("", None, None),  # carried down from the row above: not in this row's text
    ]


def test_a_word_that_could_begin_inside_a_tag_is_read_as_the_pattern_reads_it() -> None:
    text = "Develop <a href='x'>a plan</a>\tClerk"
    found = locate_cells(_row(text, [("Action", "Develop a plan"), ("Lead", "Clerk")], start=0))
    assert [c.raw for c in found] == ["Develop <a href='x'>a plan", "Clerk"]
    assert found[1].start == text.index("Clerk")
