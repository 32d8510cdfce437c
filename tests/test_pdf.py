"""The PDF reader (assistant/ingest/readers/pdf.py, on pypdfium2) on PDFs written here with fpdf2.

Every fixture is made up for these tests (no third-party text): a grants table whose cells
wrap, over two pages with its header repeated; figures with footnote marks; a two-column
page; running headers and footers; titles; right-aligned figures; and the files that cannot
be read (encrypted, scanned, cut short). No model is needed: these run in well under a second.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw

from assistant.core.errors import UnreadableDocument
from assistant.ingest.passages import split_document
from assistant.ingest.readers import extract_text
from assistant.ingest.readers.pdf import DAMAGED, ENCRYPTED, SCANNED, extract_pdf, read_pdf


def squash(text: str) -> str:
    return " ".join(text.split())


def page_texts(text: str, pages: list[int]) -> list[str]:
    ends = [*pages[1:], len(text) + 2]
    return [text[s:e - 2] for s, e in zip(pages, ends)]


# --- fixtures -----------------------------------------------------------------------------------

GRANTS = [
    ("Friends of Mossy Bank", ("Improvements to the footpath along the brook, new benches beside the pond "
                               "and planting of native hedging along the lane"), "£3,098.50"),
    ("Village Hall Committee", "A new boiler and radiators for the small meeting room", "£1,200.00"),
    ("Hilltop Allotment Society", "Water butts and a shared tool store for the plot holders", "£640.00"),
    ("Brook Lane Residents", "Bulbs for the verges", "£85.00"),
    ("Youth Football Club", ("Goal nets, corner flags and a first aid kit for the under twelves team, which "
                             "trains on the recreation ground every Saturday morning"), "£410.75"),
]
HEADER = "Organisation\tProject\tAmount Requested"


def grant_rows(count: int) -> list[tuple[str, str, str]]:
    rows = []
    for i in range(count):
        org, project, amount = GRANTS[i % len(GRANTS)]
        rows.append((org if i < len(GRANTS) else f"{org} (round {i // len(GRANTS) + 1})", project, amount))
    return rows


def grants_pdf(borders: str = "ALL", rows: int = 20) -> bytes:
    """A table whose first column ("Friends of" / "Mossy Bank") and second column wrap, and whose
    header "Amount Requested" wraps; long enough to run onto a second page, header repeated there."""
    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, "Community grant applications", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, "The committee considered the applications below and the amount each group asked for.")
    pdf.ln(4)
    with pdf.table(col_widths=(30, 118, 25), borders_layout=borders, repeat_headings=1, line_height=6,
                   padding=2, text_align=("LEFT", "LEFT", "RIGHT")) as table:
        for cells in [("Organisation", "Project", "Amount Requested"), *grant_rows(rows)]:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(6)
    pdf.multi_cell(0, 6, "All of the applications were approved.")
    return bytes(pdf.output())


def kpi_pdf() -> bytes:
    """A bulleted list of figures with superscript footnote marks, the notes, and a subscript."""
    pdf = FPDF()
    pdf.core_fonts_encoding = "windows-1252"  # for the bullet
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, "Performance this year", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 11)
    items = [("Indicators on target: 38", "1", " of 52"),
             ("Capital programme delivered: £2.4m", "2", " against a budget of £3.1m"),
             ("Library visits per resident: 4.7", "3", "")]
    for before, mark, after in items:
        pdf.write(6, "\u2022  " + before)
        pdf.char_vpos = "SUP"
        pdf.write(6, mark)
        pdf.char_vpos = "LINE"
        pdf.write(6, after)
        pdf.ln(7)
    pdf.ln(4)
    pdf.write(6, "Emissions from council buildings fell to 1,200 tonnes of CO")
    pdf.char_vpos = "SUB"
    pdf.write(6, "2")
    pdf.char_vpos = "LINE"
    pdf.write(6, ".")
    pdf.ln(12)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, "1 Measured at the end of March.\n2 Includes schemes carried forward.\n3 Counted at the door.")
    return bytes(pdf.output())


LEFT_COLUMN = [
    ("The parish council met four times this year and agreed a new plan for the recreation ground, "
     "including a bigger play area and a path that can be used in all weathers."),
    "Volunteers planted two hundred trees along the northern edge of the field during the winter.",
]
RIGHT_COLUMN = [
    ("The budget for next year keeps the precept at the same level while setting aside a reserve "
     "for repairs to the pavilion roof."),
    "A public meeting in the spring will ask residents which projects they want the council to take on next.",
]


def columns_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Parish News", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    top = pdf.get_y()
    for x, paragraphs in ((10, LEFT_COLUMN), (110, RIGHT_COLUMN)):
        pdf.set_xy(x, top)
        for paragraph in paragraphs:
            pdf.set_x(x)
            pdf.multi_cell(90, 5.5, paragraph, align="J")
            pdf.ln(4)
    return bytes(pdf.output())


class MeetingPDF(FPDF):
    """Every page has the meeting's name and date at the top and "Page n of N" at the bottom."""

    footer_style = "Page {n} of {{nb}}"

    def header(self) -> None:
        self.set_font("Helvetica", "", 9)
        self.cell(0, 8, "Parish Council Meeting - 12 March 2024", align="C")
        self.ln(12)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "", 9)
        self.cell(0, 8, self.footer_style.format(n=self.page_no()), align="R")


