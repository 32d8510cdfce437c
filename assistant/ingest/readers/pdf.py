"""PDF (pypdfium2, i.e. PDFium): each page laid out from the positions of its text.

The text is what citations index into, so it is written in the layout the splitter reads
(ingest/passages.py):

* **Lines** are rebuilt from positions: runs of text that overlap vertically are one line,
  read left to right. A gap of about a word is a space; a wide gap (wide for the font size
  and for the line's own word gaps) is a column gap.
* **Blocks**: a blank line where the gap above a line is clearly wider than the line spacing,
  or where the font size changes (a heading).
* **Columns and tables**: consecutive lines whose column gaps line up form a region. Prose
  columns side by side (a two-column page) are read column by column. Anything else is a
  table: each row is rebuilt as one tab-separated line, the fragments of a cell that wraps
  over several lines joined with spaces, header row first. Where a row ends is read from the
  layout: a wider gap than the line spacing inside rows, or text starting again in the first
  column after lines where only other columns went on.
* **Footnote marks**: superscript (smaller, raised) digits are written as ¹²³… and subscript
  digits as ₁₂₃…, so that "38¹" can never be read as 381.
* **Running headers and footers** (the same line at the top or bottom of most pages, page
  numbers) are dropped; `read_pdf` says which lines went.
* **Title**: the PDF's /Title when it looks like a title (not a file name, a date or a number),
  else the largest-font line or lines at the top of page 1, else "".

Pages are joined with a blank line; `pages[n - 1]` is the offset where page n starts. The
same bytes always give the same text. Every failure is an `UnreadableDocument` that says what
to do; a page that cannot be read is left empty and the others are kept.

The work is split by stage: `pdf_runs` (PDFium: the runs of text on a page, and its rules),
`pdf_lines` (runs into lines and chunks), `pdf_layout` (lines into blocks, columns and table
regions) and `pdf_tables` (a table region as rows); this module opens the file, drops running
headers and footers, finds the title and puts the pages together.

Speed: PDFium builds each page's character list in C. Python takes the page's text in one
call and its lines' rectangles (one per text object) a line at a time, finds which characters
each rectangle holds by counting rectangles over prefixes of the line, and looks at single
characters only inside a text object that has wide gaps in it.
"""

from __future__ import annotations

import math
import re
import statistics
import threading
from dataclasses import dataclass, field
from typing import Any

from ...core.errors import UnreadableDocument
from .clean import clean_text, tidy_lines
from .extracted import Extracted
from .pdf_layout import page_text
from .pdf_lines import MIN_TEXT_CHARS, read_page
from .pdf_runs import Line, Page

PAGE_JOIN = "\n\n"

DAMAGED = "is damaged (truncated or corrupt): download it again"
ENCRYPTED = "is encrypted (password-protected); save an unprotected copy and add that"
SCANNED = "has no text layer (a scan?): run OCR on it first"

# PDFium is not thread-safe: one document at a time per process.
_LOCK = threading.Lock()


@dataclass
class PdfReading:
    """What `read_pdf` found: the extracted text, and what was left out of it."""

    extracted: Extracted
    furniture: list[str] = field(default_factory=list)  # running header/footer lines dropped (one per page it was on)
    failed_pages: list[int] = field(default_factory=list)  # 1-based numbers of pages that could not be read


def extract_pdf(source: str, data: bytes) -> Extracted:
    """The citable text of a PDF, the offset where each page starts, and its title."""
    return read_pdf(source, data).extracted


def read_pdf(source: str, data: bytes) -> PdfReading:
    """`extract_pdf` with a record of the running headers and footers dropped and the pages that failed."""
    try:
        data = bytes(data)
    except Exception as exc:
        raise UnreadableDocument(source, DAMAGED) from exc
    if b"%PDF-" not in data[:1024]:
        raise UnreadableDocument(source, DAMAGED)
    if b"%%EOF" not in data[-4096:]:
        raise UnreadableDocument(source, DAMAGED)  # cut short: pages at the end would be silently missing
    with _LOCK:
        try:
            return _read(source, data)
        except UnreadableDocument:
            raise
        except Exception as exc:  # no library error escapes
            raise UnreadableDocument(source, DAMAGED) from exc


