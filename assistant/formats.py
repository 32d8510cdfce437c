"""Text of PDF, Word and HTML reports, laid out the way the passage splitter reads it.

    text, pages = extract(source, ".pdf", data)

`text` is what every citation of the document indexes into (char offsets), so the same
bytes always give the same text. `pages[n - 1]` is the offset where page n starts (PDF
only; an empty list for unpaged formats).

The splitter (passages.py) finds structure in plain text, so each reader writes it out
in that form: blank lines between blocks, markdown `#` headings, `- ` list items, and
tables as one tab-separated line per row with the header row first.

* PDF (pypdf): each page's text is laid out from the positions of its text runs, so
  paragraphs and headings (a change of font size or a wider gap) are separated by blank
  lines and table cells by tabs. Whenever that layout disagrees with pypdf's plain
  extraction (missing or glued words, two-column pages) the plain text is used for the
  page instead. Pages are joined with a blank line.
* Word (python-docx): body paragraphs and tables in document order; heading styles
  become `#` lines, list paragraphs `- ` lines, tables tab-separated rows.
* HTML (BeautifulSoup): navigation, scripts, forms and page furniture are dropped;
  headings, paragraphs, list items and table rows are kept.

Every failure is an `UnreadableDocument` that says what to do; no library exception
escapes.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import statistics
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

from .errors import UnreadableDocument

# pypdf reports every quirk of a damaged file through `logging`; the reader turns what
# matters into an UnreadableDocument, so the rest is noise (unless someone configured it).
if logging.getLogger("pypdf").level == logging.NOTSET:
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)

PDF_SUFFIXES = {".pdf"}
DOCX_SUFFIXES = {".docx"}
HTML_SUFFIXES = {".html", ".htm"}

PAGE_JOIN = "\n\n"
COL = "\x1f"  # column gap inside a PDF line, before it becomes a tab or a space
_MIN_PAGE_CHARS = 10  # a page with fewer letters and digits than this has no text layer


def extract(source: str, suffix: str, data: bytes) -> tuple[str, list[int]]:
    """The citable text of a PDF, DOCX or HTML file and the offset where each page starts."""
    suffix = suffix.lower()
    if suffix in PDF_SUFFIXES:
        return extract_pdf(source, data)
    if suffix in DOCX_SUFFIXES:
        return extract_docx(source, data), []
    if suffix in HTML_SUFFIXES:
        return extract_html(source, data), []
    raise UnreadableDocument(source, f"unsupported file type {suffix}")


# --- shared text clean-up ------------------------------------------------------------------

_LIGATURES = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st",
})
# Characters that carry no text: controls (tab and newline are kept), soft hyphens, zero-width marks.
_INVISIBLE = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127, 0xAD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF])
_SPACES = dict.fromkeys([0xA0, 0x2007, 0x202F, 0x2002, 0x2003, 0x2009, 0x3000], " ")
# Bullets drawn from the Symbol and Wingdings fonts come out as private-use characters.
_PUA_BULLETS = dict.fromkeys([0xF0B7, 0xF0A7, 0xF0D8, 0xF076, 0xF0FC, 0xF0A8, 0xF06E, 0xF0B2], "•")
# A list or paragraph marker: "4.6.1", "3.", "(a)", "iv)", "•".
_MARKER = r"(?:\d+(?:\.\d+)*\.?|\(?[a-zA-Z]\)|\(?[ivx]+\)|[a-z]\.|[•·▪–*-])"


def clean_text(text: str) -> str:
    """Line ends unified, invisible characters removed, ligatures spelt out, odd spaces made spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = text.translate(_LIGATURES).translate(_SPACES).translate(_INVISIBLE).translate(_PUA_BULLETS)
    return unicodedata.normalize("NFC", text)


def tidy_lines(text: str) -> str:
    """Trailing spaces removed (tabs kept: they are empty table cells), at most one blank line in a row."""
    lines = [ln.rstrip(" ") for ln in text.split("\n")]
    lines = ["" if not ln.strip() else ln for ln in lines]
    out: list[str] = []
    for ln in lines:
        if ln == "" and (not out or out[-1] == ""):
            continue
        out.append(ln)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)


def _one_line(text: str) -> str:
    return " ".join(clean_text(text).split())


def _blocks_text(blocks: list[list[str]]) -> str:
    """Blocks of lines joined by blank lines."""
    return tidy_lines("\n\n".join("\n".join(b) for b in blocks if any(ln.strip() for ln in b)))