ITEMS = ["Reports from working groups", "Footpaths and rights of way", "Correspondence received"]


def meeting_pdf(footer_style: str = "Page {n} of {{nb}}") -> bytes:
    pdf = MeetingPDF()
    pdf.footer_style = footer_style
    pdf.alias_nb_pages()
    for n, item in enumerate(ITEMS, start=4):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(0, 8, f"Item {n}: {item}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, f"Members discussed item {n} and agreed to keep the matter under review. "
                             "A costed proposal will come to the next meeting of the council.")
    return bytes(pdf.output())


def titled_pdf(title: str | None) -> bytes:
    pdf = FPDF()
    if title is not None:
        pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, "To: All members of the council", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 22)
    pdf.multi_cell(120, 10, "Review of Play Areas and Open Spaces 2024")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, "This report sets out the condition of each play area and the repairs that are needed. "
                         "Swings, slides and fences were inspected by the grounds team in the spring.")
    return bytes(pdf.output())


def figures_pdf() -> bytes:
    """Right-aligned figures of different widths, one cell left empty."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "", 10)
    rows = [("Budget heading", "2023/24", "2024/25"), ("Playground repairs", "1,250", "980"),
            ("Grass cutting", "12,400", "13,050"), ("Christmas lights", "", "2,300"), ("Total", "13,650", "16,330")]
    with pdf.table(col_widths=(80, 35, 35), borders_layout="NONE", line_height=6,
                   text_align=("LEFT", "RIGHT", "RIGHT"), first_row_as_headings=False) as table:
        for cells in rows:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    return bytes(pdf.output())


def three_pages(compress: bool = True) -> bytes:
    pdf = FPDF()
    pdf.set_compression(compress)
    for n in ("first", "second", "third"):
        pdf.add_page()
        pdf.set_font("Helvetica", "", 12)
        pdf.multi_cell(0, 7, f"This is the {n} page of the report on the village green.")
    return bytes(pdf.output())


def scanned_pdf(tmp_path: Path) -> bytes:
    image = Image.new("RGB", (600, 200), "white")
    ImageDraw.Draw(image).text((20, 80), "Minutes of the meeting held in the village hall", fill="black")
    png = tmp_path / "scan.png"
    image.save(png)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(png), x=10, y=10, w=190)
    return bytes(pdf.output())


# --- tables -----------------------------------------------------------------------------------


@pytest.mark.parametrize("borders", ["ALL", "NONE"])
def test_table_rows_with_wrapped_cells_are_one_line_each_header_repeated(borders: str) -> None:
    got = extract_pdf("grants.pdf", grants_pdf(borders))
    lines = got.text.splitlines()
    assert len(got.pages) == 2
    # The wrapped header is one header cell, and the header is written again where the table goes on.
    first, second = page_texts(got.text, got.pages)
    assert first.splitlines().count(HEADER) == 1 and second.splitlines().count(HEADER) == 1
    # Each row is one line: the fragments of each cell joined, cells separated by tabs.
    assert ("Friends of Mossy Bank\tImprovements to the footpath along the brook, new benches beside the pond "
            "and planting of native hedging along the lane\t£3,098.50") in lines
    assert "Village Hall Committee\tA new boiler and radiators for the small meeting room\t£1,200.00" in lines
    rows = [ln for ln in lines if ln.count("\t") == 2 and ln != HEADER]
    assert len(rows) == 20
    assert [ln.split("\t")[0] for ln in rows] == [org for org, _, _ in grant_rows(20)]
    assert [ln.split("\t")[2] for ln in rows] == [amount for _, _, amount in grant_rows(20)]
    assert ("Youth Football Club\tGoal nets, corner flags and a first aid kit for the under twelves team, which "
            "trains on the recreation ground every Saturday morning\t£410.75") in lines
    # Prose around the table stays prose, the heading stands apart.
    assert got.text.startswith("Community grant applications\n\nThe committee considered the applications below")
    assert lines[-1] == "All of the applications were approved."
    assert all("\t" not in ln for ln in lines if "applications" in ln)


def test_table_rows_read_by_the_splitter_with_their_header() -> None:
    got = extract_pdf("grants.pdf", grants_pdf())
    passages = split_document(got.text, "grants.pdf")
    row = next(p for p in passages if p.text.startswith("Friends of Mossy Bank\t"))
    assert row.kind == "row"
    assert ("Amount Requested", "£3,098.50") in row.cells
    assert row.text == got.text[row.char_start:row.char_end]
    later = [p for p in passages if p.kind == "row" and p.text.startswith("Hilltop Allotment Society (round 4)")]
    assert later and ("Project", "Water butts and a shared tool store for the plot holders") in later[0].cells


def test_right_aligned_figures_keep_their_columns() -> None:
    lines = extract_pdf("budget.pdf", figures_pdf()).text.splitlines()
    assert lines == [
        "Budget heading\t2023/24\t2024/25",
        "Playground repairs\t1,250\t980",
        "Grass cutting\t12,400\t13,050",
        "Christmas lights\t\t2,300",
        "Total\t13,650\t16,330",
    ]


# --- marks, columns, furniture -------------------------------------------------------------------


def test_superscript_marks_do_not_merge_into_figures() -> None:
    text = extract_pdf("kpis.pdf", kpi_pdf()).text
    lines = text.splitlines()
    assert "• Indicators on target: 38¹ of 52" in lines
    assert "• Capital programme delivered: £2.4m² against a budget of £3.1m" in lines
    assert "• Library visits per resident: 4.7³" in lines
    assert "Emissions from council buildings fell to 1,200 tonnes of CO₂." in lines
    assert "381" not in text and "2.4m2" not in text
    assert "1 Measured at the end of March." in lines  # the notes themselves are ordinary text
    assert text.startswith("Performance this year\n\n• Indicators")


def test_two_column_page_reads_column_by_column() -> None:
    text = extract_pdf("news.pdf", columns_pdf()).text
    assert "\t" not in text
    blocks = [squash(b) for b in text.split("\n\n")]
    assert blocks == ["Parish News", *LEFT_COLUMN, *RIGHT_COLUMN]


@pytest.mark.parametrize("style", ["Page {n} of {{nb}}", "Page | {n}", "{n}"])
def test_running_header_and_footer_are_dropped(style: str) -> None:
    reading = read_pdf("meeting.pdf", meeting_pdf(style))
    got = reading.extracted
    assert "Parish Council Meeting" not in got.text
    assert not re.search(r"^(?:Page\b.*|\d+)$", got.text, re.MULTILINE)
    assert len(reading.furniture) == 6
    assert reading.furniture.count("Parish Council Meeting - 12 March 2024") == 3
    pages = page_texts(got.text, got.pages)
    for n, (page, item) in enumerate(zip(pages, ITEMS), start=4):
        # Numbered headings that differ from page to page are content, not furniture.
        assert page.startswith(f"Item {n}: {item}\n\nMembers discussed item {n} and agreed")


# --- title ---------------------------------------------------------------------------------------


def test_title_from_metadata_when_it_is_a_real_title() -> None:
    assert extract_pdf("a.pdf", titled_pdf("Annual Review of Play Areas")).title == "Annual Review of Play Areas"


@pytest.mark.parametrize("metadata", [None, "", "Microsoft Word - play_areas_v3.docx", "untitled", "20240312",
                                      "12 March 2024", "report.pdf"])
def test_title_from_the_largest_line_when_metadata_is_no_title(metadata: str | None) -> None:
    got = extract_pdf("b.pdf", titled_pdf(metadata))
    # The wrapped title is joined; the memo line above it is never the title.
    assert got.title == "Review of Play Areas and Open Spaces 2024"


def test_no_title_when_nothing_stands_out() -> None:
    assert extract_pdf("c.pdf", three_pages()).title == ""


# --- files that cannot be read, and damage -------------------------------------------------------


def encrypted_pdf(user_password: str) -> bytes:
    pdf = FPDF()
    pdf.set_encryption(owner_password="clerk-only", user_password=user_password)
    pdf.add_page()
    pdf.set_font("Helvetica", "", 12)
    pdf.multi_cell(0, 7, "Confidential minutes of the staffing committee.")
    return bytes(pdf.output())


def test_password_protected_pdf_is_reported() -> None:
    with pytest.raises(UnreadableDocument) as info:
        extract_text("locked.pdf", Path("locked.pdf"), encrypted_pdf("members"))
    assert info.value.reason == ENCRYPTED
    assert "password-protected" in ENCRYPTED and "unprotected copy" in ENCRYPTED


def test_owner_password_only_pdf_is_read() -> None:
    assert extract_pdf("restricted.pdf", encrypted_pdf("")).text == "Confidential minutes of the staffing committee."


def test_scanned_pdf_has_no_text_layer(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument) as info:
        extract_pdf("scan.pdf", scanned_pdf(tmp_path))
    assert info.value.reason == SCANNED
    assert "OCR" in SCANNED


@pytest.mark.parametrize("cut", [0.3, 0.7, 0.98])
def test_truncated_pdf_is_reported(cut: float) -> None:
    data = three_pages()
    with pytest.raises(UnreadableDocument) as info:
        extract_pdf("cut.pdf", data[: int(len(data) * cut)])
    assert info.value.reason == DAMAGED
    assert "download it again" in DAMAGED


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7\n%%EOF\n", b"<html>not a pdf</html>" * 20,
                                  b"%PDF-1.4\n" + bytes(range(256)) * 30 + b"\n%%EOF\n"])
def test_garbage_is_reported_as_damaged(data: bytes) -> None:
    with pytest.raises(UnreadableDocument) as info:
        extract_pdf("junk.pdf", data)
    assert info.value.reason == DAMAGED


def test_a_damaged_page_does_not_lose_the_others() -> None:
    data = three_pages(compress=False)
    streams = list(re.finditer(rb"stream\n(.*?)\nendstream", data, re.DOTALL))
    assert len(streams) == 3
    start, end = streams[1].span(1)
    broken = data[:start] + b"(\x00\xff" + b"\x9b" * (end - start - 3) + data[end:]  # same length: offsets hold
    got = extract_pdf("broken.pdf", broken)
    assert len(got.pages) == 3
    assert "first page" in got.text and "third page" in got.text
    assert "second page" not in got.text


def test_no_library_error_escapes() -> None:
    data = three_pages()
    for i in range(0, len(data), max(len(data) // 40, 1)):
        mangled = data[:i] + bytes(b ^ 0x5A for b in data[i:i + 64]) + data[i + 64:]
        try:
            got = extract_pdf("mangled.pdf", mangled)
        except UnreadableDocument as exc:
            assert exc.reason in (DAMAGED, SCANNED)
        else:
            assert isinstance(got.text, str)


def test_same_bytes_same_text() -> None:
    data = grants_pdf()
    assert extract_pdf("a.pdf", data) == extract_pdf("a.pdf", data)


def test_text_is_clean() -> None:
    for data in (grants_pdf(), kpi_pdf(), columns_pdf(), meeting_pdf()):
        text = extract_pdf("x.pdf", data).text
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\ufffd\ufffe]", text)
        assert "\n\n\n" not in text and not re.search(r" +$", text, re.MULTILINE)


def test_slide_titles_in_the_same_place_on_every_slide_are_kept() -> None:
    # Titles of a deck sit where a running header would, and several share their first words; they are
    # headings in a larger font than the body, not furniture. The slide numbers are.
    titles = ["Parks and open spaces: stable", "Parks and open spaces: improving", "Parks and open spaces: at risk",
              "Housing: ahead of target", "Libraries: under pressure", "Parks and open spaces: recovering"]
    pdf = FPDF(orientation="L")
    pdf.set_auto_page_break(False)
    for n, title in enumerate(titles, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 24)
        pdf.set_xy(15, 8)
        pdf.cell(0, 12, title)
        pdf.set_font("Helvetica", "", 16)
        pdf.set_xy(20, 40)
        pdf.multi_cell(250, 9, f"- Visits rose from {100 + n} to {120 + n} over the year.", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        pdf.text(270, 200, str(n))
    got = read_pdf("deck.pdf", bytes(pdf.output()))
    for title in titles:
        assert title in got.extracted.text
    assert sorted(got.furniture) == [str(n) for n in range(1, len(titles) + 1)]
