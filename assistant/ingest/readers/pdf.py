"""PDF (pypdf): each page laid out from the positions of its text runs.

Paragraphs and headings (a change of font size or a wider gap) are separated by blank
lines and table cells by tabs. Whenever that layout disagrees with pypdf's plain extraction
(missing or glued words, two-column pages) the plain text is used for the page instead.
Pages are joined with a blank line; `pages[n - 1]` is the offset where page n starts.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
import warnings
from typing import Any

from ...core.errors import UnreadableDocument
from .clean import MARKER, clean_text, tidy_lines
from .extracted import Extracted

# pypdf reports every quirk of a damaged file through `logging`; the reader turns what
# matters into an UnreadableDocument, so the rest is noise (unless someone configured it).
if logging.getLogger("pypdf").level == logging.NOTSET:
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)


PAGE_JOIN = "\n\n"


COL = "\x1f"  # column gap inside a PDF line, before it becomes a tab or a space


_MIN_PAGE_CHARS = 10  # a page with fewer letters and digits than this has no text layer


def extract_pdf(source: str, data: bytes) -> Extracted:
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
    return Extracted(PAGE_JOIN.join(texts), offsets)


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
    each run ends, font height); returns None where that is not available. pypdf has no public
    API for these positions, so its private layout module is used here and only here (the
    version is capped in pyproject.toml, and any failure falls back to the plain text).
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


_MARKER_COL = re.compile(rf"^({MARKER}){COL}")


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