# --- opening ------------------------------------------------------------------------------------


def _read(source: str, data: bytes) -> PdfReading:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise UnreadableDocument(source, ENCRYPTED) from exc
        raise UnreadableDocument(source, DAMAGED) from exc
    try:
        pages: list[Page | None] = []
        failed: list[int] = []
        for i in range(len(doc)):
            try:
                pages.append(read_page(doc, i))
            except Exception:  # one damaged page: keep the others
                pages.append(None)
                failed.append(i + 1)
        meta_title = _metadata_title(doc)
    finally:
        doc.close()
    if not pages:
        raise UnreadableDocument(source, DAMAGED)
    letters = sum(p.letters for p in pages if p is not None)
    if letters < MIN_TEXT_CHARS:
        raise UnreadableDocument(source, DAMAGED if failed else SCANNED)
    try:
        furniture = _drop_furniture(pages)
    except Exception:  # keep every line rather than lose the document
        furniture = []
    texts = [_page_text(p) for p in pages]
    offsets, pos = [], 0
    for t in texts:
        offsets.append(pos)
        pos += len(t) + len(PAGE_JOIN)
    try:
        title = meta_title if _looks_like_title(meta_title) else _title_from_page(pages)
    except Exception:
        title = ""
    return PdfReading(Extracted(PAGE_JOIN.join(texts), offsets, title), furniture, failed)


def _page_text(page: Page | None) -> str:
    """The page laid out; should the layout fail on it, its lines as they are (the text is kept)."""
    if page is None:
        return ""
    try:
        return page_text(page)
    except Exception:
        return tidy_lines("\n".join(ln.text for ln in page.lines)).strip("\n")


def _metadata_title(doc: Any) -> str:
    try:
        return one_line(doc.get_metadata_value("Title") or "")
    except Exception:
        return ""


def one_line(text: str) -> str:
    return " ".join(clean_text(text).split())


# --- running headers and footers -------------------------------------------------------------------


_PAGE_NO_RE = re.compile(
    r"^(?:(?:page|p\.|pg\.?)\s*[|:.\-–]?\s*)?[-–(]?\s*(?:\d{1,3}|[ivxlc]{1,6})\s*[-–)]?"
    r"(?:\s*(?:of|/|\|)\s*\d{1,4})?(?:\s*[|:.\-–]?\s*page)?$",
    re.IGNORECASE,
)
_ZONE = 0.14  # running headers and footers sit in the top and bottom 14% of a page
_TITLE_SIZE = 1.3  # a font this many times the body's is a heading's