# --- PDF ------------------------------------------------------------------------------------


def extract_pdf(source: str, data: bytes) -> tuple[str, list[int]]:
    corrupt = UnreadableDocument(source, "is not a readable PDF (truncated or corrupt)")
    if b"%PDF-" not in data[:1024]:
        raise corrupt
    if b"%%EOF" not in data[-4096:]:
        raise corrupt  # cut short (an interrupted download): pages at the end would be silently missing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = _open_pdf(source, data, corrupt)
        try:
            pages = list(reader.pages)
        except Exception as exc:
            raise corrupt from exc
        if not pages:
            raise corrupt
        texts: list[str] = []
        failed = 0
        for page in pages:
            try:
                texts.append(pdf_page_text(page))
            except Exception:  # one damaged page: keep the others
                failed += 1
                texts.append("")
    if all(_letters(t) < _MIN_PAGE_CHARS for t in texts):
        if failed:
            raise corrupt
        raise UnreadableDocument(source, "has no text layer (scanned PDF?); run OCR on it first")
    offsets, pos = [], 0
    for t in texts:
        offsets.append(pos)
        pos += len(t) + len(PAGE_JOIN)
    return PAGE_JOIN.join(texts), offsets


def _open_pdf(source: str, data: bytes, corrupt: UnreadableDocument) -> Any:
    import pypdf

    encrypted = UnreadableDocument(source, "is encrypted; save an unencrypted copy")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
    except Exception as exc:
        if "encrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise encrypted from exc
        raise corrupt from exc
    try:
        is_encrypted = reader.is_encrypted
    except Exception as exc:
        raise corrupt from exc
    if is_encrypted:
        try:
            opened = reader.decrypt("")
        except Exception as exc:  # e.g. AES without a crypto library: cannot open it either way
            raise encrypted from exc
        if opened == pypdf.PasswordType.NOT_DECRYPTED:
            raise encrypted
    return reader


def _letters(text: str) -> int:
    return sum(c.isalnum() for c in text)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def pdf_page_text(page: Any) -> str:
    """One page's text: laid out from positions when that keeps pypdf's words, else pypdf's plain text."""
    try:
        plain: str | None = tidy_lines(clean_text(page.extract_text() or "").replace("\t", " ")).strip("\n")
    except Exception:
        plain = None
    try:
        laid_out = _layout_page(page)
    except Exception:  # a damaged page, or the layout internals of this pypdf version differ
        laid_out = None
    if plain is None:
        if laid_out is None:
            raise UnreadableDocument("", "page text cannot be extracted")
        return laid_out
    if laid_out is None or not _same_words(laid_out, plain):
        return plain
    return laid_out


def _same_words(laid_out: str, plain: str) -> bool:
    """True when the laid-out text has (nearly) the words of the plain text: none lost, none glued."""
    a, b = _words(laid_out), _words(plain)
    if not b:
        return not a
    if len(a) < 0.97 * len(b):
        return False
    known = set(b)
    strange = sum(w not in known for w in a)
    return strange <= len(a) // 400


def _layout_page(page: Any) -> str | None:
    """Lines of the page from the positions of its text runs, with blank lines and column gaps.

    Uses the text-run positions that pypdf's own layout mode computes (tx, ty, the x where
    each run ends, font height); returns None where that is not available.
    """
    from pypdf._text_extraction import _layout_mode
    from pypdf.generic import ArrayObject, ContentStream, StreamObject

    contents = page.get("/Contents")
    if contents is not None:
        contents = contents.get_object()
    if not isinstance(contents, (ArrayObject, StreamObject)):
        return ""
    fonts = page._layout_mode_fonts()
    ops = iter(ContentStream(contents, page.pdf, "bytes").operations)
    groups = _layout_mode.text_show_operations(ops, fonts, True, None)
    if not groups:
        return ""
    by_y = _layout_mode.y_coordinate_groups(groups, None)
    lines: list[tuple[float, float, str]] = []  # (y, font height, text with COL marks)
    for y, runs in by_y.items():
        text, height = _join_runs(runs)
        if text.strip():
            lines.append((float(y), height, text))
    if not lines:
        return ""
    if _looks_multi_column(lines):
        return None  # two columns side by side: pypdf's plain text follows the reading order better
    return _page_from_lines(lines)


