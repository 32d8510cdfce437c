"""Real-world layouts, reproduced in fixtures of our own writing (tests/data/layouts/), read and split.

Line-wrapped Markdown with front matter, recorded votes and a pipe table; an HTML page whose
content sits in collapsed accordions between navigation, a cookie banner and a feedback widget.
"""

from __future__ import annotations

from pathlib import Path

from assistant.ingest.metadata import infer
from assistant.ingest.passages import split_document
from assistant.ingest.readers import extract_text

LAYOUTS = Path(__file__).parent / "data" / "layouts"


def read(name: str) -> tuple[str, list]:
    path = LAYOUTS / name
    got = extract_text(name, path, path.read_bytes())
    passages = split_document(got.text, name)
    for p in passages:
        assert got.text[p.char_start:p.char_end] == p.text  # every passage is an exact span
    return got.text, passages


def containing(passages: list, words: str) -> list:
    return [p for p in passages if words in " ".join(p.text.split())]


def test_wrapped_markdown_is_read_in_sentences_without_its_front_matter() -> None:
    text, passages = read("wrapped-minutes.md")
    assert not containing(passages, "categories")  # front matter is metadata, never a passage
    surplus = containing(passages, "surplus of")
    # The sentence cut by blank lines after each wrapped line is one passage, figure and purpose included.
    assert len(surplus) == 1 and "£1,240 in the year" in surplus[0].text and "tool store" in surplus[0].text
    assert surplus[0].section == "5. Finance"


def test_recorded_votes_are_counts_with_their_names_not_headings() -> None:
    _, passages = read("wrapped-minutes.md")
    against = containing(passages, "Against (2)")
    count = [p for p in against if p.text.startswith("Against (2)")]
    assert len(count) == 1 and count[0].text.endswith("Cllr Foster, Cllr Grange")
    assert count[0].section == "6. Play area resurfacing"
    # The whole recorded vote is a passage too: the item voted on, the motion, every count and name.
    whole = [p for p in against if p.kind == "list"]
    assert len(whole) == 1 and whole[0].text.startswith("6. Play area resurfacing\n\nA motion to replace")
    assert whole[0].text.endswith("Cllr Hale") and "For (5)" in whole[0].text
    assert all("For (5)" not in p.section and "Against" not in p.section for p in passages)
    assert containing(passages, "Abstained (1)")[0].section == "6. Play area resurfacing"


def test_markdown_pipe_tables_are_rows_with_their_headers() -> None:
    _, passages = read("wrapped-minutes.md")
    rows = [p for p in passages if p.kind == "row"]
    assert [dict(p.cells) for p in rows] == [
        {"Organisation": "Eastbrook Scouts", "Purpose": "Camping equipment", "Amount": "£600"},
        {"Organisation": "Friends of Mill Pond", "Purpose": "Pond dipping platform repairs", "Amount": "£1,150"}]
    assert rows[0].text.startswith("Eastbrook Scouts") and rows[0].text.endswith("£600")


def test_wrapped_markdown_metadata_is_the_meetings() -> None:
    text, _ = read("wrapped-minutes.md")
    got = infer(text, file_stem="wrapped-minutes")
    assert got.title == "Eastbrook Parish Council Minutes March 2024"
    assert (got.published, got.sources["published"]) == ("2024-03-12", "the meeting line")
    assert got.organisation == "Eastbrook Parish Council" and got.place == "Eastbrook"


def test_html_accordion_panels_are_kept_with_their_headings_and_furniture_dropped() -> None:
    text, passages = read("fees.html")
    for gone in ("cookies", "Skip to main content", "Was this page helpful", "Town Hall", "Bins"):
        assert gone not in text
    allotments = containing(passages, "full allotment plot costs £48")
    assert len(allotments) == 1 and allotments[0].section.endswith("Allotments")
    permit = containing(passages, "Resident permit, first vehicle")
    assert permit[0].kind == "row" and dict(permit[0].cells) == {"Permit": "Resident permit, first vehicle",
                                                                 "Price": "£55"}
    assert permit[0].section.endswith("Parking permits")
    assert containing(passages, "garden waste collection costs £45")[0].section.endswith("Garden waste")


def test_html_metadata_from_the_page_itself() -> None:
    path = LAYOUTS / "fees.html"
    got = extract_text("fees.html", path, path.read_bytes())
    assert (got.title, got.publisher) == ("Fees and charges 2024/25", "Riverford Borough Council")
    meta = infer(got.text, got.title, "fees", got.publisher)
    assert (meta.organisation, meta.place, meta.sources["organisation"]) == (
        "Riverford Borough Council", "Riverford", "the file's publisher")