def _is_page_number(text: str) -> bool:
    return bool(_PAGE_NO_RE.match(text.strip()))


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _drop_furniture(pages: list[Page | None]) -> list[str]:
    """Mark running headers and footers (and page numbers) at the top and bottom of pages; returns their text.

    Only lines set apart from the body by a wider gap, within the top or bottom 14% of a page,
    are looked at. Such a line is furniture when it is a page number; when the same line (at the
    same size) is there on at least 30% of the pages (left and right pages may differ), any numbers
    in it counting with the pages; when lines starting with the same three words sit at the same
    height on that many pages (a footer naming each chapter: "Plan 2040 | Housing   12"); or when
    it sits, at the same size, exactly where such a line sits on other pages (a header naming the
    chapter, on the pages facing the document's own running header).
    """
    candidates: list[tuple[int, Line, tuple[str, str, int], tuple[str, str, int]]] = []
    seen: dict[tuple[str, str, int], dict[int, str]] = {}
    seen_start: dict[tuple[str, str, int], set[int]] = {}
    live = [(n, p) for n, p in enumerate(pages) if p is not None and p.lines]
    for n, page in live:
        height = max(page.top - page.bottom, 1.0)
        for zone in ("top", "bottom"):
            for ln in _edge_lines(page.lines, zone == "top"):
                inside = ln.hi >= page.top - _ZONE * height if zone == "top" else ln.lo <= page.bottom + _ZONE * height
                if not inside:
                    continue
                words = _furniture_key(ln.text).split()
                key = (zone, " ".join(words), round(ln.size))
                first = ln.text.lower().split()[:3]
                start = (zone, " ".join(first), round(ln.size)) if len(words) > 3 else key
                candidates.append((n, ln, key, start))
                seen.setdefault(key, {})[n] = ln.text
                seen_start.setdefault(start, set()).add(n)
    need = max(2, math.ceil(0.3 * len(live)))  # headers that differ on left and right pages are on half of them
    # A line in a clearly larger font than the body is a heading (a slide's title, in the same place on every
    # slide): only a page number, or the same line on most pages, makes it furniture; its position does not.
    title_size = _TITLE_SIZE * _body_size(pages)
    need_title = max(3, math.ceil(0.6 * len(live)))
    heights: dict[tuple[str, str, int], list[float]] = {}
    for _, ln, _, start in candidates:
        heights.setdefault(start, []).append(ln.base)
    dropped: list[str] = []
    counts: dict[tuple[str, str, int], bool] = {}
    for n, ln, key, start in candidates:
        if ln.furniture:
            continue
        if key not in counts:
            counts[key] = len(seen[key]) >= need and _counts_with_pages(seen[key])
        repeated = counts[key] and (ln.size < title_size or len(seen[key]) >= need_title)
        same_place = (len(seen_start[start]) >= need and abs(ln.base - statistics.median(heights[start])) <= 4.0
                      and ln.size < title_size)
        if _is_page_number(ln.text) or repeated or same_place:
            ln.furniture = True
            dropped.append(ln.text)
    # A running header that names the chapter sits where the document's running header sits.
    slots: dict[tuple[str, int], set[int]] = {}
    for n, ln, key, _ in candidates:
        if ln.furniture and not _is_page_number(ln.text):
            slots.setdefault((key[0], key[2]), set()).add(round(ln.base))
    for n, ln, key, _ in candidates:
        if not ln.furniture and ln.size < title_size and any(abs(round(ln.base) - y) <= 2
                                                             for y in slots.get((key[0], key[2]), ())):
            ln.furniture = True
            dropped.append(ln.text)
    for _, page in live:
        page.lines = [ln for ln in page.lines if not ln.furniture]
    return dropped


def _counts_with_pages(texts: dict[int, str]) -> bool:
    """The same line on several pages: identical, or identical but for a number at its start or end
    that goes up with the page ("Annual Report 2023 | 5"; not "Item 4: Reports" over "Item 5: Reports")."""
    if len(set(texts.values())) == 1:
        return True
    for pattern in (r"^(.*?)[\s|:.\-–]*(\d+)\s*$", r"^\s*(\d+)[\s|:.\-–]*(.*)$"):
        rest, offsets = set(), set()
        for n, t in texts.items():
            m = re.match(pattern, t)
            if not m:
                break
            words, number = (m.group(1), m.group(2)) if pattern.startswith("^(.*?)") else (m.group(2), m.group(1))
            rest.add(words.lower())
            offsets.add(int(number) - n)
        else:
            if len(rest) == 1 and len(offsets) == 1:
                return True
    return False