_GLUE_EM = 0.12  # a narrower gap is inside a word (kerning, one run per letter)
_SPACE_EM = 0.28  # about one space, for the spaces pypdf writes inside a run
_COLUMN_EM = 0.8  # a gap this wide may be a column gap ...
_COLUMN_RATIO = 1.8  # ... when it is also this much wider than the line's word spacing


def _join_runs(runs: list[dict[str, Any]]) -> tuple[str, float]:
    """The runs of one line, left to right: no space inside words, a space between words, COL between columns."""
    tokens: list[tuple[float, str]] = []  # (gap before the word, in ems; the word)
    prev: dict[str, Any] | None = None
    weights: dict[float, int] = {}
    for run in sorted(runs, key=lambda r: (r["tx"], r["displaced_tx"])):
        text = clean_text(run["text"]).replace("\n", " ").replace("\t", " ")
        if not text.strip():
            continue
        height = float(run["font_height"] or run["font_size"] or 0)
        weights[height] = weights.get(height, 0) + len(text.strip())
        gap = 0.0
        if prev is not None:
            em = max(height, float(prev["font_height"] or prev["font_size"] or 0)) or 10.0
            if text.strip() == clean_text(prev["text"]).strip() and abs(run["tx"] - prev["tx"]) < 0.5 * em:
                continue  # the same text drawn twice, slightly offset (fake bold or a shadow)
            gap = max(run["tx"] - _run_end(prev), 0.0) / em
        for i, m in enumerate(re.finditer(r"( *)([^ ]+)", text)):
            spaces = len(m.group(1)) * _SPACE_EM
            tokens.append(((gap + spaces) if i == 0 else spaces, m.group(2)))
        prev = run
    height = max(weights, key=lambda h: (weights[h], h)) if weights else 0.0
    return _line_text(tokens), height


def _line_text(tokens: list[tuple[float, str]]) -> str:
    """Words joined by spaces; COL where a gap is a column gap rather than (stretched) word spacing."""
    if not tokens:
        return ""
    gaps = [g for g, _ in tokens[1:] if g >= _GLUE_EM]
    narrow = [g for g in gaps if g < _COLUMN_EM]
    if narrow:
        usual = statistics.median(narrow)
        wide = max(_COLUMN_EM, _COLUMN_RATIO * usual)
    elif gaps:
        words = [w for _, w in tokens]
        numeric = sum(any(c.isdigit() for c in w) for w in words)
        stretched = max(gaps) <= 1.5 * min(gaps) and len(words) >= 3 and numeric * 4 <= len(words)
        wide = float("inf") if stretched else _COLUMN_EM  # a justified line spread wide vs. cells
    else:
        wide = float("inf")
    parts = [tokens[0][1]]
    for g, w in tokens[1:]:
        parts.append((COL if g >= wide else " " if g >= _GLUE_EM else "") + w)
    return "".join(parts)


def _run_end(run: dict[str, Any]) -> float:
    """Where a run of text ends: pypdf's figure, unless that makes its letters implausibly wide or narrow.

    Without width tables (the standard 14 fonts) pypdf can put the end of a run far to the
    right, which would glue it to the next cell; then half an em per character is closer.
    """
    chars = len(run["text"].strip())
    em = float(run["font_height"] or run["font_size"] or 0)
    width = run["displaced_tx"] - run["tx"]
    if chars and em and not 0.25 <= width / (chars * em) <= 0.85:
        return run["tx"] + 0.5 * em * len(run["text"].rstrip())
    return run["displaced_tx"]


def _looks_multi_column(lines: list[tuple[float, float, str]]) -> bool:
    """Most lines are two long runs of prose side by side: a two-column page, not a table."""
    prose_pairs = 0
    for _, _, text in lines:
        cells = text.split(COL)
        if len(cells) == 2 and all(len(c) >= 25 and len(c.split()) >= 4 for c in cells):
            prose_pairs += 1
    return prose_pairs >= 3 and prose_pairs * 3 >= len(lines)


def _page_from_lines(lines: list[tuple[float, float, str]]) -> str:
    """Page text: a blank line where the gap above a line is wider than usual or the font size changes."""
    spacing = []  # line spacing as a multiple of the font height, between lines of one size
    for (y0, h0, _), (y1, h1, _) in zip(lines, lines[1:]):
        dy = abs(y0 - y1)
        if h1 and abs(h1 - h0) <= 0.1 * h1 and dy <= 2.5 * h1:
            spacing.append(dy / h1)
    ratio = statistics.median(spacing) if spacing else 1.25
    out: list[str] = []
    prev: tuple[float, float, str] | None = None
    for line in lines:
        y, height, text = line
        if prev is not None:
            dy = abs(prev[0] - y)
            usual = ratio * (max(height, prev[1]) or 10.0)
            new_size = height and prev[1] and abs(height - prev[1]) > 0.12 * max(height, prev[1])
            both_rows = COL in text and COL in prev[2]
            if not both_rows and (dy > 1.3 * usual or new_size):
                out.append("")
        out.append(text)
        prev = line
    return _columns_to_tabs(out)


