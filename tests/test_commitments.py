"""Commitments: the real corpus through the real index, pure logic on hand-made input, the CLI and the page."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from assistant.api import Assistant
from assistant.cli.views import commitments as commitments_cmd
from assistant.core.settings import Settings
from assistant.core.types import Citation, Passage
from assistant.views.cache import views_for
from assistant.views.cells import normalise_lead, unglue
from assistant.views.commitments import Commitment, extract_commitments, plans, search_commitments
from assistant.views.prose import statement_spans
from assistant.views.vocabulary import header_role
from assistant.views.periods import parse_due, parse_recurrence

IJB = "dundee-ijb-our-promise-2023-26-annual-update-2025.md"
SERVICE_PLAN = "dundee-children-and-families-service-plan-2021-24.txt"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def extracted(bot: Assistant) -> list[Commitment]:
    return extract_commitments(bot.index.passages)


def outer(c: Commitment) -> str:
    """The outermost heading a commitment is grouped under (a plan's foundation, pillar or theme)."""
    return (c.theme or "").split(" > ")[0]


def corpus_text(settings: Settings, source: str) -> str:
    return (Path(settings.corpus) / source).read_text(encoding="utf-8")


# --- what the corpus file itself says (read here, independently of the extractor) ----------


def action_plan_2023_rows(text: str) -> list[dict[str, str]]:
    """Rows of the 2023-25 action plan, read straight from the file: foundation carried down."""
    lines = text.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.split("\t")[:2] == ["Foundation", "Actions"])
    header = lines[start].split("\t")
    assert header == ["Foundation", "Actions", "Leads", "Measuring Impact", "Timescales"]
    rows, foundation = [], ""
    for ln in lines[start + 1:]:
        if ln.startswith("#"):
            break
        if "\t" not in ln:
            continue
        cells = ln.split("\t")
        if cells[0].strip():
            foundation = re.sub(r"</?b>", "", cells[0]).strip()
        rows.append({"foundation": foundation, "action": cells[1].strip(), "lead": cells[2].strip(),
                     "measure": cells[3].strip(), "timescale": cells[4].strip(),
                     "offset": sum(len(x) + 1 for x in lines[:lines.index(ln)])})
    return rows


def test_every_row_of_the_2023_25_action_plan_is_one_commitment(extracted: list[Commitment], settings: Settings) -> None:
    text = corpus_text(settings, IJB)
    rows = action_plan_2023_rows(text)
    # Counted by hand in the file as well: 6 + 6 + 9 + 5 + 3 = 29 (the report's own "29 actions in the plan").
    assert Counter(r["foundation"] for r in rows) == {"Voice": 6, "Family": 6, "Care": 9, "People": 5, "Scaffolding": 3}
    plan = [c for c in extracted if "2023-25" in c.plan]
    assert len(plan) == len(rows) == 29
    assert Counter(outer(c) for c in plan) == Counter(r["foundation"] for r in rows)
    for row in rows:
        # The row's span starts at its first filled cell: the line start, or just after its leading tab.
        matches = [c for c in plan if row["offset"] <= c.char_start <= row["offset"] + 1]
        assert len(matches) == 1, row
        c = matches[0]
        assert row["action"][:40] in c.text
        assert outer(c) == row["foundation"]
        assert c.lead == row["lead"] and c.lead_normalised == row["lead"]
        assert c.timescale == row["timescale"]
        assert c.measure == row["measure"]
        assert c.kind == "row" and c.organisation and c.published == "2025-02-19"
    by_action = {c.action: c for c in plan}
    assert by_action["Coordinate targeted deployment of WFWF"].due == "2023-11"
    assert by_action["Implement and scale What Matters to You in locality areas"].due == "2026-03"
    # A timescale written with a symbol the plan never defines stays as printed: undated, never guessed.
    pledge = by_action["Implement Infant Pledge for babies and toddlers in care"]
    assert pledge.recurrence is None and pledge.due is None and pledge.timescale
    assert by_action["Implement an annual foster carer training plan"].recurrence == "recurring annually"
    assert by_action["Fully implement GIRFEC Practice Profile in all sites"].recurrence == "recurring twice a year"
    assert by_action["Coordinate targeted deployment of WFWF"].plan == (
        "Our Promise to Care Experienced Children, Young People and Families 2023-25 Action Plan")
    # The list inside one cell is read as one action, markup removed.
    models = next(c for c in plan if c.action.startswith("Explore and apply models"))
    assert "<" not in models.action and "Family Group Conferencing; Solihull" in models.action
    cite = Citation.from_span(models, 1)
    assert (cite.source, cite.char_start, cite.char_end, cite.text) == (models.source, models.char_start,
                                                                        models.char_end, models.text)


