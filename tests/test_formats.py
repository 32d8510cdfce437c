"""PDF, Word and HTML reading (assistant/ingest/readers/) with the real libraries, on real corpus text.

Fixtures are written in tmp_path: a three-page PDF (fpdf2) of the Dorset report, a Word
document (python-docx) of the Dundee annual update with its foster-care table, and an HTML
page of the Dundee impact summary wrapped in site navigation, scripts and forms. The last
test indexes them with the real model and checks answers cite the right file and page.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw

from assistant.api import Assistant
from assistant.core.errors import UnreadableDocument
from assistant.core.settings import Settings
from assistant.ingest.passages import split_document
from assistant.ingest.readers import extract_text
from assistant.ingest.readers.clean import clean_text

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DORSET = (CORPUS / "dorset-children-in-care-scrutiny-report-2016.md").read_text(encoding="utf-8")
DUNDEE_2025 = (CORPUS / "dundee-ijb-our-promise-2023-26-annual-update-2025.md").read_text(encoding="utf-8")
IMPACT = (CORPUS / "dundee-our-promise-2020-23-impact-summary.txt").read_text(encoding="utf-8")


# --- corpus text ------------------------------------------------------------------------------


def squash(text: str) -> str:
    return " ".join(text.split())


def md_plain(line: str) -> str:
    """A corpus line without markdown emphasis or heading marks."""
    return squash(re.sub(r"^#+\s*|\*\*", "", line.strip()))


def dorset_para(n: int) -> str:
    m = re.search(rf"^{n}\. .+$", DORSET, re.MULTILINE)
    assert m, f"paragraph {n} is not in the Dorset report"
    return m.group(0)


def corpus_line(text: str, starts: str) -> str:
    m = re.search(rf"^{re.escape(starts)}.*$", text, re.MULTILINE)
    assert m, f"no line starting {starts!r}"
    return m.group(0)


def latin1(text: str) -> str:
    """What the PDF core fonts can draw: typographic quotes and dashes as ASCII ('£' is Latin-1)."""
    table = {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "•": "-"}
    text = "".join(table.get(c, c) for c in text)
    return text.encode("latin-1", "replace").decode("latin-1")


DORSET_TITLE = md_plain(corpus_line(DORSET, "## **Report to Safeguarding"))
PDF_PAGES = [
    # (heading, paragraphs) per page
    (DORSET_TITLE, [dorset_para(1), dorset_para(2)]),
    ("Prevention", [dorset_para(3), dorset_para(4), dorset_para(5)]),
    ("Partnership Working", [dorset_para(8), dorset_para(9)]),
]
FOSTER_ROWS = [line.split("\t") for line in DUNDEE_2025.splitlines()
               if line.startswith(("Foster Carer Placements\t", "Internal Foster Care\t", "External Foster Care\t"))]


def extract(source: str, suffix: str, data: bytes) -> tuple[str, list[int]]:
    """The reader for `suffix`, as ingest calls it: (text, page offsets)."""
    got = extract_text(source, Path("report" + suffix), data)
    return got.text, got.pages


# --- fixture writers --------------------------------------------------------------------------


def make_pdf(pages=PDF_PAGES, table: list[list[str]] | None = None) -> bytes:
    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    for n, (heading, paras) in enumerate(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(0, 7, latin1(heading))
        pdf.ln(4)
        pdf.set_font("Helvetica", "", 11)
        for para in paras:
            pdf.multi_cell(0, 5.5, latin1(para), align="J")
            pdf.ln(3)
        if table and n == len(pages) - 1:
            with pdf.table(col_widths=(60, 20, 20, 20)) as t:
                for cells in table:
                    row = t.row()
                    for cell in cells:
                        row.cell(latin1(cell))
    return bytes(pdf.output())


def make_scanned_pdf(tmp_path: Path) -> bytes:
    """Two pages with no text layer: a picture of text, and a drawn box."""
    img = Image.new("RGB", (600, 200), "white")
    ImageDraw.Draw(img).text((20, 80), "The MASH Team have so far an average of 70 contacts per day", fill="black")
    png = tmp_path / "scan.png"
    img.save(png)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(png), x=10, y=10, w=190)
    pdf.add_page()
    pdf.rect(20, 20, 100, 50)
    return bytes(pdf.output())


def encrypt(data: bytes, user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


DOCX_INTRO = md_plain(corpus_line(DUNDEE_2025, "4.6.1 A similar range"))
DOCX_BULLETS = [md_plain(b[2:]) for b in DUNDEE_2025.split("4.6.1 A similar range", 1)[1].split("4.6.2", 1)[0].splitlines()
                if b.startswith("- ")]
DOCX_AFTER = md_plain(corpus_line(DUNDEE_2025, "4.6.2 In internal Foster Care"))
DIRECTION_HEAD = "Direction Required to Dundee City Council, NHS Tayside or Both"
DIRECTION_ROWS = [["", "1. No Direction Required", "X"], ["", "2. Dundee City Council", ""], ["", "3. NHS Tayside", ""]]


def make_docx() -> bytes:
    d = docx.Document()
    d.add_heading("Our Promise 2023-26 Annual Update", level=0)  # the Title style
    d.add_heading("4.6 Care", level=2)
    d.add_paragraph(DOCX_INTRO)
    for item in DOCX_BULLETS:
        d.add_paragraph(item, style="List Bullet")
    d.add_paragraph(DOCX_AFTER)
    table = d.add_table(rows=len(FOSTER_ROWS), cols=4)
    for r, cells in enumerate(FOSTER_ROWS):
        for c, value in enumerate(cells):
            table.cell(r, c).text = value
    d.add_heading("8.0 Directions", level=4)
    d.add_paragraph("Priorities over the next 12 months:")
    d.add_paragraph("Implementation of all Whole Family Wellbeing Funded initiatives", style="List Number")
    d.add_paragraph("A review of commissioned services", style="List Number")
    directions = d.add_table(rows=1 + len(DIRECTION_ROWS), cols=3)
    directions.cell(0, 0).text = DIRECTION_HEAD
    merged = directions.cell(0, 1).merge(directions.cell(0, 2))
    merged.text = "Direction to:"
    for r, cells in enumerate(DIRECTION_ROWS, start=1):
        for c, value in enumerate(cells):
            directions.cell(r, c).text = value
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


IMPACT_PEOPLE = corpus_line(IMPACT, "Our workforce development")
IMPACT_BULLETS = [b[2:] for b in IMPACT.split(IMPACT_PEOPLE, 1)[1].split("Family", 1)[0].splitlines() if b.startswith("- ")]
IMPACT_CARE = corpus_line(IMPACT, "The Council established a new Kinship Care Team")
IMPACT_COSTS = corpus_line(IMPACT, "Our data illustrated")  # "... constituting £13m or 33% of total costs."
DESTINATIONS = ["Positive destinations", "71%", "100%", "83%"]  # from "Positive destinations increased from 71% in 2019-20 ..."
NOISE = ["Skip to main content", "Council tax", "trackPageView", "color: #333", "Search this site",
         "Cookie settings", "Related pages", "You are here: Home", "Enable JavaScript"]


def make_html(charset_meta: str = '<meta charset="utf-8">', encoding: str = "utf-8") -> bytes:
    bullets = "".join(f"<li>{b}</li>" for b in IMPACT_BULLETS)
    page = f"""<!DOCTYPE html>