_MARKER_COL = re.compile(rf"^({_MARKER}){COL}")


def _columns_to_tabs(lines: list[str]) -> str:
    """Runs of rows with column gaps become tab-separated table rows; a lone two-part line keeps spaces."""
    out = [_MARKER_COL.sub(r"\1 ", ln) for ln in lines]  # the gap after "4.6.1" or "•" is indentation
    i = 0
    while i < len(out):
        if COL not in out[i]:
            i += 1
            continue
        j = i
        while j < len(out) and COL in out[j]:
            j += 1
        table = (j - i) >= 2 or out[i].count(COL) >= 2
        for k in range(i, j):
            if table:
                out[k] = out[k].replace(COL, "\t")
            else:  # "Total spend   £10,000" stays a space-aligned row; words spread apart are just words
                last = out[k].rsplit(COL, 1)[-1]
                out[k] = out[k].replace(COL, "   " if re.search(r"\d", last) else " ")
        i = j
    return tidy_lines("\n".join(out)).strip("\n")


# --- DOCX -----------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_MARKER_TAB = re.compile(rf"^({_MARKER})\t+")


def extract_docx(source: str, data: bytes) -> str:
    unreadable = UnreadableDocument(source, "is not a readable Word document")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnreadableDocument(
            source, "is not a readable Word document (it is an old .doc file; save it as .docx)")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise unreadable
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import docx

            document = docx.Document(io.BytesIO(data))
            blocks = list(_docx_blocks(document.element.body, document))
        except Exception as exc:
            raise unreadable from exc
    text = _blocks_text(_merge_docx_blocks(blocks))
    if not text.strip():
        raise UnreadableDocument(source, "has no text")
    return text