def test_we_will_statements_of_the_2020_23_plan(extracted: list[Commitment], settings: Settings) -> None:
    text = corpus_text(settings, IJB)
    first = text.index("FOUNDATIONS\tPRIORITY\tACTIONS")
    last = text.index("This page is intentionally left blank", first)
    region = text[first:last]
    # In the file: every "We will"/"Wewill" that opens a cell or follows a double-space merge.
    expected = len(re.findall(r"(?:\t|  )We ?will\b", region))
    rows_in_file = [ln for ln in region.split("\n") if "\t" in ln and not ln.startswith("FOUNDATIONS")]
    old = [c for c in extracted if c.source == IJB and first <= c.char_start < last]
    assert all(c.kind == "row" for c in old)
    # Actions are shown as printed: two of them glue "We" to "will" in the file, and stay so.
    we_will = [c for c in old if re.match(r"We ?will\b", c.action)]
    assert len(we_will) == expected == 49
    assert all(re.search(r"We ?will", c.text) for c in we_will)
    # 50 table rows; one row merges 2 actions and one merges 4, split on their leads and timescales.
    assert len(rows_in_file) == 50 and len(old) == 54
    merged = [c for c in old if c.theme and c.theme.endswith(" > Supporting vulnerablewomen and families")]
    assert [c.text[:24] for c in merged] == ["We will sustain a Pause ", "Wewill report on the imp",
                                             "Wewill report on targete", "We will report on the im"]
    assert {c.lead_normalised for c in merged} == {"Senior Manager, DCC"} and {c.due for c in merged} == {"2021-05"}
    assert merged[1].action.startswith("Wewill report on the impact of targeted support to pregnant women")  # as printed
    assert merged[3].measure == "Report on Safe and Together"
    assert Counter(outer(c) for c in old) == {"Scaffolding": 17, "Family": 8, "People": 5, "Care": 17, "Voice": 7}
    leads = {c.lead_normalised for c in old if c.lead_normalised}
    assert "Senior Manager, DCC" in leads and "Education Manager, DCC" in leads
    assert not any(re.search(r"[a-z][A-Z]|,\S", lead) for lead in leads), leads
    assert {c.plan for c in old} == {"Our Promise"}


def test_service_plan_we_will_statements_by_priority(extracted: list[Commitment], settings: Settings) -> None:
    text = corpus_text(settings, SERVICE_PLAN)
    expected = len(re.findall(r"(?m)^[ \t]*We will\b", text))
    mine = [c for c in extracted if c.source == SERVICE_PLAN]
    assert len(mine) == expected == 79
    assert all(c.kind == "statement" and c.text.startswith("We will") for c in mine)
    assert {c.plan for c in mine} == {"Children and Families Service Plan 2021-2024"}
    by_priority = Counter(c.theme for c in mine)
    assert by_priority == {"Early Years": 11, "Learning, Attainment and Achievement": 8, "Health and Wellbeing": 8,
                           "Inequalities": 13, "Child Protection": 14, "Community Justice": 12,
                           "People and Resources": 8, "Communities and Family Views": 5}
    bail = next(c for c in mine if "Bail Mentoring" in c.text)
    assert bail.theme == "Community Justice"
    # One sentence, not the paragraph: the commitment stops where the next sentence starts.
    schools = next(c for c in mine if c.text.startswith("We will work with schools"))
    assert schools.text.endswith("in all establishments.") and "pandemic" not in schools.text


