"""Figures and series: the real corpus through the real index, phrase parsing and linking on hand-made input, CLI, page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from assistant.api import Assistant
from assistant.cli.views import figures as figures_cmd
from assistant.core.settings import Settings
from assistant.core.types import Citation, Passage
from assistant.views.cache import views_for
from assistant.views.figure_values import FigureValue, Series, parse_number
from assistant.views.figures import extract_figures
from assistant.views.periods import period_key
from assistant.ingest.metadata import infer_place
from assistant.views.series import build_series, measure_tokens, place_key, search_series

SUMMARY = "dundee-our-promise-2020-23-impact-summary.txt"
IJB = "dundee-ijb-our-promise-2023-26-annual-update-2025.md"
SERVICE_PLAN = "dundee-children-and-families-service-plan-2021-24.txt"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def values(bot: Assistant) -> list[FigureValue]:
    return extract_figures(bot.index.passages)


@pytest.fixture(scope="module")
def series(values: list[FigureValue]) -> list[Series]:
    return build_series(values)


def one(series: list[Series], text: str) -> Series:
    found = search_series(series, text)
    assert found, text
    return found[0]


# --- the real corpus ---------------------------------------------------------------------------


def test_external_residential_care_links_two_reports(series: list[Series]) -> None:
    s = one(series, "children and young people in external residential care")
    assert s.linked and set(s.sources) == {SUMMARY, IJB}
    assert [p.value for p in s.points] == [43, 32, 18]
    start, mid, end = s.points
    # The 2025 report restates the same starting figure: one point, cited by both reports.
    assert {v.source for v in start.citations} == {SUMMARY, IJB}
    assert [v.source for v in mid.citations] == [SUMMARY] and [v.source for v in end.citations] == [IJB]
    assert mid.citations[0].interval == "8 months"
    cite = Citation.from_span(end.citations[0], 2, used=end.citations[0].used)
    assert cite.marker == 2 and cite.text[cite.highlights[0][0]:cite.highlights[0][1]] == "18"
    assert {v.direction for v in s.values} == {"decrease"}
    assert set(s.organisations) == {"Dundee City Council", "Dundee Health and Social Care Integration Joint Board"}


def test_total_children_in_care_links_two_reports(series: list[Series]) -> None:
    s = one(series, "total number of care experienced children and young people")
    assert s.linked and set(s.sources) == {SUMMARY, IJB}
    assert [(p.value, p.period) for p in s.points] == [(442, "2021"), (429, "2023"), (386, "end of period")]
    assert {v.source for v in s.points[1].citations} == {SUMMARY, IJB}


def test_single_report_series_with_periods(series: list[Series], values: list[FigureValue]) -> None:
    lac = one(series, "Number of Looked After Children")
    assert not lac.linked
    assert [(p.value, p.period) for p in lac.points] == [(585, "2015"), (517, "July 2020")]
    # The label comes from the heading above "Reduced from 585 in 2015 to 517 in July 2020".
    assert lac.measure == "Number of Looked After Children"
    internal = one(series, "Foster Carer Placements Internal Foster Care")
    assert [(p.value, p.period) for p in internal.points] == [(109, "2022"), (84, "2023"), (89, "2024")]
    dest = one(series, "Positive destinations care experienced school leavers")
    assert [(p.value, p.period) for p in dest.points][:3] == [(71, "baseline 2019-20"), (100, "2020-21"), (83, "2021-22")]
    assert dest.linked and dest.points[-1].role == "target" and dest.points[-1].value == 93
    scqf = [v for v in values if v.measure.startswith("Care experienced pupils achieving SCQF Level 6")]
    assert [(v.value, v.period) for v in scqf] == [(32, "2020-21"), (52, "2021-22")]


def test_budget_by_service_area_adds_up(values: list[FigureValue]) -> None:
    budget = [v for v in values if v.measure.startswith("Provisional Revenue Budget: ")]
    assert {v.unit for v in budget} == {"£"} and {v.period for v in budget} == {"2021-2022"}
    areas = {v.measure.split(": ", 1)[1]: v.value for v in budget}
    assert areas["Nursery"] == 10_910_000 and len(areas) == 8
    total = areas.pop("Total")
    assert total == 175_540_000 == sum(areas.values())


def test_baseline_and_target_pairs(values: list[FigureValue]) -> None:
    two_year_olds = [v for v in values if "two year olds accessing funded Early Learning" in v.measure]
    assert [(v.value, v.unit, v.period, v.role) for v in two_year_olds] == [
        (21, "%", "baseline 2020-21", "baseline"), (27, "%", "2024 target", "target")]
    # A row whose header row was lost above a page break takes the headers of the table above it.
    asn = [v for v in values if v.measure.startswith("Increase the attendance rate of pupils with ASN")]
    assert [(v.value, v.role) for v in asn] == [(88.7, "baseline"), (92, "target")]
    exclusions = [v for v in values if "exclusion rate (exclusions per 1,000" in v.measure]
    assert {v.unit for v in exclusions} == {"per 1,000"}


def test_every_figure_is_a_verbatim_span(values: list[FigureValue], bot: Assistant) -> None:
    assert len(values) > 100
    texts: dict[str, str] = {}
    for v in values:
        text = texts.setdefault(v.source, bot.source_text(v.source))
        assert text[v.char_start:v.char_end] == v.text, v
        assert v.char_start <= v.value_start < v.value_end <= v.char_end, v
        parsed = parse_number(text[v.value_start:v.value_end])
        assert parsed is not None and parsed[0] == pytest.approx(v.value), v
        assert v.measure and v.organisation and v.published


def test_series_never_mix_places(series: list[Series]) -> None:
    assert sum(s.linked for s in series) >= 3
    for s in series:
        assert len({place_key(v.place, v.source) for v in s.values}) == 1, s.measure
        assert len({v.unit for v in s.values}) == 1, s.measure
        assert len({v.group for v in s.values}) == len(s.sources)  # one phrase or row per report
    dorset = [s for s in series if s.place == "dorset"]
    assert dorset and all(not s.linked for s in dorset)
    unnamed = [s for s in series if s.place.startswith("source:")]
    assert all(len(s.sources) == 1 for s in unnamed)


def test_search_series_ranks_the_measure_first(series: list[Series]) -> None:
    assert search_series(series, "external residential")[0].points[-1].value == 18
    assert search_series(series, "zzz nothing like this") == []
    assert search_series(series, "") == series


def test_cached_per_index_load(settings: Settings) -> None:
    b = Assistant(settings)
    assert b.figure_series() is b.figure_series() and views_for(b.index).values is b.views().values
    first = b.figure_series()
    b.reload()
    assert b.figure_series() is not first and [s.to_dict() for s in b.figure_series()] == [s.to_dict() for s in first]


# --- phrase parsing on hand-made text -------------------------------------------------------


def passage(text: str, section: str = "", org: str = "Testshire Council", published: str = "2024-06",
            source: str = "t.txt", start: int = 0, kind: str = "paragraph") -> Passage:
    return Passage(source=source, char_start=start, char_end=start + len(text), text=text, kind=kind, section=section,
                   organisation=org, published=published, title="Test report", id=f"{source}{start}")


def parsed(text: str, **kw: Any) -> list[tuple[str, float, str, str, str]]:
    return [(v.measure, v.value, v.unit, v.period, v.role) for v in extract_figures([passage(text, **kw)])]


@pytest.mark.parametrize("raw,expected", [
    ("43", (43, "count")), ("68%", (68, "%")), ("£10,910,000", (10_910_000, "£")), ("£7m", (7_000_000, "£")),
    ("£88K", (88_000, "£")), ("110 per 1,000", (110, "per 1,000")), ("0.44", (0.44, "count")), ("<4%", (4, "%")),
])
def test_parse_number(raw: str, expected: tuple[float, str]) -> None:
    assert parse_number(raw) == expected


def test_change_with_and_without_periods() -> None:
    assert parsed("In the last 8 months, the number of children in external residential care reduced from 43 to 32.") == [
        ("number of children in external residential care", 43, "count", "start of period", "from"),
        ("number of children in external residential care", 32, "count", "end of period", "to")]
    assert parsed("The total number of children requiring care reduced from 442 in 2021 to 429 in 2023.") == [
        ("total number of children requiring care", 442, "count", "2021", "from"),
        ("total number of children requiring care", 429, "count", "2023", "to")]
    assert parsed("Pupils with 1+SCQF Level 5 went up from 35% in 2020-21 to 56% in 2023-24.") == [
        ("Pupils with 1+SCQF Level 5", 35, "%", "2020-21", "from"), ("Pupils with 1+SCQF Level 5", 56, "%", "2023-24", "to")]
    # Capitals, a currency sign and a line break before "to" (sentences without "to <number>" are skipped early).
    assert [x[1] for x in parsed("Spending on agency staff ROSE FROM £3m\nTO £5m.")] == [3_000_000, 5_000_000]


def test_more_values_elided_clauses_and_shared_periods() -> None:
    assert [x[1:4] for x in parsed("Positive destinations increased from 71% in 2019-20 to 100% in 2020-21 and 83% in 2021-22")] == [
        (71, "%", "2019-20"), (100, "%", "2020-21"), (83, "%", "2021-22")]
    got = parsed("The number on the register reduced from 76 to 49 and the proportion with concerns from 50% to 39%")
    assert [x[0] for x in got] == ["number on the register"] * 2 + ["proportion with concerns"] * 2
    assert [x[1] for x in got] == [76, 49, 50, 39]
    got = parsed("Pupils achieving Level 5 or above increased from 70% to 76% and Level 6 or above from 32% to 52% "
                 "in 2020-21 and 2021-22")
    assert got == [("Pupils achieving Level 5 or above", 70, "%", "2020-21", "from"),
                   ("Pupils achieving Level 5 or above", 76, "%", "2021-22", "to"),
                   ("Pupils achieving Level 6 or above", 32, "%", "2020-21", "from"),
                   ("Pupils achieving Level 6 or above", 52, "%", "2021-22", "to")]


def test_noun_form_was_form_and_heading_labels() -> None:
    assert parsed("There was a reduction in children in external care from 43 to 18.") == [
        ("children in external care", 43, "count", "start of period", "from"),
        ("children in external care", 18, "count", "end of period", "to")]
    assert parsed("In January 2016, the number of children in care was 466 – it has risen to 502.") == [
        ("number of children in care", 466, "count", "January 2016", "from"),
        ("number of children in care", 502, "count", "end of period", "to")]
    assert parsed("Reduced from 585 in 2015 to 517 in July 2020", section="Our Journey > Number of Looked After Children") == [
        ("Number of Looked After Children", 585, "count", "2015", "from"),
        ("Number of Looked After Children", 517, "count", "July 2020", "to")]
    assert parsed("Reduced from 202 per 1,000 to 110 per 1,000", section="Data > School exclusions 2016-17 to 2018-19") == [
        ("School exclusions", 202, "per 1,000", "2016-17", "from"), ("School exclusions", 110, "per 1,000", "2018-19", "to")]
    # No measure anywhere: nothing is invented.
    assert parsed("It reduced from 5 to 4.") == []
    assert parsed("Only 1 young person has been admitted in the last 20 months.") == []


def test_value_offsets_point_at_the_number() -> None:
    text = "Intro sentence here. Assessments rated Good increased from 68% to 96%."
    out = extract_figures([passage(text, start=1000)])
    assert [text[v.value_start - 1000:v.value_end - 1000] for v in out] == ["68%", "96%"]
    assert {text[v.char_start - 1000:v.char_end - 1000] for v in out} == {"Assessments rated Good increased from 68% to 96%."}


def test_table_rows_by_year_and_with_lost_alignment() -> None:
    rows = [
        Passage(source="t.md", char_start=0, char_end=20, text="Internal\t109\t84\t89", kind="row",
                cells=[("Placements", "Internal"), ("2022", "109"), ("2023", "84"), ("2024", "89")],
                organisation="Testshire Council", published="2025", id="r1"),
        # A missing cell shifted the labels: "Baseline" sits over the label and "Target" over the baseline.
        Passage(source="t.md", char_start=30, char_end=60, text="% cared for at home\t89% (2019/20)", kind="row",
                cells=[("Baseline", "% cared for at home"), ("2024 Target", "89% (2019/20)")],
                organisation="Testshire Council", published="2025", id="r2"),
        Passage(source="t.md", char_start=70, char_end=90, text="junk", kind="row", cells=[("x",), "y"],  # type: ignore[list-item]
                organisation="Testshire Council", published="2025", id="r3"),
    ]
    out = extract_figures(rows)
    assert [(v.measure, v.value, v.period) for v in out] == [
        ("Placements: Internal", 109, "2022"), ("Placements: Internal", 84, "2023"), ("Placements: Internal", 89, "2024"),
        ("% cared for at home", 89, "baseline 2019-20")]


# --- linking on hand-made values ------------------------------------------------------------


def change(label: str, a: float, b: float, org: str, source: str, published: str, pa: str = "", pb: str = "",
           unit: str = "count") -> list[FigureValue]:
    text = f"{label} reduced from {a:g}{'%' if unit == '%' else ''} to {b:g}{'%' if unit == '%' else ''}"
    out = []
    for value, period, role in ((a, pa or "start of period", "from"), (b, pb or "end of period", "to")):
        out.append(FigureValue(measure=label, value=value, value_text=f"{value:g}", unit=unit, period=period, role=role,
                               source=source, char_start=0, char_end=len(text), text=text, organisation=org or None,
                               place=infer_place(org or None), published=published, group=f"{source}:0:0"))
    return out


def test_linking_rules() -> None:
    vals = (change("children in external residential care", 43, 32, "Dundee City Council", "a.txt", "2023")
            + change("number of children and young people in external residential care", 43, 18,
                     "Dundee Integration Joint Board", "b.txt", "2025-02")
            # Same words, another council: never joined.
            + change("children in external residential care", 43, 30, "Dorset County Council", "c.txt", "2024")
            # No named organisation: stays on its own.
            + change("children in external residential care", 43, 31, "", "d.txt", "2024")
            # Numbers in the label differ: not the same measure.
            + change("pupils with SCQF Level 4", 70, 75, "Dundee City Council", "e.txt", "2022", "2020-21", "2021-22", "%")
            + change("pupils with SCQF Level 5", 75, 80, "Dundee City Council", "f.txt", "2023", "2021-22", "2022-23", "%")
            # Same label, but they contradict each other for the same period.
            + change("attendance rate", 91, 93, "Dundee City Council", "g.txt", "2021", "2019-20", "2020-21", "%")
            + change("attendance rate", 88, 90, "Dundee City Council", "h.txt", "2022", "2019-20", "2021-22", "%"))
    got = build_series(vals)
    linked = [s for s in got if s.linked]
    assert len(linked) == 1
    s = linked[0]
    assert set(s.sources) == {"a.txt", "b.txt"} and [p.value for p in s.points] == [43, 32, 18]
    assert len(got) == len(vals) // 2 - 1


def test_measure_tokens_and_places() -> None:
    assert measure_tokens("Increase the percentage of pupils with SCQF Level 5 (CP, TP)") == (
        frozenset({"pupil", "scqf", "level"}), frozenset({"5"}))
    assert measure_tokens("Reduce the exclusion rate (exclusions per 1,000 pupils)")[1] == frozenset()
    assert infer_place("Dundee City Council") == infer_place("Dundee Health and Social Care Integration Joint Board")
    assert place_key(infer_place("Dorset County Council"), "x") == "dorset"
    assert place_key(infer_place("West Sussex County Council"), "x") == "west sussex"
    assert place_key(None, "x.txt") == "source:x.txt" != place_key("", "y.txt")
    assert period_key("2020/21") == period_key("2020-21") < period_key("2021") < period_key("July 2021")


# --- the CLI and the page on the real index ----------------------------------------------------


def invoke(settings: Settings, *args: str) -> Any:
    return CliRunner().invoke(figures_cmd, ["--corpus", str(settings.corpus), "--index", str(settings.index), *args])


def test_cli_json(settings: Settings) -> None:
    res = invoke(settings, "--search", "external residential care", "--json")
    assert res.exit_code == 0, res.output
    items = json.loads(res.stdout)
    first = items[0]
    assert first["linked"] and [p["value"] for p in first["points"]] == [43, 32, 18]
    cite = first["points"][2]["citations"][0]
    text = (Path(settings.corpus) / cite["source"]).read_text(encoding="utf-8")
    assert text[cite["char_start"]:cite["char_end"]] == cite["text"]
    assert text[cite["value_start"]:cite["value_end"]] == "18"


def test_cli_table_and_linked(settings: Settings) -> None:
    res = invoke(settings, "--linked")
    assert res.exit_code == 0, res.output
    assert "external residential care" in res.stdout and "2 reports" in res.stdout
    assert "(restated)" in res.stdout and "dundee-our-promise-2020-23-impact-summary.txt:" in res.stdout
    assert "series (" in res.stdout.strip().splitlines()[-1]
    res = invoke(settings, "--search", "zzz qqq")
    assert res.exit_code == 0 and "No figure series match" in res.stdout
    help_text = CliRunner().invoke(figures_cmd, ["--help"]).output
    assert "Examples:" in help_text and "assistant figures --search" in help_text


def test_cli_missing_index(settings: Settings, tmp_path: Path) -> None:
    # No index and no corpus to build one from: one line saying so (an index is built on first use otherwise).
    res = CliRunner().invoke(figures_cmd, ["--corpus", str(tmp_path / "nowhere"), "--index", str(tmp_path / "none")])
    assert res.exit_code == 1 and "does not exist" in res.output and "Traceback" not in res.output


def test_figures_page(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ASSISTANT_CORPUS", str(settings.corpus))
    monkeypatch.setenv("ASSISTANT_INDEX", str(settings.index))
    at = AppTest.from_file(str(ROOT / "app_pages" / "3_Figures.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    at.text_input(key="fg_search").input("external residential care").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["Value"]) == ["43", "43", "32", "18"]
    assert list(table["Restated"]) == ["", "yes", "", ""]
    # Selecting a cited value shows the sentence that holds it, the number marked in the report text.
    chosen = search_series(Assistant(settings).figure_series(), "external residential care")[0]
    at.session_state[f"fg_table_{chosen.id}"] = {"selection": {"rows": [2], "columns": []}}
    at.run()
    assert not at.exception, at.exception
    assert at.text[0].value == chosen.points[1].citations[0].text and "43 to 32" in at.text[0].value
    context = [h.proto.body for h in at.get("html") if "pa-passage" in h.proto.body and "<style>" not in h.proto.body]
    assert len(context) == 1 and '<mark class="pa-used">32</mark>' in context[0]
    at.checkbox(key="fg_linked").check().run()
    assert not at.exception
    options = at.selectbox(key="fg_pick").options
    assert options and all("2 reports" in o for o in options)
