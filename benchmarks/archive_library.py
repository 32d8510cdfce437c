"""A council's archive, made up: documents of our own writing in the formats councils publish.

`make_library(folder, n)` writes `n` documents (about 35% PDF, of which a quarter are slide decks,
20% Word, 20% HTML, 25% text and Markdown): committee reports with performance tables, action
plans and "We will" statements; minutes with resolutions and recorded votes; budgets; slide
decks. Places, names and figures come from a seeded random generator, so the same `n` always
gives the same library; none of it is anyone else's text. Three unreadable PDFs are added (a scan
without a text layer, an encrypted file and a truncated one) which an ingest must name and skip.
The multi-council development documents (devset/*/docs, git-ignored) are copied in as seeds
when they have been built.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_FOLDERS = [ROOT / "devset/councils/docs", ROOT / "devset/plans/docs"]

SYLLABLES = "ash brook dale ford ham ley mere ton wick by thorpe stow bury well field holme".split()
FIRSTS = "Alys Bryn Cara Dafydd Eira Fenn Gwen Huw Iona Jory Kit Lowri Morag Nye Osian Pip Rhian Tam".split()
LASTS = "Ashdown Brackley Corran Dunmore Elkin Farrow Garside Hartley Ingram Jessop Kellett Lomax Marsh".split()
TOPICS = ["housing", "libraries", "parks and open spaces", "highways", "waste and recycling", "adult social care",
          "children's services", "leisure centres", "planning", "community safety", "public health", "school places",
          "street lighting", "allotments", "cemeteries", "youth services", "economic development", "flood defences"]
MEASURES = ["households in temporary accommodation", "library visits", "missed bin collections",
            "potholes repaired within 28 days", "planning applications decided on time", "children in care",
            "care leavers in education, employment or training", "residents satisfied with parks",
            "recycling rate (%)", "anti-social behaviour reports", "affordable homes completed",
            "delayed transfers of care", "school pupils eating a hot lunch", "empty homes brought back into use",
            "volunteer hours", "average days to re-let council homes", "street lights converted to LED",
            "complaints answered within 10 days (%)"]
ROLES = ["Head of Housing", "Service Manager", "Director of Place", "Parks Officer", "Clerk to the Council",
         "Finance Manager", "Head of Children's Services", "Community Safety Lead", "Highways Engineer"]
VERBS = ["review", "extend", "consult on", "introduce", "publish", "reduce", "improve", "replace", "deliver"]
ADJ = ["improved", "stable", "under pressure", "ahead of target", "behind target", "recovering"]


class Writer:
    """Seeded content: every call draws from one random generator."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.place = "".join(self.r.sample(SYLLABLES, 2)).capitalize()
        self.body = self.r.choice(["Town Council", "Parish Council", "District Council", "Borough Council",
                                   "County Council", "Community Council"])
        self.year = self.r.randint(2012, 2025)

    @property
    def org(self) -> str:
        return f"{self.place} {self.body}"

    def person(self) -> str:
        return f"{self.r.choice(FIRSTS)} {self.r.choice(LASTS)}"

    def date(self) -> str:
        months = "January February March April May June July September October November December".split()
        return f"{self.r.randint(1, 28)} {self.r.choice(months)} {self.year}"

    def period(self, back: int) -> str:
        y = self.year - back
        return f"{y - 1}/{str(y)[2:]}"

    def figure(self, measure: str) -> int | float:
        return round(self.r.uniform(20, 99), 1) if "%" in measure else self.r.randint(3, 4000)

    def sentence(self) -> str:
        topic, measure = self.r.choice(TOPICS), self.r.choice(MEASURES)
        a, b = self.figure(measure), self.figure(measure)
        return self.r.choice([
            f"The number of {measure} {'increased' if b > a else 'fell'} from {a} to {b} over the year.",
            f"Performance on {topic} is {self.r.choice(ADJ)}, with {a} {measure} reported in {self.period(0)}.",
            f"Members asked officers to {self.r.choice(VERBS)} the {topic} arrangements before {self.year + 1}.",
            f"The {topic} budget for {self.period(0)} is £{self.r.randint(10, 900)},{self.r.randint(100, 999)}.",
            f"Residents raised concerns about {topic}; officers will report back to the next meeting.",
            f"We will {self.r.choice(VERBS)} the {topic} service by {self.r.choice(['March', 'June', 'December'])} "
            f"{self.year + 1}.",
            f"Consultation on {topic} closed on {self.date()} with {self.r.randint(12, 900)} responses.",
        ])

    def paragraph(self, n: int | None = None) -> str:
        return " ".join(self.sentence() for _ in range(n or self.r.randint(1, 4)))

    def performance_table(self) -> list[list[str]]:
        head = ["Measure", self.period(2), self.period(1), self.period(0), "Target"]
        rows = [head]
        for m in self.r.sample(MEASURES, self.r.randint(2, 5)):
            rows.append([m.capitalize()] + [str(self.figure(m)) for _ in range(4)])
        return rows

    def action_table(self) -> list[list[str]]:
        rows = [["Action", "Lead", "Due date", "How impact is measured"]]
        for _ in range(self.r.randint(2, 4)):
            topic = self.r.choice(TOPICS)
            rows.append([f"{self.r.choice(VERBS).capitalize()} the {topic} plan", self.r.choice(ROLES),
                         f"{self.r.choice(['March', 'June', 'September', 'December'])} {self.year + 1}",
                         f"Fewer {self.r.choice(MEASURES)}"])
        return rows

    def sections(self) -> list[tuple[str, list[object]]]:
        """(heading, blocks) of a document: a block is a paragraph (str), a bullet list (tuple) or a table (list)."""
        kind = self.r.choice(["report", "report", "minutes", "budget"])
        if kind == "minutes":
            out: list[tuple[str, list[object]]] = [("Present", [", ".join(self.person() for _ in range(5))])]
            for n in range(1, self.r.randint(3, 6)):
                blocks: list[object] = [self.paragraph()]
                if self.r.random() < 0.4:
                    blocks.append(f"RESOLVED: that the Council {self.r.choice(VERBS)} the {self.r.choice(TOPICS)} "
                                  f"proposal. For ({self.r.randint(5, 12)}) Against ({self.r.randint(0, 4)})")
                out.append((f"{n}. {self.r.choice(TOPICS).capitalize()}", blocks))
            return out
        if kind == "budget":
            rows = [["Budget line", self.period(1), self.period(0), "Variance"]]
            for t in self.r.sample(TOPICS, self.r.randint(3, 7)):
                a, b = self.r.randint(1000, 90000), self.r.randint(1000, 90000)
                rows.append([t.capitalize(), f"£{a:,}", f"£{b:,}", f"£{b - a:,}"])
            return [("1. Summary", [self.paragraph()]), ("2. Budget", [rows]),
                    ("3. Variances explained by:", [tuple(self.sentence() for _ in range(3))])]
        out = [("1. Purpose of the report", [self.paragraph(2)])]
        if self.r.random() < 0.5:
            out.append(("2. Performance", [self.paragraph(1), self.performance_table()]))
        if self.r.random() < 0.4:
            out.append(("3. Action plan", [self.action_table()]))
        out.append(("4. Recommendations", [tuple(self.sentence() for _ in range(self.r.randint(1, 3)))]))
        return out

    def title(self) -> str:
        return f"{self.r.choice(TOPICS).capitalize()} {self.r.choice(['report', 'update', 'review', 'minutes'])}"