def test_chat_and_register_agree_on_who_leads_and_when(extracted: list[Commitment], bot: Assistant) -> None:
    """"Who leads …?" and "When will … happen?" are answered from the register's row, citing it."""
    plan = [c for c in extracted if "2023-25" in c.plan and c.lead_normalised]
    assert len(plan) == 29
    for c in plan:
        for question, wanted in ((f"Who leads “{c.action}”?", c.lead_normalised),
                                 (f"When will “{c.action}” be done?", c.timescale)):
            answer = bot.ask(question)
            assert not answer.abstained, question
            first = answer.citations[0]
            assert (first.source, first.char_start, first.char_end) == (c.source, c.char_start, c.char_end), question
            assert wanted and wanted in answer.answer, (question, answer.answer)


def test_every_commitment_is_a_verbatim_span(extracted: list[Commitment], bot: Assistant) -> None:
    assert len(extracted) == 162
    texts: dict[str, str] = {}
    for c in extracted:
        texts.setdefault(c.source, bot.source_text(c.source))
        assert texts[c.source][c.char_start:c.char_end] == c.text, c
        assert c.action and c.plan
    assert plans(extracted) == {
        "Children and Families Service Plan 2021-2024": 79, "Our Promise": 54,
        "Our Promise to Care Experienced Children, Young People and Families 2023-25 Action Plan": 29}


def test_search_filters_on_the_real_corpus(extracted: list[Commitment]) -> None:
    voice = search_commitments(extracted, theme="voice", plan="2023-25")
    assert len(voice) == 6 and {outer(c) for c in voice} == {"Voice"}
    glued = search_commitments(extracted, lead="SeniorManager DCC")
    spaced = search_commitments(extracted, lead="senior manager, dcc")
    assert glued == spaced and len(glued) > 30
    due = search_commitments(extracted, due_before="2024-04", plan="2023-25")
    assert due and all(c.due and c.due < "2024-04" for c in due)
    assert {c.due for c in due} == {"2023-11", "2024-01", "2024-03"}
    kinship = search_commitments(extracted, text="kinship carers")
    assert kinship and all("kinship" in (c.action + (c.measure or "")).lower() for c in kinship)
    with pytest.raises(ValueError):
        search_commitments(extracted, due_before="2024-13")


def test_cached_per_index_load(settings: Settings) -> None:
    b = Assistant(settings)
    first = b.commitments()
    assert views_for(b.index) is b.views() and b.commitments() is first
    b.reload()
    again = b.commitments()
    assert again is not first and [c.to_dict() for c in again] == [c.to_dict() for c in first]


# --- pure logic on hand-made input --------------------------------------------------------


@pytest.mark.parametrize("raw,expected", [
    ("SeniorManager, DCC", "Senior Manager, DCC"),
    ("Senior Manager DCC", "Senior Manager, DCC"),
    ("SeniorManager DCC", "Senior Manager, DCC"),
    ("Education Manager,DCC", "Education Manager, DCC"),
    ("Protecting PeopleTeam, DCC", "Protecting People Team, DCC"),
    ("Head of Service, Neighbourhood Services, DCC", "Head of Service, Neighbourhood Services, DCC"),
    ("Youth Employability Service  Youth Employability Service", "Youth Employability Service"),
    ("Service Manager  Education Officer", "Service Manager; Education Officer"),
    ("Senior Manager, NHST", "Senior Manager, NHST"),
    ("", ""),
])
def test_lead_normalisation(raw: str, expected: str) -> None:
    assert normalise_lead(raw) == expected


def test_unglue_keeps_acronyms_and_names() -> None:
    assert unglue("KinshipHub and CareLeavers") == "Kinship Hub and Care Leavers"
    assert unglue("DCC NHST McDonald MacLeod") == "DCC NHST McDonald MacLeod"


