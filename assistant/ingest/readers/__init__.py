"""Text of PDF, Word and HTML reports, laid out the way the passage splitter reads it.

    got = extract_text(source, Path("minutes.pdf"), data)   # got.text, got.pages, got.title

`text` is what every citation of the document indexes into (char offsets), so the same
bytes always give the same text. `pages[n - 1]` is the offset where page n starts (PDF
only; an empty list for unpaged formats).

The splitter (ingest/passages.py) finds structure in plain text, so each reader writes it out
in that form: blank lines between blocks, markdown `#` headings, `- ` list items, and
tables as one tab-separated line per row with the header row first.

One module per format: `pdf` (PDFium through pypdfium2, laid out from text positions; its
helpers are the `pdf_*` modules), `docx` (python-docx)
and `html` (BeautifulSoup); `clean` holds the clean-up they share. Text and Markdown files
are their own text, decoded here. The heavy libraries load only when a file needs them.

Every failure is an `UnreadableDocument` that says what to do; no library exception
escapes.
"""

from __future__ import annotations

from pathlib import Path

from ...core.errors import UnreadableDocument
from .extracted import Extracted

TEXT_SUFFIXES = {".txt", ".md"}
PDF_SUFFIXES = {".pdf"}
DOCX_SUFFIXES = {".docx"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | PDF_SUFFIXES | DOCX_SUFFIXES | HTML_SUFFIXES


def decode_text(source: str, data: bytes) -> str:
    """Bytes of a .txt/.md file as text, or UnreadableDocument saying why not."""
    if not data.strip():
        raise UnreadableDocument(source, "the file is empty")
    if b"\x00" in data[:8192]:
        raise UnreadableDocument(source, "the file is binary, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(source, f"not UTF-8 text (bad byte at offset {exc.start}); re-save it as UTF-8") from exc
    if text.startswith("\ufeff"):
        text = text[1:]  # a BOM would shift every offset by one
    return text


def extract_text(source: str, path: Path, data: bytes) -> Extracted:
    """The citable text of a file and, for paged formats, the offset where each page starts."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return Extracted(decode_text(source, data))
    if suffix in PDF_SUFFIXES:
        from .pdf import extract_pdf

        return extract_pdf(source, data)
    if suffix in DOCX_SUFFIXES:
        from .docx import extract_docx

        return extract_docx(source, data)
    if suffix in HTML_SUFFIXES:
        from .html import extract_html

        return extract_html(source, data)
    raise UnreadableDocument(source, f"unsupported file type {suffix}")