def as_text(w: Writer, title: str, sections: list, markdown: bool) -> str:
    lines = [f"# {title}" if markdown else title, "", f"{w.org}", f"Date: {w.date()}", ""]
    for head, blocks in sections:
        lines += [f"## {head}" if markdown else head, ""]
        for b in blocks:
            if isinstance(b, str):
                lines += [b, ""]
            elif isinstance(b, tuple):
                lines += [f"- {item}" for item in b] + [""]
            else:
                if markdown:
                    lines += ["| " + " | ".join(b[0]) + " |", "|" + "---|" * len(b[0])]
                    lines += ["| " + " | ".join(row) + " |" for row in b[1:]]
                else:
                    lines += ["\t".join(row) for row in b]
                lines.append("")
    return "\n".join(lines)


def as_html(w: Writer, title: str, sections: list) -> str:
    from html import escape as e

    out = [f"<html><head><title>{e(title)}</title></head><body><nav>Home | Meetings | Contact</nav>",
           f"<h1>{e(title)}</h1><p>{e(w.org)}</p><p>Date: {e(w.date())}</p>"]
    for head, blocks in sections:
        out.append(f"<h2>{e(head)}</h2>")
        for b in blocks:
            if isinstance(b, str):
                out.append(f"<p>{e(b)}</p>")
            elif isinstance(b, tuple):
                out.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b) + "</ul>")
            else:
                rows = [f"<tr>{''.join(f'<th>{e(c)}</th>' for c in b[0])}</tr>"]
                rows += [f"<tr>{''.join(f'<td>{e(c)}</td>' for c in row)}</tr>" for row in b[1:]]
                out.append("<table>" + "".join(rows) + "</table>")
    return "".join(out) + "<script>var x = 1;</script></body></html>"


def as_docx(w: Writer, title: str, sections: list, path: Path) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = title
    d.add_heading(title, 0)
    d.add_paragraph(w.org)
    d.add_paragraph(f"Date: {w.date()}")
    for head, blocks in sections:
        d.add_heading(head, 1)
        for b in blocks:
            if isinstance(b, str):
                d.add_paragraph(b)
            elif isinstance(b, tuple):
                for item in b:
                    d.add_paragraph(item, style="List Bullet")
            else:
                t = d.add_table(rows=len(b), cols=len(b[0]))
                for i, row in enumerate(b):
                    for j, cell in enumerate(row):
                        t.cell(i, j).text = cell
    d.save(str(path))


def _latin(text: str) -> str:
    return text.replace("£", "GBP ").encode("latin-1", "replace").decode("latin-1")