@pytest.mark.parametrize("raw,due,recurrence", [
    ("March2021", "2021-03", None), ("March 2021", "2021-03", None), ("Nov 2023", "2023-11", None),
    ("December2020", "2020-12", None), ("Sept 23", "2023-09", None), ("31st March 2024", "2024-03", None),
    ("May2021  June2021", "2021-06", None),
    ("Quarterly audits", None, "recurring quarterly"), ("¼ meetings", None, None),
    ("Bi-annual audits", None, "recurring twice a year"), ("Annual", None, "recurring annually"),
    ("Current", None, "ongoing"), ("Monthlyand quarterly", None, "recurring monthly and quarterly"),
    ("twice yearly", None, "recurring twice a year"), ("", None, None), ("2024", "2024", None),
    ("Dec. 31, 2021", "2021-12", None), ("2012/13", "2013-03", None), ("Q3 2024", "2024-09", None),
    ("Q3 2024/25", "2024-12", None), ("Summer 2012", "2012-08", None), ("End 2012", "2012-12", None),
    ("by 2030", "2030", None), ("From October 2013", None, None), ("1-3 years", None, None),
    ("Short term", None, None), ("2021-2025", "2025", None),
])
def test_timescale_normalisation(raw: str, due: str | None, recurrence: str | None) -> None:
    assert parse_due(raw) == due
    if due is None:
        assert parse_recurrence(raw) == recurrence


def test_header_roles() -> None:
    assert [header_role(h) for h in ["ACTIONS", "Leads", "TIMESCALES", "SOMEKEY INDICATORS", "Measuring Impact",
                                     "FOUNDATIONS", "PRIORITY", "Organisation"]] == [
        "action", "lead", "timescale", "measure", "measure", "theme", "theme", None]


DOC = "Plan\n" + "x" * 100 + "\n"


def row(text: str, cells: list[Any], start: int = 1000, context: str = "", section: str = "") -> Passage:
    return Passage(source="hand.md", char_start=start, char_end=start + len(text), text=text, kind="row",
                   cells=cells, context=context, section=section, title="Hand-made Plan 2030-33 (Report 1-2030)",
                   organisation="Testshire Council", published="2030-01", id=f"p{start}")


def test_merged_cells_split_when_leads_and_timescales_split_the_same_way() -> None:
    text = "<b>Care</b> About care\tPriority A\tWe will do X  Wewill do Y\tLead One  LeadTwo, DCC\tMay 2031  June 2031\tOne measure"
    cells = [("Theme", "Care About care"), ("Priority", "Priority A"), ("Actions", "We will do X Wewill do Y"),
             ("Lead", "Lead One LeadTwo, DCC"), ("Timescale", "May 2031 June 2031"), ("Indicators", "One measure")]
    out = extract_commitments([row(text, cells, context="Testshire Action Plan 2030-33 | Theme | Priority")])
    assert [c.text for c in out] == ["We will do X", "Wewill do Y"]
    assert [c.action for c in out] == ["We will do X", "Wewill do Y"]  # as printed
    assert [c.lead_normalised for c in out] == ["Lead One", "Lead Two, DCC"]
    assert [c.due for c in out] == ["2031-05", "2031-06"]
    assert {c.measure for c in out} == {"One measure"} and {c.theme for c in out} == {"Care > Priority A"}
    assert {c.plan for c in out} == {"Testshire Action Plan 2030-33"}
    for c in out:
        assert text[c.char_start - 1000:c.char_end - 1000] == c.text


def test_merged_actions_stay_one_when_leads_do_not_split() -> None:
    text = "We will do X  We will do Y\tOne Lead\tMay 2031"
    cells = [("Actions", "We will do X We will do Y"), ("Lead", "One Lead"), ("Timescales", "May 2031")]
    out = extract_commitments([row(text, cells)])
    assert len(out) == 1 and out[0].text == text and out[0].lead == "One Lead" and out[0].due == "2031-05"
    assert out[0].plan == "Hand-made Plan 2030-33"  # no table title: the document's title without its reference