def _edge_lines(lines: list[Line], top: bool) -> list[Line]:
    """The lines at the top (or bottom) of a page that a wider gap than the line spacing separates
    from the body, and a page number standing apart among the three lines at the edge. A table's
    header row starting the page, or its last row ending it, is not one of them: the row next to it
    shares its columns."""
    seq = lines if top else lines[::-1]
    if len(seq) < 2:
        return []
    big = [abs(a.base - b.base) > 1.3 * max(a.size, b.size) for a, b in zip(seq[:3], seq[1:4])]
    if True not in big:
        return []
    first = big.index(True)
    out = seq[:first + 1]
    body = seq[first + 1]
    if len(body.chunks) >= 2:
        shared = sum(any(min(c.x1, d.x1) - max(c.x0, d.x0) > 0 for d in body.chunks) for ln in out for c in ln.chunks)
        if shared >= 2:
            return []  # a table's header row repeated at the top of the page, or its last row at the bottom
    out += [seq[i] for i in range(first + 1, len(big)) if big[i] and _is_page_number(seq[i].text)]
    return out


# --- title --------------------------------------------------------------------------------------------


_FILE_NAME_RE = re.compile(
    r"\.[A-Za-z][A-Za-z0-9]{1,6}$|^microsoft (?:word|excel|powerpoint) - |^[a-z]:\\|[\\]", re.IGNORECASE)
_GENERIC_TITLES = {"untitled", "untitled document", "document", "no title", "powerpoint presentation", "title",
                   "microsoft word document", "word document", "pdf document", "slide 1"}
_MEMO_RE = re.compile(
    r"^(?:from|to|cc|bcc|date|subject|re|ref|our ref|your ref|item(?:\s+no\.?)?|agenda item|report (?:of|by|to)|"
    r"contact|tel|telephone|email|e-mail|author)\b\s*[:.\-]?", re.IGNORECASE)
_URL_RE = re.compile(r"https?://|www\.|\S+@\S+\.\w|\.(?:gov|org|com|net)(?:\.\w\w)?(?:/|\b)", re.IGNORECASE)


def _looks_like_title(text: str) -> bool:
    t = one_line(text)
    if not t or len(t) > 250:
        return False
    low = t.lower()
    if low in _GENERIC_TITLES or _FILE_NAME_RE.search(t) or ("_" in t and " " not in t):
        return False
    if _MEMO_RE.match(t) or _URL_RE.search(t) or _is_page_number(t):
        return False
    return len(re.findall(r"[^\W\d_]{2,}", t)) >= 2


def _title_from_page(pages: list[Page | None]) -> str:
    """The largest-font line (or lines, when it wraps) at the top of the first page with text."""
    page = next((p for p in pages if p is not None and p.lines), None)
    if page is None:
        return ""
    body = _body_size(pages)
    height = max(page.top - page.bottom, 1.0)
    near_top = [ln for ln in page.lines if ln.base >= page.top - 0.5 * height]
    fit = [ln for ln in near_top if _title_line(ln.text)]
    if not fit:
        return ""
    biggest = max(ln.size for ln in fit)
    if biggest < 1.15 * body:
        return ""
    k = next(k for k, ln in enumerate(near_top) if ln in fit and ln.size >= biggest - 0.01)
    picked = [near_top[k]]
    for ln in near_top[k + 1:k + 4]:
        prev = picked[-1]
        if abs(ln.size - biggest) > 0.05 * biggest or prev.base - ln.base > 1.8 * biggest or ln not in fit:
            break
        picked.append(ln)
    title = " ".join(ln.text.replace("\t", " ") for ln in picked)
    return one_line(title)[:200]


def _title_line(text: str) -> bool:
    t = text.strip()
    if _MEMO_RE.match(t) or _URL_RE.search(t) or _is_page_number(t):
        return False
    return len(re.findall(r"[^\W\d_]{2,}", t)) >= 1


def _body_size(pages: list[Page | None]) -> float:
    weights: dict[float, int] = {}
    for p in pages:
        if p is None:
            continue
        for ln in p.lines:
            key = round(ln.size * 2) / 2
            weights[key] = weights.get(key, 0) + len(ln.text)
    return max(weights, key=lambda k: (weights[k], -k)) if weights else 10.0