def as_pdf(w: Writer, title: str, sections: list, path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, _latin(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 6, _latin(f"{w.org}\nDate: {w.date()}"), new_x="LMARGIN", new_y="NEXT")
    for head, blocks in sections:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 7, _latin(head), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for b in blocks:
            if isinstance(b, str):
                pdf.multi_cell(0, 5, _latin(b), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
            elif isinstance(b, tuple):
                for item in b:
                    pdf.multi_cell(0, 5, _latin(f"- {item}"), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
            else:
                with pdf.table(text_align="LEFT", line_height=5) as table:
                    for row in b:
                        r = table.row()
                        for cell in row:
                            r.cell(_latin(cell))
                pdf.ln(2)
    pdf.output(str(path))


def as_slides(w: Writer, title: str, path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(orientation="L")
    pdf.set_title(title)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_fill_color(20, 60, 110)
    pdf.rect(0, 0, 297, 210, "F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 32)
    pdf.set_xy(20, 80)
    pdf.multi_cell(250, 14, _latin(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 18)
    pdf.set_x(20)
    pdf.multi_cell(250, 10, _latin(f"{w.org} - {w.date()}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    for n in range(w.r.randint(3, 7)):
        pdf.add_page()
        pdf.set_fill_color(230, 236, 245)
        pdf.rect(0, 0, 297, 28, "F")
        pdf.set_font("Helvetica", "B", 24)
        pdf.set_xy(15, 8)
        pdf.cell(0, 12, _latin(f"{w.r.choice(TOPICS).capitalize()}: {w.r.choice(ADJ)}"))
        pdf.set_font("Helvetica", "", 16)
        pdf.set_xy(20, 40)
        for _ in range(w.r.randint(2, 4)):
            pdf.set_x(20)
            pdf.multi_cell(250, 9, _latin(f"- {w.sentence()}"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        for k in range(w.r.randint(0, 6)):  # a chart drawn as shapes, as slide decks carry them
            pdf.set_fill_color(40 + 30 * k, 120, 180)
            pdf.rect(200 + 12 * k, 190 - 8 * (k + 2), 9, 8 * (k + 2), "F")
        pdf.set_font("Helvetica", "", 9)
        pdf.text(270, 200, str(n + 2))
    pdf.output(str(path))


def bad_pdfs(folder: Path) -> None:
    """A scan (shapes, no text layer), an encrypted PDF and a truncated one."""
    from fpdf import FPDF

    scan = FPDF()
    scan.add_page()
    for k in range(40):
        scan.rect(10 + (k % 8) * 24, 20 + (k // 8) * 50, 20, 40, "F")
    scan.output(str(folder / "zz-scanned-minutes.pdf"))
    locked = FPDF()
    locked.set_encryption(owner_password="owner", user_password="secret")
    locked.add_page()
    locked.set_font("Helvetica", "", 12)
    locked.cell(0, 10, "Confidential appendix")
    locked.output(str(folder / "zz-encrypted-appendix.pdf"))
    whole = folder / "zz-truncated-report.pdf"
    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", "", 12)
    doc.multi_cell(0, 6, "A report cut short in the download. " * 40, new_x="LMARGIN", new_y="NEXT")
    data = bytes(doc.output())
    whole.write_bytes(data[: len(data) // 2])


def make_document(folder: Path, i: int) -> Path:
    w = Writer(i)
    title = w.title()
    kind = i % 20  # the mix: 7 PDF (2 of them slides), 4 Word, 4 HTML, 5 text/Markdown in every 20
    stem = f"{w.place.lower()}-{title.lower().replace(' ', '-').replace(chr(39), '')}-{i:05d}"
    if kind in (0, 10):
        path = folder / f"{stem}-slides.pdf"
        as_slides(w, title, path)
    elif kind < 7:
        path = folder / f"{stem}.pdf"
        as_pdf(w, title, w.sections(), path)
    elif kind < 11 and kind != 10:
        path = folder / f"{stem}.docx"
        as_docx(w, title, w.sections(), path)
    elif kind < 15:
        path = folder / f"{stem}.html"
        path.write_text(as_html(w, title, w.sections()), encoding="utf-8")
    else:
        markdown = kind % 2 == 0
        path = folder / f"{stem}.{'md' if markdown else 'txt'}"
        path.write_text(as_text(w, title, w.sections(), markdown), encoding="utf-8")
    return path


def make_library(folder: Path, n: int, seeds: bool = True) -> list[Path]:
    """`n` documents in `folder` (made once; an existing complete library is kept): the seeds, our
    generated documents and three unreadable PDFs."""
    stamp = folder / ".complete"
    if stamp.exists() and stamp.read_text() == str(n):
        return sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    copied = 0
    if seeds:
        for seed_folder in SEED_FOLDERS:
            for p in sorted(seed_folder.glob("*")) if seed_folder.is_dir() else []:
                shutil.copy(p, folder / p.name)
                copied += 1
    bad_pdfs(folder)
    for i in range(max(0, n - copied - 3)):
        make_document(folder, i)
    stamp.write_text(str(n))
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))