def test_malformed_rows_give_what_they_can_and_never_raise() -> None:
    missing_lead = row("Do a thing\tMarch 2032", [("Actions", "Do a thing"), ("Timescales", "March 2032")], 100)
    stray_tabs = row("Do another\t\t\t\tSomeone\t\t", [("Actions", "Do another"), ("Lead", "Someone")], 200)
    # The action cell is empty where the header says it is (cells shifted): the longest free cell is the action.
    shifted = row("Only text here that is long\tBoss", [("Actions", ""), ("", "Only text here that is long"),
                                                        ("Lead", "Boss")], 300)
    no_action_table = row("Organisation X\tBoss", [("Organisation", "Organisation X"), ("Lead", "Boss")], 350)
    junk_cells = row("Act now\tX", [("Actions",), "not a pair", ("Actions", "Act now"), ("Lead", "X")], 400)  # type: ignore[list-item]
    wrong_text = row("text that does not match the cells", [("Actions", "Something else"), ("Lead", "Y")], 500)
    empty = row("", [("Actions", "")], 600)
    out = extract_commitments([missing_lead, stray_tabs, shifted, no_action_table, junk_cells, wrong_text, empty])
    by_start = {c.char_start: c for c in out}
    assert by_start[100].action == "Do a thing" and by_start[100].lead is None and by_start[100].due == "2032-03"
    assert by_start[200].action == "Do another" and by_start[200].lead_normalised == "Someone"
    assert by_start[200].timescale is None and by_start[200].due is None
    assert by_start[300].action == "Only text here that is long" and by_start[300].lead == "Boss"
    assert 350 not in by_start  # a table without an action column is not an action plan
    assert by_start[400].action == "Act now" and by_start[400].lead == "X"
    assert by_start[500].action == "Something else" and by_start[500].text == "text that does not match the cells"
    assert 600 not in by_start
    assert all(c.kind == "row" for c in out)


def test_statement_spans_in_prose() -> None:
    text = ("We will do A across the city. This sentence is context.  We will do B\n"
            "We will do C\nIn doing so, we will not count this. - We will do D; done")
    spans = [text[s:e] for s, e, _ in statement_spans(text)]
    assert spans == ["We will do A across the city.", "We will do B", "We will do C", "We will do D; done"]
    p = Passage(source="hand.txt", char_start=50, char_end=50 + len(text), text=text, kind="paragraph",
                section="2. Early Years > What we intend to do", title="Service Plan 2030 (Report 9)")
    out = extract_commitments([p])
    assert [c.text for c in out] == spans
    assert {c.theme for c in out} == {"Early Years"} and {c.kind for c in out} == {"statement"}
    assert out[0].char_start == 50 and out[0].plan == "Service Plan 2030"


def test_numbered_heading_split_over_two_lines_names_the_priority() -> None:
    def para(text: str, start: int, kind: str, section: str) -> Passage:
        return Passage(source="s.txt", char_start=start, char_end=start + len(text), text=text, kind=kind, section=section)

    out = extract_commitments([
        para("We will help.", 0, "paragraph", "1. Health > What we intend to do"),
        para("1.", 100, "item", "1. Health > Impact"),
        para("Justice", 104, "fragment", "1. Health > Impact"),
        para("We will judge.", 200, "paragraph", "1. Health > What we intend to do"),
        para("We will vote.", 300, "paragraph", "2. Democracy > What we intend to do"),
    ])
    assert [c.theme for c in out] == ["Health", "Justice", "Democracy"]


# --- the CLI on the real index ---------------------------------------------------------------


def invoke(settings: Settings, *args: str) -> Any:
    return CliRunner().invoke(commitments_cmd, ["--corpus", str(settings.corpus), "--index", str(settings.index), *args])


def test_cli_json_and_filters(settings: Settings) -> None:
    res = invoke(settings, "--json")
    assert res.exit_code == 0, res.output
    items = json.loads(res.stdout)
    assert len(items) == 162 and {"plan", "lead_normalised", "due", "char_start", "text"} <= set(items[0])
    res = invoke(settings, "--json", "--theme", "Voice", "--plan", "2023-25")
    voice = json.loads(res.stdout)
    assert res.exit_code == 0 and len(voice) == 6 and {c["theme"] for c in voice} == {"Voice"}
    # Every field carries the verbatim span it was read from.
    assert all(set(c["spans"]) >= {"action", "lead", "timescale", "theme"} for c in voice)
    res = invoke(settings, "--json", "--lead", "senior manager", "--due-before", "2024-07", "--plan", "2023-25")
    due = json.loads(res.stdout)
    assert due and all(c["due"] < "2024-07" and c["lead_normalised"] == "Senior Manager" for c in due)