<html lang="en"><head>{charset_meta}<title>Our Promise impact summary | Dundee City Council</title>
<style>body {{ color: #333; }}</style>
<script>window.dataLayer = []; function trackPageView() {{ return 1; }}</script></head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header><div class="logo">Dundee City Council</div><form role="search"><input name="q"><button>Search this site</button></form></header>
<nav><ul><li><a href="/">Home</a></li><li><a href="/council-tax">Council tax</a></li></ul></nav>
<div role="navigation" class="breadcrumb">You are here: Home &gt; Children and families</div>
<main id="main">
<h1>Our Promise to Care Experienced Children, Young People and Care Leavers 2020-23</h1>
<h2>Background</h2>
<p>{IMPACT_COSTS.replace("£", "&pound;")}</p>
<h2>People</h2>
<p>{IMPACT_PEOPLE}</p>
<ul>{bullets}</ul>
<h2>Care</h2>
<p>{IMPACT_CARE}</p>
<table><caption>Positive destinations of care experienced school leavers</caption>
<thead><tr><th>Measure</th><th>2019-20</th><th>2020-21</th><th>2021-22</th></tr></thead>
<tbody><tr>{"".join(f"<td>{c}</td>" for c in DESTINATIONS)}</tr></tbody></table>
<noscript>Enable JavaScript to see the map.</noscript>
</main>
<aside><h2>Related pages</h2><p>Fostering and adoption</p></aside>
<footer><p>Cookie settings</p><svg><text>logo</text></svg></footer>
<script>trackPageView();</script>
</body></html>"""
    return page.encode(encoding)


# --- PDF --------------------------------------------------------------------------------------


def test_pdf_text_and_page_offsets() -> None:
    text, pages = extract("dorset.pdf", ".pdf", make_pdf())
    assert len(pages) == 3 and pages[0] == 0
    flat = squash(text)
    for heading, paras in PDF_PAGES:
        assert squash(latin1(heading)) in flat
        for para in paras:
            assert squash(latin1(para)) in flat
    # Each page starts where its offset says, with that page's heading, and nothing else comes before it.
    for n, (heading, paras) in enumerate(PDF_PAGES):
        start = pages[n]
        end = pages[n + 1] if n + 1 < len(pages) else len(text)
        page_text = text[start:end]
        assert squash(page_text).startswith(squash(latin1(heading))[:40])
        assert all(squash(latin1(p)) in squash(page_text) for p in paras)
        if n:
            assert text[start - 2:start] == "\n\n"


def test_pdf_layout_gives_the_splitter_headings_and_paragraphs() -> None:
    text, pages = extract("dorset.pdf", ".pdf", make_pdf())
    # A blank line after the heading and between paragraphs, none inside a paragraph.
    assert "\nPrevention\n\n3. The Family Focus" in text
    para4 = latin1(dorset_para(4))
    start = text.index("4. The MASH Team")
    block = text[start:text.index("\n\n", start)]
    assert squash(block) == squash(para4)
    passages = split_document(text, "dorset.pdf")
    mash = next(p for p in passages if "70 contacts per day" in p.text)
    assert mash.section.endswith("Prevention")
    assert mash.text == text[mash.char_start:mash.char_end]


def test_pdf_table_rows_become_tab_separated() -> None:
    text, _ = extract("dundee.pdf", ".pdf", make_pdf(pages=[("4.6 Care", [DOCX_AFTER])], table=FOSTER_ROWS))
    lines = text.splitlines()
    assert "Foster Carer Placements\t2022\t2023\t2024" in lines
    assert "Internal Foster Care\t109\t84\t89" in lines
    assert lines.index("Foster Carer Placements\t2022\t2023\t2024") < lines.index("Internal Foster Care\t109\t84\t89")
    # Justified prose keeps single spaces: no tabs outside the table.
    assert all("\t" not in ln for ln in lines if "Foster Care\t" not in ln and "Placements\t" not in ln)


def test_pdf_extraction_is_deterministic() -> None:
    data = make_pdf()
    assert extract("a.pdf", ".pdf", data) == extract("a.pdf", ".pdf", data)


def test_scanned_pdf_has_no_text_layer(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument, match="text layer") as info:
        extract("scan.pdf", ".pdf", make_scanned_pdf(tmp_path))
    assert info.value.source == "scan.pdf" and "OCR" in info.value.reason


def test_encrypted_pdf_is_reported() -> None:
    reason = r"is encrypted \(password-protected\); save an unprotected copy and add that"
    with pytest.raises(UnreadableDocument, match=reason):
        extract("locked.pdf", ".pdf", encrypt(make_pdf(), "secret"))


def test_pdf_encrypted_with_empty_password_opens() -> None:
    text, pages = extract("restricted.pdf", ".pdf", encrypt(make_pdf(), ""))
    assert len(pages) == 3 and "70 contacts per day" in squash(text)


@pytest.mark.parametrize("cut", [0.4, 0.9])
def test_truncated_pdf_is_reported(cut: float) -> None:
    data = make_pdf()
    with pytest.raises(UnreadableDocument, match=r"is damaged \(truncated or corrupt\): download it again"):
        extract("cut.pdf", ".pdf", data[: int(len(data) * cut)])


@pytest.mark.parametrize("data", [b"", b"not a pdf at all\n" * 50, b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"])
def test_garbage_pdf_is_reported(data: bytes) -> None:
    with pytest.raises(UnreadableDocument, match=r"is damaged \(truncated or corrupt\)"):
        extract("junk.pdf", ".pdf", data)


# --- DOCX -------------------------------------------------------------------------------------


def test_docx_blocks_in_body_order() -> None:
    text, pages = extract("dundee.docx", ".docx", make_docx())
    assert pages == []
    lines = text.split("\n")
    assert lines[0] == "# Our Promise 2023-26 Annual Update"
    assert "## 4.6 Care" in lines and "#### 8.0 Directions" in lines
    for item in DOCX_BULLETS:
        assert f"- {item}" in lines
    assert "- Implementation of all Whole Family Wellbeing Funded initiatives" in lines
    # Paragraph, list, paragraph, table in the order they were written, blank lines between blocks.
    order = [text.index(s) for s in (DOCX_INTRO, "- " + DOCX_BULLETS[0], DOCX_AFTER, "Foster Carer Placements\t")]
    assert order == sorted(order)
    assert f"{DOCX_INTRO}\n\n- {DOCX_BULLETS[0]}\n- {DOCX_BULLETS[1]}" in text
    assert f"{DOCX_AFTER}\n\nFoster Carer Placements\t" in text


def test_docx_table_rows_are_tab_separated_header_first() -> None:
    text, _ = extract("dundee.docx", ".docx", make_docx())
    expected = "\n".join("\t".join(r) for r in FOSTER_ROWS)
    assert expected in text
    assert text.index("Foster Carer Placements\t2022\t2023\t2024") < text.index("Internal Foster Care\t109\t84\t89")
    # The merged header cell comes out once, not once per column it spans.
    assert f"{DIRECTION_HEAD}\tDirection to:\n\t1. No Direction Required\tX\n" in text
    assert "Direction to:\tDirection to:" not in text
    # The splitter reads the rows with their column headers.
    passages = split_document(text, "dundee.docx")
    row = next(p for p in passages if p.text.startswith("Internal Foster Care"))
    assert row.kind == "row" and ("2024", "89") in row.cells


def test_docx_that_is_not_a_word_document(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument, match="is not a readable Word document"):
        extract("junk.docx", ".docx", bytes(range(256)) * 20)
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("notes.txt", "not a word document")
    with pytest.raises(UnreadableDocument, match="is not a readable Word document"):
        extract("zip.docx", ".docx", other_zip.getvalue())
    good = make_docx()
    with pytest.raises(UnreadableDocument, match="is not a readable Word document"):
        extract("cut.docx", ".docx", good[: len(good) // 2])


def test_empty_docx_has_no_text() -> None:
    out = io.BytesIO()
    docx.Document().save(out)
    with pytest.raises(UnreadableDocument, match="has no text"):
        extract("empty.docx", ".docx", out.getvalue())


# --- HTML -------------------------------------------------------------------------------------


def test_html_keeps_content_and_drops_noise() -> None:
    text, pages = extract("impact.html", ".html", make_html())
    assert pages == []
    lines = text.split("\n")
    assert lines[0] == "# Our Promise to Care Experienced Children, Young People and Care Leavers 2020-23"
    assert "## Background" in lines and "## People" in lines and "## Care" in lines
    assert IMPACT_PEOPLE in lines and IMPACT_CARE in lines and IMPACT_COSTS in lines
    assert "\n".join(f"- {b}" for b in IMPACT_BULLETS) in text
    for noise in NOISE:
        assert noise not in text
    assert "\n\n" in text and "\n\n\n" not in text


def test_html_table_rows_are_tab_separated_header_first() -> None:
    text, _ = extract("impact.html", ".html", make_html())
    assert "Measure\t2019-20\t2020-21\t2021-22\n" + "\t".join(DESTINATIONS) in text
    passages = split_document(text, "impact.html")
    row = next(p for p in passages if p.text.startswith("Positive destinations\t"))
    assert row.kind == "row" and ("2020-21", "100%") in row.cells
    assert row.section.endswith("Care > Positive destinations of care experienced school leavers")


def test_html_charset_from_meta_and_bom() -> None:
    latin = make_html('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">', "cp1252")
    latin = latin.replace(b"&pound;", "£".encode("cp1252"))
    assert b"\xa313m" in latin
    assert IMPACT_COSTS in extract("a.htm", ".htm", latin)[0]
    bom = b"\xef\xbb\xbf" + make_html("")
    assert extract("b.html", ".html", bom)[0].startswith("# Our Promise")
    broken = make_html().replace(b"increased from 68%", b"incr\xffeased from 68%")
    assert "incr\ufffdeased from 68%" in extract("c.html", ".html", broken)[0]


def test_html_with_only_noise_has_no_text() -> None:
    page = b"<html><head><script>var a = 1;</script></head><body><nav>Home</nav>\n \xc2\xa0 </body></html>"
    with pytest.raises(UnreadableDocument, match="has no text"):
        extract("blank.html", ".html", page)


def test_unsupported_suffix() -> None:
    with pytest.raises(UnreadableDocument, match=r"unsupported file type \.xlsx"):
        extract("budget.xlsx", ".xlsx", b"PK\x03\x04")


# --- end to end -------------------------------------------------------------------------------


@pytest.mark.slow
def test_ingest_and_cite_pdf_docx_html(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    files = {
        "dorset-scrutiny.pdf": make_pdf(),
        "dundee-update.docx": make_docx(),
        "impact-summary.html": make_html(),
    }
    for name, data in files.items():
        (corpus / name).write_bytes(data)
    shutil.copy(CORPUS / "children-in-care-programme-scrutiny-2023.txt", corpus)
    bad = make_pdf()
    (corpus / "broken.pdf").write_bytes(bad[: int(len(bad) * 0.4)])

    report = Assistant(Settings(corpus=corpus, index=tmp_path / "index")).ingest()
    assert [p.source for p in report.problems] == ["broken.pdf"]
    assert "truncated or corrupt" in report.problems[0].reason
    assert sorted(report.added) == sorted([*files, "children-in-care-programme-scrutiny-2023.txt"])

    bot = Assistant(Settings(corpus=corpus, index=tmp_path / "index"))
    extracted = {name: extract(name, Path(name).suffix, data) for name, data in files.items()}

    def cited(question: str, source: str):
        answer = bot.ask(question)
        assert not answer.abstained, answer.answer
        hits = [c for c in answer.citations if c.source == source]
        assert hits, f"{question!r} did not cite {source}: {[c.source for c in answer.citations]}"
        text, pages = extracted[source]
        for c in hits:
            assert c.text == text[c.char_start:c.char_end]
        return answer, hits

    answer, hits = cited("How many contacts per day does the MASH team receive?", "dorset-scrutiny.pdf")
    mash = next(c for c in hits if "70 contacts per day" in squash(c.text))
    assert mash.page == 2  # paragraph 4 is on the second page
    assert "70" in answer.answer
    text, pages = extracted["dorset-scrutiny.pdf"]
    assert pages[1] <= mash.char_start < pages[2]

    answer, hits = cited("How many cases were referred to the Family Focus team?", "dorset-scrutiny.pdf")
    assert any("26 cases have been referred" in squash(c.text) and c.page == 2 for c in hits)

    answer, hits = cited("What does the toxic trio consist of?", "dorset-scrutiny.pdf")
    assert any("toxic trio" in squash(c.text) and c.page == 3 for c in hits)
    assert all(c.page == 1 + sum(c.char_start >= p for p in pages[1:]) for c in hits)

    answer, hits = cited("How many children were in internal foster care in 2024?", "dundee-update.docx")
    assert any("Internal Foster Care" in c.text and "89" in c.text for c in hits)
    assert all(c.page is None for c in hits)

    answer, hits = cited("How many assessments were rated Good or better?", "impact-summary.html")
    assert any("68% to 96%" in c.text for c in hits)
    assert all(c.page is None for c in hits)

    # The document's own text, as the app shows it, is the text citations index into.
    assert bot.source_text("dorset-scrutiny.pdf") == extracted["dorset-scrutiny.pdf"][0]


def test_two_column_pdf_page_reads_column_by_column() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "", 10)
    pdf.set_xy(10, 20)
    pdf.multi_cell(90, 5, latin1(dorset_para(3)))
    pdf.set_xy(110, 20)
    pdf.multi_cell(90, 5, latin1(dorset_para(4)))
    text, pages = extract("columns.pdf", ".pdf", bytes(pdf.output()))
    flat = squash(text)
    # Side-by-side lines are not interleaved: each column's paragraph reads through.
    assert squash(latin1(dorset_para(3))) in flat and squash(latin1(dorset_para(4))) in flat
    assert "\t" not in text


def test_docx_numbering_content_controls_and_tab_aligned_lines() -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = docx.Document()
    d.add_paragraph("Priorities over the next 12 months therefore include:")
    item = d.add_paragraph("a review of commissioned services")
    num = OxmlElement("w:numPr")
    for tag, val in (("w:ilvl", "0"), ("w:numId", "1")):
        el = OxmlElement(tag)
        el.set(qn("w:val"), val)
        num.append(el)
    item._p.get_or_add_pPr().append(num)
    d.add_paragraph("Direction Required to:\tDundee City Council")
    d.add_paragraph("Direction to:\tNHS Tayside")
    d.add_paragraph("4.6\tCare")  # a tab after a paragraph number is spacing, not a column
    d.add_paragraph("4.6.1\tIn Kinship Care, a new team currently provides varying types of support.")
    d.add_paragraph("In Kinship Care:\tsupport to over 347 carers")  # a lone tabbed line is prose
    # A content control (w:sdt) wrapping a paragraph, as templates use for fill-in fields.
    wrapped = d.add_paragraph("Report author: Glyn Lloyd, Head of Service")
    sdt, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    wrapped._p.addprevious(sdt)
    content.append(wrapped._p)
    sdt.append(content)
    out = io.BytesIO()
    d.save(out)
    text, _ = extract("numbered.docx", ".docx", out.getvalue())
    assert text == (
        "Priorities over the next 12 months therefore include:\n\n"
        "- a review of commissioned services\n\n"
        "Direction Required to:\tDundee City Council\nDirection to:\tNHS Tayside\n\n"
        "4.6 Care\n\n"
        "4.6.1 In Kinship Care, a new team currently provides varying types of support.\n\n"
        "In Kinship Care: support to over 347 carers\n\n"
        "Report author: Glyn Lloyd, Head of Service"
    )


def test_html_nested_lists_layout_tables_and_article_headers() -> None:
    page = f"""<html><body><nav>Menu</nav>
<article><header><h1>Our Promise impact summary</h1><p>Published 2023</p></header>
<table class="layout"><tr><td><h2>Family</h2><p>{IMPACT_CARE}</p></td></tr></table>
<ol><li>{IMPACT_BULLETS[0]}<ul><li>{IMPACT_BULLETS[1]}</li></ul></li><li><p>{IMPACT_BULLETS[2]}</p></li></ol>
<div>Loose text in a div<br>on two lines</div>
</article></body></html>""".encode()
    text, _ = extract("article.html", ".html", page)
    assert text == (
        "# Our Promise impact summary\n\nPublished 2023\n\n## Family\n\n" + IMPACT_CARE + "\n\n"
        f"- {IMPACT_BULLETS[0]}\n  - {IMPACT_BULLETS[1]}\n- {IMPACT_BULLETS[2]}\n\n"
        "Loose text in a div\non two lines"
    )


def test_clean_text_spells_out_ligatures_and_drops_invisible_characters() -> None:
    assert clean_text("ﬁnancial\u00a0eﬀect\u00ad\u200b\r\nnext\x00") == "financial effect\nnext"


def test_pdf_paragraph_numbers_set_apart_by_a_tab_stop_stay_with_their_text() -> None:
    para = md_plain(corpus_line(DUNDEE_2025, "4.3.1 In relation to the workforce"))
    number, body = para.split(" ", 1)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "", 11)
    for n, b in ((number, body), ("4.3.2", md_plain(corpus_line(DUNDEE_2025, "- 4.3.2 To evaluate")[2:]).split(" ", 1)[1])):
        pdf.cell(20, 5.5, n)
        pdf.multi_cell(0, 5.5, latin1(b))
        pdf.ln(3)
    text, _ = extract("numbered.pdf", ".pdf", bytes(pdf.output()))
    assert "\t" not in text
    assert text.startswith(f"{number} {body[:40]}")
    assert "\n\n4.3.2 To evaluate and help further improve practice" in text
    items = [p for p in split_document(text, "numbered.pdf") if p.text.startswith(("4.3.1 ", "4.3.2 "))]
    assert len(items) >= 2


def test_damaged_but_readable_pdf_is_read_without_log_noise(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    data = make_pdf()
    cut = data.rindex(b"startxref")
    wrong = re.sub(rb"startxref\s+(\d+)", lambda m: b"startxref\n%d" % (int(m.group(1)) + 7), data[cut:])
    damaged = data[:cut] + wrong
    assert damaged != data
    with caplog.at_level(logging.WARNING):
        text, pages = extract("damaged.pdf", ".pdf", damaged)
    assert len(pages) == 3 and "70 contacts per day" in squash(text)
    assert (text, pages) == extract("dorset.pdf", ".pdf", data)
    assert not caplog.records
