"""Titles, organisations, places and dates read from reports' own text (fixtures of our own writing)."""

from __future__ import annotations

import pytest

from assistant.ingest.metadata import bodies_in, infer, infer_date, infer_organisation, infer_place, infer_title, parse_date

MEMO = """From: Councillor Jo Reyes, Cabinet Member for Housing
To: All Members
Date: 14 June 2024
Item No 7

Subject: Temporary accommodation costs, first quarter

1. The Riverford Borough Council spent £1.2m on temporary accommodation in the first quarter.
Neighbouring Westmarsh County Council reported a similar rise.
"""

MINUTES = """HOLLOWAY-ON-SEA TOWN COUNCIL

Minutes of the Ordinary Meeting held on Wednesday 2 December 2020 at 7.00 pm

Present: Cllr A Brook (Chair), Cllr B Fenn

3. To approve the minutes of the meeting held on 11 November 2020. Approved.
4. Kent County Council has repaired the bus shelter; Budget County Council meeting dates were noted.
"""

MENTIONS_ONLY = """Summer events programme

The programme will run from June to August. Birmingham City Council is responsible for grass cutting,
and Birmingham City Council will be asked to close the road. Birmingham City Council agreed in March.
"""


def test_a_memo_header_is_never_the_title() -> None:
    title, where = infer_title(MEMO)
    assert title == "Temporary accommodation costs, first quarter" and where == "the subject line"
    assert infer_date(MEMO) == ("2024-06-14", "the date line")


def test_the_issuer_is_the_letterhead_not_a_body_mentioned_later() -> None:
    assert infer_organisation(MINUTES) == ("Holloway-on-Sea Town Council", "the letterhead")
    # Bodies merely mentioned (however often) are not the issuer: better no organisation than a wrong one.
    assert infer_organisation(MENTIONS_ONLY) == (None, "")
    # Councils named in a memo's sentences are what it is about: its opening lines name no issuer.
    assert infer(MEMO).organisation is None


def test_the_meeting_date_not_the_previous_meeting_it_confirms() -> None:
    assert infer_date(MINUTES) == ("2020-12-02", "the meeting line")
    later = "MINUTES OF THE MEETING HELD AT THE VILLAGE HALL AT 7.30 pm ON THURSDAY 08 NOVEMBER 2018\n\nMinutes of the " \
            "meeting held on 11 October 2018 were approved."
    assert infer_date(later)[0] == "2018-11-08"


@pytest.mark.parametrize("text, date", [
    ("Meeting on Wednesday, March 23, 2016", "2016-03-23"),
    ("Tuesday 13th March 2018", "2018-03-13"),
    ("held 7/5/2024", "2024-05-07"),
    ("2025-02-19", "2025-02-19"),
    ("no date at all, just 2024", ""),
])
def test_dates_as_reports_write_them(text: str, date: str) -> None:
    assert parse_date(text) == date


@pytest.mark.parametrize("text, name", [
    ("Report of the London Borough of Camden", "London Borough of Camden"),
    ("City of Edinburgh Council budget", "City of Edinburgh Council"),
    ("BURTON-CUM-WALDEN PARISH COUNCIL", "Burton-cum-Walden Parish Council"),
    ("Issued by Stoke-on-Trent City Council", "Stoke-on-Trent City Council"),
    ("Fife Council housing plan", "Fife Council"),
    ("Dundee Health and Social Care Integration Joint Board", "Dundee Health and Social Care Integration Joint Board"),
    ("NHS Tayside annual report", "NHS Tayside"),
    ("West Yorkshire Combined Authority", "West Yorkshire Combined Authority"),
    ("The Highland Council", "Highland Council"),
    ("City of Winnipeg", "City of Winnipeg"),
])
def test_a_general_grammar_of_public_bodies(text: str, name: str) -> None:
    assert [n for _, n in bodies_in(text, any_case=True)] == [name]


@pytest.mark.parametrize("words", ["March County Council", "Budget County Council", "The Council", "Town Council"])
def test_words_that_only_look_like_a_body(words: str) -> None:
    assert bodies_in(words) == []


@pytest.mark.parametrize("organisation, place", [
    ("West Sussex County Council", "West Sussex"),
    ("London Borough of Camden", "Camden"),
    ("City of Edinburgh Council", "Edinburgh"),
    ("Royal Sutton Coldfield Town Council", "Sutton Coldfield"),
    ("NHS Tayside", "Tayside"),
    ("Dundee Health and Social Care Integration Joint Board", "Dundee"),
    (None, None),
])
def test_places_come_from_the_whole_name(organisation: str | None, place: str | None) -> None:
    assert infer_place(organisation) == place


def test_front_matter_titles_a_page_and_the_meeting_date_wins_over_its_posting_date() -> None:
    text = ('---\ntitle: "Harbour Committee Minutes May 2024"\ndate: "2024-07-30"\n---\n\n'
            "MINUTES OF THE HARBOUR COMMITTEE MEETING HELD ON TUESDAY 14 MAY 2024\n")
    got = infer(text)
    assert got.title == "Harbour Committee Minutes May 2024" and got.sources["title"] == "the file's front matter"
    assert (got.published, got.sources["published"]) == ("2024-05-14", "the meeting line")
    assert got.kind == "minutes"


def test_a_file_name_is_the_last_resort() -> None:
    got = infer("12\n\n34\n", file_stem="annual-budget-2023")
    assert (got.title, got.published, got.organisation) == ("Annual budget 2023", "2023", None)


def test_a_title_property_left_by_the_authoring_software_is_not_the_title() -> None:
    assert infer_title("Parking Review 2031\n\nThe review found...", "Word Document") == ("Parking Review 2031", "the first line")
    assert infer_title("body", "Microsoft Word - Grounds maintenance update.docx")[0] == "Grounds maintenance update"


def test_a_title_property_naming_only_the_council_gives_way_to_the_report_title() -> None:
    text = "NORTHBROOK PARISH COUNCIL\nAllotment Rents Review\n\nThe rents were last set in 2019."
    assert infer_title(text, "Northbrook Parish Council") == ("Allotment Rents Review", "the first line")
    assert infer_title("NORTHBROOK PARISH COUNCIL\n", "Northbrook Parish Council")[0] == "Northbrook Parish Council"


def test_an_opening_sentence_is_not_a_title() -> None:
    text = ("Councils are required by the transparency rules to publish every contract and purchase order and every other "
            "agreement or framework or grant worth\nmore than a set amount, each year, in one place.\n\nSupplier\tValue\n")
    assert infer(text, file_stem="contracts-register-2031").title == "Contracts register 2031"