def _docx_blocks(container: Any, parent: Any) -> Iterator[tuple[str, list[str]]]:
    """(kind, lines) for each paragraph and table of a body, cell or content control, in order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        tag = child.tag
        if tag == f"{_W}p":
            block = _docx_paragraph(Paragraph(child, parent))
            if block:
                yield block
        elif tag == f"{_W}tbl":
            yield from _docx_table(Table(child, parent))
        elif tag == f"{_W}sdt":  # a content control wraps ordinary paragraphs and tables
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _docx_blocks(content, parent)


def _style_name(paragraph: Any) -> str:
    try:
        style = paragraph.style
        return (style.name or "") if style is not None else ""
    except Exception:
        return ""


def _docx_paragraph(paragraph: Any) -> tuple[str, list[str]] | None:
    raw = clean_text(paragraph.text)
    if not raw.strip():
        return None
    style = _style_name(paragraph)
    m = _HEADING_STYLE.match(style.strip())
    if m or style.strip().lower() == "title":
        level = int(m.group(1)) if m else 1
        return "heading", ["#" * max(level, 1) + " " + _one_line(raw)]
    if _numbered(paragraph) or style.lower().startswith(("list bullet", "list number")):
        lines = [" ".join(ln.replace("\t", " ").split()) for ln in raw.split("\n")]
        lines = [ln for ln in lines if ln]
        return "item", ["- " + lines[0], *lines[1:]]
    lines = [ln.strip(" ") for ln in raw.split("\n")]
    lines = [re.sub(r" {2,}", " ", ln) for ln in lines if ln.strip()]
    lines = [_MARKER_TAB.sub(r"\1 ", ln.lstrip("\t")) for ln in lines]  # "4.6<tab>Care" is a number and a title
    if any("\t" in ln.strip("\t") for ln in lines):
        return "tabbed", lines
    return "paragraph", [" ".join(ln.replace("\t", " ").split()) for ln in lines]


def _numbered(paragraph: Any) -> bool:
    """True when the paragraph, or the style it is written in, has list numbering (numId 0 switches it off)."""
    ppr = paragraph._p.pPr
    num = ppr.numPr if ppr is not None else None
    if num is None:
        try:
            style = paragraph.style
            for _ in range(10):  # the style and the styles it is based on
                if style is None:
                    break
                sppr = style.element.pPr
                if sppr is not None and sppr.numPr is not None:
                    num = sppr.numPr
                    break
                style = style.base_style
        except Exception:
            return False
    if num is None:
        return False
    num_id = num.numId
    return num_id is None or num_id.val != 0


def _docx_table(table: Any) -> Iterator[tuple[str, list[str]]]:
    rows: list[list[Any]] = []
    for row in table.rows:
        cells: list[Any] = []
        for cell in row.cells:
            if cells and cell._tc is cells[-1]._tc:
                continue  # a merged cell: python-docx repeats it once for each column it spans
            cells.append(cell)
        rows.append(cells)
    if rows and max(len(r) for r in rows) <= 1:
        # A one-column table is a box around ordinary content, not data: read what is inside.
        for r in rows:
            for cell in r:
                yield from _docx_blocks(cell._tc, cell)
        return
    lines = []
    for r in rows:
        values = [_one_line(cell.text) for cell in r]
        if any(values):
            lines.append("\t".join(values))
    if lines:
        yield "table", lines


def _merge_docx_blocks(blocks: list[tuple[str, list[str]]]) -> list[list[str]]:
    """One block per paragraph, heading or table; a run of list items, or of tab-aligned lines, stays together."""
    out: list[list[str]] = []
    last = ""
    for kind, lines in blocks:
        if kind == last and kind == "item":
            out[-1].extend(lines)
        elif kind == last and kind == "tabbed":
            out[-1].extend(lines)
        else:
            out.append(list(lines))
        last = kind
    # A lone tab-aligned paragraph is prose with a tab in it, not a table.
    return [
        [" ".join(ln.replace("\t", " ").split()) for ln in b] if len(b) == 1 and "\t" in b[0] else b
        for b in out
    ]


# --- HTML -----------------------------------------------------------------------------------

_DROP_TAGS = {
    "script", "style", "nav", "header", "footer", "aside", "form", "noscript", "svg", "template",
    "iframe", "object", "embed", "canvas", "button", "select", "textarea", "input", "head", "title", "meta", "link",
}
_DROP_ROLES = {"navigation", "banner", "contentinfo", "search"}
_BLOCK_TAGS = {
    "address", "article", "blockquote", "body", "center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "hgroup", "hr", "html", "li", "main", "menu", "ol", "p", "pre",
    "section", "summary", "table", "ul", "caption", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
    "thead", "tbody", "tfoot",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_CONTENT_ROOTS = ("article", "main")
_SKIP_LINK = re.compile(r"^skip (?:to|navigation|over)\b", re.IGNORECASE)  # "Skip to main content"


def decode_html(data: bytes) -> str:
    """HTML bytes as text: the byte-order mark, else the <meta> charset, else UTF-8 (bad bytes replaced)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    encoding = "utf-8"
    m = _META_CHARSET.search(data[:4096])
    if m:
        label = m.group(1).decode("ascii", "replace").lower()
        if label in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "iso8859-1"}:
            label = "cp1252"  # what browsers do with these labels
        try:
            encoding = codecs.lookup(label).name
        except LookupError:
            encoding = "utf-8"
        if encoding.startswith("utf-16"):
            encoding = "utf-8"  # a utf-16 label in a page we could read as ASCII cannot be right
    return data.decode(encoding, errors="replace")


def extract_html(source: str, data: bytes) -> str:
    from bs4 import BeautifulSoup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            soup = BeautifulSoup(decode_html(data), "html.parser")
            _drop_noise(soup)
            walker = _HtmlWalker()
            walker.walk(soup)
            walker.flush()
        except Exception as exc:  # html.parser is lenient; this is a last resort
            raise UnreadableDocument(source, "is not readable HTML") from exc
    text = _blocks_text(walker.blocks)
    if not text.strip():
        raise UnreadableDocument(source, "has no text")
    return text


def _drop_noise(soup: Any) -> None:
    from bs4 import Comment, Declaration, Doctype, ProcessingInstruction

    for node in soup.find_all(string=lambda s: isinstance(s, (Comment, Declaration, Doctype, ProcessingInstruction))):
        node.extract()
    for el in soup.find_all(True):
        if getattr(el, "decomposed", False):
            continue  # inside an element dropped already
        name = (el.name or "").lower()
        role = str(el.get("role") or "").strip().lower()
        hidden = el.has_attr("hidden") or str(el.get("aria-hidden", "")).strip().lower() == "true"
        if name == "header" and el.find_parent(list(_CONTENT_ROOTS)) is not None:
            continue  # an article's own header holds its title
        skip_link = name == "a" and _SKIP_LINK.match(el.get_text(" ", strip=True))
        if name in _DROP_TAGS or role in _DROP_ROLES or hidden or skip_link:
            el.decompose()