def test_cli_csv_matches_json(settings: Settings) -> None:
    res = invoke(settings, "--csv", "--search", "kinship")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    as_json = json.loads(invoke(settings, "--json", "--search", "kinship").stdout)
    assert rows and len(rows) == len(as_json)
    assert [(r["source"], int(r["char_start"]), r["text"]) for r in rows] == [
        (c["source"], c["char_start"], c["text"]) for c in as_json]


def test_cli_table_by_default(settings: Settings) -> None:
    res = invoke(settings, "--theme", "Scaffolding", "--plan", "2023-25")
    assert res.exit_code == 0, res.output
    assert "Fully implement GIRFEC Practice Profile in all sites" in res.stdout
    assert "recurring twice a year" in res.stdout and "3 commitments" in res.stdout
    assert "dundee-ijb-our-promise-2023-26-annual-update-2025.md:44026-44151" in res.stdout
    res = invoke(settings, "--search", "no such words anywhere zzz")
    assert res.exit_code == 0 and "No commitments match" in res.stdout


@pytest.mark.parametrize("args", [["--due-before", "2024-13"], ["--due-before", "June 2024"], ["--due-before", "2024"]])
def test_cli_bad_month_is_a_usage_error(settings: Settings, args: list[str]) -> None:
    res = invoke(settings, *args)
    assert res.exit_code == 2
    assert "YYYY-MM" in res.output and "Traceback" not in res.output


def test_cli_one_format_and_a_missing_index(settings: Settings, tmp_path: Path) -> None:
    res = invoke(settings, "--json", "--csv")
    assert res.exit_code == 2 and "--json or --csv" in res.output
    # No index and no corpus to build one from: one line saying so (an index is built on first use otherwise).
    res = CliRunner().invoke(commitments_cmd, ["--corpus", str(tmp_path / "nowhere"), "--index", str(tmp_path / "none")])
    assert res.exit_code == 1 and "does not exist" in res.output
    assert "Traceback" not in res.output
    help_text = CliRunner().invoke(commitments_cmd, ["--help"]).output
    assert "Examples:" in help_text and "assistant commitments --theme Voice" in help_text
    assert "timescale_defined" in help_text and "spans" in help_text  # the JSON schema is documented


# --- the page --------------------------------------------------------------------------------


def test_commitments_page(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ASSISTANT_CORPUS", str(settings.corpus))
    monkeypatch.setenv("ASSISTANT_INDEX", str(settings.index))
    at = AppTest.from_file(str(ROOT / "app_pages" / "2_Commitments.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert at.dataframe[0].value.shape[0] == 162
    at.selectbox(key="cm_theme").select("Voice").run()
    at.selectbox(key="cm_plan").select(
        "Our Promise to Care Experienced Children, Young People and Families 2023-25 Action Plan").run()
    table = at.dataframe[0].value
    assert table.shape[0] == 6 and set(table["Theme"]) == {"Voice"}
    at.text_input(key="cm_due").input("2024-13").run()
    assert not at.exception and any("YYYY" in w.value for w in at.warning)
    # Selecting a row shows its verbatim span, the report around it (escaped, marked), and the whole report.
    row = at.dataframe[0].value.iloc[2]
    at.session_state["cm_table"] = {"selection": {"rows": [2], "columns": []}}
    at.run()
    assert not at.exception, at.exception
    start, end = (int(x) for x in row["Characters"].split("–"))
    source_text = corpus_text(settings, row["Source"])
    assert at.text[0].value == source_text[start:end]
    context = [h.proto.body for h in at.get("html") if "pa-passage" in h.proto.body and "<style>" not in h.proto.body]
    assert len(context) == 1 and '<mark class="pa-cited">' in context[0]
    at.button(key="cm_open").click().run()
    assert not at.exception and any('class="pa-report"' in h.proto.body for h in at.get("html"))
