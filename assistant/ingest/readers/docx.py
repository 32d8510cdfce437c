"""Word (python-docx): body paragraphs and tables in document order; heading styles become `#`
lines, list paragraphs `- ` lines, tables tab-separated rows with the header row first."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

from ...core.errors import UnreadableDocument
from .clean import MARKER, blocks_text, clean_text, one_line
from .extracted import Extracted

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


_MARKER_TAB = re.compile(rf"^({MARKER})\t+")


def extract_docx(source: str, data: bytes) -> Extracted:
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
            title = one_line(document.core_properties.title or "")
        except Exception as exc:
            raise unreadable from exc
    text = blocks_text(_merge_docx_blocks(blocks))
    if not text.strip():
        raise UnreadableDocument(source, "has no text")
    return Extracted(text, title=title, publisher=_company(data))


def _company(data: bytes) -> str:
    """The company named in the document's extended properties (docProps/app.xml), or ""."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = z.read("docProps/app.xml").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError):
        return ""
    m = re.search(r"<(?:\w+:)?Company>([^<]*)</(?:\w+:)?Company>", xml)
    return one_line(m.group(1)) if m else ""


def _docx_blocks(container: Any, parent: Any, styles: _Styles | None = None) -> Iterator[tuple[str, list[str]]]:
    """(kind, lines) for each paragraph and table of a body, cell or content control, in order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    styles = styles if styles is not None else _Styles()
    for child in container.iterchildren():
        tag = child.tag
        if tag == f"{_W}p":
            block = _docx_paragraph(Paragraph(child, parent), styles)
            if block:
                yield block
        elif tag == f"{_W}tbl":
            yield from _docx_table(Table(child, parent), styles)
        elif tag == f"{_W}sdt":  # a content control wraps ordinary paragraphs and tables
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _docx_blocks(content, parent, styles)


class _Styles:
    """Each paragraph style's name and list numbering, looked up once per style of a document: python-docx
    looks a paragraph's style up by scanning every style of the document (half the time of reading Word)."""

    def __init__(self) -> None:
        self.seen: dict[str | None, tuple[str, Any]] = {}

    def of(self, paragraph: Any) -> tuple[str, Any]:
        """(style name, the numbering its style or the styles that one is based on give, or None)."""
        key = paragraph._p.style  # the style id; None for the document's default style
        if key not in self.seen:
            self.seen[key] = (_style_name(paragraph), _style_numbering(paragraph))
        return self.seen[key]


def _style_name(paragraph: Any) -> str:
    try:
        style = paragraph.style
        return (style.name or "") if style is not None else ""
    except Exception:
        return ""


def _style_numbering(paragraph: Any) -> Any:
    """The list numbering of the paragraph's style or the styles it is based on, or None."""
    try:
        style = paragraph.style
        for _ in range(10):  # the style and the styles it is based on
            if style is None:
                break
            sppr = style.element.pPr
            if sppr is not None and sppr.numPr is not None:
                return sppr.numPr
            style = style.base_style
    except Exception:
        return None
    return None


def _docx_paragraph(paragraph: Any, styles: _Styles) -> tuple[str, list[str]] | None:
    raw = clean_text(paragraph.text)
    if not raw.strip():
        return None
    style, style_numbering = styles.of(paragraph)
    m = _HEADING_STYLE.match(style.strip())
    if m or style.strip().lower() == "title":
        level = int(m.group(1)) if m else 1
        return "heading", ["#" * max(level, 1) + " " + one_line(raw)]
    if _numbered(paragraph, style_numbering) or style.lower().startswith(("list bullet", "list number")):
        lines = [" ".join(ln.replace("\t", " ").split()) for ln in raw.split("\n")]
        lines = [ln for ln in lines if ln]
        return "item", ["- " + lines[0], *lines[1:]]
    lines = [ln.strip(" ") for ln in raw.split("\n")]
    lines = [re.sub(r" {2,}", " ", ln) for ln in lines if ln.strip()]
    lines = [_MARKER_TAB.sub(r"\1 ", ln.lstrip("\t")) for ln in lines]  # "4.6<tab>Care" is a number and a title
    if any("\t" in ln.strip("\t") for ln in lines):
        return "tabbed", lines
    return "paragraph", [" ".join(ln.replace("\t", " ").split()) for ln in lines]


def _numbered(paragraph: Any, style_numbering: Any) -> bool:
    """True when the paragraph, or the style it is written in, has list numbering (numId 0 switches it off)."""
    ppr = paragraph._p.pPr
    num = ppr.numPr if ppr is not None else None
    if num is None:
        num = style_numbering
    if num is None:
        return False
    num_id = num.numId
    return num_id is None or num_id.val != 0


def _docx_table(table: Any, styles: _Styles) -> Iterator[tuple[str, list[str]]]:
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
                yield from _docx_blocks(cell._tc, cell, styles)
        return
    lines = []
    for r in rows:
        values = [one_line(cell.text) for cell in r]
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