class _HtmlWalker:
    """Turns the cleaned tree into blocks of lines: headings, paragraphs, list items, table rows."""

    def __init__(self) -> None:
        self.blocks: list[list[str]] = []
        self.inline: list[str] = []
        self.list_depth = 0
        self.last = ""  # kind of the last block: consecutive list items share one block

    def add(self, kind: str, lines: list[str]) -> None:
        if kind == "item" and self.last == "item":
            self.blocks[-1].extend(lines)
        else:
            self.blocks.append(lines)
        self.last = kind

    def flush(self) -> None:
        text = "".join(self.inline)
        self.inline = []
        lines = [" ".join(ln.split()) for ln in clean_text(text).split("\n")]
        lines = [ln for ln in lines if ln]
        if lines:
            self.add("paragraph", lines)

    def walk(self, node: Any) -> None:
        from bs4 import NavigableString, Tag

        for child in list(node.children):
            if isinstance(child, NavigableString):
                self.inline.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = (child.name or "").lower()
            if name == "br":
                self.inline.append("\n")
            elif re.fullmatch(r"h[1-6]", name):
                self.flush()
                title = _one_line(_inline_text(child))
                if title:
                    self.add("heading", ["#" * int(name[1]) + " " + title])
            elif name in ("ul", "ol", "menu", "dir"):
                self.flush()
                self.list_depth += 1
                self.walk(child)
                self.list_depth -= 1
                self.flush()
            elif name == "li":
                self._list_item(child)
            elif name == "table":
                self.flush()
                self._table(child)
            elif name == "pre":
                self.flush()
                lines = [ln.rstrip() for ln in clean_text(child.get_text()).split("\n")]
                if any(ln.strip() for ln in lines):
                    self.add("pre", [ln for ln in lines if ln.strip()])
            elif name in _BLOCK_TAGS:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)  # inline: a, span, strong, em, ...

    def _list_item(self, li: Any) -> None:
        """`- text` for the item's own text; nested lists follow as indented items."""
        from bs4 import NavigableString, Tag

        self.flush()
        own: list[str] = []
        nested: list[Any] = []
        for child in li.children:
            if isinstance(child, Tag) and (child.name or "").lower() in ("ul", "ol", "table"):
                nested.append(child)
            elif isinstance(child, Tag):
                own.append(_inline_text(child))
            elif isinstance(child, NavigableString):
                own.append(str(child))
        text = _one_line(" ".join(own))
        if text:
            self.add("item", ["  " * max(self.list_depth - 1, 0) + "- " + text])
        for child in nested:
            if (child.name or "").lower() == "table":
                self._table(child)
            else:
                self.list_depth += 1
                self.walk(child)
                self.list_depth -= 1

    def _table(self, table: Any) -> None:
        rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
        cells_by_row = [tr.find_all(["td", "th"], recursive=False) for tr in rows]
        widest = max((len(r) for r in cells_by_row), default=0)
        layout = widest <= 1 or any(
            c.find(["table", "h1", "h2", "h3", "h4", "h5", "h6"]) is not None for r in cells_by_row for c in r
        )
        if layout:
            # A table used to lay out a page: read its cells as ordinary content.
            for r in cells_by_row:
                for c in r:
                    self.walk(c)
                    self.flush()
            return
        caption = table.find("caption")
        if caption is not None and caption.find_parent("table") is table:
            title = _one_line(_inline_text(caption))
            if title:
                self.add("caption", [title])
        lines = []
        for r in cells_by_row:
            values = [_one_line(_inline_text(c)) for c in r]
            if any(values):
                lines.append("\t".join(values))
        if lines:
            self.add("table", lines)


def _inline_text(el: Any) -> str:
    """All text inside an element as one run, with spaces where block elements and breaks were."""
    from bs4 import NavigableString, Tag

    parts: list[str] = []

    def visit(node: Any) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                parts.append(str(child))
            elif isinstance(child, Tag):
                name = (child.name or "").lower()
                if name == "br" or name in _BLOCK_TAGS:
                    parts.append(" ")
                visit(child)
                if name in _BLOCK_TAGS:
                    parts.append(" ")

    visit(el)
    return "".join(parts)
